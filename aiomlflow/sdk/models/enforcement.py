"""Signature enforcement at predict time, as MLflow 3.17.2's pyfunc applies it.

* Column signatures (ColSpec): the input becomes a pandas DataFrame (a dict is one row,
  a list of dicts the rows, a list of scalars or a scalar one unnamed column); named
  columns must all be present (extra ones are dropped with a warning) and every column
  converts to its type only where no information is lost (int32 → long, float32 →
  double; never int → double, float → long, numbers → string).
* Tensor signatures: a numpy array (or a dict of arrays for named tensors) whose dtype
  matches and whose shape matches, -1 being any size.
* Signatures from type hints (``list[str]``): the input is a list (a one-column
  DataFrame is turned into its values) whose items have the hinted type.
* Params: defaults filled in, values converted to their declared type, unknown names
  dropped with a warning; without a params schema, given params are dropped.
"""

from __future__ import annotations

import logging
import sys

import numpy as np

from ...exceptions import MlflowException
from .types import Array, ColSpec, DataType, Map, Object, TensorSpec

_logger = logging.getLogger("aiomlflow")


def _fail(data, schema, message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(
        f"Failed to enforce schema of data '{data}' with schema '{schema}'. Error: {message}")


# ----------------------------------------------------------------------------- columns
def _to_frame(data, schema):
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if isinstance(data, dict):
        if all(isinstance(v, (list, np.ndarray)) for v in data.values()) and not any(
                isinstance(spec.type, Array) for spec in schema.inputs):
            return pd.DataFrame(data)
        return pd.DataFrame([data])
    if isinstance(data, list):
        if data and all(isinstance(v, dict) for v in data):
            return pd.DataFrame(data)
        if schema.has_input_names():
            return pd.DataFrame(data, columns=schema.input_names()[:len(data[0])]
                                if data and isinstance(data[0], (list, tuple)) else None)
        return pd.DataFrame({0: data}) if len(schema.inputs) == 1 else pd.DataFrame(data)
    if isinstance(data, np.ndarray):
        return pd.DataFrame(data)
    return pd.DataFrame([[data]])


def _convert_column(values, spec: ColSpec, label, data, schema):
    """The column converted to the spec's type where MLflow allows it: object → string,
    int → long and float → double upcasts, small ints → double, int64 → double for
    0/1 values, datetimes of any precision and objects → datetime."""
    import pandas as pd

    kind = spec.type
    if not isinstance(kind, DataType):
        return values  # arrays, objects and maps pass as given
    if values.dtype == object and kind not in (DataType.binary, DataType.string):
        values = values.infer_objects()
    dtype = values.dtype
    if kind == DataType.string and (dtype == object or isinstance(dtype, pd.StringDtype)):
        return values
    if kind == DataType.binary and isinstance(dtype, pd.StringDtype):
        return values
    target = kind.to_numpy()
    if dtype == target:
        return values
    if kind == DataType.binary and dtype.kind == "O":
        return values
    if kind == DataType.datetime and (dtype.kind == "M" or dtype == object):
        try:
            return values.astype(np.dtype("datetime64[ns]"))
        except (TypeError, ValueError) as exc:
            raise _fail(data, schema, f"Failed to convert column {label} from type {dtype} to "
                                      f"{kind}.") from exc
    if kind == DataType.boolean and dtype == object:
        return values
    if dtype.kind == target.kind:
        upcast = dtype.itemsize <= target.itemsize
    elif dtype.kind == "u" and target.kind == "i":
        upcast = dtype.itemsize < target.itemsize
    elif dtype.kind in "iu" and target == np.float64:
        upcast = dtype.itemsize <= 6
    else:
        upcast = False
    if upcast or (dtype == np.int64 and target.kind == "f"
                  and all(pd.isnull(x) or x in (0, 1) for x in values)):
        return values.astype(target)
    shown = {DataType.string: "<U0", DataType.binary: "|S0"}.get(kind, target)
    raise _fail(data, schema, f"Incompatible input types for column {label}. Can not safely "
                              f"convert {dtype} to {shown}.")


def _enforce_columns(data, schema):
    frame = _to_frame(data, schema)
    if schema.has_input_names():
        names = [spec.name for spec in schema.inputs]
        present = {str(c): c for c in frame.columns}
        missing = [s.name for s in schema.inputs if s.required and s.name not in present]
        if missing:
            extra = [c for c in present if c not in names]
            message = f"Model is missing inputs {missing}."
            if extra:
                message += f" Note that there were extra inputs: {extra}."
            raise _fail(data, schema, message)
        extra = [c for c in present if c not in names]
        if extra:
            _logger.warning("Found extra inputs in the model input that are not defined in the "
                            "model signature: `%s`. These inputs will be ignored.", extra)
        columns = {}
        for spec in schema.inputs:
            if spec.name in present:
                columns[spec.name] = _convert_column(frame[present[spec.name]], spec,
                                                     spec.name, data, schema)
        import pandas as pd

        return pd.DataFrame(columns, index=frame.index)
    if len(frame.columns) < len(schema.inputs):
        raise _fail(data, schema, f"Model inference is missing inputs. The model signature "
                                  f"declares {len(schema.inputs)} inputs but the provided "
                                  f"value only has {len(frame.columns)} inputs.")
    frame = frame.copy()
    for position, spec in enumerate(schema.inputs):
        column = frame.columns[position]
        frame[column] = _convert_column(frame[column], spec, position, data, schema)
    return frame


# ----------------------------------------------------------------------------- tensors
def _enforce_tensor(array, spec: TensorSpec, data, schema):
    if array.dtype != spec.type and not (spec.type.kind in "OU" and array.dtype.kind in "OU"):
        raise _fail(data, schema, f"dtype of input {array.dtype} does not match expected dtype "
                                  f"{spec.type}")
    shape = spec.shape
    if len(array.shape) != len(shape) or any(
            want != -1 and want != got for want, got in zip(shape, array.shape)):
        raise _fail(data, schema, f"Shape of input {array.shape} does not match expected shape "
                                  f"{shape}.")
    return array


def _enforce_tensors(data, schema):
    pd = sys.modules.get("pandas")
    if schema.has_input_names():
        if not isinstance(data, dict):
            raise _fail(data, schema, "This model contains a tensor-based model signature with "
                                      "input names, which suggests a dictionary input mapping "
                                      "input name to a numpy array, but an input of type "
                                      f"{type(data)} was found.")
        missing = [s.name for s in schema.inputs if s.name not in data]
        if missing:
            raise _fail(data, schema, f"Model is missing inputs {missing}.")
        return {s.name: _enforce_tensor(np.asarray(data[s.name]), s, data, schema)
                for s in schema.inputs}
    if pd is not None and isinstance(data, pd.DataFrame):
        data = data.to_numpy()
    if not isinstance(data, np.ndarray):
        raise _fail(data, schema, "This model contains a tensor-based model signature with no "
                                  "input names, which suggests a numpy array input or a pandas "
                                  f"dataframe input with proper column values, but an input of "
                                  f"type {type(data)} was found.")
    return _enforce_tensor(data, schema.inputs[0], data, schema)


# ----------------------------------------------------------------------------- type hints
def _check_item(value, kind) -> str | None:
    if isinstance(kind, DataType):
        python = kind.to_python()
        ok = isinstance(value, python) and not (python is int and isinstance(value, bool))
        if python is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        return None if ok else f"Expected type {python.__name__}, but got {type(value).__name__}"
    if isinstance(kind, Array):
        if not isinstance(value, list):
            return f"Expected list, but got {type(value).__name__}"
        for item in value:
            error = _check_item(item, kind.dtype)
            if error:
                return error
        return None
    if isinstance(kind, Map):
        if not isinstance(value, dict):
            return f"Expected dict, but got {type(value).__name__}"
        for item in value.values():
            error = _check_item(item, kind.value_type)
            if error:
                return error
    if isinstance(kind, Object) and not isinstance(value, dict):
        return f"Expected dict, but got {type(value).__name__}"
    return None


def _enforce_hinted(data, schema, hint_text: str):
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame) and len(data.columns) == 1:
        data = data.iloc[:, 0].tolist()
    if not isinstance(data, list):
        raise MlflowException.invalid_parameter_value(
            f"Expected list, but got {type(data).__name__}")
    kind = schema.inputs[0].type
    invalid = [(str(v), e) for v in data if (e := _check_item(v, kind))]
    if invalid:
        raise MlflowException.invalid_parameter_value(
            f"Failed to validate data against type hint `{hint_text}`, invalid elements: "
            f"{invalid}")
    return data


