"""``mlflow.data``: datasets for MLflow Tracking (``from_numpy``, ``from_pandas``,
``MetaDataset``), their sources, and ``get_source``."""

# (the submodules ``import mlflow.data`` loads, reachable as attributes as in MLflow; none
# imports pandas)
from aiomlflow.data import (
    code_dataset_source,
    dataset,
    dataset_source,
    dataset_source_registry,
    filesystem_dataset_source,
    http_dataset_source,
    meta_dataset,
    numpy_dataset,
    pandas_dataset,
    schema,
    sources,
)
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
     get_registered_sources, code_dataset_source, dataset, dataset_source,
     dataset_source_registry, filesystem_dataset_source, http_dataset_source, meta_dataset,
     numpy_dataset, pandas_dataset, schema, sources)
del _
