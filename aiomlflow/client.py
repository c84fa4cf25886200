"""``mlflow.client``: the lower-level MlflowClient API."""

from aiomlflow.sdk.client import MlflowClient

__all__ = ["MlflowClient"]
