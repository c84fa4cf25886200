"""The ``git`` command line, run in a subprocess: clone/fetch a project, read its commit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from ...exceptions import ExecutionException
from ...redact import redact_url


class GitError(Exception):
    """A git command exited non-zero (its stderr is the message)."""


def git(*args: str, cwd: str | None = None) -> str:
    """Run ``git args`` and return its stdout; GitError on failure."""
    if shutil.which("git") is None:
        raise ExecutionException("Running a project from a Git URI or at a `version` needs "
                                 "the `git` executable, which is not on the PATH")
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0")
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise GitError((done.stderr or done.stdout).strip())
    return done.stdout


def _quiet(*args: str, cwd: str) -> str | None:
    try:
        return git(*args, cwd=cwd).strip() or None
    except (GitError, ExecutionException, OSError):
        return None


def _dir_of(path: str) -> str:
    return os.path.dirname(os.path.abspath(path)) if os.path.isfile(path) else path


def toplevel(path: str) -> str | None:
    """The working tree root of the repository holding ``path``, or None."""
    return _quiet("rev-parse", "--show-toplevel", cwd=_dir_of(path))


def head_commit(path: str) -> str | None:
    """HEAD's commit of the repository holding ``path`` (None outside one, or when the
    path is git-ignored)."""
    directory = _dir_of(path)
    if _quiet("check-ignore", os.path.abspath(path), cwd=directory) is not None:
        return None
    return _quiet("rev-parse", "--verify", "HEAD^{commit}", cwd=directory)


def first_remote_url(path: str) -> str | None:
    """The URL of the first remote in the repository's config, without credentials."""
    out = _quiet("config", "--get-regexp", r"^remote\..*\.url$", cwd=_dir_of(path))
    if not out:
        return None
    return redact_url(out.splitlines()[0].split(" ", 1)[1])


def is_branch(path: str, name: str | None) -> bool:
    """Whether ``name`` is a local branch of the repository at ``path``."""
    return name is not None and _quiet("rev-parse", "--verify", "--quiet",
                                       f"refs/heads/{name}", cwd=path) is not None


def is_repo_root(path: str) -> bool:
    """Whether ``path`` is a repository's root with at least one branch."""
    if not os.path.exists(os.path.join(path, ".git")):
        return False
    return _quiet("for-each-ref", "--count=1", "refs/heads", cwd=path) is not None


def source_url(path: str) -> str:
    """``file://<repo root>[#<subdirectory>]`` for a path in a Git repository, else the
    path itself (the project's mlflow.source.name)."""
    root = toplevel(path)
    if root is None:
        return path
    rel = path.replace(root, "", 1) if path.startswith(root) else None
    if rel is None:  # a symlinked path: compare resolved paths
        real = os.path.realpath(path)
        rel = real.replace(root, "", 1) if real.startswith(root) else ""
    return f"file://{root}" + (f"#{rel.lstrip('/')}" if rel.strip("/") else "")


_SYMREF = re.compile(r"^ref:\s+refs/heads/(\S+)\s+HEAD$", re.M)


def checkout(uri: str, version: str | None, dst_dir: str) -> None:
    """Fetch ``version`` (a commit, branch or tag; the remote's HEAD branch when None) of
    the repository at ``uri`` into the new repository ``dst_dir``, shallowly."""
    try:
        git("init", "-q", dst_dir)
        git("remote", "add", "origin", uri, cwd=dst_dir)
    except GitError as exc:
        raise ExecutionException(f"Unable to fetch git repo {uri}: {exc}") from None
    if version is not None:
        try:
            git("fetch", "-q", "--depth", "1", "--tags", "origin", version, cwd=dst_dir)
            git("checkout", "-q", version, cwd=dst_dir)
        except GitError as exc:
            raise ExecutionException(
                f"Unable to checkout version '{version}' of git repo {uri}- please ensure "
                f"that the version exists in the repo. Error: {exc}") from None
    else:
        try:
            listing = git("ls-remote", "--symref", "origin", "HEAD", cwd=dst_dir)
        except GitError as exc:
            raise ExecutionException(f"Unable to fetch git repo {uri}: {exc}") from None
        found = _SYMREF.search(listing)
        if found is None:
            raise ExecutionException(
                f"Failed to find HEAD branch. Output of `git ls-remote --symref origin HEAD`:"
                f"\n{listing}")
        branch = found.group(1)
        try:
            git("fetch", "-q", "--depth", "1", "origin", branch, cwd=dst_dir)
            git("checkout", "-q", "-B", branch, "FETCH_HEAD", cwd=dst_dir)
        except GitError as exc:
            raise ExecutionException(
                f"Unable to fetch branch '{branch}' of git repo {uri}: {exc}") from None
    try:
        git("submodule", "update", "-q", "--init", "--recursive", cwd=dst_dir)
    except GitError as exc:
        raise ExecutionException(f"Unable to fetch the submodules of git repo {uri}: "
                                 f"{exc}") from None
