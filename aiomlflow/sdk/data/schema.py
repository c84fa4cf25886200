"""Dataset schemas in the JSON MLflow 3.17.2 stores: ``mlflow_tensorspec`` for numpy
data, ``mlflow_colspec`` for DataFrames.

What MLflow infers, and so do we: an array is a tensor of its dtype (``str``/``bytes``
without their length) whose first dimension is variable (-1).  A DataFrame column has
the MLflow type of its dtype; an object column the type of its values (strings, bytes,
lists as ``array``, dicts as ``object``), ``required`` unless it holds a missing value.
Where MLflow cannot infer a schema (mixed value types, timedeltas...) there is none.

Inferred types are plain values: a DataType name (``"long"``), ``ANY``, or the tuples
``("array", items)`` and ``("object", ((name, type, required), ...))``, properties
sorted by name.  (The ``aiomlflow.types`` classes will replace this module's private
ones once both exist on one branch.)
"""

from __future__ import annotations

import datetime
import json
import logging
import warnings

import numpy as np

_logger = logging.getLogger("aiomlflow")

ANY = ("any",)
_MULTIPLE_TYPES = (
    "Expected all values in the list to be of the same type. To specify a model signature "
    "with a list containing elements of multiple types, define the signature manually "
    "using the Array(AnyType()) type from mlflow.models.schema.")
_INTEGER_HINT = (
    "Hint: Inferred schema contains integer column(s). Integer columns in Python cannot "
    "represent missing values. If your input data contains missing values at inference "
    "time, it will be encoded as floats and will cause a schema enforcement error. The best "
    "way to avoid this problem is to infer the model schema based on a realistic data sample "
    "(training dataset) that includes missing values. Alternatively, you can declare integer "
    "columns as doubles (float64) whenever these columns may have missing values. See "
    "`Handling Integers With Missing Values <https://www.mlflow.org/docs/latest/models.html#"
    "handling-integers-with-missing-values>`_ for more details.")

# the MLflow type of a Python or numpy scalar, by exact type
_SCALAR_TYPES = {
    bool: "boolean", np.bool_: "boolean", int: "long", np.int64: "long", np.int32: "integer",
    float: "double", np.float64: "double", np.float32: "float", str: "string",
    np.str_: "string", object: "string", bytes: "binary", np.bytes_: "binary",
    bytearray: "binary", np.datetime64: "datetime", datetime.datetime: "datetime",
    datetime.date: "datetime",
}


class SchemaError(Exception):
    """No MLflow type for these values (the dataset then has no schema)."""


# ----------------------------------------------------------------------------- tensors
def _tensor_key(array, name=None) -> tuple:
    """What a tensor spec depends on: the name, the dtype, the shape past the first axis."""
    if not isinstance(array, np.ndarray):
        raise SchemaError(f"Expected numpy.ndarray, got '{type(array)}'.")
    if array.ndim == 0:
        raise SchemaError("The specified variable_dimension 0 is out of bounds with respect to "
                          "the number of dimensions 0 in the input dataset")
    return (name, array.dtype, array.shape[1:])


def _tensor_spec(name, dtype, rest: tuple) -> dict:
    dtype = np.dtype("str") if dtype.char == "U" else np.dtype("bytes") if dtype.char == "S" \
        else dtype
    spec = {"type": "tensor", "tensor-spec": {"dtype": dtype.name, "shape": [-1, *rest]}}
    return spec if name is None else {"name": name, **spec}


# Tensor specs as JSON, by what they depend on: datasets of arrays alike (a batch of
# from_numpy calls) share one; a bounded cache (dtype.name alone costs microseconds).
_SPEC_JSON: dict = {}
_SCHEMA_JSON: dict = {}
_SPEC_CACHE_SIZE = 1024


def _tensor_schema(data) -> str:
    if isinstance(data, dict):
        key = tuple(_tensor_key(array, name) for name, array in data.items())
    else:
        key = (_tensor_key(data),)
    found = _SPEC_JSON.get(key)  # (names are dict keys, dtypes and shapes hashable)
    if found is None:
        found = json.dumps([_tensor_spec(*item) for item in key])
        if len(_SPEC_JSON) >= _SPEC_CACHE_SIZE:
            _SPEC_JSON.clear()
        _SPEC_JSON[key] = found
    return found


