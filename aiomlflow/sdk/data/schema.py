"""Dataset schemas in the JSON MLflow 3.17.2 stores: ``mlflow_tensorspec`` for numpy
data (a TensorDatasetSchema of ``aiomlflow.types.Schema``), ``mlflow_colspec`` for
DataFrames (an ``aiomlflow.types.Schema`` of ColSpecs).  The types are inferred as for
model signatures (``sdk.models.type_inference``); where MLflow cannot infer a schema
(mixed value types, timedeltas...) there is none.
"""

from __future__ import annotations

import json
import logging

import numpy as np

from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from ..models.type_inference import (TypeInferenceError, column_required, column_type,
                                     tensor_spec, warn_integer_columns)
from ..models.types import ColSpec, Schema

_logger = logging.getLogger("aiomlflow")


# ----------------------------------------------------------------------------- tensors
def _tensor_key(array, name=None) -> tuple:
    """What a tensor spec depends on: the name, the dtype, the shape past the first axis."""
    if not isinstance(array, np.ndarray):
        raise TypeInferenceError(f"Expected numpy.ndarray, got '{type(array)}'.")
    if array.ndim == 0:
        raise TypeInferenceError(
            "The specified variable_dimension 0 is out of bounds with respect to the number "
            "of dimensions 0 in the input dataset")
    return (name, array.dtype, array.shape[1:])


# Tensor schemas and their JSON, by what they depend on: datasets of arrays alike (a batch
# of from_numpy calls) share them; a bounded cache (dtype.name alone costs microseconds).
_TENSOR_SCHEMAS: dict = {}
_SCHEMA_JSON: dict = {}
_CACHE_SIZE = 1024


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value
    return value


def _tensor_schema(data) -> tuple[Schema, str]:
    """(Schema, its JSON) of an array or a dict of arrays."""
    if isinstance(data, dict):
        key = tuple(_tensor_key(array, name) for name, array in data.items())
        arrays = list(data.items())
    else:
        key = (_tensor_key(data),)
        arrays = [(None, data)]
    found = _TENSOR_SCHEMAS.get(key)  # (names are dict keys, dtypes and shapes hashable)
    if found is None:
        schema = Schema([tensor_spec(array, name) for name, array in arrays])
        found = _remember(_TENSOR_SCHEMAS, key, (schema, schema.to_json()))
    return found


class TensorDatasetSchema:
    """The schema of numpy features and targets: Schemas of TensorSpecs."""

    def __init__(self, features: Schema, targets: Schema | None = None):
        if not isinstance(features, Schema):
            raise MlflowException(
                f"features must be mlflow.types.Schema, got '{type(features)}'",
                INVALID_PARAMETER_VALUE)
        if targets is not None and not isinstance(targets, Schema):
            raise MlflowException(
                f"targets must be either None or mlflow.types.Schema, got '{type(targets)}'",
                INVALID_PARAMETER_VALUE)
        self.features = features
        self.targets = targets
        self._json = None  # (features JSON, targets JSON) when inferred here

    def to_dict(self) -> dict:
        """``{"mlflow_tensorspec": {"features": <json>, "targets": <json or None>}}``."""
        features, targets = self._json or (
            self.features.to_json(), None if self.targets is None else self.targets.to_json())
        return {"mlflow_tensorspec": {"features": features, "targets": targets}}

    @classmethod
    def from_dict(cls, schema_dict: dict) -> "TensorDatasetSchema":
        """The schema of ``to_dict``'s form."""
        if "mlflow_tensorspec" not in schema_dict:
            raise MlflowException(
                "TensorDatasetSchema dictionary is missing expected key 'mlflow_tensorspec'",
                INVALID_PARAMETER_VALUE)
        specs = schema_dict["mlflow_tensorspec"]
        targets = specs.get("targets")
        return cls(Schema.from_json(specs["features"]),
                   Schema.from_json(targets) if targets is not None else None)

    def to_json(self) -> str:
        """``to_dict`` as JSON (the dataset's stored schema)."""
        if self._json is None:
            return json.dumps(self.to_dict())
        found = _SCHEMA_JSON.get(self._json)
        if found is None:
            found = _remember(_SCHEMA_JSON, self._json, json.dumps(self.to_dict()))
        return found

    def __eq__(self, other) -> bool:
        return (isinstance(other, TensorDatasetSchema) and self.features == other.features
                and self.targets == other.targets)

    def __repr__(self) -> str:
        return f"features:\n  {self.features!r}\ntargets:\n  {self.targets!r}\n"


def tensor_schema(features, targets=None) -> TensorDatasetSchema | None:
    """The tensor schema of numpy features and targets, or None (with MLflow's warning)
    when they have none."""
    try:
        features_schema, features_json = _tensor_schema(features)
        targets_schema, targets_json = (None, None) if targets is None else \
            _tensor_schema(targets)
    except TypeInferenceError as exc:
        _logger.warning("Failed to infer schema for NumPy dataset. Exception: %s", exc)
        return None
    schema = TensorDatasetSchema(features_schema, targets_schema)
    schema._json = (features_json, targets_json)
    key = _plain_key(features, targets)
    if key is not None and key not in _PLAIN_JSON:
        _remember(_PLAIN_JSON, key, schema.to_json())
    return schema


# The stored schema of plain arrays (features and targets each one ndarray) by what it
# depends on: a dataset of arrays like ones seen before finds it in one look-up.
_PLAIN_JSON: dict = {}


def _plain_key(features, targets=None) -> tuple | None:
    if type(features) is not np.ndarray or not features.ndim:
        return None
    if targets is None:
        return (features.dtype, features.shape[1:])
    if type(targets) is not np.ndarray or not targets.ndim:
        return None
    return (features.dtype, features.shape[1:], targets.dtype, targets.shape[1:])


def known_tensor_schema_json(features, targets=None) -> str | None:
    """The stored schema of plain arrays when arrays like them had one (they have the same
    then); None when not known (inferring it is then ``tensor_schema``'s job)."""
    key = _plain_key(features, targets)
    return None if key is None else _PLAIN_JSON.get(key)


def tensor_schema_json(features, targets=None) -> str | None:
    """``{"mlflow_tensorspec": {...}}`` as MLflow stores it, or None."""
    schema = tensor_schema(features, targets)
    return None if schema is None else schema.to_json()


# ----------------------------------------------------------------------------- columns
def column_schema(df) -> Schema | None:
    """The Schema of ColSpecs MLflow infers for a DataFrame, or None when it infers none
    (or an empty one)."""
    columns = []
    try:
        for name in df.columns:
            column = df[name]
            columns.append(ColSpec(column_type(column), name, column_required(column)))
    except Exception as exc:  # MLflow logs it at debug level and stores no schema
        _logger.debug("Failed to infer schema for Pandas dataset. Exception: %s", exc)
        return None
    if not columns:
        return None
    warn_integer_columns([c.type for c in columns], stacklevel=5)
    return Schema(columns)


def colspec_schema_json(df) -> str | None:
    """``{"mlflow_colspec": [...]}`` for a DataFrame as MLflow stores it, or None."""
    schema = column_schema(df)
    return None if schema is None else json.dumps({"mlflow_colspec": schema.to_dict()})
