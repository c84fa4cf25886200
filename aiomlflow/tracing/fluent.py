"""``mlflow.tracing.fluent``: the fluent tracing API (a face over sdk/tracing/fluent.py)."""

from aiomlflow.sdk.tracing.fluent import *  # noqa: F401,F403
from aiomlflow.sdk.tracing.fluent import __all__  # noqa: F401
