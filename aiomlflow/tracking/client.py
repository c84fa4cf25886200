"""``mlflow.tracking.client``: where MLflow defines MlflowClient."""

from aiomlflow.sdk.client import MlflowClient

__all__ = ["MlflowClient"]
