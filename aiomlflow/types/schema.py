"""``mlflow.types.schema``."""

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
