"""``mlflow.data.code_dataset_source``: CodeDatasetSource."""

from aiomlflow.sdk.data.sources import CodeDatasetSource

__all__ = ["CodeDatasetSource"]
