"""The schema types MLflow 3.17.2 infers for data, shared by model signatures
(``infer_signature``) and dataset schemas (``mlflow.data``), as MLflow uses one
inference for both.

What MLflow infers: an array is a tensor of its dtype (``str``/``bytes`` without their
length) whose first dimension is variable (-1).  A DataFrame column has the MLflow type
of its dtype; an object column the type of its values (strings, bytes, lists as
``Array``, dicts as ``Object``), ``required`` unless it holds a missing value.  Values
of several types have no type (TypeInferenceError).
"""

from __future__ import annotations

import datetime
import warnings

import numpy as np

from .types import AnyType, Array, DataType, Object, Property, TensorSpec

INTEGER_HINT = (
    "Hint: Inferred schema contains integer column(s). Integer columns in Python cannot "
    "represent missing values. If your input data contains missing values at inference "
    "time, it will be encoded as floats and will cause a schema enforcement error. The best "
    "way to avoid this problem is to infer the model schema based on a realistic data sample "
    "(training dataset) that includes missing values. Alternatively, you can declare integer "
    "columns as doubles (float64) whenever these columns may have missing values. See "
    "`Handling Integers With Missing Values <https://www.mlflow.org/docs/latest/models.html#"
    "handling-integers-with-missing-values>`_ for more details.")
_MULTIPLE_TYPES = (
    "Expected all values in the list to be of the same type. To specify a model signature "
    "with a list containing elements of multiple types, define the signature manually "
    "using the Array(AnyType()) type from mlflow.models.schema.")

# the MLflow type of a Python or numpy scalar, by exact type
_SCALAR_TYPES = {
    bool: DataType.boolean, np.bool_: DataType.boolean, int: DataType.long,
    np.int64: DataType.long, np.int32: DataType.integer, float: DataType.double,
    np.float64: DataType.double, np.float32: DataType.float, str: DataType.string,
    np.str_: DataType.string, object: DataType.string, bytes: DataType.binary,
    np.bytes_: DataType.binary, bytearray: DataType.binary, np.datetime64: DataType.datetime,
    datetime.datetime: DataType.datetime, datetime.date: DataType.datetime,
}
_ANY = AnyType()


class TypeInferenceError(Exception):
    """No MLflow type for these values."""


def warn_integer_columns(types, stacklevel: int) -> None:
    """MLflow's hint when inferred columns are integers (missing values would break them)."""
    if any(t in (DataType.integer, DataType.long) for t in types):
        warnings.warn(INTEGER_HINT, UserWarning, stacklevel=stacklevel + 1)


# ----------------------------------------------------------------------------- tensors
def tensor_spec(array: np.ndarray, name: str | None = None) -> TensorSpec:
    """The TensorSpec of an array: its dtype (``str``/``bytes`` without their length),
    its shape with a variable first dimension."""
    dtype = array.dtype
    if dtype.char == "U":
        dtype = np.dtype("str")
    elif dtype.char == "S":
        dtype = np.dtype("bytes")
    return TensorSpec(dtype, (-1, *array.shape[1:]), name)


# ----------------------------------------------------------------------------- values
def is_missing(value) -> bool:
    """Whether ``value`` is None, NaN, ``pd.NA`` or ``pd.NaT``."""
    if isinstance(value, float):
        return value != value
    if value is None:
        return True
    import sys

    pd = sys.modules.get("pandas")  # (pandas values exist only once pandas is loaded)
    return pd is not None and (value is pd.NA or value is pd.NaT)


