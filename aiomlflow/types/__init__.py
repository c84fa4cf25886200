"""``mlflow.types``: the schema types of model signatures."""

from aiomlflow.types.schema import (
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
