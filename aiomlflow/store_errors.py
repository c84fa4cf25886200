"""MLflow's store-level and fluent-API errors, one builder each, with MLflow's exact text.

Transports and the fluent API raise these so every store reports what MLflow does.
"""

from __future__ import annotations

from .exceptions import (
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    MlflowException,
)


def run_not_found(run_id) -> MlflowException:
    return MlflowException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)


def run_not_active(run_id, lifecycle_stage="deleted") -> MlflowException:
    return MlflowException(
        f"The run {run_id} must be in the 'active' state. Current state is {lifecycle_stage}.",
        INVALID_PARAMETER_VALUE,
    )


def experiment_not_found(experiment_id) -> MlflowException:
    # MLflow prints the parsed integer id
    try:
        shown = int(experiment_id)
    except (TypeError, ValueError):
        shown = experiment_id
    return MlflowException(f"No Experiment with id={shown} exists", RESOURCE_DOES_NOT_EXIST)


def experiment_not_active(experiment_id, lifecycle_stage="deleted") -> MlflowException:
    return MlflowException(
        f"The experiment {experiment_id} must be in the 'active' state. "
        f"Current state is {lifecycle_stage}.",
        INVALID_PARAMETER_VALUE,
    )


def experiment_name_exists(name, detail=None) -> MlflowException:
    """MLflow appends the database's IntegrityError text after ``Error: ``; pass it as
    ``detail`` (``sqlite_unique_violation`` renders it as SQLAlchemy does)."""
    if detail is None:
        detail = "UNIQUE constraint failed: experiments.workspace, experiments.name"
    return MlflowException(
        f"Experiment(name={name}) already exists. Error: {detail}", RESOURCE_ALREADY_EXISTS
    )


def sqlite_unique_violation(message, sql, parameters) -> str:
    """An sqlite3.IntegrityError rendered the way SQLAlchemy 2 prints it."""
    return (
        f"(sqlite3.IntegrityError) {message}\n[SQL: {sql}]\n[parameters: {parameters!r}]\n"
        "(Background on this error at: https://sqlalche.me/e/21/gkpj)"
    )


def experiment_rename_not_active() -> MlflowException:
    return MlflowException("Cannot rename a non-active experiment.", INVALID_STATE)


def param_changed_error(run_id, key, old_value, new_value) -> MlflowException:
    """Single ``log_param`` re-logging a key with another value (before ``with_param_hint``)."""
    return MlflowException(
        f"Changing param values is not allowed. Param with key='{key}' was already logged"
        f" with value='{old_value}' for run ID='{run_id}'. Attempted logging new value"
        f" '{new_value}'.",
        INVALID_PARAMETER_VALUE,
    )


def param_overwrite_error(run_id, conflicts) -> MlflowException:
    """LogBatch re-logging params with other values; ``conflicts``: (key, old, new)."""
    listed = [{"key": k, "old_value": old, "new_value": new} for k, old, new in conflicts]
    return MlflowException(
        f"Changing param values is not allowed. Params were already logged='{listed}'"
        f" for run ID='{run_id}'.",
        INVALID_PARAMETER_VALUE,
    )


def run_tag_not_found(run_id, key) -> MlflowException:
    return MlflowException(
        f"No tag with name: {key} in run with id {run_id}", RESOURCE_DOES_NOT_EXIST
    )


def experiment_tag_not_found(experiment_id, key) -> MlflowException:
    return MlflowException(
        f"No tag with name: {key} in experiment with id {experiment_id}", RESOURCE_DOES_NOT_EXIST
    )


def run_name_conflict(run_name, tag_value) -> MlflowException:
    """create_run given both ``run_name`` and a different ``mlflow.runName`` tag."""
    return MlflowException(
        "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
        f"different values (run_name='{run_name}', mlflow.runName='{tag_value}').",
        INVALID_PARAMETER_VALUE,
    )


# ----------------------------------------------------------------------------- fluent errors