def _hint_text(kind) -> str:
    if isinstance(kind, DataType):
        return kind.to_python().__name__
    if isinstance(kind, Array):
        return f"list[{_hint_text(kind.dtype)}]"
    if isinstance(kind, Map):
        return f"dict[str, {_hint_text(kind.value_type)}]"
    return "Any"


# ----------------------------------------------------------------------------- entry points
def enforce_input(data, signature):
    """``data`` converted to what the model expects under ``signature`` (None: as is)."""
    if signature is None or signature.inputs is None:
        return data
    schema = signature.inputs
    if signature._is_signature_from_type_hint:
        return _enforce_hinted(data, schema, f"list[{_hint_text(schema.inputs[0].type)}]")
    if schema.is_tensor_spec():
        return _enforce_tensors(data, schema)
    return _enforce_columns(data, schema)


def _convert_param(spec, value):
    kind = spec.dtype
    values = value if spec.shape is not None else [value]
    if spec.shape is not None and not isinstance(value, (list, tuple, np.ndarray)):
        raise ValueError(f"Value must be a 1D array with shape {spec.shape} for param "
                         f"'{spec.name}': {kind!r} (default: {spec.default}) (shape: "
                         f"{spec.shape}), received {type(value).__name__}")
    converted = []
    for item in values:
        python = kind.to_python() if isinstance(kind, DataType) else None
        if python is float and isinstance(item, (int, float)) and not isinstance(item, bool):
            converted.append(float(item))
        elif python is int and isinstance(item, int) and not isinstance(item, bool):
            converted.append(int(item))
        elif python is None or isinstance(item, python):
            converted.append(item)
        else:
            raise ValueError(f"Can not safely convert `{type(item)}` to `{kind}` for value "
                             f"`{item}`")
    return converted if spec.shape is not None else converted[0]


def enforce_params(params, signature):
    """The params a model's predict receives under ``signature``."""
    schema = getattr(signature, "params", None) if signature is not None else None
    if schema is None:
        if params:
            _logger.warning("`params` can only be specified at inference time if the model "
                            "signature defines a params schema. This model does not define a "
                            "params schema. Ignoring provided params: %s", list(params))
            return {}
        return params
    params = dict(params or {})
    known = {spec.name for spec in schema.params}
    unknown = [name for name in params if name not in known]
    if unknown:
        _logger.warning("Unrecognized params %s are ignored for inference. Supported params "
                        "are: %s. To enable them, please add corresponding schema in "
                        "ModelSignature.", unknown, known)
    result, invalid = {}, set()
    for spec in schema.params:
        if spec.name not in params:
            result[spec.name] = spec.default
            continue
        try:
            result[spec.name] = _convert_param(spec, params[spec.name])
        except ValueError as exc:
            invalid.add((spec.name, f"Failed to validate type and shape for {spec!r}, "
                                    f"error: {exc}"))
    if invalid:
        raise MlflowException.invalid_parameter_value(f"Invalid parameters found: {invalid}")
    return result


__all__ = ["enforce_input", "enforce_params"]
