"""The system tags MLflow puts on a new run: user, source and git information."""

from __future__ import annotations

import os
import re
import sys
from functools import lru_cache

from ..redact import redact_url

USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
RUN_NAME = "mlflow.runName"
PARENT_RUN_ID = "mlflow.parentRunId"
NOTE = "mlflow.note.content"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"


def current_user() -> str:
    """The login name MLflow records as mlflow.user."""
    import getpass  # loaded by the first run: not part of `import aiomlflow`

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def default_run_tags() -> dict[str, str]:
    """Context tags for a new run, in MLflow's order (user, source, git)."""
    source = sys.argv[0] if sys.argv and sys.argv[0] else "<console>"
    tags = {USER: current_user(), SOURCE_NAME: source, SOURCE_TYPE: "LOCAL"}
    tags.update(_git_tags(source))
    return tags


@lru_cache(maxsize=8)
def _git_tags(source: str) -> dict[str, str]:
    if not os.path.isfile(source):
        return {}
    git_dir = _find_git_dir(os.path.dirname(os.path.abspath(source)))
    if git_dir is None:
        return {}
    commit, branch = _head(git_dir)
    if commit is None:
        return {}
    tags = {GIT_COMMIT: commit}
    if branch:
        tags[GIT_BRANCH] = branch
    url = _first_remote_url(git_dir)
    if url:
        tags[GIT_REPO_URL] = url
    return tags


def _find_git_dir(start: str) -> str | None:
    path = start
    while True:
        candidate = os.path.join(path, ".git")
        if os.path.isdir(candidate):
            return candidate
        if os.path.isfile(candidate):  # worktree or submodule: "gitdir: <path>"
            with open(candidate) as f:
                line = f.read().strip()
            if line.startswith("gitdir:"):
                return os.path.normpath(os.path.join(path, line[7:].strip()))
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _common_dir(git_dir: str) -> str:
    try:
        with open(os.path.join(git_dir, "commondir")) as f:
            return os.path.normpath(os.path.join(git_dir, f.read().strip()))
    except OSError:
        return git_dir


def _head(git_dir: str) -> tuple[str | None, str | None]:
    try:
        with open(os.path.join(git_dir, "HEAD")) as f:
            head = f.read().strip()
    except OSError:
        return None, None
    if not head.startswith("ref:"):
        return (head if re.fullmatch(r"[0-9a-f]{40,64}", head) else None), None
    ref = head[4:].strip()
    branch = ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else None
    return _resolve_ref(git_dir, ref), branch


def _resolve_ref(git_dir: str, ref: str) -> str | None:
    for base in (git_dir, _common_dir(git_dir)):
        try:
            with open(os.path.join(base, ref)) as f:
                return f.read().strip()
        except OSError:
            pass
    try:
        with open(os.path.join(_common_dir(git_dir), "packed-refs")) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2 and parts[1] == ref:
                    return parts[0]
    except OSError:
        pass
    return None


def _first_remote_url(git_dir: str) -> str | None:
    import configparser  # loaded by the first run in a git checkout

    config = configparser.ConfigParser(strict=False, interpolation=None)
    try:
        config.read(os.path.join(_common_dir(git_dir), "config"))
    except configparser.Error:
        return None
    for section in config.sections():
        if section.startswith('remote "') and config.has_option(section, "url"):
            # Never record credentials embedded in the URL.
            return redact_url(config.get(section, "url"))
    return None
