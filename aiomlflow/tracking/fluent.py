"""``mlflow.tracking.fluent``: where MLflow defines the fluent API's functions."""

from aiomlflow.sdk.fluent import (
    ActiveRun,
    _current_experiment_id as _get_experiment_id,  # integrations call MLflow's by this name
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

__all__ = [
    "ActiveRun", "active_run", "create_experiment", "delete_experiment",
    "delete_experiment_tag", "delete_run", "delete_tag", "end_run", "flush_async_logging",
    "get_experiment", "get_experiment_by_name", "get_parent_run", "get_run",
    "last_active_run", "log_metric", "log_metrics", "log_param", "log_params",
    "search_experiments", "search_runs", "set_experiment", "set_experiment_tag",
    "set_experiment_tags", "set_tag", "set_tags", "start_run",
]
