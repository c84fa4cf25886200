"""Artifacts of logged models: uploads under a model's artifact location
(``<experiment location>/models/<model_id>/artifacts``), on the engine's artifact worker
as run artifacts are."""

from __future__ import annotations

from ..artifacts import operations


def log_file(engine, root_uri: str, local_path, artifact_path: str | None) -> None:
    """A local file (or a directory, as a subdirectory) under ``artifact_path``."""
    operations.log_file_to(engine, root_uri, local_path, artifact_path)


def log_tree(engine, root_uri: str, local_dir, artifact_path: str | None) -> None:
    """Every file under ``local_dir``, keeping its layout, under ``artifact_path``."""
    operations.log_tree_to(engine, root_uri, local_dir, artifact_path)


def write_bytes(engine, root_uri: str, data: bytes, artifact_file: str) -> None:
    """``data`` as ``artifact_file`` under the root (waits until it is stored)."""
    operations.log_bytes_to(engine, root_uri, data, artifact_file, True)
