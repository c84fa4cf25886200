"""aiomlflow: the ``mlflow`` module's tracking API on an async-first engine.

``import aiomlflow as mlflow`` and keep your MLflow code.  Importing is cheap: the
engine, its event loop and the transports start on first use.
"""

import importlib as _importlib

from aiomlflow import entities
from aiomlflow import log_setup, mlflow_alias
from aiomlflow.sdk.client import MlflowClient
from aiomlflow.entities import Experiment, Run, RunStatus, ViewType
from aiomlflow.exceptions import MlflowException
from aiomlflow.sdk.fluent import (
    ActiveRun,
    active_run,
    create_experiment,
    delete_experiment,
    delete_experiment_tag,
    delete_run,
    delete_tag,
    end_run,
    flush_async_logging,
    get_experiment,
    get_experiment_by_name,
    get_parent_run,
    get_run,
    last_active_run,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    search_experiments,
    search_runs,
    set_experiment,
    set_experiment_tag,
    set_experiment_tags,
    set_tag,
    set_tags,
    start_run,
)
from aiomlflow.sdk.artifacts.fluent import (
    flush_artifact_async_logging,
    get_artifact_uri,
    load_table,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_image,
    log_table,
    log_text,
)
from aiomlflow.sdk.misc import doctor, login
from aiomlflow.workers.operations import RunOperations
from aiomlflow.sdk.tracking_uri import (
    get_registry_uri,
    get_tracking_uri,
    is_tracking_uri_set,
    set_registry_uri,
    set_tracking_uri,
)

__version__ = "0.1.0"

log_setup.configure_logging()
mlflow_alias.install()

# Tracing, assessments, system metrics, logged models and datasets load on first use (PEP 562): `import aiomlflow`
# stays cheap for the training loops that never trace.
_LAZY = {
    **dict.fromkeys(
        ("add_trace", "delete_trace_tag", "flush_trace_async_logging", "get_active_trace_id",
         "get_current_active_span", "get_last_active_trace_id", "get_trace", "log_trace",
         "search_traces", "set_trace_tag", "start_span", "start_span_no_context", "trace",
         "update_current_trace"), "aiomlflow.sdk.tracing.fluent"),
    **dict.fromkeys(
        ("delete_assessment", "get_assessment", "log_assessment", "log_expectation",
         "log_feedback", "override_feedback", "update_assessment"),
        "aiomlflow.sdk.tracing.assessments"),
    **dict.fromkeys(
        ("disable_system_metrics_logging", "enable_system_metrics_logging",
         "set_system_metrics_node_id", "set_system_metrics_samples_before_logging",
         "set_system_metrics_sampling_interval"), "aiomlflow.sdk.system_metrics"),
    **dict.fromkeys(
        ("ActiveModel", "clear_active_model", "create_external_model", "delete_logged_model_tag",
         "finalize_logged_model", "get_active_model_id", "get_logged_model",
         "initialize_logged_model", "last_logged_model", "log_model_params",
         "search_logged_models", "set_active_model", "set_logged_model_tags"),
        "aiomlflow.sdk.models.fluent"),
    "run": "aiomlflow.projects",
    "Image": "aiomlflow.sdk.artifacts.image",
    "evaluate": "aiomlflow.sdk.evaluation.api",
    "validate_evaluation_results": "aiomlflow.sdk.evaluation.validation",
    **dict.fromkeys(
        ("register_model", "search_model_versions", "search_registered_models",
         "set_model_version_tag"), "aiomlflow.sdk.registry.fluent"),
    **dict.fromkeys(("log_input", "log_inputs", "log_outputs"), "aiomlflow.sdk.data.fluent"),
    "autolog": "aiomlflow.sdk.autolog.fluent",
}
# The submodules `import mlflow` loads are reachable as attributes here too
# (`mlflow.utils.validation.MAX_TAG_VAL_LENGTH` with no import of its own: those packages
# load their own submodules on first access, see aiomlflow/lazy.py).
_LAZY_SUBMODULES = ("artifacts", "client", "protos", "tracking", "utils", "tracing",
                    "system_metrics", "aio", "projects", "metrics", "data", "pyfunc",
                    "models", "types", "sklearn")


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
    elif name in _LAZY_SUBMODULES:
        value = _importlib.import_module(f"{__name__}.{name}")
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_LAZY_SUBMODULES))

__all__ = [
    "ActiveRun", "Experiment", "Image", "MlflowClient", "MlflowException", "Run",
    "RunOperations", "RunStatus",
    "ViewType", "active_run", "create_experiment", "delete_experiment",
    "delete_experiment_tag", "delete_run", "delete_tag", "doctor", "end_run", "entities",
    "flush_artifact_async_logging", "flush_async_logging", "get_artifact_uri",
    "get_experiment", "get_experiment_by_name", "get_parent_run",
    "get_registry_uri", "get_run", "get_tracking_uri", "is_tracking_uri_set",
    "last_active_run", "load_table", "log_artifact", "log_artifacts", "log_dict",
    "log_figure", "log_image", "log_metric", "log_metrics", "log_param", "log_params",
    "log_table", "log_text", "login",
    "set_experiment", "set_experiment_tag", "set_experiment_tags", "set_registry_uri",
    "set_tag", "set_tags", "set_tracking_uri", "start_run",
    "search_experiments", "search_runs",
    # the python_function flavour
    "pyfunc",
    # system metrics
    "system_metrics", "disable_system_metrics_logging", "enable_system_metrics_logging",
    "set_system_metrics_node_id", "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    # tracing
    "add_trace", "delete_trace_tag", "flush_trace_async_logging", "get_active_trace_id",
    "get_current_active_span", "get_last_active_trace_id", "get_trace", "log_trace",
    "search_traces", "set_trace_tag", "start_span", "start_span_no_context", "trace",
    "tracing", "update_current_trace",
    # trace assessments
    "delete_assessment", "get_assessment", "log_assessment", "log_expectation", "log_feedback",
    "override_feedback", "update_assessment",
    # logged models and the active model
    "ActiveModel", "clear_active_model", "create_external_model", "delete_logged_model_tag",
    "finalize_logged_model", "get_active_model_id", "get_logged_model",
    "initialize_logged_model", "last_logged_model", "log_model_params",
    "search_logged_models", "set_active_model", "set_logged_model_tags",
    # MLflow Projects
    "projects", "run",
    # model evaluation
    "evaluate", "metrics", "validate_evaluation_results",
    # the model registry
    "register_model", "search_model_versions", "search_registered_models",
    "set_model_version_tag",
    # datasets and run inputs / outputs
    "data", "log_input", "log_inputs", "log_outputs",
    # autologging and the sklearn flavour
    "autolog", "sklearn",
]

