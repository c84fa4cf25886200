"""``mlflow.data.dataset_source``: the DatasetSource base class."""

from aiomlflow.sdk.data.sources import DatasetSource

__all__ = ["DatasetSource"]
