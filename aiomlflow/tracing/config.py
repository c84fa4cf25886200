"""``mlflow.tracing.config``: tracing configuration (a face over sdk/tracing/config.py)."""

from aiomlflow.sdk.tracing.config import TracingConfigContext, configure  # noqa: F401

__all__ = ["TracingConfigContext", "configure"]
