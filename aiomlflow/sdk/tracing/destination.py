"""The trace destination classes of ``mlflow.tracing.destination``, which MLflow
deprecated in 3.5.0 for the locations of ``entities.trace_location``; kept so code that
imports them runs.  ``set_destination`` accepts them and uses their ``to_location()``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from ...entities.trace_location import MlflowExperimentLocation, TraceLocationBase
from ...exceptions import MlflowException


def _deprecated(name: str) -> None:
    # as MLflow: warned when one is made, not when the module is imported
    warnings.warn(f"``mlflow.tracing.destination.{name}`` is deprecated since 3.5.0. Use "
                  "``mlflow.entities.trace_location.MlflowExperimentLocation`` instead.",
                  FutureWarning, stacklevel=3)


class TraceDestination:
    """Where traces go (deprecated: use a trace location)."""

    @property
    def type(self) -> str:
        """The kind of destination."""
        raise NotImplementedError

    def to_location(self) -> TraceLocationBase:
        """The trace location this destination stands for."""
        raise NotImplementedError


@dataclass
class MlflowExperiment(TraceDestination):
    """Traces logged to the experiment ``experiment_id`` (deprecated)."""

    experiment_id: str | None = None

    def __post_init__(self):
        _deprecated("MlflowExperiment")
        if self.experiment_id is not None:
            self.experiment_id = str(self.experiment_id)

    @property
    def type(self) -> str:
        """``"experiment"``."""
        return "experiment"

    def to_location(self) -> TraceLocationBase:
        """``MlflowExperimentLocation(experiment_id)``."""
        return MlflowExperimentLocation(experiment_id=self.experiment_id)


@dataclass
class Databricks(TraceDestination):
    """Traces logged to an experiment of a Databricks workspace, named by id or name
    (deprecated).  Here the experiment is looked up in the current tracking store."""

    experiment_id: str | None = None
    experiment_name: str | None = None

    def __post_init__(self):
        _deprecated("Databricks")
        if self.experiment_id is not None:
            self.experiment_id = str(self.experiment_id)
        if self.experiment_name is not None:
            from ..fluent import get_experiment_by_name

            experiment = get_experiment_by_name(self.experiment_name)
            if experiment is None:
                raise MlflowException(
                    f"Experiment with name '{self.experiment_name}' does not exist.",
                    "RESOURCE_DOES_NOT_EXIST")
            if self.experiment_id is not None and self.experiment_id != experiment.experiment_id:
                raise MlflowException.invalid_parameter_value(
                    "experiment_id and experiment_name must refer to the same experiment")
            self.experiment_id = experiment.experiment_id

    @property
    def type(self) -> str:
        """``"databricks"``."""
        return "databricks"

    def to_location(self) -> TraceLocationBase:
        """``MlflowExperimentLocation(experiment_id)``."""
        return MlflowExperimentLocation(experiment_id=self.experiment_id)
