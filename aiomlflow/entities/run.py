"""Run: a run's info, data, inputs and outputs together."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _MlflowObject
from aiomlflow.entities.run_data import RunData
from aiomlflow.entities.run_info import RunInfo
from aiomlflow.exceptions import MlflowException

if TYPE_CHECKING:
    from aiomlflow.entities.run_inputs import RunInputs
    from aiomlflow.entities.run_outputs import RunOutputs


class Run(_MlflowObject):
    """Run object: :py:class:`RunInfo`, :py:class:`RunData`, inputs and outputs."""

    __slots__ = ("_info", "_data", "_inputs", "_outputs")

    def __init__(
        self,
        run_info: RunInfo,
        run_data: RunData,
        run_inputs: RunInputs | None = None,
        run_outputs: RunOutputs | None = None,
    ) -> None:
        if run_info is None:
            raise MlflowException("run_info cannot be None")
        self._info = run_info
        self._data = run_data
        self._inputs = run_inputs
        self._outputs = run_outputs

    @property
    def info(self) -> RunInfo:
        """The run metadata: id, start time, status, etc."""
        return self._info

    @property
    def data(self) -> RunData:
        """The run data: metrics, params and tags."""
        return self._data

    @property
    def inputs(self) -> RunInputs | None:
        """The run inputs (datasets, logged models), or None."""
        return self._inputs

    @property
    def outputs(self) -> RunOutputs | None:
        """The run outputs (logged models), or None."""
        return self._outputs

    def to_dictionary(self) -> dict[str, Any]:
        """The run as nested dicts; data, inputs and outputs appear only when set."""
        out: dict[str, Any] = {"info": dict(self._info)}
        if self._data:
            out["data"] = self._data.to_dictionary()
        if self._inputs:
            out["inputs"] = self._inputs.to_dictionary()
        if self._outputs:
            out["outputs"] = self._outputs.to_dictionary()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Run":
        """Parse MLflow's REST JSON form of a run (the ``run`` of ``runs/get``).

        Like MLflow's client, inputs and outputs are always present (possibly empty).
        """
        # loaded here, not with `import aiomlflow`: they bring the dataset and logged-model
        # entities
        from aiomlflow.entities.run_inputs import RunInputs
        from aiomlflow.entities.run_outputs import RunOutputs

        return cls(
            RunInfo.from_dict(d.get("info") or {}),
            RunData.from_dict(d.get("data") or {}),
            RunInputs.from_dict(d.get("inputs") or {}),
            RunOutputs.from_dict(d.get("outputs") or {}),
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The run in MLflow's REST JSON form."""
        out: dict[str, Any] = {"info": self._info.to_rest_dict()}
        if self._data is not None:
            out["data"] = self._data.to_rest_dict()
        if self._inputs is not None:
            out["inputs"] = self._inputs.to_rest_dict()
        if self._outputs is not None:
            out["outputs"] = self._outputs.to_rest_dict()
        return out
