"""``mlflow.tracking``: MlflowClient and the tracking-URI functions."""

from aiomlflow.lazy import submodules as _submodules
from aiomlflow.sdk.client import MlflowClient
from aiomlflow.sdk.tracking_uri import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)

__all__ = ["MlflowClient", "get_registry_uri", "get_tracking_uri", "is_tracking_uri_set",
           "set_registry_uri", "set_tracking_uri"]

# reachable as attributes as after `import mlflow`, loaded on first use
__getattr__ = _submodules(__name__, ("client", "context", "fluent"))
