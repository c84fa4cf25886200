"""RunOutputs: the logged models a run produced."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject
from aiomlflow.entities.logged_model_output import LoggedModelOutput


class RunOutputs(_ValueObject):
    """Outputs of a run: logged model outputs."""

    __slots__ = ("_model_outputs",)

    def __init__(self, model_outputs: list[LoggedModelOutput]) -> None:
        self._model_outputs = model_outputs

    @property
    def model_outputs(self) -> list[LoggedModelOutput]:
        """List of :py:class:`LoggedModelOutput`."""
        return self._model_outputs

    def to_dictionary(self) -> dict[str, Any]:
        """``{"model_outputs": [<output dict>, ...]}``."""
        return {"model_outputs": [m.to_dictionary() for m in self._model_outputs]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunOutputs":
        """Parse MLflow's REST JSON form of a run's outputs."""
        return cls([LoggedModelOutput.from_dict(x) for x in d.get("model_outputs") or ()])

    def to_rest_dict(self) -> dict[str, Any]:
        """The outputs in MLflow's REST JSON form (empty list omitted)."""
        if not self._model_outputs:
            return {}
        return {"model_outputs": [m.to_rest_dict() for m in self._model_outputs]}
