"""``load_model`` and ``PyFuncModel``: any MLflow model with a ``python_function``
flavour, from any model URI.

The flavour's ``loader_module`` names an MLflow module (``mlflow.pyfunc.model``,
``mlflow.sklearn``...).  It resolves to aiomlflow's module of the same path
(``aiomlflow.pyfunc.model``, ``aiomlflow.sklearn``) when there is one, else to the
real module when MLflow is installed, else a clear error; its ``_load_pyfunc(path[,
model_config])`` returns the object that predicts.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import sys
from typing import Any

from ...exceptions import MlflowException
from ..models.mlmodel import MLMODEL_FILE_NAME, Model

_logger = logging.getLogger("aiomlflow")
FLAVOR_NAME = "python_function"


def loader(module_name: str):
    """The module that loads a flavour whose MLmodel names ``module_name``."""
    candidates = [module_name]
    if module_name == "mlflow" or module_name.startswith("mlflow."):
        candidates.insert(0, "aiomlflow" + module_name[len("mlflow"):])
    for name in candidates:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "_load_pyfunc"):
            return module
    raise MlflowException(
        f"Cannot load this model: its loader module {module_name!r} is provided neither by "
        f"aiomlflow ({candidates[0]!r}) nor by an installed package.",
        error_code="INVALID_PARAMETER_VALUE")


class PyFuncModel:
    """A model loaded as a python function: ``predict(data, params=None)`` with the
    model's signature enforced, as MLflow's PyFuncModel."""

    def __init__(self, model_meta: Model, model_impl: Any, predict_fn: str = "predict",
                 predict_stream_fn: str | None = None, model_id: str | None = None):
        if not hasattr(model_impl, predict_fn):
            raise MlflowException(f"Model implementation is missing required {predict_fn} "
                                  "method.")
        if not model_meta:
            raise MlflowException("Model is missing metadata.")
        self._model_meta = model_meta
        self._model_impl = model_impl
        self._predict_fn = getattr(model_impl, predict_fn)
        self._predict_stream_fn = (getattr(model_impl, predict_stream_fn)
                                   if predict_stream_fn else None)
        self._model_id = model_id
        self._input_example = None

    def _call(self, fn, data, params):
        from ..models.enforcement import enforce_input, enforce_params

        signature = self._model_meta.signature
        data = enforce_input(data, signature)
        params = enforce_params(params, signature)
        if "params" in inspect.signature(fn).parameters:
            return fn(data, params=params)
        if params:
            _logger.warning("The underlying model does not support passing additional "
                            "parameters to the predict function. `params` %s will be ignored.",
                            params)
        return fn(data)

    def predict(self, data, params: dict[str, Any] | None = None):
        """Predictions for ``data`` (converted to the input schema first)."""
        return self._call(self._predict_fn, data, params)

    def predict_stream(self, data, params: dict[str, Any] | None = None):
        """An iterator of output chunks for ``data`` (streamable models only)."""
        if self._predict_stream_fn is None:
            raise MlflowException("This model does not support predict_stream method.")
        return self._call(self._predict_stream_fn, data, params)

    def unwrap_python_model(self):
        """The user's PythonModel instance behind this model."""
        try:
            python_model = self._model_impl.python_model
        except AttributeError as exc:
            raise MlflowException("Unable to retrieve base model object from pyfunc.") from exc
        if python_model is None:
            raise MlflowException("Unable to retrieve base model object from pyfunc.")
        return python_model

    def get_raw_model(self):
        """The underlying model object of the flavour."""
        return getattr(self._model_impl, "get_raw_model", lambda: self._model_impl)()

    @property
    def metadata(self) -> Model:
        """The model's MLmodel metadata."""
        if self._model_meta is None:
            raise MlflowException("Model is missing metadata.")
        return self._model_meta

    @property
    def model_id(self) -> str | None:
        """The id of the LoggedModel this model was logged as (None if saved only)."""
        return self._model_id

    @property
    def model_config(self) -> dict:
        """The model configuration (empty when there is none)."""
        return self._model_meta.flavors.get(FLAVOR_NAME, {}).get("config") or {}

    @property
    def loader_module(self) -> str | None:
        """The flavour's loader module, as the MLmodel names it."""
        return self._model_meta.flavors.get(FLAVOR_NAME, {}).get("loader_module")

    @property
    def input_example(self):
        """The input example saved with the model, or None."""
        return self._input_example

    @input_example.setter
    def input_example(self, value) -> None:
        self._input_example = value

    def __repr__(self) -> str:
        info = {}
        if self._model_meta is not None:
            if getattr(self._model_meta, "run_id", None) is not None:
                info["run_id"] = self._model_meta.run_id
            if getattr(self._model_meta, "artifact_path", None) is not None:
                info["artifact_path"] = self._model_meta.artifact_path
            info["flavor"] = self.loader_module
        from ..models.mlmodel import _yaml

        return _yaml().safe_dump({"mlflow.pyfunc.loaded_model": info}, default_flow_style=False)


