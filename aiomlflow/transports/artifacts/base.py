"""The ArtifactStore interface: where a run's files land.

One store per artifact root URI (a run's ``artifact_uri``).  Every method is a coroutine
run on the engine's loop; paths are run-relative POSIX paths (``"dir/file.png"``),
already checked by the caller to stay inside the root (sdk/artifacts/paths.py).
Blocking file-system work runs in a thread (anyio.to_thread), never on the loop; large
files are streamed in chunks, never read whole into memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class ArtifactStore(ABC):
    """The artifacts under one root URI."""

    root_uri: str

    @abstractmethod
    async def upload_file(self, local_path: str, artifact_file: str) -> None:
        """Copy the local file ``local_path`` to ``artifact_file`` (a file path under the
        root; parent directories are created).  Replaces an existing file."""

    @abstractmethod
    async def upload_bytes(self, data: bytes, artifact_file: str) -> None:
        """Write ``data`` as ``artifact_file`` under the root (replacing it)."""

    @abstractmethod
    async def list(self, path: str | None = None) -> list:
        """The direct children of directory ``path`` (the root when None) as FileInfo,
        with paths relative to the root, sorted by path; [] when it does not exist.
        Listing a file returns [] as MLflow does."""

    @abstractmethod
    async def download(self, path: str, dest_dir: str) -> str:
        """Copy the file or directory tree ``path`` (the whole root for "" or None) into
        the existing directory ``dest_dir`` keeping its relative layout (``d/f`` lands at
        ``<dest_dir>/d/f``); return the local path of the copy.

        As MLflow: an empty or missing root downloads as nothing and returns ``dest_dir``;
        nothing at ``path`` raises RESOURCE_DOES_NOT_EXIST ("The following failures
        occurred while downloading one or more artifacts from <root>: ..."); a missing
        ``dest_dir`` RESOURCE_DOES_NOT_EXIST, a ``dest_dir`` that is a file
        INVALID_PARAMETER_VALUE."""

    @abstractmethod
    async def read_bytes(self, artifact_file: str) -> bytes:
        """The content of one (small) file; RESOURCE_DOES_NOT_EXIST when missing."""

    def local_path(self, path: str) -> str | None:
        """Where ``path`` is on this machine's file system when the store is local (no
        I/O; it may not exist); None for a remote store."""
        return None

    async def close(self) -> None:
        """Release connections; idempotent."""
