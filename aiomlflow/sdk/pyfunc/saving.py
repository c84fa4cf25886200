"""``save_model`` and ``log_model`` of the pyfunc flavour (MLflow 3.17.2's layout).

A Python model directory holds ``python_model.pkl`` (cloudpickle; see pickling.py for
why it loads in MLflow too), ``artifacts/`` (the ``artifacts`` argument, copied),
``code/`` (``code_paths``), the input example files, the environment files and the
MLmodel file whose ``python_function`` flavour has ``loader_module:
mlflow.pyfunc.model``.  With ``loader_module`` (and ``data_path``) instead of a
``python_model``, the directory is a custom-loader pyfunc model.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys

from ...exceptions import MlflowException
from ..models import environment
from ..models.code_paths import copy_code_paths
from ..models.mlmodel import MLMODEL_FILE_NAME, Model
from . import python_model as pm

_logger = logging.getLogger("aiomlflow")

FLAVOR_NAME = "python_function"
PYTHON_VERSION = environment.PYTHON_VERSION


def get_default_pip_requirements() -> list[str]:
    """The requirements a pickled Python model needs besides mlflow: cloudpickle."""
    return [environment.pinned("cloudpickle")]


def get_default_conda_env() -> dict:
    """The conda environment of a Python model with the default requirements."""
    return environment.conda_env_dict([environment.mlflow_requirement()]
                                      + get_default_pip_requirements())


def add_to_model(model: Model, loader_module: str, data=None, code=None, conda_env=None,
                 python_env=None, model_config=None, model_code_path=None, **kwargs) -> Model:
    """Add the ``python_function`` flavour to ``model`` (MLflow's keys)."""
    params = dict(kwargs)
    params["loader_module"] = loader_module
    params["python_version"] = PYTHON_VERSION
    if code:
        params["code"] = code
    if data:
        params["data"] = data
    if conda_env or python_env:
        params["env"] = {}
        if conda_env:
            params["env"]["conda"] = conda_env
        if python_env:
            params["env"]["virtualenv"] = python_env
    if model_config:
        params["config"] = model_config  # (MLflow's key for the model config)
    if model_code_path:
        params["model_code_path"] = model_code_path
    return model.add_flavor(FLAVOR_NAME, **params)


def _refuse(**given) -> None:
    for name, value in given.items():
        if value not in (None, False):
            raise MlflowException(
                f"pyfunc: `{name}` is not supported by aiomlflow (it needs MLflow's "
                "dependency capture or uv tooling, which aiomlflow does not implement).",
                error_code="INVALID_PARAMETER_VALUE")


def _prepare_dir(path: str) -> str:
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and any(os.scandir(path)):
        raise MlflowException(f"Path '{path}' already exists and is not empty",
                              error_code="RESOURCE_ALREADY_EXISTS")
    os.makedirs(path, exist_ok=True)
    return path


def _copy_artifacts(path: str, artifacts: dict) -> dict:
    from ..models.model_loading import download_model

    if not isinstance(artifacts, dict):
        raise MlflowException.invalid_parameter_value(
            f"`artifacts` must be a dict of name → URI, got {type(artifacts).__name__}")
    config = {}
    root = os.path.join(path, "artifacts")
    for name, uri in artifacts.items():
        if str(uri).startswith("hf:/"):
            raise MlflowException.invalid_parameter_value(
                f"Artifact {name!r}: Hugging Face Hub URIs ({uri}) are not supported by "
                "aiomlflow")
        local = download_model(os.fspath(uri))
        relative = os.path.basename(os.path.normpath(local))
        destination = os.path.join(root, relative)
        if os.path.lexists(destination):
            raise MlflowException.invalid_parameter_value(
                f"Cannot save artifact {name!r} because destination "
                f"'artifacts/{relative}' already exists.")
        os.makedirs(root, exist_ok=True)
        if os.path.isdir(local):
            shutil.copytree(local, destination)
        else:
            shutil.copy2(local, destination)
        config[name] = {"path": f"artifacts/{relative}", "uri": str(uri)}
    return config


def _load_config(model_config):
    if model_config is None or isinstance(model_config, dict):
        return model_config
    path = os.fspath(model_config)
    if not os.path.isfile(path):
        raise MlflowException.invalid_parameter_value(
            f"Model config path '{path}' does not exist.")
    with open(path) as f:
        if path.endswith(".json"):
            import json

            return json.load(f)
        from ..models.mlmodel import _yaml

        return _yaml().safe_load(f)


def _signature(python_model, signature, input_example, model_config, artifacts_config, path):
    """The signature MLflow 3.17.2 records: the given one, else the predict function's
    ``list[...]`` type hints, else inferred from the input example and the model's
    output on it."""
    from ..models.input_example import split_example
    from ..models.signature import infer_signature, signature_from_type_hints

    if signature is not None:
        return signature
    hinted = signature_from_type_hints(pm.predict_function(python_model))
    if hinted is not None:
        return hinted
    if input_example is None:
        return None
    model_input, params = split_example(input_example)
    output = None
    try:
        artifacts = {name: os.path.join(path, entry["path"])
                     for name, entry in artifacts_config.items()}
        context = pm.PythonModelContext(artifacts, model_config)
        python_model.load_context(context)
        output = pm.PythonModelWrapper(python_model, context).predict(model_input, params)
    except Exception as exc:
        _logger.warning("Failed to run the model on the input example to infer its output "
                        "schema: %s", exc)
    try:
        return infer_signature(model_input, output, params)
    except Exception as exc:
        _logger.warning("Failed to infer the model signature from the input example: %s", exc)
        return None


def save_model(path, loader_module=None, data_path=None, code_paths=None,
               infer_code_paths=False, conda_env=None, mlflow_model=None, python_model=None,
               artifacts=None, signature=None, input_example=None, pip_requirements=None,
               extra_pip_requirements=None, metadata=None, model_config=None,
               streamable=None, resources=None, auth_policy=None, uv_project_path=None,
               uv_groups=None, uv_extras=None, **kwargs) -> None:
    """Save a pyfunc model (a ``python_model``, or a ``loader_module`` with its
    ``data_path``) as an MLflow model directory at local ``path``."""
    from ..models.input_example import save_input_example

    _refuse(infer_code_paths=infer_code_paths, resources=resources, auth_policy=auth_policy,
            uv_project_path=uv_project_path, uv_groups=uv_groups, uv_extras=uv_extras)
    if kwargs:
        raise TypeError(f"save_model() got unexpected keyword arguments {sorted(kwargs)}")
    if python_model is None and loader_module is None:
        raise MlflowException(
            "Either `loader_module` or `python_model` must be specified. A `loader_module` "
            "should be a python module. A `python_model` should be a subclass of PythonModel",
            error_code="INVALID_PARAMETER_VALUE")
    if python_model is not None and loader_module is not None:
        raise MlflowException(
            "The following sets of parameters cannot be specified together: ['loader_module', "
            "'data_path'] and ['python_model', 'artifacts']. All parameters in one set must "
            "be `None`.", error_code="INVALID_PARAMETER_VALUE")
    if python_model is not None:
        if isinstance(python_model, (str, os.PathLike)):
            raise MlflowException(
                "Models from code (`python_model` as a file path with set_model()) are not "
                f"supported by aiomlflow: {os.fspath(python_model)!r}",
                error_code="INVALID_PARAMETER_VALUE")
        if not isinstance(python_model, pm.PythonModel) and not _is_mlflow_python_model(
                python_model):
            if not callable(python_model):
                raise MlflowException(
                    "`python_model` must be a PythonModel instance, callable object, or path "
                    "to a script that uses set_model() to set a PythonModel instance or "
                    "callable object.", error_code="INVALID_PARAMETER_VALUE")
            if input_example is None and pip_requirements is None and (
                    extra_pip_requirements is None):
                raise MlflowException(
                    "If `python_model` is a callable object, at least one of `input_example`, "
                    "`pip_requirements`, or `extra_pip_requirements` must be specified.")
            python_model = pm._FunctionPythonModel(python_model, signature)
    path = _prepare_dir(path)
    mlflow_model = mlflow_model if mlflow_model is not None else Model()
    model_config = _load_config(model_config)
    if metadata is not None:
        mlflow_model.metadata = metadata
    if input_example is not None:
        save_input_example(mlflow_model, input_example, path)
    if python_model is not None:
        _save_python_model(path, mlflow_model, python_model, artifacts or {}, signature,
                           input_example, model_config, streamable, code_paths)
        defaults = get_default_pip_requirements()
    else:
        if signature is not None:
            mlflow_model.signature = signature
        data = None
        if data_path is not None:
            data = os.path.basename(os.path.normpath(os.fspath(data_path)))
            target = os.path.join(path, data)
            if os.path.isdir(data_path):
                shutil.copytree(data_path, target)
            else:
                shutil.copy2(data_path, target)
        code = copy_code_paths(code_paths, path)
        add_to_model(mlflow_model, loader_module, data=data, code=code,
                     conda_env=environment.CONDA_ENV_FILE_NAME,
                     python_env=environment.PYTHON_ENV_FILE_NAME, model_config=model_config)
        _set_size(mlflow_model, path)
        mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))
        defaults = []
    environment.write_environment(path, default_pip_requirements=defaults,
                                  pip_requirements=pip_requirements,
                                  extra_pip_requirements=extra_pip_requirements,
                                  conda_env=conda_env)


