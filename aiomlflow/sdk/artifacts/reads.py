"""Reading artifacts back: listing, downloading, loading small files.

A read first waits for the artifact jobs already submitted (so a process reads what it
logged), then runs on the engine's artifact worker like any other job.
"""

from __future__ import annotations

import os

from ...exceptions import MlflowException
from ...workers.registry import get_engine
from .. import tracking_uri as tracking_uris
from . import roots


class _Unordered:
    """A job key no other job shares: reads run beside each other, not in a chain."""

    __slots__ = ()


def _read(engine, root_uri: str, job):
    worker = engine.artifacts
    worker.flush(raise_errors=False)
    return worker.submit(root_uri, _Unordered(), job, 0, True)


def list_under(engine, root_uri: str, path: str | None) -> list:
    """FileInfo of the direct children of ``path`` under ``root_uri``."""
    return _read(engine, root_uri, lambda store: store.list(path or None))


def download_under(engine, root_uri: str, path: str | None, dst_path: str | None,
                   in_place: bool = False) -> str:
    """Copy ``path`` (a file or directory; everything for None) under ``root_uri`` into
    ``dst_path`` (a new temporary directory when None); return the local path.  With
    ``in_place`` and no ``dst_path``, an artifact of a local store is not copied: its
    own path is returned (what MLflow does for a plain artifact URI)."""
    path = path or ""
    if dst_path is not None:
        dst_path = os.path.abspath(os.fspath(dst_path))
        os.makedirs(dst_path, exist_ok=True)
        return _read(engine, root_uri, lambda store: store.download(path, dst_path))

    async def local_or_temporary(store):
        local = store.local_path(path) if in_place else None
        if local is None:
            import tempfile  # loaded on first use: not part of `import aiomlflow`

            return await store.download(path, tempfile.mkdtemp())
        if not os.path.exists(local):
            raise MlflowException(f"No such artifact: '{path}'",
                                  error_code="RESOURCE_DOES_NOT_EXIST")
        return os.path.abspath(local)

    return _read(engine, root_uri, local_or_temporary)


def download_of_run(engine, run_id: str, path: str | None, dst_path: str | None) -> str:
    """download_under for a run's artifacts, with MLflow's error for a missing path."""
    try:
        return download_under(engine, roots.run_root(engine, run_id), path, dst_path)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST" or not path:
            raise
        raise MlflowException(f"Failed to download artifacts from path {path!r}, please "
                              "ensure that the path is correct.",
                              error_code="RESOURCE_DOES_NOT_EXIST") from None


def read_under(engine, root_uri: str, path: str) -> bytes:
    """The bytes of one file under ``root_uri``."""
    return _read(engine, root_uri, lambda store: store.read_bytes(path))


def read_or_none(engine, root_uri: str, path: str) -> bytes | None:
    """The bytes of one file under ``root_uri``, or None when it does not exist."""
    from .operations import stored_or_none

    return _read(engine, root_uri, lambda store: stored_or_none(store, path))


def locate(artifact_uri: str | None, run_id: str | None, artifact_path: str | None,
           tracking_uri: str | None):
    """(engine, run id or None, root URI, path) named by mlflow.artifacts' arguments:
    exactly one of ``artifact_uri`` (a path, file://, mlflow-artifacts:/ or runs:/ URI)
    and ``run_id`` (with an optional run-relative ``artifact_path``)."""
    if (run_id, artifact_uri).count(None) != 1:
        raise MlflowException("Exactly one of `run_id` or `artifact_uri` must be specified",
                              error_code="INVALID_PARAMETER_VALUE")
    if artifact_uri is not None and artifact_path is not None:
        raise MlflowException("`artifact_path` cannot be specified if `artifact_uri` is "
                              "specified", error_code="INVALID_PARAMETER_VALUE")
    engine = get_engine(tracking_uri or tracking_uris.get_tracking_uri())
    if run_id is not None:
        return engine, run_id, roots.run_root(engine, run_id), artifact_path or None
    artifact_uri = os.fspath(artifact_uri)
    if artifact_uri.startswith("runs:"):
        run_id, path = roots.parse_runs_uri(artifact_uri)
        return engine, run_id, roots.run_root(engine, run_id), path or None
    root, name = roots.split_uri(artifact_uri)
    return engine, None, root, name
