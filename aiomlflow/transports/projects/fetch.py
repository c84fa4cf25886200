"""Where a project URI points: a local directory, a ZIP file or a Git repository.

``uri#sub/dir`` runs the project in a subdirectory (no ``.`` allowed in it, as MLflow).
A local directory runs in place; a local Git repository asked for a ``version`` is
cloned at that version into a temporary directory (MLflow checks the version out in
the user's own working tree); anything else that is not a local path is a Git URI,
fetched with the ``git`` command line into a temporary directory.
"""

from __future__ import annotations

import io
import logging
import os
import pathlib
import re
import shutil
import tempfile
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass

from ...exceptions import ExecutionException, MlflowException
from . import git

_logger = logging.getLogger("aiomlflow.projects")
_FILE_URI = re.compile(r"^file://.+")


@dataclass
class Fetched:
    """A project on local disk, with what its run's git tags are read from."""

    work_dir: str
    # A local repository cloned at a version: its own remote is the run's repo URL.
    repo_url: str | None = None
    cloned_from_local: bool = False


def split_subdirectory(uri: str) -> tuple[str, str]:
    """(URI, subdirectory) of ``uri#subdirectory`` (quotes around the URI stripped)."""
    uri = uri.strip("'\"")
    base, _, sub = uri.partition("#")
    if sub and "." in sub:
        raise ExecutionException("'.' is not allowed in project subdirectory paths.")
    return base, sub


def file_uri_to_path(uri: str) -> str:
    """The filesystem path of a ``file://`` URI (other URIs unchanged)."""
    if _FILE_URI.match(uri):
        parsed = urllib.parse.urlparse(uri)
        return str(pathlib.Path(parsed.netloc, urllib.parse.unquote(parsed.path),
                                parsed.fragment))
    return uri


def is_local(uri: str) -> bool:
    """Whether ``uri`` names an existing local file or directory."""
    try:
        return pathlib.Path(file_uri_to_path(uri)).resolve().exists()
    except (OSError, ValueError):
        return False


def fetch_project(uri: str, version: str | None) -> Fetched:
    """Bring the project at ``uri`` (at ``version``) to a local directory."""
    if not isinstance(uri, (str, os.PathLike)):
        raise MlflowException.invalid_parameter_value(
            f"Project uri must be a local path or a Git URI string, got {uri!r}")
    if version is not None and not isinstance(version, str):
        raise MlflowException.invalid_parameter_value(
            f"version must be a commit hash or a branch name string, got {version!r}")
    base, sub = split_subdirectory(os.fspath(uri))
    local = is_local(base)
    fetched = Fetched(work_dir="")
    if base.endswith(".zip"):
        dst = tempfile.mkdtemp()
        _logger.info("=== Fetching project from %s into %s ===", uri, dst)
        _unzip(file_uri_to_path(base) if local else _download_zip(base), dst)
    elif local:
        path = file_uri_to_path(base)
        if version is None:
            dst = path
        else:
            if not git.is_repo_root(path):
                raise ExecutionException("Setting a version is only supported for Git project "
                                         "URIs")
            dst = tempfile.mkdtemp()
            _logger.info("=== Fetching project from %s into %s ===", uri, dst)
            git.checkout(os.path.abspath(path), version, dst)
            fetched.repo_url = git.first_remote_url(path) or base
            fetched.cloned_from_local = True
    else:
        dst = tempfile.mkdtemp()
        _logger.info("=== Fetching project from %s into %s ===", uri, dst)
        try:
            git.checkout(base, version, dst)
        except ExecutionException:
            shutil.rmtree(dst, ignore_errors=True)
            raise
    work_dir = os.path.abspath(os.path.join(dst, sub))
    if not os.path.exists(work_dir):
        raise ExecutionException(f"Could not find subdirectory {sub} of {dst}")
    fetched.work_dir = work_dir
    return fetched


def _download_zip(uri: str):
    try:
        with urllib.request.urlopen(uri) as response:
            return io.BytesIO(response.read())
    except OSError as exc:
        raise ExecutionException(f"Unable to retrieve ZIP file. Reason: {exc}") from None


def _unzip(zip_file, dst_dir: str) -> None:
    root = pathlib.Path(dst_dir).resolve()
    with zipfile.ZipFile(zip_file) as archive:
        for member in archive.infolist():
            if not (root / member.filename).resolve().is_relative_to(root):
                raise MlflowException.invalid_parameter_value(
                    f"Zip file member {member.filename} attempts path traversal")
        archive.extractall(dst_dir)
