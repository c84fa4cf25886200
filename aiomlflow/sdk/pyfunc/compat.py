"""Stand-ins for the MLflow internals that MLflow's own model pickles name.

MLflow 3.17.2 wraps a PythonModel's ``predict`` (type-hint validation) when the class is
defined, so its pickles of user models carry that wrapper, whose globals and closure
name ``FuncInfo``, ``_validate_model_input`` and ``_TypeHints``.  Loading such a pickle
in aiomlflow resolves those names to the objects below, which behave as the wrapper
needs (validation against ``list[...]`` hints, the same error codes).
"""

from __future__ import annotations

import typing
from typing import Any, NamedTuple

from ...exceptions import MlflowException


class FuncInfo(NamedTuple):
    """The input type hint of a predict function and the name of its input argument."""

    input_type_hint: Any
    input_param_name: str


class _TypeHints:
    """Input and output type hints of a predict function."""

    def __init__(self, input_=None, output=None):
        self.input = input_
        self.output = output

    def __repr__(self) -> str:
        return f"<input: {self.input}, output: {self.output}>"


def _check(value, hint) -> str | None:
    if hint is Any or hint is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        if not isinstance(value, list):
            return f"Expected list, but got {type(value).__name__}"
        for item in value:
            error = _check(item, args[0]) if args else None
            if error:
                return error
        return None
    if origin is dict:
        if not isinstance(value, dict):
            return f"Expected dict, but got {type(value).__name__}"
        return None
    if isinstance(hint, type) and not isinstance(value, hint):
        return f"Expected type {hint.__name__}, but got {type(value).__name__}"
    return None


def _validate_model_input(args, kwargs, model_input_index_in_sig, type_hint,
                          model_input_param_name):
    """(args, kwargs) with the model input checked against ``type_hint``."""
    import sys

    if model_input_param_name in kwargs:
        value, where = kwargs[model_input_param_name], "kwargs"
    elif len(args) > model_input_index_in_sig:
        value, where = args[model_input_index_in_sig], model_input_index_in_sig
    else:
        return args, kwargs
    pd = sys.modules.get("pandas")
    if (pd is not None and isinstance(value, pd.DataFrame) and typing.get_origin(type_hint)
            is list and len(value.columns) == 1):
        value = value.iloc[:, 0].tolist()
    if typing.get_origin(type_hint) is list and not isinstance(value, list):
        raise MlflowException.invalid_parameter_value(
            f"Expected list, but got {type(value).__name__}")
    if typing.get_origin(type_hint) is list:
        item_hint = (typing.get_args(type_hint) or (Any,))[0]
        invalid = [(str(v), e) for v in value if (e := _check(v, item_hint))]
        if invalid:
            raise MlflowException.invalid_parameter_value(
                f"Failed to validate data against type hint `{type_hint}`, invalid elements: "
                f"{invalid}")
    if where == "kwargs":
        kwargs[model_input_param_name] = value
    else:
        args = args[:where] + (value,) + args[where + 1:]
    return args, kwargs


STAND_INS = {
    ("mlflow.pyfunc.utils.data_validation", "FuncInfo"): FuncInfo,
    ("mlflow.pyfunc.utils.data_validation", "_validate_model_input"): _validate_model_input,
    ("mlflow.models.signature", "_TypeHints"): _TypeHints,
}
