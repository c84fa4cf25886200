"""Dataset: the identity and description of a dataset a run used."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject, _put


class Dataset(_ValueObject):
    """Dataset object: name, digest, source type and source, optional schema and profile."""

    __slots__ = ("_name", "_digest", "_source_type", "_source", "_schema", "_profile")

    def __init__(
        self,
        name: str,
        digest: str,
        source_type: str,
        source: str,
        schema: str | None = None,
        profile: str | None = None,
    ) -> None:
        self._name = name
        self._digest = digest
        self._source_type = source_type
        self._source = source
        self._schema = schema
        self._profile = profile

    @property
    def name(self) -> str:
        """String name of the dataset."""
        return self._name

    @property
    def digest(self) -> str:
        """String digest of the dataset."""
        return self._digest

    @property
    def source_type(self) -> str:
        """String source type of the dataset (e.g. "local", "http", "s3")."""
        return self._source_type

    @property
    def source(self) -> str:
        """String (JSON) description of the dataset's source."""
        return self._source

    @property
    def schema(self) -> str | None:
        """String (JSON) schema of the dataset, or None."""
        return self._schema

    @property
    def profile(self) -> str | None:
        """String (JSON) profile of the dataset, or None."""
        return self._profile

    def to_dictionary(self) -> dict[str, Any]:
        """The dataset as a dict, in MLflow's key order."""
        return {
            "name": self._name,
            "digest": self._digest,
            "source_type": self._source_type,
            "source": self._source,
            "schema": self._schema,
            "profile": self._profile,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Dataset":
        """Parse MLflow's REST JSON form of a dataset."""
        return cls(
            name=d.get("name", ""),
            digest=d.get("digest", ""),
            source_type=d.get("source_type", ""),
            source=d.get("source", ""),
            schema=d.get("schema"),
            profile=d.get("profile"),
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The dataset in MLflow's REST JSON form."""
        out: dict[str, Any] = {}
        for key, value in self.to_dictionary().items():
            _put(out, key, value)
        return out
