"""``PythonModel``, ``PythonModelContext``, and the loader of pickled Python models
(the flavour's ``loader_module`` ``mlflow.pyfunc.model``, served by
``aiomlflow.pyfunc.model._load_pyfunc``).

Unlike MLflow, defining a subclass does not wrap its ``predict``: the class keeps the
user's own function, so its pickle names nothing of aiomlflow and loads in MLflow too
(MLflow then validates the input against the type hints when the model predicts, as
aiomlflow does through the signature).
"""

from __future__ import annotations

import inspect
import os
from typing import Any

from ...exceptions import MlflowException

PYTHON_MODEL_FILE = "python_model.pkl"
CONFIG_KEY_ARTIFACTS = "artifacts"
CONFIG_KEY_PYTHON_MODEL = "python_model"
CONFIG_KEY_CLOUDPICKLE_VERSION = "cloudpickle_version"


class PythonModel:
    """A generic Python model: subclass it and implement ``predict`` (with or without
    the ``context`` argument; ``params`` optional), and ``load_context`` to load
    artifacts when the model is loaded."""

    def load_context(self, context) -> None:
        """Load what ``predict`` needs from ``context.artifacts`` (called once, on load)."""

    def predict(self, context, model_input, params: dict[str, Any] | None = None):
        """Evaluate ``model_input`` and return the predictions."""

    def predict_stream(self, context, model_input, params: dict[str, Any] | None = None):
        """Evaluate ``model_input`` and return an iterator of output chunks."""
        raise NotImplementedError()


class _FunctionPythonModel(PythonModel):
    """A PythonModel around a plain function given as ``python_model``."""

    def __init__(self, func, signature=None):
        self.signature = signature
        self.func = func

    def predict(self, model_input, params: dict[str, Any] | None = None):
        return self.func(model_input)


class PythonModelContext:
    """The artifacts (name → absolute local path) and model config a PythonModel sees."""

    def __init__(self, artifacts: dict, model_config: dict | None):
        self._artifacts = artifacts
        self._model_config = model_config

    @property
    def artifacts(self) -> dict:
        """``<name, absolute path>`` of the model's artifacts."""
        return self._artifacts

    @property
    def model_config(self) -> dict | None:
        """The model configuration given when the model was saved (or loaded)."""
        return self._model_config


def predict_function(python_model):
    """The function a PythonModel predicts with (the user's own, unwrapped)."""
    if isinstance(python_model, _FunctionPythonModel):
        return python_model.func
    predict = getattr(type(python_model), "predict", None)
    return inspect.unwrap(predict) if predict is not None else None


def takes_context(func) -> bool:
    """Whether ``predict`` takes a context argument first (MLflow's rule: a parameter
    named ``context``, or two arguments besides self and params)."""
    parameters = inspect.signature(func).parameters
    return "context" in parameters or len(
        [p for p in parameters if p not in ("self", "params")]) == 2


class PythonModelWrapper:
    """What PyFuncModel calls: ``predict(data, params)`` on a PythonModel."""

    def __init__(self, python_model: PythonModel, context: PythonModelContext, signature=None):
        self.python_model = python_model
        self.context = context
        self.signature = signature

    def _call(self, method: str, model_input, params):
        func = getattr(self.python_model, method)
        parameters = inspect.signature(func).parameters
        kwargs = {"params": params} if "params" in parameters else {}
        if takes_context(func):
            return func(self.context, model_input, **kwargs)
        return func(model_input, **kwargs)

    def predict(self, model_input, params: dict[str, Any] | None = None):
        return self._call("predict", model_input, params)

    def predict_stream(self, model_input, params: dict[str, Any] | None = None):
        return self._call("predict_stream", model_input, params)


def load_python_model(path: str, model_config: dict | None = None) -> PythonModelWrapper:
    """Load the pickled PythonModel of model directory ``path`` (its pyfunc flavour
    names the pickle and the artifacts), call its ``load_context``, and wrap it."""
    from ..models.mlmodel import Model
    from . import pickling

    meta = Model.load(os.path.join(path, "MLmodel"))
    conf = meta.flavors.get("python_function", {})
    pickled = conf.get(CONFIG_KEY_PYTHON_MODEL)
    if pickled is None:
        raise MlflowException(
            "Python model path was not specified in the model configuration",
            error_code="INVALID_PARAMETER_VALUE")
    python_model = pickling.load_file(os.path.join(path, pickled))
    artifacts = {name: os.path.abspath(os.path.join(path, entry["path"]))
                 for name, entry in (conf.get(CONFIG_KEY_ARTIFACTS) or {}).items()}
    context = PythonModelContext(artifacts, model_config)
    python_model.load_context(context)
    return PythonModelWrapper(python_model, context, meta.signature)


def _load_pyfunc(model_path: str, model_config: dict | None = None) -> PythonModelWrapper:
    """The pyfunc loader of pickled Python models (``loader_module: mlflow.pyfunc.model``)."""
    return load_python_model(model_path, model_config)


__all__ = ["PythonModel", "PythonModelContext"]
