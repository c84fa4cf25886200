"""``log_model`` for every flavour: one LoggedModel per call, its files through the
artifacts worker, finalized READY (FAILED on error), as MLflow 3.17.2's ``Model.log``.

Guarantee: ``log_model`` returns once the model's files are stored and the model is
READY, so everything that reads it afterwards (get_logged_model, load_model, search,
real MLflow) sees it complete.  The caller's time is the save (pickling, a few small
files) plus the upload; nothing spawns a subprocess (requirements are not inferred by
importing the model).  On any error the LoggedModel is FAILED and the error raised; no
local temporary files are left.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from typing import Callable

from ...exceptions import MlflowException

_logger = logging.getLogger("aiomlflow")


def _check_unsupported(resources, auth_policy, prompts) -> None:
    if resources is not None and auth_policy is not None:
        raise ValueError("Only one of `resources`, and `auth_policy` can be specified.")
    for name, value in (("resources", resources), ("auth_policy", auth_policy),
                        ("prompts", prompts)):
        if value is not None:
            raise MlflowException(
                f"log_model({name}=...) is not supported by aiomlflow: {name} describe "
                "Databricks serving resources and prompt-registry links, which aiomlflow "
                "does not implement.", error_code="INVALID_PARAMETER_VALUE")


def _record_run_output(client, run_id: str, run, model_id: str, step: int) -> None:
    """The run's model output (RUN_OUTPUT → MODEL_OUTPUT at ``step``), and the run's
    metrics already logged at that step linked to the model, as MLflow does."""
    from ... import entities
    from .. import fluent

    output = entities.LoggedModelOutput(model_id, step=step)
    client.log_outputs(run_id, [output])
    active = fluent.active_run()
    if active is not None and active.info.run_id == run_id:
        if active.outputs is None:
            active._outputs = entities.RunOutputs(model_outputs=[output])
        else:
            active.outputs.model_outputs.append(output)
    linked = []
    for key in run.data.metrics:
        for metric in client.get_metric_history(run_id, key):
            if metric.step == step and metric.model_id is None:
                linked.append(entities.Metric(
                    key=metric.key, value=metric.value, timestamp=metric.timestamp,
                    step=metric.step, dataset_name=metric.dataset_name,
                    dataset_digest=metric.dataset_digest, run_id=metric.run_id,
                    model_id=model_id))
    if linked:
        client.log_batch(run_id, metrics=linked)


def _flatten(config, prefix: str = "") -> dict:
    flat: dict = {}
    for key, value in config.items():
        name = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = value
    return flat


def _model_config_params(model_config) -> dict:
    """The model config (a dict, or a .json/.yaml file) as flat run params."""
    if isinstance(model_config, (str, os.PathLike)):
        path = os.fspath(model_config)
        ext = os.path.splitext(path)[1].lower()
        try:
            with open(path) as f:
                if ext == ".json":
                    import json

                    model_config = json.load(f)
                elif ext in (".yaml", ".yml"):
                    from .mlmodel import _yaml

                    model_config = _yaml().safe_load(f)
                else:
                    _logger.warning("Unsupported file format for model config: %s. Failed to "
                                    "load model config.", path)
                    return {}
        except Exception as exc:
            _logger.warning("Failed to load model config from %s: %s", path, exc)
            return {}
    return _flatten(model_config) if isinstance(model_config, dict) else {}


def _register(model_id: str, registered_model_name: str, await_registration_for,
              tags) -> object:
    import importlib

    try:
        registry = importlib.import_module("aiomlflow.sdk.registry")
        register = registry.register_model
    except (ImportError, AttributeError):
        raise MlflowException(
            "log_model(registered_model_name=...) needs the model registry "
            "(aiomlflow.sdk.registry.register_model), which is not available in this "
            "aiomlflow installation.", error_code="NOT_IMPLEMENTED") from None
    return register(f"models:/{model_id}", registered_model_name,
                    await_registration_for=await_registration_for, tags=tags)


def log_model(flavor_save: Callable, *, name: str | None = None,
              artifact_path: str | None = None, registered_model_name: str | None = None,
              await_registration_for: int = 300, params: dict | None = None,
              tags: dict | None = None, model_type: str | None = None, step: int = 0,
              model_id: str | None = None, metadata: dict | None = None,
              resources=None, auth_policy=None, prompts=None, flavor_name: str | None = None,
              **save_kwargs):
    """Log a model as a LoggedModel of the active run (if any) and return its ModelInfo.

    ``flavor_save(path=..., mlflow_model=..., **save_kwargs)`` writes the model directory
    (the flavour's ``save_model``); the directory is then uploaded to the model's
    artifact location.  See the module docstring for what is guaranteed on return.
    """
    from .. import fluent as run_fluent
    from ..client import MlflowClient
    from . import artifacts
    from . import fluent as model_fluent
    from .mlmodel import Model

    if name is not None and artifact_path is not None:
        raise MlflowException.invalid_parameter_value(
            "Both `artifact_path` (deprecated) and `name` parameters were specified. Please "
            "only specify `name`.")
    if artifact_path is not None:
        _logger.warning("`artifact_path` is deprecated. Please use `name` instead.")
    name = name or artifact_path
    _check_unsupported(resources, auth_policy, prompts)

    client = MlflowClient()
    active = run_fluent.active_run()
    run_id = active.info.run_id if active is not None else None
    if run_id:
        # the run's params and metrics logged asynchronously before this call count too
        client._engine.flush(raise_errors=False)
    run = client.get_run(run_id) if run_id else None
    if model_id is not None:
        model = client.get_logged_model(model_id)
    else:
        all_params = {**(params or {}), **(run.data.params if run else {})}
        model = model_fluent._create_logged_model(
            name, run_id, {k: str(v) for k, v in tags.items()} if tags is not None else None,
            {k: str(v) for k, v in all_params.items()}, model_type, None,
            flavor_name or getattr(flavor_save, "__module__", "custom"))
        model_fluent._last_logged_model_id.set(model.model_id)

    tmp = tempfile.mkdtemp(prefix="aiomlflow-model-")
    try:
        try:
            if run_id is not None:
                _record_run_output(client, run_id, run, model.model_id, step)
            local_path = os.path.join(tmp, "model")
            mlflow_model = Model(artifact_path=model.artifact_location,
                                 model_uuid=model.model_id, run_id=run_id, metadata=metadata,
                                 model_id=model.model_id)
            flavor_save(path=local_path, mlflow_model=mlflow_model, **save_kwargs)
            for cache in [p for p, _, _ in os.walk(local_path)
                          if os.path.basename(p) == "__pycache__"]:
                shutil.rmtree(cache, ignore_errors=True)
            artifacts.log_tree(client._engine, model.artifact_location, local_path, None)
            if model.tags.get("mlflow.model.isExternal", "false").lower() == "true":
                client.delete_logged_model_tag(model.model_id, "mlflow.model.isExternal")
            model_config = save_kwargs.get("model_config")
            if model_config and run_id:
                try:
                    run_fluent.log_params(_model_config_params(model_config), run_id=run_id)
                except Exception as exc:
                    _logger.warning("Failed to log model config as params: %s", exc)
        except BaseException:
            client.finalize_logged_model(model.model_id, "FAILED")
            raise
        model = client.finalize_logged_model(model.model_id, "READY")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    version = None
    if registered_model_name is not None:
        version = _register(model.model_id, registered_model_name, await_registration_for,
                            tags)
    info = mlflow_model.get_model_info(model)
    if version is not None:
        info.registered_model_version = version.version
    return info


__all__ = ["log_model"]
