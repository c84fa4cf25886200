"""Model signatures: ``ModelSignature`` and ``infer_signature`` as in MLflow 3.17.2.

Inference follows MLflow's rules for the inputs people pass: a pandas DataFrame or
Series (one ColSpec per column; ``required`` false where a column has missing
values), a numpy array (a TensorSpec with a variable first dimension), a dict (one
named ColSpec per key, or one TensorSpec per key when every value is an array), a
list (of scalars: one unnamed column; of dicts: one column per key), a scalar or a
string (one unnamed column).  Python ints are ``long`` and floats ``double``.
"""

from __future__ import annotations

import datetime as _dt
import json
import typing
from typing import Any

import numpy as np

from ...exceptions import MlflowException
from . import type_inference
from .types import AnyType, Array, ColSpec, DataType, Map, ParamSchema, ParamSpec, Schema


class ModelSignature:
    """A model's input and output schemas, and its inference parameters."""

    def __init__(self, inputs: Schema | None = None, outputs: Schema | None = None,
                 params: ParamSchema | None = None):
        for value, kind, name in ((inputs, Schema, "inputs"), (outputs, Schema, "outputs"),
                                  (params, ParamSchema, "params")):
            if value is not None and not isinstance(value, kind):
                raise TypeError(f"{name} must be either None or mlflow.models.signature."
                                f"{kind.__name__}, got '{type(value).__name__}'")
        if inputs is None and outputs is None:
            raise ValueError("At least one of inputs or outputs must be provided")
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self._is_signature_from_type_hint = False
        self._is_type_hint_from_example = False

    def to_dict(self) -> dict[str, Any]:
        """The form stored in an MLmodel file: each part as a JSON string (or None)."""
        return {"inputs": self.inputs.to_json() if self.inputs else None,
                "outputs": self.outputs.to_json() if self.outputs else None,
                "params": self.params.to_json() if self.params else None}

    @classmethod
    def from_dict(cls, signature_dict: dict[str, Any]) -> "ModelSignature":
        """The signature of an MLmodel file's ``signature`` entry."""
        def part(key, kind):
            value = signature_dict.get(key)
            return kind.from_json(value) if value else None

        return cls(part("inputs", Schema), part("outputs", Schema), part("params", ParamSchema))

    def __eq__(self, other) -> bool:
        return isinstance(other, ModelSignature) and (
            self.inputs, self.outputs, self.params) == (other.inputs, other.outputs,
                                                         other.params)

    def __repr__(self) -> str:
        return (f"inputs: \n  {self.inputs!r}\noutputs: \n  {self.outputs!r}\n"
                f"params: \n  {self.params!r}\n")


# ----------------------------------------------------------------------------- values
def _scalar_type(value) -> DataType | None:
    if isinstance(value, (bool, np.bool_)):
        return DataType.boolean
    if isinstance(value, np.integer):
        return DataType.integer if value.dtype.itemsize <= 4 else DataType.long
    if isinstance(value, int):
        return DataType.long
    if isinstance(value, np.floating):
        return DataType.float if value.dtype.itemsize <= 4 else DataType.double
    if isinstance(value, float):
        return DataType.double
    if isinstance(value, str):
        return DataType.string
    if isinstance(value, (bytes, bytearray)):
        return DataType.binary
    if isinstance(value, (_dt.datetime, _dt.date, np.datetime64)):
        return DataType.datetime
    return None


def _inferred(infer, values):
    """``infer(values)`` (the shared type inference), Any when nothing is typed; a value
    of no MLflow type is an MlflowException."""
    try:
        found = infer(values)
    except type_inference.TypeInferenceError as exc:
        raise MlflowException.invalid_parameter_value(
            f"Cannot infer a schema type for {values!r}: {exc}") from None
    return AnyType() if found is None else found


def _value_type(value):
    """The schema type of one value (a scalar, list or dict)."""
    return _inferred(type_inference.infer_type, value)


def _list_item_type(values: list):
    """The type of every item of ``values`` (a column's values)."""
    found = _inferred(type_inference.list_type, values)
    return found.dtype if isinstance(found, Array) else found


def _column_type(series):
    """The type of a Series, inferred as for dataset schemas."""
    try:
        return type_inference.column_type(series)
    except type_inference.TypeInferenceError as exc:
        raise MlflowException.invalid_parameter_value(
            f"Cannot infer the type of column {series.name!r}: {exc}") from None


def _frame_schema(frame) -> Schema:
    return Schema([ColSpec(_column_type(frame[name]), str(name),
                           required=type_inference.column_required(frame[name]))
                   for name in frame.columns])


def infer_schema(data) -> Schema:
    """The Schema of a model input or output (see the module docstring for the rules);
    warns, as MLflow, when it has integer columns (missing values would break them)."""
    schema = _infer_schema(data)
    if not schema.is_tensor_spec():
        type_inference.warn_integer_columns(schema.input_types(), stacklevel=3)
    return schema


