"""Where a trace is stored: an MLflow experiment (the only location outside Databricks)."""

from __future__ import annotations

from enum import Enum
from typing import Any

from aiomlflow.exceptions import MlflowException


class TraceLocationBase:
    """Base of the trace destinations ``set_destination`` and ``@trace`` accept."""

    __slots__ = ()


class MlflowExperimentLocation(TraceLocationBase):
    """Traces stored in the MLflow experiment ``experiment_id``."""

    __slots__ = ("experiment_id",)

    def __init__(self, experiment_id: str):
        self.experiment_id = str(experiment_id)

    def to_dict(self) -> dict[str, Any]:
        """``{"experiment_id": ...}``."""
        return {"experiment_id": self.experiment_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "MlflowExperimentLocation":
        """Parse ``{"experiment_id": ...}``."""
        return cls(d["experiment_id"])

    def __eq__(self, other) -> bool:
        return isinstance(other, MlflowExperimentLocation) and (
            other.experiment_id == self.experiment_id)

    def __repr__(self) -> str:
        return f"MlflowExperimentLocation(experiment_id={self.experiment_id!r})"


class TraceLocationType(str, Enum):
    """The kinds of trace location MLflow knows."""

    TRACE_LOCATION_TYPE_UNSPECIFIED = "TRACE_LOCATION_TYPE_UNSPECIFIED"
    MLFLOW_EXPERIMENT = "MLFLOW_EXPERIMENT"
    INFERENCE_TABLE = "INFERENCE_TABLE"
    UC_SCHEMA = "UC_SCHEMA"
    UC_TABLE_PREFIX = "UC_TABLE_PREFIX"


class TraceLocation:
    """A trace's location: its type and, for an experiment, which one."""

    __slots__ = ("type", "mlflow_experiment")

    def __init__(self, type: TraceLocationType,
                 mlflow_experiment: MlflowExperimentLocation | None = None, **unsupported):
        if unsupported:
            raise MlflowException.invalid_parameter_value(
                f"Trace locations {sorted(unsupported)} are Databricks-only and not supported "
                "by aiomlflow; traces are stored in MLflow experiments.")
        self.type = type if type.__class__ is TraceLocationType else TraceLocationType(type)
        self.mlflow_experiment = mlflow_experiment

    @classmethod
    def from_experiment_id(cls, experiment_id: str) -> "TraceLocation":
        """The location of traces in experiment ``experiment_id``."""
        return cls(TraceLocationType.MLFLOW_EXPERIMENT, MlflowExperimentLocation(experiment_id))

    def to_dict(self) -> dict[str, Any]:
        """``{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": ...}}``."""
        out: dict[str, Any] = {"type": self.type.value}
        if self.mlflow_experiment is not None:
            out["mlflow_experiment"] = self.mlflow_experiment.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TraceLocation":
        """Parse the dict form."""
        experiment = d.get("mlflow_experiment")
        return cls(TraceLocationType(d.get("type", "MLFLOW_EXPERIMENT")),
                   MlflowExperimentLocation.from_dict(experiment) if experiment else None)

    def __eq__(self, other) -> bool:
        return isinstance(other, TraceLocation) and (other.type, other.mlflow_experiment) == (
            self.type, self.mlflow_experiment)

    def __repr__(self) -> str:
        return f"TraceLocation(type={self.type!r}, mlflow_experiment={self.mlflow_experiment!r})"