class TensorDatasetSchema:
    """The schema of numpy features and targets: their tensor specs, as JSON strings."""

    def __init__(self, features: str, targets: str | None = None):
        self.features = features
        self.targets = targets

    def to_dict(self) -> dict:
        """``{"mlflow_tensorspec": {"features": <json>, "targets": <json or None>}}``."""
        return {"mlflow_tensorspec": {"features": self.features, "targets": self.targets}}

    def to_json(self) -> str:
        """``to_dict`` as JSON (the dataset's stored schema)."""
        key = (self.features, self.targets)
        found = _SCHEMA_JSON.get(key)
        if found is None:
            found = json.dumps(self.to_dict())
            if len(_SCHEMA_JSON) >= _SPEC_CACHE_SIZE:
                _SCHEMA_JSON.clear()
            _SCHEMA_JSON[key] = found
        return found

    def __eq__(self, other) -> bool:
        return (isinstance(other, TensorDatasetSchema) and self.features == other.features
                and self.targets == other.targets)

    def __repr__(self) -> str:
        return f"features:\n  {self.features}\ntargets:\n  {self.targets}\n"


def tensor_schema(features, targets=None) -> TensorDatasetSchema | None:
    """The tensor schema of numpy features and targets, or None (with MLflow's warning)
    when they have none."""
    try:
        return TensorDatasetSchema(_tensor_schema(features),
                                   None if targets is None else _tensor_schema(targets))
    except SchemaError as exc:
        _logger.warning("Failed to infer schema for NumPy dataset. Exception: %s", exc)
        return None


def tensor_schema_json(features, targets=None) -> str | None:
    """``{"mlflow_tensorspec": {...}}`` as MLflow stores it, or None."""
    schema = tensor_schema(features, targets)
    return None if schema is None else schema.to_json()


# ----------------------------------------------------------------------------- columns
def _missing(value) -> bool:
    if isinstance(value, float):
        return value != value
    if value is None:
        return True
    import pandas as pd

    return value is pd.NA or value is pd.NaT


def _merge(left, right):
    """The type of values of both ``left`` (ANY, an array or an object) and ``right``."""
    if left == ANY:
        if right == ANY or isinstance(right, str):
            return right
        return _merge(right, ANY)
    if right == ANY or left == right:
        if left[0] == "object" and right == ANY:  # every property becomes optional
            return ("object", tuple((n, t, False) for n, t, _ in left[1]))
        return left
    if left[0] != right[0]:
        raise SchemaError(f"Can't merge {left[0]} with {right}")
    if left[0] == "array":
        if isinstance(left[1], str):
            if left[1] == right[1] or right[1] == ANY:
                return left
            raise SchemaError(f"Array types are incompatible: {left} and {right}")
        return ("array", _merge(left[1], right[1]))
    mine, theirs = ({n: (t, r) for n, t, r in side[1]} for side in (left, right))
    properties = []
    for name in mine.keys() | theirs.keys():
        if name not in theirs or name not in mine:
            properties.append((name, (mine.get(name) or theirs[name])[0], False))
            continue
        (ltype, lreq), (rtype, rreq) = mine[name], theirs[name]
        if isinstance(ltype, str):
            if ltype != rtype and rtype != ANY:
                raise SchemaError(f"Properties are incompatible for {ltype} and {rtype}")
            merged = ltype
        else:
            merged = _merge(ltype, rtype)
        properties.append((name, merged, lreq and rreq))
    return ("object", tuple(sorted(properties)))


def _list_type(values):
    """("array", item type) of a list or array, or None when it has no typed item."""
    result = None
    for item in values:
        item_type = infer_type(item)
        if item_type is None:
            continue
        if result is None:
            result = ("array", item_type)
        elif not isinstance(result[1], str):
            try:
                result = ("array", _merge(result[1], item_type))
            except SchemaError as exc:
                raise SchemaError(_MULTIPLE_TYPES) from exc
        elif item_type != ANY and item_type != result[1]:
            raise SchemaError(_MULTIPLE_TYPES)
    return result


