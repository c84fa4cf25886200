"""MLflow's store-level errors (missing runs, deleted runs, conflicts), one builder each.

Transports raise these so every store reports the same codes and messages MLflow does.
"""

from __future__ import annotations

from .exceptions import MlflowException


def run_not_found(run_id: str) -> MlflowException:
    """No run with this id."""
    return MlflowException(f"Run with id={run_id} not found", "RESOURCE_DOES_NOT_EXIST")


def run_not_active(run_id: str, stage: str) -> MlflowException:
    """The run exists but is deleted."""
    return MlflowException(
        f"The run {run_id} must be in the 'active' state. Current state is {stage}.",
        "INVALID_PARAMETER_VALUE")


def experiment_not_found(experiment_id) -> MlflowException:
    """No (visible) experiment with this id."""
    return MlflowException(f"No Experiment with id={experiment_id} exists",
                           "RESOURCE_DOES_NOT_EXIST")


def experiment_not_active(experiment_id, stage: str) -> MlflowException:
    """The experiment exists but is deleted."""
    return MlflowException(
        f"The experiment {experiment_id} must be in the 'active' state. "
        f"Current state is {stage}.", "INVALID_PARAMETER_VALUE")


def experiment_not_renamable() -> MlflowException:
    """Renaming a deleted experiment."""
    return MlflowException("Cannot rename a non-active experiment.", "INVALID_STATE")


def experiment_name_exists(name: str) -> MlflowException:
    """Another experiment already has this name."""
    return MlflowException(
        f"Experiment(name={name}) already exists. Error: UNIQUE constraint failed: "
        "experiments.workspace, experiments.name", "RESOURCE_ALREADY_EXISTS")


def param_overwrite(run_id: str, conflicts: list[tuple[str, str, str]], single: bool) -> MlflowException:
    """Re-logging params with different values; ``single`` is log_param's wording."""
    if single:
        key, old, new = conflicts[0]
        return MlflowException(
            f"Changing param values is not allowed. Param with key='{key}' was already logged "
            f"with value='{old}' for run ID='{run_id}'. Attempted logging new value '{new}'.",
            "INVALID_PARAMETER_VALUE")
    items = [{"key": k, "old_value": o, "new_value": n} for k, o, n in conflicts]
    return MlflowException(
        f"Changing param values is not allowed. Params were already logged='{items}' "
        f"for run ID='{run_id}'.", "INVALID_PARAMETER_VALUE")


def tag_not_found(run_id: str, key: str) -> MlflowException:
    """delete_tag of a key the run does not have."""
    return MlflowException(f"No tag with name: {key} in run with id {run_id}",
                           "RESOURCE_DOES_NOT_EXIST")


def experiment_tag_not_found(experiment_id, key: str) -> MlflowException:
    """delete_experiment_tag of a key the experiment does not have."""
    return MlflowException(f"No tag with name: {key} in experiment with id {experiment_id}",
                           "RESOURCE_DOES_NOT_EXIST")
