"""``mlflow.data.schema``: TensorDatasetSchema, the schema of a numpy dataset."""

from aiomlflow.sdk.data.schema import TensorDatasetSchema

__all__ = ["TensorDatasetSchema"]
