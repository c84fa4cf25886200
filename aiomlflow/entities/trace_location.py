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


class UCSchemaLocation(TraceLocationBase):
    """Traces stored in Unity Catalog tables of a Databricks schema.

    Only the description of the location: aiomlflow stores no traces there (the
    functions that take one refuse it with a message naming Databricks), but code that
    builds one, as the reference's examples do, runs unchanged.
    """

    __slots__ = ("catalog_name", "schema_name", "_otel_spans_table_name",
                 "_otel_logs_table_name")

    def __init__(self, catalog_name: str, schema_name: str,
                 _otel_spans_table_name: str | None = "mlflow_experiment_trace_otel_spans",
                 _otel_logs_table_name: str | None = "mlflow_experiment_trace_otel_logs"):
        self.catalog_name = catalog_name
        self.schema_name = schema_name
        self._otel_spans_table_name = _otel_spans_table_name
        self._otel_logs_table_name = _otel_logs_table_name

    @property
    def schema_location(self) -> str:
        """``<catalog>.<schema>``."""
        return f"{self.catalog_name}.{self.schema_name}"

    @property
    def full_otel_spans_table_name(self) -> str | None:
        """``<catalog>.<schema>.<spans table>``."""
        return self._otel_spans_table_name and (
            f"{self.schema_location}.{self._otel_spans_table_name}")

    @property
    def full_otel_logs_table_name(self) -> str | None:
        """``<catalog>.<schema>.<logs table>``."""
        return self._otel_logs_table_name and (
            f"{self.schema_location}.{self._otel_logs_table_name}")

    def to_dict(self) -> dict[str, Any]:
        """MLflow's dict form (table names without their leading underscore)."""
        return {"catalog_name": self.catalog_name, "schema_name": self.schema_name,
                "otel_spans_table_name": self._otel_spans_table_name,
                "otel_logs_table_name": self._otel_logs_table_name}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "UCSchemaLocation":
        """Parse the dict form."""
        location = cls(d["catalog_name"], d["schema_name"])
        for key in ("otel_spans_table_name", "otel_logs_table_name"):
            if key in d:
                setattr(location, "_" + key, d[key])
        return location

    def __eq__(self, other) -> bool:
        return isinstance(other, UCSchemaLocation) and other.to_dict() == self.to_dict()

    def __repr__(self) -> str:
        return (f"UCSchemaLocation(catalog_name={self.catalog_name!r}, "
                f"schema_name={self.schema_name!r}, "
                f"_otel_spans_table_name={self._otel_spans_table_name!r}, "
                f"_otel_logs_table_name={self._otel_logs_table_name!r})")


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
