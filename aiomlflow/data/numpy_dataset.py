"""``mlflow.data.numpy_dataset``: NumpyDataset and from_numpy."""

from aiomlflow.sdk.data.datasets import NumpyDataset, from_numpy

__all__ = ["NumpyDataset", "from_numpy"]
