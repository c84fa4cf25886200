"""The ``sklearn`` model flavour: save_model, log_model, load_model, _load_pyfunc.

The model directory is MLflow 3.17.2's: ``MLmodel`` with the ``sklearn`` and
``python_function`` flavours (``loader_module: mlflow.sklearn``, so real MLflow loads
it), the model file (``model.skops`` or ``model.pkl``), the environment files, and the
input example.  Pip requirements are the flavour's defaults (scikit-learn and the
serializer, pinned), not inferred in a subprocess.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys

from ....exceptions import MlflowException
from ....utils.optional import require
from ..code_paths import copy_code_paths
from . import serialization
from .serialization import (CLOUDPICKLE, PICKLE, SKOPS, SUPPORTED_FORMATS,
                            CustomModelPicklingError)

FLAVOR_NAME = "sklearn"
PYFUNC_FLAVOR = "python_function"
_logger = logging.getLogger("aiomlflow")
_EXTRA_FEATURE = "aiomlflow.sklearn"


def _sklearn():
    return require("sklearn", _EXTRA_FEATURE)


def default_serialization_format() -> str:
    """skops, except cloudpickle against a Databricks tracking URI (as MLflow)."""
    from ...tracking_uri import get_tracking_uri

    uri = get_tracking_uri() or ""
    return CLOUDPICKLE if uri.startswith("databricks") else SKOPS


def get_default_pip_requirements(include_cloudpickle=False, include_skops=False) -> list[str]:
    """scikit-learn, and the serializer the model needs, pinned to the installed versions."""
    from ..environment import pinned

    requirements = [pinned("scikit-learn")]
    if include_cloudpickle:
        requirements.append(pinned("cloudpickle"))
    if include_skops:
        requirements.append(pinned("skops"))
    return requirements


def get_default_conda_env(include_cloudpickle=False, include_skops=False) -> dict:
    """The conda environment of the default pip requirements."""
    from ..environment import conda_env_dict, mlflow_requirement

    return conda_env_dict([mlflow_requirement()] + get_default_pip_requirements(
        include_cloudpickle, include_skops))


class SklearnModelWrapper:
    """The pyfunc face of a scikit-learn model: ``predict(data, params=None)``, and the
    model's own predict_proba / predict_log_proba / predict_joint_log_proba / score."""

    _CUSTOM_PREDICT_FNS = ("predict_proba", "predict_log_proba", "predict_joint_log_proba",
                           "score")

    def __init__(self, sklearn_model):
        self.sklearn_model = sklearn_model
        for name in self._CUSTOM_PREDICT_FNS:
            function = getattr(sklearn_model, name, None)
            if function is not None:
                setattr(self, name, function)

    def get_raw_model(self):
        """The scikit-learn model."""
        return self.sklearn_model

    def predict(self, data, params=None):
        """The model's predictions for ``data``."""
        return self.sklearn_model.predict(data)


def _prepare_directory(path: str) -> None:
    if os.path.exists(path) and any(os.scandir(path)):
        raise MlflowException(f"Path '{path}' already exists and is not empty",
                              error_code="RESOURCE_ALREADY_EXISTS")
    os.makedirs(path, exist_ok=True)


def _copy_extra_files(extra_files, path: str) -> dict:
    if not extra_files:
        return {}
    if not isinstance(extra_files, list):
        raise TypeError("Extra files argument should be a list")
    target = os.path.join(path, "extra_files")
    os.makedirs(target, exist_ok=True)
    entries = []
    for extra in extra_files:
        source = os.fspath(extra)
        if source.startswith("file://"):
            source = source[len("file://"):]
        shutil.copy2(source, os.path.join(target, os.path.basename(source)))
        entries.append({"path": f"extra_files/{os.path.basename(source)}"})
    return {"extra_files": entries}


