"""Uploading a local directory tree to any ArtifactStore, file by file."""

from __future__ import annotations

import os

import anyio.to_thread


def _files_under(local_dir: str) -> list[tuple[str, str]]:
    """(local file, POSIX path relative to local_dir) of every file under it, in walk
    order; [] for a missing directory or a file (MLflow logs nothing for those)."""
    found = []
    for dirpath, _, filenames in os.walk(local_dir):
        relative = os.path.relpath(dirpath, local_dir)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in sorted(filenames):
            found.append((os.path.join(dirpath, name), prefix + name))
    return found


async def upload_tree(store, local_dir: str, artifact_dir: str | None) -> None:
    """Upload every file under ``local_dir`` to ``artifact_dir`` (the root for None),
    keeping the layout.  Sequential: each file streams, so memory stays flat."""
    files = await anyio.to_thread.run_sync(_files_under, local_dir)
    for local_file, relative in files:
        await store.upload_file(local_file, f"{artifact_dir}/{relative}" if artifact_dir
                                else relative)
