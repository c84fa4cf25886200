"""``mlflow.data.dataset_source_registry``: resolve and parse dataset sources."""

from aiomlflow.sdk.data.sources import (
    get_dataset_source_from_json,
    get_registered_sources,
    register_dataset_source,
    resolve_dataset_source,
)

__all__ = ["get_dataset_source_from_json", "get_registered_sources", "register_dataset_source",
           "resolve_dataset_source"]