def _directory_size(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def save_model(sk_model, path, conda_env=None, code_paths=None, mlflow_model=None,
               serialization_format=None, signature=None, input_example=None,
               pip_requirements=None, extra_pip_requirements=None, pyfunc_predict_fn="predict",
               metadata=None, skops_trusted_types=None, extra_files=None) -> None:
    """Save a scikit-learn model as an MLflow Model directory at ``path``."""
    sklearn = _sklearn()
    from ..environment import write_environment
    from ..input_example import save_input_example
    from ..mlmodel import Model

    path = os.path.abspath(os.fspath(path))
    _check_env_arguments(conda_env, pip_requirements, extra_pip_requirements)
    if serialization_format is None:
        serialization_format = default_serialization_format()
    serialization.check_format(serialization_format)
    if serialization_format != SKOPS:
        _logger.warning(
            "Saving scikit-learn models in the pickle or cloudpickle format requires exercising "
            "caution because these formats rely on Python's object serialization mechanism, "
            "which can execute arbitrary code during deserialization. The recommended safe "
            "alternative is the 'skops' format. For more information, see: "
            "https://scikit-learn.org/stable/model_persistence.html")
    _prepare_directory(path)
    code_dir = copy_code_paths(code_paths, path)
    if mlflow_model is None:
        mlflow_model = Model()
    saved_example = None
    if input_example is not None:
        save_input_example(mlflow_model, input_example, path)
        saved_example = input_example
    if signature is None and saved_example is not None:
        signature = _signature_from_example(sk_model, saved_example, pyfunc_predict_fn)
    elif signature is False:
        signature = None
    if signature is not None:
        mlflow_model.signature = signature
    if metadata is not None:
        mlflow_model.metadata = metadata

    data_file = serialization.data_file(serialization_format)
    serialization.dump(sk_model, os.path.join(path, data_file), serialization_format,
                       skops_trusted_types)
    extra_config = _copy_extra_files(extra_files, path)
    if hasattr(sk_model, pyfunc_predict_fn):
        from ...pyfunc.saving import add_to_model

        add_to_model(mlflow_model, loader_module="mlflow.sklearn", model_path=data_file,
                     conda_env="conda.yaml", python_env="python_env.yaml", code=code_dir,
                     predict_fn=pyfunc_predict_fn)
    else:
        _logger.warning(f"Model was missing function: {pyfunc_predict_fn}. Not logging "
                        "python_function flavor!")
    mlflow_model.add_flavor(FLAVOR_NAME, pickled_model=data_file,
                            sklearn_version=sklearn.__version__,
                            serialization_format=serialization_format, code=code_dir,
                            skops_trusted_types=skops_trusted_types, **extra_config)
    size = _directory_size(path)
    if size:
        mlflow_model.model_size_bytes = size
    mlflow_model.save(os.path.join(path, "MLmodel"))
    write_environment(path, default_pip_requirements=get_default_pip_requirements(
        include_cloudpickle=serialization_format == CLOUDPICKLE,
        include_skops=serialization_format == SKOPS) if pip_requirements is None else None,
        pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
        conda_env=conda_env)


def _check_env_arguments(conda_env, pip_requirements, extra_pip_requirements) -> None:
    given = [conda_env is not None, pip_requirements is not None,
             extra_pip_requirements is not None]
    if sum(given) > 1:
        raise ValueError("Only one of `conda_env`, `pip_requirements`, and "
                         "`extra_pip_requirements` can be specified")


def _signature_from_example(sk_model, example, predict_fn: str):
    """As MLflow: the signature of the example and the model's output on it; None when
    the model cannot predict on it (with a warning)."""
    from ..signature import infer_signature
    try:
        output = SklearnModelWrapper(sk_model).predict(example)
        return infer_signature(example, output)
    except Exception as exc:
        _logger.warning("Failed to infer the model signature from the input example. Reason: "
                        "%s. To see the full traceback, set the logging level to DEBUG via "
                        "`logging.getLogger(\"mlflow\").setLevel(logging.DEBUG)`.", exc)
        return None


def log_model(sk_model, artifact_path=None, conda_env=None, code_paths=None,
              serialization_format=None, registered_model_name=None, signature=None,
              input_example=None, await_registration_for=300, pip_requirements=None,
              extra_pip_requirements=None, pyfunc_predict_fn="predict", metadata=None,
              extra_files=None, params=None, tags=None, model_type=None, step=0,
              model_id=None, name=None, skops_trusted_types=None, **kwargs):
    """Log a scikit-learn model as a logged model of the active run; its ModelInfo."""
    from ..model_logging import log_model as log_any_model

    if serialization_format is None:
        serialization_format = default_serialization_format()
    return log_any_model(
        save_model, flavor_name="mlflow.sklearn", name=name, artifact_path=artifact_path,
        registered_model_name=registered_model_name,
        await_registration_for=await_registration_for, params=params, tags=tags,
        model_type=model_type, step=step, model_id=model_id, sk_model=sk_model,
        conda_env=conda_env, code_paths=code_paths, serialization_format=serialization_format,
        signature=signature, input_example=input_example, pip_requirements=pip_requirements,
        extra_pip_requirements=extra_pip_requirements, pyfunc_predict_fn=pyfunc_predict_fn,
        metadata=metadata, extra_files=extra_files, skops_trusted_types=skops_trusted_types,
        **kwargs)


def _flavor_conf(model_dir: str, flavor: str) -> dict:
    from ..mlmodel import Model

    mlmodel_path = os.path.join(model_dir, "MLmodel")
    if not os.path.exists(mlmodel_path):
        raise MlflowException(f'Could not find an "MLmodel" configuration file at "{model_dir}"',
                              error_code="RESOURCE_DOES_NOT_EXIST")
    flavors = Model.load(mlmodel_path).flavors
    if flavor not in flavors:
        raise MlflowException(f'Model does not have the "{flavor}" flavor',
                              error_code="RESOURCE_DOES_NOT_EXIST")
    return flavors[flavor]


def _add_code_to_path(model_dir: str, conf: dict) -> None:
    code = conf.get("code")
    if not code:
        return
    code_dir = os.path.join(model_dir, code)
    for entry in os.listdir(code_dir):
        location = os.path.join(code_dir, entry)
        if location.endswith(".py") or os.path.isdir(location):
            if code_dir not in sys.path:
                sys.path.insert(0, code_dir)
            break


def load_model(model_uri, dst_path=None):
    """Load a scikit-learn model from a local path or a model URI (``runs:/``,
    ``models:/``, ...)."""
    from ..model_loading import download_model

    local = download_model(model_uri, dst_path)
    conf = _flavor_conf(local, FLAVOR_NAME)
    _add_code_to_path(local, conf)
    return serialization.load(os.path.join(local, conf["pickled_model"]),
                              conf.get("serialization_format", PICKLE),
                              conf.get("skops_trusted_types"))


def _load_pyfunc(path):
    """The pyfunc implementation of a model directory (or its model file)."""
    model_dir = os.path.dirname(path) if os.path.isfile(path) else path
    try:
        conf = _flavor_conf(model_dir, FLAVOR_NAME)
        serialization_format = conf.get("serialization_format", PICKLE)
        trusted = conf.get("skops_trusted_types")
    except MlflowException:
        _logger.warning("Could not find scikit-learn flavor configuration during model loading "
                        "process. Assuming 'pickle' serialization format.")
        serialization_format, trusted = PICKLE, None
    if not os.path.isfile(path):
        path = os.path.join(path, _flavor_conf(path, PYFUNC_FLAVOR)["model_path"])
    return SklearnModelWrapper(serialization.load(path, serialization_format, trusted))


__all__ = ["CLOUDPICKLE", "FLAVOR_NAME", "PICKLE", "SKOPS", "SUPPORTED_FORMATS",
           "CustomModelPicklingError", "get_default_conda_env", "get_default_pip_requirements",
           "load_model", "log_model", "save_model"]