def _infer_schema(data) -> Schema:
    import sys

    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.DataFrame):
        return _frame_schema(data)
    if pd is not None and isinstance(data, pd.Series):
        name = None if data.name is None else str(data.name)
        return Schema([ColSpec(_column_type(data), name,
                               required=type_inference.column_required(data))])
    if isinstance(data, np.ndarray):
        return Schema([type_inference.tensor_spec(data)])
    if isinstance(data, dict):
        if not data:
            raise MlflowException.invalid_parameter_value("Cannot infer schema from empty dict")
        if all(isinstance(v, np.ndarray) for v in data.values()):
            return Schema([type_inference.tensor_spec(v, str(k)) for k, v in data.items()])
        return Schema([ColSpec(_value_type(v), str(k), required=v is not None)
                       for k, v in data.items()])
    if isinstance(data, (list, tuple)):
        if not data:
            raise MlflowException.invalid_parameter_value(
                "Cannot infer schema from empty list")
        if all(isinstance(v, dict) for v in data):
            return Schema([ColSpec(_list_item_type([d[k] for d in data if k in d]), str(k),
                                   required=all(k in d and d[k] is not None for d in data))
                           for k in _keys_in_order(data)])
        return Schema([ColSpec(_list_item_type(list(data)))])
    if _scalar_type(data) is not None:
        return Schema([ColSpec(_scalar_type(data))])
    raise MlflowException.invalid_parameter_value(
        "Expected one of (pandas.DataFrame, pandas.Series, numpy array, dictionary, list, "
        f"str, bytes, int, float, bool, datetime) but got '{type(data).__name__}'")


def _keys_in_order(rows: list[dict]) -> list:
    """The keys of a list of dicts in first-seen order (MLflow keeps the columns in the
    order the rows give them)."""
    keys: dict = {}
    for row in rows:
        for key in row:
            keys.setdefault(key, None)
    return list(keys)


def _infer_param_schema(params: dict) -> ParamSchema:
    specs = []
    for name, value in params.items():
        shape = None
        if isinstance(value, (list, tuple, np.ndarray)):
            items = list(value)
            types = {_scalar_type(v) for v in items}
            if len(types) != 1 or None in types:
                raise MlflowException.invalid_parameter_value(
                    f"Failed to infer schema for parameter {name}: Expected parameters to be 1D "
                    f"array or scalar, got {type(value).__name__}")
            dtype, shape = types.pop(), (-1,)
            value = items
        else:
            dtype = _scalar_type(value)
            if dtype is None:
                raise MlflowException.invalid_parameter_value(
                    f"Failed to infer schema for parameter {name}: value {value!r} is not a "
                    "scalar or a list of scalars")
        specs.append(ParamSpec(name, dtype, value, shape))
    return ParamSchema(specs)


def _schema_or_any(data, key: str) -> Schema:
    """``infer_schema(data)``; where MLflow cannot infer one (values of several types, an
    empty list...), a column of any type, with MLflow's warning."""
    try:
        return infer_schema(data)
    except MlflowException:
        import logging

        note = ("Note that MLflow doesn't validate data types during inference for AnyType. "
                if key == "inputs" else "")
        logging.getLogger("aiomlflow").warning(
            f"Failed to infer schema for {key}. Setting schema to "
            f"`Schema([ColSpec(type=AnyType())]` as default. {note}To see the full traceback, "
            "set logging level to DEBUG.")
        return Schema([ColSpec(AnyType())])


def infer_signature(model_input: Any = None, model_output: Any = None,
                    params: dict[str, Any] | None = None) -> ModelSignature | None:
    """The ModelSignature of a model's example input, output and inference params.
    Returns None when neither input nor output is given."""
    inputs = _schema_or_any(model_input, "inputs") if model_input is not None else None
    outputs = _schema_or_any(model_output, "outputs") if model_output is not None else None
    param_schema = _infer_param_schema(params) if params else None
    if inputs is None and outputs is None:
        return None
    return ModelSignature(inputs, outputs, param_schema)


# ----------------------------------------------------------------------------- type hints
_HINT_TYPES = {str: DataType.string, int: DataType.long, float: DataType.double,
               bool: DataType.boolean, bytes: DataType.binary, _dt.datetime: DataType.datetime}


def _hint_type(hint):
    if hint in _HINT_TYPES:
        return _HINT_TYPES[hint]
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list and len(args) == 1:
        return Array(_hint_type(args[0]))
    if origin is dict and len(args) == 2 and args[0] is str:
        return Map(_hint_type(args[1]))
    if hint is Any:
        return AnyType()
    raise TypeError(hint)


def schema_from_type_hint(hint) -> Schema | None:
    """The Schema MLflow derives from a predict type hint ``list[T]`` (one row per item);
    None for hints it does not turn into a signature."""
    if typing.get_origin(hint) is not list or len(typing.get_args(hint)) != 1:
        return None
    try:
        item = _hint_type(typing.get_args(hint)[0])
    except TypeError:
        return None
    return Schema([ColSpec(item)])


def signature_from_type_hints(func) -> ModelSignature | None:
    """The signature of a predict function whose model input and return value carry
    ``list[...]`` type hints; None when they do not."""
    import inspect

    try:
        hints = typing.get_type_hints(func)
    except Exception:
        return None
    names = [n for n in inspect.signature(func).parameters if n not in ("self", "context")]
    if not names or names[0] not in hints:
        return None
    inputs = schema_from_type_hint(hints[names[0]])
    if inputs is None:
        return None
    outputs = schema_from_type_hint(hints["return"]) if "return" in hints else None
    signature = ModelSignature(inputs, outputs)
    signature._is_signature_from_type_hint = True
    return signature


def schema_json(schema: Schema | None) -> str | None:
    return json.dumps(schema.to_dict()) if schema is not None else None


__all__ = ["ModelSignature", "infer_schema", "infer_signature"]
