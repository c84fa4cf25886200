"""Artifacts of logged models: uploads and listings under a model's artifact location
(``<experiment location>/models/<model_id>/artifacts``), on the engine's artifact worker
as run artifacts are."""

from __future__ import annotations

import errno
import os

from ..artifacts import paths


def log_file(engine, root_uri: str, local_path, artifact_path: str | None) -> None:
    """A local file (or a directory, as a subdirectory) under ``artifact_path``."""
    local_path = os.fspath(local_path)
    directory = paths.check_dir(artifact_path)
    if os.path.isdir(local_path):
        name = os.path.basename(os.path.normpath(os.path.abspath(local_path)))
        log_tree(engine, root_uri, local_path, paths.join(directory, name))
        return
    if not os.path.isfile(local_path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), local_path)
    dest = paths.join(directory, os.path.basename(local_path))

    async def upload(store):
        await store.upload_file(local_path, dest)

    engine.artifacts.submit(root_uri, dest, upload, 0, True)


def log_tree(engine, root_uri: str, local_dir, artifact_path: str | None) -> None:
    """Every file under ``local_dir``, keeping its layout, under ``artifact_path``."""
    from ...transports.artifacts.trees import upload_tree

    local_dir = os.fspath(local_dir)
    directory = paths.check_dir(artifact_path)

    async def upload(store):
        await upload_tree(store, local_dir, directory)

    engine.artifacts.submit(root_uri, directory or "", upload, 0, True)


def write_bytes(engine, root_uri: str, data: bytes, artifact_file: str) -> None:
    """``data`` as ``artifact_file`` under the root (waits until it is stored)."""
    path = paths.check_file(artifact_file)

    async def upload(store):
        await store.upload_bytes(data, path)

    engine.artifacts.submit(root_uri, path, upload, len(data), True)
