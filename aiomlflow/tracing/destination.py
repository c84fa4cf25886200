"""The ``mlflow.tracing.destination`` module: MLflow's deprecated trace destination
classes (a face over sdk/tracing/destination.py) and the trace locations."""

from __future__ import annotations

from aiomlflow.entities.trace_location import MlflowExperimentLocation, UCSchemaLocation
from aiomlflow.sdk.tracing.destination import Databricks, MlflowExperiment, TraceDestination

__all__ = ["Databricks", "MlflowExperiment", "MlflowExperimentLocation", "TraceDestination",
           "UCSchemaLocation"]
