"""``mlflow.data.filesystem_dataset_source``: FileSystemDatasetSource."""

from aiomlflow.sdk.data.sources import FileSystemDatasetSource

__all__ = ["FileSystemDatasetSource"]
