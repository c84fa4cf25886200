"""``mlflow.data.dataset``: the Dataset base class."""

from aiomlflow.sdk.data.datasets import Dataset

__all__ = ["Dataset"]
