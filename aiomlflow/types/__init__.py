"""``mlflow.types``: the schema types of model signatures."""

from aiomlflow.sdk.models.types import (
    Array,
    ColSpec,
    DataType,
    Map,
    Object,
    ParamSchema,
    ParamSpec,
    Property,
    Schema,
    TensorSpec,
)

__all__ = ["Array", "ColSpec", "DataType", "Map", "Object", "ParamSchema", "ParamSpec",
           "Property", "Schema", "TensorSpec"]
