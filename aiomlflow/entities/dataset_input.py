"""DatasetInput: a dataset a run consumed, with tags such as its context."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject
from aiomlflow.entities.dataset import Dataset
from aiomlflow.entities.input_tag import InputTag


class DatasetInput(_ValueObject):
    """A dataset used as an input of a run, with its input tags."""

    __slots__ = ("_dataset", "_tags")

    def __init__(self, dataset: Dataset, tags: list[InputTag] | None = None) -> None:
        self._dataset = dataset
        self._tags = tags or []

    def _add_tag(self, tag: InputTag) -> None:
        self._tags.append(tag)

    @property
    def dataset(self) -> Dataset:
        """The :py:class:`Dataset`."""
        return self._dataset

    @property
    def tags(self) -> list[InputTag]:
        """List of :py:class:`InputTag` of this input."""
        return self._tags

    def to_dictionary(self) -> dict[str, Any]:
        """``{"dataset": <dataset dict>, "tags": {key: value}}``."""
        return {
            "dataset": self._dataset.to_dictionary(),
            "tags": {t.key: t.value for t in self._tags},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DatasetInput":
        """Parse MLflow's REST JSON form of a dataset input."""
        return cls(
            dataset=Dataset.from_dict(d.get("dataset") or {}),
            tags=[InputTag.from_dict(t) for t in d.get("tags") or ()],
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The dataset input in MLflow's REST JSON form."""
        out: dict[str, Any] = {}
        if self._tags:
            out["tags"] = [t.to_rest_dict() for t in self._tags]
        out["dataset"] = self._dataset.to_rest_dict()
        return out
