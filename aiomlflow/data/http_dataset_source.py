"""``mlflow.data.http_dataset_source``: HTTPDatasetSource."""

from aiomlflow.sdk.data.sources import HTTPDatasetSource

__all__ = ["HTTPDatasetSource"]
