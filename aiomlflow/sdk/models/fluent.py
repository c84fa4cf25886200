"""The fluent logged-model API: initialize / create / finalize / get / search logged
models, their tags and params, and the active model (``set_active_model``)."""

from __future__ import annotations

import contextvars
import logging
from datetime import datetime, timezone

from ...entities import LoggedModel, LoggedModelStatus
from ...exceptions import MlflowException
from .. import run_context
from ..client import MlflowClient
from . import active, known

_logger = logging.getLogger("aiomlflow")

MODEL_IS_EXTERNAL = "mlflow.model.isExternal"
# the MLflow version whose MLmodel files we write
_MLFLOW_VERSION = "3.17.2"

# the last model initialize_logged_model / create_external_model made here (per thread
# and task, as MLflow keeps it per thread)
_last_logged_model_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "aiomlflow_last_logged_model_id", default=None)


def _reset_last_logged_model_id() -> None:
    """Forget the last logged model (tests)."""
    _last_logged_model_id.set(None)


# ----------------------------------------------------------------------------- create
def _create_logged_model(name, source_run_id, tags, params, model_type, experiment_id,
                         flavor=None) -> LoggedModel:
    from .. import fluent

    run = fluent.active_run()
    if source_run_id is None and run is not None:
        source_run_id = run.info.run_id
    if experiment_id is None and run is not None:
        experiment_id = run.info.experiment_id
    elif experiment_id is None:
        experiment_id = fluent._current_experiment_id()
    resolved = run_context.default_run_tags()
    resolved.update(tags or {})
    return MlflowClient()._create_logged_model(
        experiment_id=experiment_id, name=name, source_run_id=source_run_id, tags=resolved,
        params=params, model_type=model_type, flavor=flavor)


def initialize_logged_model(name: str | None = None, source_run_id: str | None = None,
                            tags: dict[str, str] | None = None,
                            params: dict[str, str] | None = None,
                            model_type: str | None = None,
                            experiment_id: str | None = None) -> LoggedModel:
    """Create a PENDING LoggedModel with no artifacts (finalize it with
    finalize_logged_model, or a flavour's log_model)."""
    model = _create_logged_model(name, source_run_id, tags, params, model_type,
                                 experiment_id, "initialize")
    _last_logged_model_id.set(model.model_id)
    return model


def _yaml_scalar(value: str) -> str:
    plain = value and value[0].isalnum() or value.startswith("/")
    if plain and not any(c in value for c in "#'\"\n{}[],&*!|>%@`") and ": " not in value \
            and not value.endswith(":"):
        return value
    return "'" + value.replace("'", "''") + "'"