def _config(conf: dict, model_config) -> dict | None:
    from .saving import _load_config

    model_config = _load_config(model_config)
    saved = conf.get("config")
    if saved and model_config:
        return {**saved, **model_config}
    return model_config or saved


def _add_code_to_path(local_path: str, conf: dict) -> None:
    code = conf.get("code")
    if not code:
        return
    code_dir = os.path.join(local_path, code)
    if os.path.isdir(code_dir):
        for entry in [code_dir] + [os.path.join(code_dir, e) for e in os.listdir(code_dir)]:
            if entry not in sys.path:
                sys.path.insert(0, entry)


def load_model(model_uri: str, suppress_warnings: bool = False, dst_path: str | None = None,
               model_config=None) -> PyFuncModel:
    """Load a model with a ``python_function`` flavour from ``model_uri`` (a local path,
    ``runs:/``, ``models:/`` or artifact URI) as a PyFuncModel."""
    from ..models.model_loading import download_model

    local_path = download_model(model_uri, dst_path)
    meta = Model.load(os.path.join(local_path, MLMODEL_FILE_NAME))
    if meta.metadata and meta.metadata.get("mlflow.model.isExternal", False) is True:
        raise MlflowException(
            "This model's artifacts are external and are not stored in the model directory. "
            "This model cannot be loaded with MLflow.", error_code="BAD_REQUEST")
    conf = meta.flavors.get(FLAVOR_NAME)
    if conf is None:
        raise MlflowException(f'Model does not have the "{FLAVOR_NAME}" flavor',
                              error_code="RESOURCE_DOES_NOT_EXIST")
    if not suppress_warnings:
        _warn_python_version(conf.get("python_version"))
    _add_code_to_path(local_path, conf)
    data_path = os.path.join(local_path, conf["data"]) if "data" in conf else local_path
    config = _config(conf, model_config)
    module = loader(conf["loader_module"])
    impl = module._load_pyfunc(data_path, config) if config else module._load_pyfunc(data_path)
    predict_stream_fn = (conf.get("predict_stream_fn", "predict_stream")
                         if conf.get("streamable", False) else None)
    model = PyFuncModel(meta, impl, conf.get("predict_fn", "predict"), predict_stream_fn,
                        model_id=meta.model_id)
    try:
        model.input_example = meta.load_input_example(local_path)
    except Exception as exc:
        _logger.debug("Failed to load input example from model metadata: %s.", exc)
    return model


def _warn_python_version(version: str | None) -> None:
    from ..models.environment import PYTHON_VERSION

    if version is None:
        _logger.warning("The specified model does not have a specified Python version. It may "
                        "be incompatible with the version of Python that is currently running: "
                        "Python %s", PYTHON_VERSION)
    elif version.split(".")[:2] != PYTHON_VERSION.split(".")[:2]:
        _logger.warning("The version of Python that the model was saved in, `Python %s`, "
                        "differs from the version of Python that is currently running, "
                        "`Python %s`, and may be incompatible", version, PYTHON_VERSION)


def get_model_dependencies(model_uri: str, format: str = "pip") -> str:  # noqa: A002
    """The local path of the model's requirements.txt (``format="pip"``) or conda.yaml
    (``format="conda"``)."""
    from ..models.model_loading import download_model

    if format not in ("pip", "conda"):
        raise MlflowException.invalid_parameter_value(f"Illegal format argument '{format}'.")
    local_path = download_model(model_uri)
    name = "requirements.txt" if format == "pip" else "conda.yaml"
    path = os.path.join(local_path, name)
    if not os.path.exists(path):
        raise MlflowException(f"The model at {model_uri!r} has no {name}",
                              error_code="RESOURCE_DOES_NOT_EXIST")
    return path


__all__ = ["PyFuncModel", "get_model_dependencies", "load_model"]
