"""``mlflow.data.pandas_dataset``: PandasDataset and from_pandas."""

from aiomlflow.sdk.data.datasets import PandasDataset, from_pandas

__all__ = ["PandasDataset", "from_pandas"]