def _is_mlflow_python_model(obj) -> bool:
    """An instance of real MLflow's PythonModel (accepted as ours)."""
    real = sys.modules.get("mlflow.pyfunc.model")
    return real is not None and isinstance(obj, getattr(real, "PythonModel", ()))


def _set_size(mlflow_model: Model, path: str) -> None:
    from ..models.mlmodel import directory_size

    size = directory_size(path)
    if size:
        mlflow_model.model_size_bytes = size


def _save_python_model(path, mlflow_model, python_model, artifacts, signature, input_example,
                       model_config, streamable, code_paths) -> None:
    from ...utils.optional import require
    from . import pickling

    try:
        data = pickling.dumps(python_model)
    except Exception as exc:
        raise MlflowException(
            "Failed to serialize Python model. Please save the model into a python file and "
            "use code-based logging method instead. See https://mlflow.org/docs/latest/"
            "models.html#models-from-code for more information.",
            error_code="INVALID_PARAMETER_VALUE") from exc
    with open(os.path.join(path, pm.PYTHON_MODEL_FILE), "wb") as f:
        f.write(data)
    cloudpickle = require("cloudpickle", "Python models")
    params = {pm.CONFIG_KEY_CLOUDPICKLE_VERSION: cloudpickle.__version__,
              pm.CONFIG_KEY_PYTHON_MODEL: pm.PYTHON_MODEL_FILE}
    artifacts_config = _copy_artifacts(path, artifacts) if artifacts else {}
    if artifacts_config:
        params[pm.CONFIG_KEY_ARTIFACTS] = artifacts_config
    mlflow_model.signature = _signature(python_model, signature, input_example, model_config,
                                        artifacts_config, path)
    if streamable is None:
        streamable = type(python_model).predict_stream is not pm.PythonModel.predict_stream
    add_to_model(mlflow_model, "mlflow.pyfunc.model", code=None,
                 conda_env=environment.CONDA_ENV_FILE_NAME,
                 python_env=environment.PYTHON_ENV_FILE_NAME, model_config=model_config,
                 streamable=streamable, **params)
    _set_size(mlflow_model, path)
    mlflow_model.flavors[FLAVOR_NAME]["code"] = copy_code_paths(code_paths, path)
    mlflow_model.save(os.path.join(path, MLMODEL_FILE_NAME))


