"""Input examples saved beside a model, as MLflow 3.17.2 saves them.

``input_example.json`` holds the example (a DataFrame in pandas' ``split`` orient
without its index; an array or a dict of arrays as nested lists; anything else as
JSON), ``serving_input_example.json`` the request a model server takes
(``{"dataframe_split": ...}`` or ``{"inputs": ...}``, indented), and the MLmodel's
``saved_input_example_info`` says which.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys

import numpy as np

from ...exceptions import MlflowException

EXAMPLE_FILE = "input_example.json"
SERVING_FILE = "serving_input_example.json"


def _jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (bytes, bytearray)):
        import base64

        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _frame_split(frame) -> dict:
    data = json.loads(frame.to_json(orient="split", date_format="iso"))
    data.pop("index", None)
    return data


def example_payload(input_example) -> tuple[str, object, dict]:
    """(type, input_example.json content, serving request) of an example."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(input_example, pd.Series):
        input_example = input_example.to_frame()
    if pd is not None and isinstance(input_example, pd.DataFrame):
        split = _frame_split(input_example)
        return "dataframe", split, {"dataframe_split": split}
    if isinstance(input_example, np.ndarray) or (
            isinstance(input_example, dict) and input_example
            and all(isinstance(v, np.ndarray) for v in input_example.values())):
        content = _jsonable(input_example)
        return "ndarray", content, {"inputs": content}
    if isinstance(input_example, tuple):
        raise MlflowException.invalid_parameter_value(
            "Input examples with inference params (a tuple of input and params) are not "
            "supported by aiomlflow yet: pass the input alone and give the params in the "
            "signature.")
    try:
        content = _jsonable(input_example)
        json.dumps(content)
    except TypeError as exc:
        raise MlflowException.invalid_parameter_value(
            f"Failed to serialize input example of type {type(input_example).__name__!r}: "
            f"{exc}") from exc
    return "json_object", content, {"inputs": content}


def save_input_example(mlflow_model, input_example, path) -> None:
    """Write the example's files into the model directory ``path`` and record them in
    ``mlflow_model.saved_input_example_info``."""
    kind, content, serving = example_payload(input_example)
    path = os.fspath(path)
    with open(os.path.join(path, EXAMPLE_FILE), "w") as f:
        json.dump(content, f)
    with open(os.path.join(path, SERVING_FILE), "w") as f:
        json.dump(serving, f, indent=2)
    info = {"artifact_path": EXAMPLE_FILE, "type": kind}
    if kind == "dataframe":
        info["pandas_orient"] = "split"
    info["serving_input_path"] = SERVING_FILE
    mlflow_model.saved_input_example_info = info


def load_input_example(mlflow_model, path: str | None):
    """The example saved with the model in directory ``path`` (None without one)."""
    info = mlflow_model.saved_input_example_info
    if info is None:
        return None
    with open(os.path.join(path or ".", info["artifact_path"])) as f:
        content = json.load(f)
    kind = info.get("type")
    if kind == "dataframe":
        import pandas as pd

        return pd.DataFrame(content["data"], columns=content["columns"])
    if kind == "ndarray":
        if isinstance(content, dict):
            return {k: np.array(v) for k, v in content.items()}
        return np.array(content)
    return content


def load_serving_example(mlflow_model, path: str) -> str | None:
    """The serving request saved with the model (None without one)."""
    info = mlflow_model.saved_input_example_info
    if not info or "serving_input_path" not in info:
        return None
    with open(os.path.join(path, info["serving_input_path"])) as f:
        return f.read()


def parse_serving_input(serving_input) -> tuple[object, dict | None]:
    """(model input, params) of a model-server request body (a JSON string or dict):
    ``dataframe_split``, ``dataframe_records``, ``instances`` or ``inputs``."""
    payload = json.loads(serving_input) if isinstance(serving_input, (str, bytes)) \
        else dict(serving_input)
    params = payload.pop("params", None)
    keys = [k for k in ("dataframe_split", "dataframe_records", "instances", "inputs")
            if k in payload]
    if len(keys) != 1 or payload.keys() - set(keys):
        raise MlflowException.invalid_parameter_value(
            "Invalid input. The input must contain exactly one of the keys 'dataframe_split', "
            "'dataframe_records', 'instances' or 'inputs' (and optionally 'params'), got "
            f"{sorted(payload)}")
    key = keys[0]
    value = payload[key]
    if key.startswith("dataframe"):
        import pandas as pd

        if key == "dataframe_records":
            return pd.DataFrame(value), params
        return pd.DataFrame(value["data"], columns=value.get("columns"),
                            index=value.get("index")), params
    if isinstance(value, list) and value and all(isinstance(v, (int, float, list))
                                                 for v in value):
        return np.array(value), params
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
        return {k: np.array(v) for k, v in value.items()}, params
    return value, params


def signature_from_example(input_example, model_output=None):
    """The signature MLflow infers from an example: its inputs and, when the model's
    output on it is known, its outputs."""
    from .signature import infer_signature

    return infer_signature(input_example, model_output)


__all__ = ["load_input_example", "save_input_example", "signature_from_example"]
