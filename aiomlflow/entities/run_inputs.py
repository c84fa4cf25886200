"""RunInputs: the datasets and logged models a run consumed."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject
from aiomlflow.entities.dataset_input import DatasetInput
from aiomlflow.entities.logged_model_input import LoggedModelInput


class RunInputs(_ValueObject):
    """Inputs of a run: dataset inputs and logged model inputs."""

    __slots__ = ("_dataset_inputs", "_model_inputs")

    def __init__(
        self,
        dataset_inputs: list[DatasetInput],
        model_inputs: list[LoggedModelInput] | None = None,
    ) -> None:
        self._dataset_inputs = dataset_inputs
        self._model_inputs = model_inputs or []

    @property
    def dataset_inputs(self) -> list[DatasetInput]:
        """List of :py:class:`DatasetInput`."""
        return self._dataset_inputs

    @property
    def model_inputs(self) -> list[LoggedModelInput]:
        """List of :py:class:`LoggedModelInput`."""
        return self._model_inputs

    def to_dictionary(self) -> dict[str, Any]:
        """The inputs as a dict.

        As in MLflow, ``model_inputs`` holds the LoggedModelInput objects themselves.
        """
        return {
            "model_inputs": self._model_inputs,
            "dataset_inputs": [d.to_dictionary() for d in self._dataset_inputs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunInputs":
        """Parse MLflow's REST JSON form of a run's inputs."""
        return cls(
            dataset_inputs=[DatasetInput.from_dict(x) for x in d.get("dataset_inputs") or ()],
            model_inputs=[LoggedModelInput.from_dict(x) for x in d.get("model_inputs") or ()],
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The inputs in MLflow's REST JSON form (empty lists omitted)."""
        out: dict[str, Any] = {}
        if self._dataset_inputs:
            out["dataset_inputs"] = [x.to_rest_dict() for x in self._dataset_inputs]
        if self._model_inputs:
            out["model_inputs"] = [x.to_rest_dict() for x in self._model_inputs]
        return out
