"""Schema types of MLflow 3.17.2 model signatures: DataType, Array, Object, Property,
ColSpec, TensorSpec, Schema, ParamSpec, ParamSchema.

Their JSON forms (``to_dict``) are the ones MLflow writes into an MLmodel file, key
for key, so a signature round-trips between aiomlflow and MLflow.  numpy loads here
(a runtime dependency); pandas only where a conversion needs it.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import numpy as np

from ...exceptions import MlflowException


class DataType(enum.Enum):
    """A column's scalar type (MLflow's names)."""

    boolean = 1
    integer = 2
    long = 3
    float = 4
    double = 5
    string = 6
    binary = 7
    datetime = 8

    def __repr__(self) -> str:
        return self.name

    def to_numpy(self) -> np.dtype:
        """The numpy dtype of this type."""
        return np.dtype(_NUMPY[self])

    def to_pandas(self):
        """The pandas dtype of this type (object for strings and bytes)."""
        return np.dtype(_PANDAS[self])

    def to_python(self):
        """The Python type of a value of this type."""
        import datetime as dt

        return {DataType.boolean: bool, DataType.integer: int, DataType.long: int,
                DataType.float: float, DataType.double: float, DataType.string: str,
                DataType.binary: bytes, DataType.datetime: dt.datetime}[self]

    @classmethod
    def check_type(cls, name: str) -> "DataType":
        try:
            return cls[name]
        except KeyError:
            raise MlflowException.invalid_parameter_value(
                f"Unsupported type '{name}', expected instance of DataType, Array, Object, "
                f"Map or one of {[t.name for t in cls]}") from None


_NUMPY = {DataType.boolean: "bool", DataType.integer: "int32", DataType.long: "int64",
          DataType.float: "float32", DataType.double: "float64", DataType.string: "object",
          DataType.binary: "object", DataType.datetime: "datetime64[ns]"}
_PANDAS = _NUMPY


def _type_dict(dtype) -> dict:
    return {"type": dtype.name} if isinstance(dtype, DataType) else dtype.to_dict()


def _type_from_dict(d: dict):
    kind = d.get("type")
    if kind == "array":
        return Array.from_json_dict(**d)
    if kind == "object":
        return Object.from_json_dict(**d)
    if kind == "map":
        return Map.from_json_dict(**d)
    if kind == "any":
        return AnyType()
    return DataType.check_type(kind)


class Array:
    """A list whose items all have one type."""

    def __init__(self, dtype):
        self.dtype = DataType.check_type(dtype) if isinstance(dtype, str) else dtype

    def __eq__(self, other) -> bool:
        return isinstance(other, Array) and self.dtype == other.dtype

    def __repr__(self) -> str:
        return f"Array({self.dtype!r})"

    def to_dict(self) -> dict:
        return {"type": "array", "items": _type_dict(self.dtype)}

    @classmethod
    def from_json_dict(cls, **kwargs) -> "Array":
        return cls(_type_from_dict(kwargs["items"]))


class Map:
    """A dict from strings to values of one type."""

    def __init__(self, value_type):
        self.value_type = value_type

    def __eq__(self, other) -> bool:
        return isinstance(other, Map) and self.value_type == other.value_type

    def __repr__(self) -> str:
        return f"Map(str -> {self.value_type})"

    def to_dict(self) -> dict:
        return {"type": "map", "values": _type_dict(self.value_type)}

    @classmethod
    def from_json_dict(cls, **kwargs) -> "Map":
        return cls(_type_from_dict(kwargs["values"]))


class AnyType:
    """Any value."""

    def __eq__(self, other) -> bool:
        return isinstance(other, AnyType)

    def __repr__(self) -> str:
        return "Any"

    def to_dict(self) -> dict:
        return {"type": "any"}


class Property:
    """One named field of an Object."""

    def __init__(self, name: str, dtype, required: bool = True):
        self.name = name
        self.dtype = DataType.check_type(dtype) if isinstance(dtype, str) else dtype
        self.required = required

    def __eq__(self, other) -> bool:
        return isinstance(other, Property) and (self.name, self.dtype, self.required) == (
            other.name, other.dtype, other.required)

    def __repr__(self) -> str:
        return f"{self.name}: {self.dtype!r} ({'required' if self.required else 'optional'})"

    def to_dict(self) -> dict:
        d = _type_dict(self.dtype)
        d["required"] = self.required
        return {self.name: d}

    @classmethod
    def from_json_dict(cls, name: str, d: dict) -> "Property":
        return cls(name, _type_from_dict(d), d.get("required", True))


class Object:
    """A dict with named, typed fields (sorted by name, as MLflow keeps them)."""

    def __init__(self, properties: list[Property]):
        self.properties = sorted(properties, key=lambda p: p.name)

    def __eq__(self, other) -> bool:
        return isinstance(other, Object) and self.properties == other.properties

    def __repr__(self) -> str:
        return "{" + ", ".join(map(repr, self.properties)) + "}"

    def to_dict(self) -> dict:
        props: dict = {}
        for prop in self.properties:
            props.update(prop.to_dict())
        return {"type": "object", "properties": props}

    @classmethod
    def from_json_dict(cls, **kwargs) -> "Object":
        return cls([Property.from_json_dict(name, d)
                    for name, d in kwargs["properties"].items()])


class ColSpec:
    """A column: its type, optional name, and whether it is required."""

    def __init__(self, type, name: str | None = None, required: bool = True):  # noqa: A002
        self.type = DataType.check_type(type) if isinstance(type, str) else type
        self.name = name
        self.required = required

    def __eq__(self, other) -> bool:
        return isinstance(other, ColSpec) and (self.name, self.type, self.required) == (
            other.name, other.type, other.required)

    def __repr__(self) -> str:
        required = "required" if self.required else "optional"
        if self.name is None:
            return f"{self.type!r} ({required})"
        return f"{self.name!r}: {self.type!r} ({required})"

    def to_dict(self) -> dict:
        d = _type_dict(self.type)
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d

    @classmethod
    def from_json_dict(cls, **kwargs) -> "ColSpec":
        return cls(_type_from_dict(kwargs), kwargs.get("name"), kwargs.get("required", True))


class TensorSpec:
    """A tensor: numpy dtype, shape (-1 for a variable dimension), optional name."""

    def __init__(self, type: np.dtype, shape: tuple | list, name: str | None = None):  # noqa: A002
        if not isinstance(type, np.dtype):
            raise TypeError(f"Expected `type` to be instance of {np.dtype}, received "
                            f"'{type.__class__}'")
        self.type = type
        self.shape = tuple(shape)
        self.name = name
        self.required = True

    def __eq__(self, other) -> bool:
        return isinstance(other, TensorSpec) and (self.name, self.type, self.shape) == (
            other.name, other.type, other.shape)

    def __repr__(self) -> str:
        spec = f"Tensor({self.type.name!r}, {self.shape!r})"
        return spec if self.name is None else f"{self.name!r}: {spec}"

    def to_dict(self) -> dict:
        spec = {"type": "tensor", "tensor-spec": {"dtype": self.type.name,
                                                  "shape": list(self.shape)}}
        return spec if self.name is None else {"name": self.name, **spec}

    @classmethod
    def from_json_dict(cls, **kwargs) -> "TensorSpec":
        spec = kwargs["tensor-spec"]
        return cls(np.dtype(spec["dtype"]), spec["shape"], kwargs.get("name"))


class Schema:
    """The inputs or outputs of a model: a list of ColSpec or of TensorSpec."""

    def __init__(self, inputs: list):
        if not isinstance(inputs, list):
            raise MlflowException.invalid_parameter_value(
                f"Inputs of Schema must be a list, got type {type(inputs).__name__}")
        if not inputs:
            raise MlflowException.invalid_parameter_value(
                "Creating Schema with empty inputs is not allowed.")
        if not (all(isinstance(x, ColSpec) for x in inputs)
                or all(isinstance(x, TensorSpec) for x in inputs)):
            raise MlflowException.invalid_parameter_value(
                "Creating Schema with a combination of ColSpec and TensorSpec is not supported.")
        named = [x.name is not None for x in inputs]
        if any(named) and not all(named):
            raise MlflowException.invalid_parameter_value(
                "Creating Schema with a combination of named and unnamed inputs is not allowed. "
                f"Got input names {[x.name for x in inputs]}")
        self._inputs = inputs

    @property
    def inputs(self) -> list:
        return self._inputs

    def __len__(self) -> int:
        return len(self._inputs)

    def __iter__(self):
        return iter(self._inputs)

    def __eq__(self, other) -> bool:
        return isinstance(other, Schema) and self._inputs == other._inputs

    def __repr__(self) -> str:
        return repr(self._inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self._inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self._inputs[0].name is not None

    def input_names(self) -> list:
        return [x.name or i for i, x in enumerate(self._inputs)]

    def required_input_names(self) -> list:
        return [x.name or i for i, x in enumerate(self._inputs) if x.required]

    def optional_input_names(self) -> list:
        return [x.name or i for i, x in enumerate(self._inputs) if not x.required]

    def input_types(self) -> list:
        return [x.type for x in self._inputs]

    def input_types_dict(self) -> dict:
        return {x.name: x.type for x in self._inputs}

    def numpy_types(self) -> list:
        if self.is_tensor_spec():
            return [x.type for x in self._inputs]
        return [x.type.to_numpy() if isinstance(x.type, DataType) else np.dtype("object")
                for x in self._inputs]

    def to_dict(self) -> list[dict]:
        return [x.to_dict() for x in self._inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> "Schema":
        def spec(d: dict):
            return TensorSpec.from_json_dict(**d) if d.get("type") == "tensor" \
                else ColSpec.from_json_dict(**d)

        return cls([spec(d) for d in json.loads(json_str)])


class ParamSpec:
    """One inference parameter: name, type, default and shape (None or (-1,))."""

    def __init__(self, name: str, dtype, default: Any, shape: tuple | None = None):
        self.name = name
        self.dtype = DataType.check_type(dtype) if isinstance(dtype, str) else dtype
        self.shape = tuple(shape) if shape is not None else None
        self.default = default

    def __eq__(self, other) -> bool:
        return isinstance(other, ParamSpec) and (
            self.name, self.dtype, self.default, self.shape) == (
            other.name, other.dtype, other.default, other.shape)

    def __repr__(self) -> str:
        text = f"{self.name!r}: {self.dtype!r} (default: {self.default})"
        return text if self.shape is None else f"{text} (shape: {self.shape})"

    def to_dict(self) -> dict:
        default = self.default
        if isinstance(default, np.ndarray):
            default = default.tolist()
        elif self.dtype == DataType.datetime and default is not None:
            default = default.isoformat() if hasattr(default, "isoformat") else default
        elif self.dtype == DataType.binary and isinstance(default, bytes):
            import base64

            default = base64.b64encode(default).decode("ascii")
        return {"name": self.name, "default": default,
                "shape": list(self.shape) if self.shape is not None else None,
                "type": self.dtype.name if isinstance(self.dtype, DataType)
                else self.dtype.to_dict()}

    @classmethod
    def from_json_dict(cls, **kwargs) -> "ParamSpec":
        kind = kwargs["type"]
        dtype = _type_from_dict(kind) if isinstance(kind, dict) else DataType.check_type(kind)
        return cls(kwargs["name"], dtype, kwargs.get("default"), kwargs.get("shape"))


class ParamSchema:
    """The inference parameters a model accepts."""

    def __init__(self, params: list[ParamSpec]):
        if not all(isinstance(p, ParamSpec) for p in params):
            raise MlflowException.invalid_parameter_value(
                f"ParamSchema inputs only accept {ParamSpec}")
        names = [p.name for p in params]
        if len(set(names)) != len(names):
            raise MlflowException.invalid_parameter_value(
                f"Duplicated parameters found in schema: {names}")
        self._params = params

    @property
    def params(self) -> list[ParamSpec]:
        return self._params

    def __eq__(self, other) -> bool:
        return isinstance(other, ParamSchema) and self._params == other._params

    def __repr__(self) -> str:
        return repr(self._params)

    def to_dict(self) -> list[dict]:
        return [p.to_dict() for p in self._params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> "ParamSchema":
        return cls([ParamSpec.from_json_dict(**d) for d in json.loads(json_str)])


__all__ = ["AnyType", "Array", "ColSpec", "DataType", "Map", "Object", "ParamSchema",
           "ParamSpec", "Property", "Schema", "TensorSpec"]
