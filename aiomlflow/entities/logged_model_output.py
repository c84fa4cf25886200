"""LoggedModelOutput: a logged model a run produced, at a step."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject, _int, _put


class LoggedModelOutput(_ValueObject):
    """A logged model produced as an output of a run at a given step."""

    __slots__ = ("_model_id", "_step")

    def __init__(self, model_id: str, step: int) -> None:
        self._model_id = model_id
        self._step = step

    @property
    def model_id(self) -> str:
        """ID of the logged model."""
        return self._model_id

    @property
    def step(self) -> int:
        """Step at which the model was logged."""
        return self._step

    def to_dictionary(self) -> dict[str, Any]:
        """``{"model_id": ..., "step": ...}``."""
        return {"model_id": self._model_id, "step": self._step}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LoggedModelOutput":
        """Parse MLflow's REST JSON form (step may be a string)."""
        return cls(d.get("model_id", ""), _int(d.get("step"), 0))

    def to_rest_dict(self) -> dict[str, Any]:
        """This output in MLflow's REST JSON form."""
        out: dict[str, Any] = {}
        _put(out, "model_id", self._model_id)
        _put(out, "step", self._step)
        return out
