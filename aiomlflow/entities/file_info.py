"""FileInfo: one entry of an artifact listing."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject, _int, _put


class FileInfo(_ValueObject):
    """Metadata about a file or directory in an artifact store."""

    __slots__ = ("_path", "_is_dir", "_bytes")

    def __init__(self, path: str, is_dir: bool, file_size: int | None) -> None:
        self._path = path
        self._is_dir = is_dir
        self._bytes = file_size

    @property
    def path(self) -> str:
        """String path of the file or directory, relative to the listed root."""
        return self._path

    @property
    def is_dir(self) -> bool:
        """Whether the entry is a directory."""
        return self._is_dir

    @property
    def file_size(self) -> int | None:
        """Size of the file in bytes, or None for directories."""
        return self._bytes

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FileInfo":
        """Parse MLflow's REST JSON form of a file listing entry."""
        # MLflow's client reads an absent size as 0.
        return cls(d.get("path", ""), bool(d.get("is_dir", False)), _int(d.get("file_size"), 0))

    def to_rest_dict(self) -> dict[str, Any]:
        """The entry in MLflow's REST JSON form."""
        out: dict[str, Any] = {}
        _put(out, "path", self._path)
        _put(out, "is_dir", self._is_dir)
        _put(out, "file_size", self._bytes)
        return out
