"""The ``mlflow.tracing`` module: tracing configuration (a face over sdk/tracing)."""

from __future__ import annotations

from aiomlflow.exceptions import MlflowException
from aiomlflow.sdk.tracing.config import (
    TracingConfigContext,
    configure,
    disable,
    enable,
    reset,
    set_destination,
)

from aiomlflow.sdk.tracing.notebook import (
    disable_notebook_display,
    enable_notebook_display,
)
from aiomlflow.sdk.tracing.chat import set_span_chat_tools


def _databricks_only(name: str):
    def refuse(*args, **kwargs):
        raise MlflowException(
            f"mlflow.tracing.{name} works with Databricks (Unity Catalog / SQL warehouses) "
            "only, which aiomlflow does not support; traces are stored in MLflow experiments.",
            "NOT_IMPLEMENTED")

    refuse.__name__ = name
    refuse.__doc__ = "Databricks-only in MLflow: raises NOT_IMPLEMENTED in aiomlflow."
    return refuse


set_databricks_monitoring_sql_warehouse_id = _databricks_only(
    "set_databricks_monitoring_sql_warehouse_id")
set_experiment_trace_location = _databricks_only("set_experiment_trace_location")
unset_experiment_trace_location = _databricks_only("unset_experiment_trace_location")

__all__ = [
    "TracingConfigContext", "configure", "disable", "disable_notebook_display", "enable",
    "enable_notebook_display", "reset", "set_databricks_monitoring_sql_warehouse_id",
    "set_destination", "set_experiment_trace_location", "set_span_chat_tools",
    "unset_experiment_trace_location",
]
