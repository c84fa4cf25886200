"""LoggedModelInput: a logged model a run consumed."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject


class LoggedModelInput(_ValueObject):
    """A logged model used as an input of a run."""

    __slots__ = ("_model_id",)

    def __init__(self, model_id: str):
        self._model_id = model_id

    @property
    def model_id(self) -> str:
        """ID of the logged model."""
        return self._model_id

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LoggedModelInput":
        """Parse MLflow's REST JSON form ``{"model_id": ...}``."""
        return cls(d.get("model_id", ""))

    def to_rest_dict(self) -> dict[str, Any]:
        """This input in MLflow's REST JSON form."""
        return {} if self._model_id is None else {"model_id": self._model_id}
