"""``mlflow.data``: datasets for MLflow Tracking (``from_numpy``, ``from_pandas``,
``MetaDataset``), their sources, and ``get_source``."""

from aiomlflow.data import sources
from aiomlflow.sdk.data.datasets import Dataset, from_numpy, from_pandas, get_source
from aiomlflow.sdk.data.sources import (
    DatasetSource,
    get_dataset_source_from_json,
    get_registered_sources,
)
from aiomlflow.entities import Dataset as DatasetEntity
from aiomlflow.entities import DatasetInput

__all__ = ["get_source", "from_pandas", "from_numpy"]

# (``Dataset``, ``DatasetSource``, ``DatasetEntity`` and ``DatasetInput`` are importable
# from here as from ``mlflow.data``)
_ = (Dataset, DatasetSource, DatasetEntity, DatasetInput, get_dataset_source_from_json,
     get_registered_sources, sources)
del _