def _merge(left, right):
    """The type of values of both ``left`` (Any, an Array or an Object) and ``right``."""
    if left == _ANY:
        if right == _ANY or isinstance(right, DataType):
            return right
        return _merge(right, _ANY)
    if right == _ANY or left == right:
        if isinstance(left, Object) and right == _ANY:  # every property becomes optional
            return Object([Property(p.name, p.dtype, False) for p in left.properties])
        return left
    if type(left) is not type(right):
        raise TypeInferenceError(f"Can't merge {left} with {right}")
    if isinstance(left, Array):
        if isinstance(left.dtype, DataType):
            if left.dtype == right.dtype or right.dtype == _ANY:
                return left
            raise TypeInferenceError(f"Array types are incompatible: {left} and {right}")
        return Array(_merge(left.dtype, right.dtype))
    mine = {p.name: p for p in left.properties}
    theirs = {p.name: p for p in right.properties}
    properties = []
    for name in mine.keys() | theirs.keys():
        if name not in theirs or name not in mine:
            properties.append(Property(name, (mine.get(name) or theirs[name]).dtype, False))
            continue
        ours, other = mine[name], theirs[name]
        if isinstance(ours.dtype, DataType):
            if ours.dtype != other.dtype and other.dtype != _ANY:
                raise TypeInferenceError(
                    f"Properties are incompatible for {ours.dtype} and {other.dtype}")
            merged = ours.dtype
        else:
            merged = _merge(ours.dtype, other.dtype)
        properties.append(Property(name, merged, ours.required and other.required))
    return Object(properties)


def list_type(values) -> Array | None:
    """The Array type of a list or array, or None when it has no typed item."""
    result = None
    for item in values:
        item_type = infer_type(item)
        if item_type is None:
            continue
        if result is None:
            result = Array(item_type)
        elif not isinstance(result.dtype, DataType):
            try:
                result = Array(_merge(result.dtype, item_type))
            except TypeInferenceError as exc:
                raise TypeInferenceError(_MULTIPLE_TYPES) from exc
        elif item_type != _ANY and item_type != result.dtype:
            raise TypeInferenceError(_MULTIPLE_TYPES)
    return result


def infer_type(value):
    """The MLflow type of one value (None: an empty numpy array, type undetermined)."""
    if is_missing(value) or (isinstance(value, (list, dict)) and not value):
        return _ANY
    if isinstance(value, dict):
        properties = []
        for name, item in value.items():
            item_type = infer_type(item)
            if item_type is None:
                raise TypeInferenceError("Dictionary value must not be an empty numpy array.")
            if not isinstance(name, str):
                raise TypeInferenceError(
                    f"Expected name to be a string, got type {type(name).__name__}")
            properties.append(Property(name, item_type, item_type != _ANY))
        return Object(properties)
    if isinstance(value, (list, np.ndarray)):
        return list_type(value)
    found = _SCALAR_TYPES.get(type(value))
    if found is None:
        raise TypeInferenceError(f"Data {value} is not one of the supported DataType")
    return found


# ----------------------------------------------------------------------------- columns
def numpy_dtype_type(dtype) -> DataType:
    """The MLflow type of a numpy or pandas (extension) dtype."""
    kind, size = dtype.kind, dtype.itemsize
    if kind == "b":
        return DataType.boolean
    if kind in "iu":
        if size < 4 or (kind == "i" and size == 4):
            return DataType.integer
        if size < 8 or (kind == "i" and size == 8):
            return DataType.long
    elif kind == "f":
        if size <= 4:
            return DataType.float
        if size <= 8:
            return DataType.double
    elif kind == "U":
        return DataType.string
    elif kind == "S":
        return DataType.binary
    elif kind == "M":
        return DataType.datetime
    raise TypeInferenceError(f"Unsupported numpy data type '{dtype}', kind '{kind}'")


def column_type(column):
    """The MLflow type of a pandas Series."""
    import pandas as pd

    if not isinstance(column, pd.Series):
        raise TypeInferenceError(f"Expected pandas.Series, got '{type(column)}'.")
    if column.dtype.kind == "O":
        column = column.infer_objects()
    if column.dtype.kind != "O":
        return numpy_dtype_type(column.dtype)
    try:
        found = list_type(column.to_list())
        if found is None:
            raise TypeInferenceError("Numpy array must include at least one non-empty item.")
        return found.dtype
    except TypeInferenceError:
        if pd.api.types.is_string_dtype(column):
            return DataType.string  # (MLflow's fallback for object columns of text)
        raise


def column_required(column) -> bool:
    """Whether a Series has no missing value."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return not column.isna().any()
    return not any(is_missing(value) for value in column)