def set_experiment_args_error() -> MlflowException:
    return MlflowException(
        "Must specify exactly one of: `experiment_id` or `experiment_name`.",
        INVALID_PARAMETER_VALUE,
    )


def set_deleted_experiment_error(name) -> MlflowException:
    return MlflowException(
        f"Cannot set a deleted experiment {name!r} as the active experiment. You can restore"
        " the experiment, or permanently delete the experiment to create a new one.",
        INVALID_PARAMETER_VALUE,
    )


def run_already_active(run_id) -> MlflowException:
    """start_run without nested=True while a run is active (a bare Exception in MLflow)."""
    return MlflowException(
        f"Run with UUID {run_id} is already active. To start a new run, first end the current"
        " run with mlflow.end_run(). To start a nested run, call start_run with nested=True"
    )


def resume_deleted_run(run_id) -> MlflowException:
    return MlflowException(
        f"Cannot start run with ID {run_id} because it is in the deleted state."
    )


def resume_experiment_mismatch(run_id) -> MlflowException:
    return MlflowException(
        f"Cannot start run with ID {run_id} because active experiment ID does not match"
        " environment run ID. Make sure --experiment-name or --experiment-id matches"
        " experiment set with set_experiment(), or just use command-line arguments"
    )


def parent_run_mismatch(current_run_id, parent_run_id) -> MlflowException:
    return MlflowException(
        f"Current run with UUID {current_run_id} does not match the specified parent_run_id"
        f" {parent_run_id}. To start a new nested run under the parent run with UUID"
        f" {current_run_id}, first end the current run with mlflow.end_run()."
    )


def parent_run_deleted(parent_run_id) -> MlflowException:
    return MlflowException(
        f"Cannot start run under parent run with ID {parent_run_id} because it is in the"
        " deleted state."
    )


def description_conflict() -> MlflowException:
    # (sic: MLflow's message has no space after "tags.")
    return MlflowException(
        "Description is already set via the tag mlflow.note.content in tags.Remove the key"
        " mlflow.note.content from the tags or omit the description.",
        INVALID_PARAMETER_VALUE,
    )


# ----------------------------------------------------------------------- logged models
def logged_model_not_found(model_id) -> MlflowException:
    return MlflowException(f"Logged model with ID '{model_id}' not found.",
                           RESOURCE_DOES_NOT_EXIST)


def logged_model_tag_not_found(model_id, key) -> MlflowException:
    return MlflowException(f"No tag with key {key!r} found for model with ID {model_id!r}.",
                           RESOURCE_DOES_NOT_EXIST)


def logged_model_param_exists(model_id, key) -> MlflowException:
    # MLflow's SQL store lets the primary key refuse a param logged twice (even with the
    # same value): its BAD_REQUEST carries SQLite's constraint text, kept here.
    return MlflowException(
        "UNIQUE constraint failed: logged_model_params.model_id, logged_model_params.param_key"
        f" (model {model_id!r} already has a param {key!r}; a logged model's params cannot "
        "be changed or logged again)", "BAD_REQUEST")


def logged_model_access_error(model_id, action: str) -> MlflowException:
    # MlflowClient.set_logged_model_tags / log_model_params wrap a failed lookup thus.
    return MlflowException(
        f"Failed to get logged model with ID {model_id}. You may not have access to the "
        f"logged model, or the logged model may have been deleted. {action}",
        INVALID_PARAMETER_VALUE)


# the characters MLflow refuses in a logged model's name
BAD_MODEL_NAME_CHARS = ("/", ":", ".", "%", '"', "'")


def check_logged_model_name(name) -> None:
    """MLflow's store-level rule: a given name is non-empty and free of BAD_MODEL_NAME_CHARS."""
    if name is None:
        return
    if not name or not isinstance(name, str) or any(c in name for c in BAD_MODEL_NAME_CHARS):
        raise MlflowException(
            f"Invalid model name ({name!r}) provided. Model name must be a non-empty string "
            f"and cannot contain the following characters: {BAD_MODEL_NAME_CHARS}",
            INVALID_PARAMETER_VALUE)