def log_model(artifact_path=None, loader_module=None, data_path=None, code_paths=None,
              infer_code_paths=False, conda_env=None, python_model=None, artifacts=None,
              registered_model_name=None, signature=None, input_example=None,
              await_registration_for=300, pip_requirements=None, extra_pip_requirements=None,
              metadata=None, model_config=None, streamable=None, resources=None,
              auth_policy=None, uv_project_path=None, uv_groups=None, uv_extras=None,
              prompts=None, name=None, params=None, tags=None, model_type=None, step=0,
              model_id=None):
    """Log a pyfunc model as a LoggedModel (of the active run, if any) and return its
    ModelInfo; the model is READY with its files stored when this returns."""
    from ..models.model_logging import log_model as log_any

    return log_any(
        save_model, name=name, artifact_path=artifact_path,
        registered_model_name=registered_model_name,
        await_registration_for=await_registration_for, params=params, tags=tags,
        model_type=model_type, step=step, model_id=model_id, metadata=metadata,
        resources=resources, auth_policy=auth_policy, prompts=prompts,
        flavor_name="mlflow.pyfunc", loader_module=loader_module, data_path=data_path,
        code_paths=code_paths, infer_code_paths=infer_code_paths, conda_env=conda_env,
        python_model=python_model, artifacts=artifacts, signature=signature,
        input_example=input_example, pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements, model_config=model_config,
        streamable=streamable, uv_project_path=uv_project_path, uv_groups=uv_groups,
        uv_extras=uv_extras)


__all__ = ["add_to_model", "get_default_conda_env", "get_default_pip_requirements",
           "log_model", "save_model"]
