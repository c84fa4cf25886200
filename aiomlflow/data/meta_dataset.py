"""``mlflow.data.meta_dataset``: MetaDataset, a dataset known only by its metadata."""

from aiomlflow.sdk.data.datasets import MetaDataset

__all__ = ["MetaDataset"]