def external_mlmodel(model: LoggedModel) -> bytes:
    """The MLmodel file MLflow writes for an external model (no flavours; a placeholder
    signature), so the model can be registered like any other."""
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    lines = [
        f"artifact_path: {_yaml_scalar(model.artifact_location)}",
        "flavors: {}",
        "is_signature_from_type_hint: false",
        "metadata:",
        f"  {MODEL_IS_EXTERNAL}: true",
        f"mlflow_version: {_MLFLOW_VERSION}",
        f"model_id: {model.model_id}",
        f"model_uuid: {model.model_id}",
        "prompts: null",
        "signature:",
        "  inputs: '[{\"type\": \"boolean\", \"required\": true}]'",
        "  outputs: '[{\"type\": \"boolean\", \"required\": true}]'",
        "  params: null",
        "type_hint_from_example: false",
        f"utc_time_created: '{created}'",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def create_external_model(name: str | None = None, source_run_id: str | None = None,
                          tags: dict[str, str] | None = None,
                          params: dict[str, str] | None = None, model_type: str | None = None,
                          experiment_id: str | None = None) -> LoggedModel:
    """Create a READY LoggedModel whose artifacts live outside MLflow (an application,
    an agent): its tag ``mlflow.model.isExternal`` is "true" and its artifact directory
    holds only an MLmodel file."""
    from . import artifacts

    tags = dict(tags) if tags else {}
    tags[MODEL_IS_EXTERNAL] = "true"
    model = _create_logged_model(name, source_run_id, tags, params, model_type,
                                 experiment_id, "external")
    client = MlflowClient()
    artifacts.write_bytes(client._engine, model.artifact_location, external_mlmodel(model),
                          "MLmodel")
    model = client.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    _last_logged_model_id.set(model.model_id)
    return model


# ----------------------------------------------------------------------------- by id
def finalize_logged_model(model_id: str, status) -> LoggedModel:
    """Set the final status of a model ("READY", "FAILED" or a LoggedModelStatus)."""
    return MlflowClient().finalize_logged_model(model_id, status)


def get_logged_model(model_id: str) -> LoggedModel:
    """The logged model with this id."""
    return MlflowClient().get_logged_model(model_id)


def last_logged_model() -> LoggedModel | None:
    """The model most recently logged in this session (thread), or None."""
    model_id = _last_logged_model_id.get()
    return get_logged_model(model_id) if model_id else None


def set_logged_model_tags(model_id: str, tags: dict) -> None:
    """Set tags on a logged model."""
    MlflowClient().set_logged_model_tags(model_id, tags)


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Delete a tag of a logged model."""
    MlflowClient().delete_logged_model_tag(model_id, key)


def log_model_params(params: dict[str, str], model_id: str | None = None) -> None:
    """Log params to a logged model (the active model when no id is given)."""
    model_id = model_id or active.get_active_model_id()
    MlflowClient().log_model_params(model_id, params)


# ----------------------------------------------------------------------------- search
def search_logged_models(experiment_ids: list[str] | None = None,
                         filter_string: str | None = None,
                         datasets: list[dict[str, str]] | None = None,
                         max_results: int | None = None,
                         order_by: list[dict] | None = None,
                         output_format: str = "pandas"):
    """Logged models matching ``filter_string`` (all pages, up to ``max_results``), as a
    pandas DataFrame (one row per model, ``to_dictionary`` columns) or, with
    ``output_format="list"``, LoggedModel entities.  Without experiment ids, the active
    experiment's."""
    from .. import fluent

    if output_format not in ("pandas", "list"):
        # (MLflow raises this after searching; the result would be the same)
        raise MlflowException.invalid_parameter_value(
            f"Unsupported output format: {output_format!r}. Supported string values are "
            "'pandas' or 'list'")
    if output_format == "pandas":
        from ..search.frame import import_pandas

        import_pandas()
    experiment_ids = experiment_ids or [fluent._current_experiment_id()]
    client = MlflowClient()
    models: list = []
    page_token = None
    while True:
        page = client.search_logged_models(experiment_ids=experiment_ids,
                                           filter_string=filter_string, datasets=datasets,
                                           max_results=max_results, order_by=order_by,
                                           page_token=page_token)
        models.extend(page.to_list())
        if max_results is not None and len(models) >= max_results:
            break
        if not page.token:
            break
        page_token = page.token
    if max_results is not None:
        models = models[:max_results]
    if output_format == "list":
        return models
    import pandas as pd

    rows = []
    for model in models:
        row = model.to_dictionary()
        row["status"] = LoggedModelStatus.from_int(row["status"])
        rows.append(row)
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- active model
class ActiveModel(LoggedModel):
    """Wrapper around a LoggedModel that makes it the active model; as a ``with``
    block, the previous active model comes back at its end."""

    def __init__(self, logged_model: LoggedModel, set_by_user: bool):
        super().__init__(**logged_model.to_dictionary())
        self.last_active_model_context = active._context.get()
        active.set_active_model_id(self.model_id, set_by_user)

    def __enter__(self) -> "ActiveModel":
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        active.restore(self.last_active_model_context)


def set_active_model(*, name: str | None = None, model_id: str | None = None) -> ActiveModel:
    """Make a logged model the active one, by ``model_id`` (it must exist) or by ``name``
    (the latest model of that name in the current experiment, created if there is none).
    Usable as a context manager."""
    return _set_active_model(name=name, model_id=model_id, set_by_user=True)


def _set_active_model(*, name: str | None = None, model_id: str | None = None,
                      set_by_user: bool = False) -> ActiveModel:
    if name is None and model_id is None:
        raise MlflowException.invalid_parameter_value(
            "Either name or model_id must be provided")
    if model_id is not None:
        logged_model = get_logged_model(model_id)
        if name is not None and logged_model.name != name:
            raise MlflowException.invalid_parameter_value(
                f"LoggedModel with model_id {model_id!r} has name {logged_model.name!r}, which "
                f"does not match the provided name {name!r}.")
    else:
        found = search_logged_models(filter_string=f"name='{name}'", max_results=2,
                                     output_format="list")
        if len(found) > 1:
            _logger.warning("Multiple LoggedModels found with name %r, setting the latest one "
                            "as active model.", name)
        if not found:
            _logger.info("LoggedModel with name %r does not exist, creating one...", name)
            logged_model = create_external_model(name=name)
        else:
            logged_model = found[0]
    known.remember(MlflowClient().tracking_uri, logged_model)
    return ActiveModel(logged_model=logged_model, set_by_user=set_by_user)


def get_active_model_id() -> str | None:
    """The active model's id in this thread (or asyncio task): set with set_active_model,
    else MLFLOW_ACTIVE_MODEL_ID, else the legacy _MLFLOW_ACTIVE_MODEL_ID; None if none."""
    return active.get_active_model_id()


def clear_active_model() -> None:
    """No active model in this thread any more (MLFLOW_ACTIVE_MODEL_ID and its legacy
    form are unset too); use ``with set_active_model(...)`` to switch temporarily."""
    active.clear()


__all__ = [
    "ActiveModel", "clear_active_model", "create_external_model", "delete_logged_model_tag",
    "finalize_logged_model", "get_active_model_id", "get_logged_model",
    "initialize_logged_model", "last_logged_model", "log_model_params",
    "search_logged_models", "set_active_model", "set_logged_model_tags",
]
