"""Where a run's artifacts live: its artifact root URI, and URIs split into root + path.

A run's ``artifact_uri`` never changes, so this process remembers the ones it created
or fetched (bounded) and reads the run only for a run it has not seen.
"""

from __future__ import annotations

import os
import posixpath

from ...exceptions import MlflowException

_roots: dict[tuple[str, str], str] = {}
_MAX_KNOWN = 10_000


def remember(tracking_uri: str, run) -> None:
    """Note the artifact root of ``run`` (a Run) on ``tracking_uri``."""
    if len(_roots) >= _MAX_KNOWN:
        _roots.clear()
    _roots[(tracking_uri, run.info.run_id)] = run.info.artifact_uri


def run_root(engine, run_id: str) -> str:
    """The artifact root URI of ``run_id`` (RESOURCE_DOES_NOT_EXIST for an unknown run)."""
    root = _roots.get((engine.tracking_uri, run_id))
    if root is None:
        run = engine.read("get_run", run_id)
        remember(engine.tracking_uri, run)
        root = run.info.artifact_uri
    return root


def under(root_uri: str, path: str | None) -> str:
    """The URI of run-relative ``path`` under ``root_uri`` (the root for None)."""
    if not path:
        return root_uri
    return posixpath.join(root_uri, path)


def split_uri(artifact_uri: str) -> tuple[str, str]:
    """(parent URI, last name) of an artifact URI: the root a store opens and the path
    under it (``.../artifacts/dir/f.txt`` → ``(.../artifacts/dir, f.txt)``)."""
    import urllib.parse  # loaded on first use: not part of `import aiomlflow`

    parsed = urllib.parse.urlparse(artifact_uri)
    if len(parsed.scheme) <= 1:  # a plain path (or a Windows drive letter)
        path = os.path.abspath(artifact_uri)
        return os.path.dirname(path), os.path.basename(path)
    path = parsed.path.rstrip("/")
    if not path and not parsed.netloc:
        raise MlflowException(f"Artifact URI {artifact_uri!r} names no artifact",
                              error_code="INVALID_PARAMETER_VALUE")
    parent, name = posixpath.split(path)
    return urllib.parse.urlunparse(parsed._replace(path=parent or "/")), name


def parse_runs_uri(uri: str) -> tuple[str, str]:
    """(run id, path) of a ``runs:/<run_id>/<path>`` URI."""
    import urllib.parse

    parsed = urllib.parse.urlparse(uri)
    parts = parsed.path.lstrip("/").split("/", 1)
    if not parts[0]:
        raise MlflowException(
            f"Not a proper runs:/ URI: {uri}. Runs URIs must be of the form "
            "'runs:/<run_id>/run-relative/path/to/artifact'",
            error_code="INVALID_PARAMETER_VALUE")
    return parts[0], parts[1] if len(parts) > 1 else ""