def infer_type(value):
    """The MLflow type of one value (None: an empty numpy array, type undetermined)."""
    if _missing(value) or (isinstance(value, (list, dict)) and not value):
        return ANY
    if isinstance(value, dict):
        properties = []
        for name, item in value.items():
            item_type = infer_type(item)
            if item_type is None:
                raise SchemaError("Dictionary value must not be an empty numpy array.")
            if not isinstance(name, str):
                raise SchemaError(f"Expected name to be a string, got type {type(name).__name__}")
            properties.append((name, item_type, item_type != ANY))
        if len({name for name, _, _ in properties}) != len(properties):
            raise SchemaError("Found duplicated property names")
        return ("object", tuple(sorted(properties)))
    if isinstance(value, (list, np.ndarray)):
        return _list_type(value)
    found = _SCALAR_TYPES.get(type(value))
    if found is None:
        raise SchemaError(f"Data {value} is not one of the supported DataType")
    return found


def _dtype_type(dtype) -> str:
    """The MLflow type of a numpy or pandas (extension) dtype."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return "boolean"
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return "integer"
        if size < 8 or (kind == "i" and size == 8):
            return "long"
    elif kind == "f":
        if size <= 4:
            return "float"
        if size <= 8:
            return "double"
    elif kind == "U":
        return "string"
    elif kind == "S":
        return "binary"
    elif kind == "M":
        return "datetime"
    raise SchemaError(f"Unsupported numpy data type '{dtype}', kind '{kind}'")


def _column_type(column):
    import pandas as pd

    if not isinstance(column, pd.Series):
        raise SchemaError(f"Expected pandas.Series, got '{type(column)}'.")
    if column.dtype.kind == "O":
        column = column.infer_objects()
    if column.dtype.kind != "O":
        return _dtype_type(column.dtype)
    try:
        found = _list_type(column.to_list())
        if found is None:
            raise SchemaError("Numpy array must include at least one non-empty item.")
        return found[1]
    except SchemaError:
        if pd.api.types.is_string_dtype(column):
            return "string"  # (MLflow's fallback for object columns of text)
        raise


def _required(column) -> bool:
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return not column.isna().any()
    return not any(_missing(value) for value in column)


def _type_dict(inferred) -> dict:
    if isinstance(inferred, str):
        return {"type": inferred}
    if inferred == ANY:
        return {"type": "any"}
    if inferred[0] == "array":
        return {"type": "array", "items": _type_dict(inferred[1])}
    return {"type": "object", "properties": {
        name: {**_type_dict(item), "required": required}
        for name, item, required in inferred[1]}}


class ColumnSchema:
    """A DataFrame's inferred schema: its column specs in the form MLflow's
    ``Schema.to_dict()`` gives (``[{"type": ..., "name": ..., "required": ...}]``)."""

    def __init__(self, columns: list[dict]):
        self._columns = columns

    def to_dict(self) -> list[dict]:
        """The column specs (copies)."""
        return json.loads(json.dumps(self._columns))

    def to_json(self) -> str:
        """The column specs as JSON."""
        return json.dumps(self._columns)

    def input_names(self) -> list:
        """The column names."""
        return [c.get("name") for c in self._columns]

    def __len__(self) -> int:
        return len(self._columns)

    def __eq__(self, other) -> bool:
        return isinstance(other, ColumnSchema) and self._columns == other._columns

    def __repr__(self) -> str:
        return repr([f"{c.get('name')!r}: {c['type']} "
                     f"({'required' if c['required'] else 'optional'})" for c in self._columns])


def column_schema(df) -> ColumnSchema | None:
    """The schema MLflow infers for a DataFrame, or None when it infers none (or an
    empty one)."""
    columns = []
    try:
        for name in df.columns:
            column = df[name]
            inferred = _column_type(column)
            columns.append({**_type_dict(inferred), "name": name, "required": _required(column)})
    except Exception as exc:  # MLflow logs it at debug level and stores no schema
        _logger.debug("Failed to infer schema for Pandas dataset. Exception: %s", exc)
        return None
    if not columns:
        return None
    if any(c["type"] in ("integer", "long") for c in columns):
        warnings.warn(_INTEGER_HINT, UserWarning, stacklevel=5)
    return ColumnSchema(columns)


def colspec_schema_json(df) -> str | None:
    """``{"mlflow_colspec": [...]}`` for a DataFrame as MLflow stores it, or None."""
    schema = column_schema(df)
    return None if schema is None else json.dumps({"mlflow_colspec": schema.to_dict()})
