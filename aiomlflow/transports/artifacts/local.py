"""LocalArtifactStore: artifacts as files under a local directory (plain paths and
``file://`` URIs), laid out as MLflow 3.17.2's LocalArtifactRepository lays them out.

* Uploads are whole-or-nothing: bytes go to a hidden ``.artifact.uploading.*`` file in
  the destination directory, which then replaces the target (staging.py); a copied file
  keeps its source's mode and times, written bytes get 0666 less the umask.
* Listings are the direct children of a directory, paths relative to the root, sorted,
  directories with no size, uploads in flight hidden; a missing directory or a file
  lists as [].
* Every blocking call runs in a worker thread, at most ``max_threads`` at once per store.
"""

from __future__ import annotations

import os
import urllib.parse
import urllib.request

import anyio

from ...entities.file_info import FileInfo
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from .base import ArtifactStore
from .download import download_tree
from .layout import (
    TEMP_PREFIX, clean_file_path, clean_path, missing_local_file, no_such_artifact, not_a_file,
)
from .staging import write_whole


def local_root(uri: str) -> str:
    """The absolute directory a plain path or a ``file:`` URI names (as MLflow's
    ``local_file_uri_to_path``: the URI's path, percent-decoded; a host is ignored)."""
    path = uri
    if uri.startswith("file:"):
        path = urllib.request.url2pathname(urllib.parse.urlsplit(uri).path)
    return os.path.abspath(path)


class LocalArtifactStore(ArtifactStore):
    """The artifacts under one local directory."""

    def __init__(self, root: str, *, max_threads: int = 4):
        self.root_uri = root
        self.root_dir = local_root(root)
        self.max_threads = max_threads
        self._limiter = None

    def __repr__(self) -> str:
        return f"<LocalArtifactStore {self.root_dir}>"

    async def _run(self, func, *args):
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_threads)
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    def _local(self, path: str) -> str:
        # ``path`` is clean (layout.clean_path), so the result stays under the root.
        return os.path.join(self.root_dir, *path.split("/")) if path else self.root_dir

    def local_path(self, path: str) -> str | None:
        """The file or directory ``path`` under the root, on this file system."""
        return self._local(clean_path(path) if path else "")

    # ------------------------------------------------------------------ uploads
    async def upload_file(self, local_path: str, artifact_file: str) -> None:
        """Copy ``local_path`` to ``artifact_file`` (whole-or-nothing, streamed by the
        kernel); RESOURCE_DOES_NOT_EXIST naming ``local_path`` when it is missing."""
        path = clean_file_path(artifact_file)
        await self._run(self._copy_in, os.fspath(local_path), path)

    def _copy_in(self, local_path: str, path: str) -> None:
        if not os.path.exists(local_path):
            raise missing_local_file(local_path, path)
        if not os.path.isfile(local_path):
            raise not_a_file(local_path, path)
        target = self._local(path)
        try:
            if os.path.samefile(local_path, target):
                return  # already in place (MLflow does nothing either)
        except FileNotFoundError:
            pass
        write_whole(target, lambda staged: staged.copy_from(local_path))

    async def upload_bytes(self, data: bytes, artifact_file: str) -> None:
        """Write ``data`` as ``artifact_file`` (whole-or-nothing)."""
        path = clean_file_path(artifact_file)
        await self._run(write_whole, self._local(path), lambda staged: staged.write(data))

    # ------------------------------------------------------------------ reads
    async def list(self, path: str | None = None) -> list:
        """The direct children of directory ``path``, as MLflow's local store lists
        them: relative to the root, sorted by path, directories with size None."""
        path = clean_path(path)
        return await self._run(self._list, path)

    def _list(self, path: str) -> list:
        directory = self._local(path)
        try:
            entries = list(os.scandir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return []
        prefix = path + "/" if path else ""
        infos = []
        for entry in entries:
            if entry.name.startswith(TEMP_PREFIX):
                continue
            try:
                is_dir = entry.is_dir()  # follows symlinks, as os.path.isdir
                size = None if is_dir else entry.stat().st_size
            except FileNotFoundError:
                continue  # removed while listing
            infos.append(FileInfo(prefix + entry.name, is_dir, size))
        infos.sort(key=lambda info: info.path)
        return infos

    async def download(self, path: str, dest_dir: str) -> str:
        """Copy the file or tree ``path`` (the root for ""/None) into ``dest_dir``."""
        return await download_tree(self, path, dest_dir, is_dir=self._is_dir,
                                   fetch=self._fetch, limit=self.max_threads)

    async def _is_dir(self, path: str) -> bool:
        return await self._run(os.path.isdir, self._local(path))

    async def _fetch(self, path: str, target: str) -> None:
        await self._run(self._copy_out, path, target)

    def _copy_out(self, path: str, target: str) -> None:
        source = self._local(path)
        if not os.path.exists(source):
            raise no_such_artifact(path)
        # copy_from keeps mode and times, as MLflow's shutil.copy2 does.
        write_whole(target, lambda staged: staged.copy_from(source))

    async def read_bytes(self, artifact_file: str) -> bytes:
        """The bytes of one file; RESOURCE_DOES_NOT_EXIST when it is missing."""
        path = clean_file_path(artifact_file)
        return await self._run(self._read, path)

    def _read(self, path: str) -> bytes:
        local = self._local(path)
        try:
            with open(local, "rb") as handle:
                return handle.read()
        except FileNotFoundError:
            raise no_such_artifact(path) from None
        except IsADirectoryError:
            raise MlflowException(
                f"Artifact path refers to a directory, not a file: '{path}'",
                INVALID_PARAMETER_VALUE) from None

    async def close(self) -> None:
        """Nothing to release (no connections); idempotent."""
