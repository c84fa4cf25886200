"""The fluent API: an active-run stack plus start_run, log_*, set_* over the engine.

The active-run stack lives in a context variable, so every thread (as in MLflow) and
every asyncio task sees its own.  An active run remembers the engine it was created
on, which keeps ``log_metric`` in a training loop to a validate-and-append.
"""

from __future__ import annotations

import contextvars
import logging
import os
from time import time_ns as _time_ns

from .. import store_errors
from ..batches import BATCH, PARAM
from ..config import async_logging_default
from ..entities import Experiment, LifecycleStage, Run
from ..exceptions import MlflowException
from ..utils.time import get_current_time_millis as now_ms
from ..workers.process_hooks import register_before_exit
from ..workers.registry import close_all, flush_all, get_engine
from ..workers.operations import RunOperations
from . import run_context, run_owner, tracking_uri, validation
from .artifacts import operations as artifact_operations
from .client import MlflowClient, finish
from .models import active as _models
from .validation import KNOWN_KEYS

_logger = logging.getLogger("aiomlflow")

_active_runs: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "aiomlflow_active_runs", default=())
# (run id, engine) of the innermost active run, kept beside the stack for log_metric.
_active_target: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "aiomlflow_active_target", default=None)
# What log_metric's hot path reads: ``_active_target`` while a metric logged here links
# to no logged model (sdk/models/active.py), else None (the call takes the linking path).
_metric_target: contextvars.ContextVar[tuple | None] = contextvars.ContextVar(
    "aiomlflow_metric_target", default=None)
_last_active_run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "aiomlflow_last_active_run_id", default=None)
# True when a metric logged here links to no logged model (see sdk/models/active.py)
_plain_metrics = _models.plain_metrics.get


def _retarget(plain: bool) -> None:
    _metric_target.set(_active_target.get() if plain else None)


_models.on_refresh = _retarget
_active_experiment_id: str | None = None
# Runs active in any thread or task of this process (run id -> engine): ended KILLED
# on SIGTERM, whose handler only sees the main thread's context.
_running: dict = {}

__all__ = [
    "ActiveRun", "active_run", "create_experiment", "delete_experiment",
    "delete_experiment_tag", "delete_run", "delete_tag", "end_run", "flush_async_logging",
    "get_experiment", "get_experiment_by_name", "get_parent_run", "get_run",
    "last_active_run", "log_metric", "log_metrics", "log_param", "log_params",
    "search_experiments", "search_runs", "set_experiment", "set_experiment_tag",
    "set_experiment_tags", "set_tag", "set_tags", "start_run",
]


class ActiveRun(Run):
    """Wrapper around a Run that ends it when a ``with`` block exits (FAILED on error)."""

    def __init__(self, run: Run, engine=None):
        super().__init__(run.info, run.data, run.inputs, run.outputs)
        self._run_id = run.info.run_id
        self._engine = engine
        self._owner = None  # the async task that started it (run_owner.py), if any

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> bool:
        if any(r._run_id == self._run_id for r in _active_runs.get()):
            end_run("FINISHED" if exc_type is None else "FAILED")
        return exc_type is None


# ------------------------------------------------------------------------ runs
def start_run(run_id: str | None = None, experiment_id: str | None = None,
              run_name: str | None = None, nested: bool = False,
              parent_run_id: str | None = None, tags: dict | None = None,
              description: str | None = None,
              log_system_metrics: bool | None = None) -> ActiveRun:
    """Start a new run, or resume ``run_id`` / MLFLOW_RUN_ID, and make it the active run.

    ``log_system_metrics`` (None: MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING) samples CPU,
    memory, disk, network and GPU usage into ``system/*`` metrics until the run ends."""
    from . import system_metrics  # loads on the first start_run (import stays cheap)

    sampling = system_metrics.plan(log_system_metrics)
    if experiment_id is not None:
        if isinstance(experiment_id, int) and not isinstance(experiment_id, bool):
            experiment_id = str(experiment_id)
        elif not isinstance(experiment_id, str):
            raise MlflowException.invalid_parameter_value(
                f"Invalid experiment id: {experiment_id} of type {type(experiment_id)}. "
                "Must be one of str, int, or None.")
    stack = _active_runs.get()
    if stack and not nested:
        raise store_errors.run_already_active(stack[0]._run_id)
    if stack and parent_run_id is not None and parent_run_id != stack[-1]._run_id:
        raise store_errors.parent_run_mismatch(stack[-1]._run_id, parent_run_id)
    user_tags = dict(tags or {})
    if description:
        if run_context.NOTE in user_tags:
            raise store_errors.description_conflict()
        user_tags[run_context.NOTE] = description
    client = MlflowClient()
    existing_id = run_id or os.environ.pop("MLFLOW_RUN_ID", None)
    if existing_id:
        run = _resume_run(client, existing_id, run_name, user_tags)
    else:
        run = _create_run(client, stack, experiment_id, run_name, nested, parent_run_id,
                          user_tags)
    active = ActiveRun(run, client._engine)
    active._owner = run_owner.current_task()
    _set_active_runs(stack + (active,))
    if sampling is not None:
        system_metrics.start(sampling, run, active._engine, resumed=bool(existing_id))
    return active


def _set_active_runs(stack: tuple) -> None:
    previous = _active_runs.get()
    _active_runs.set(stack)
    _active_target.set((stack[-1]._run_id, stack[-1]._engine) if stack else None)
    _models.note_active_run(stack[-1].outputs.model_outputs
                            if stack and stack[-1].outputs is not None else ())
    for run in previous:
        _running.pop(run._run_id, None)
    for run in stack:
        _running[run._run_id] = run._engine


def _resume_run(client: MlflowClient, run_id: str, run_name, user_tags: dict) -> Run:
    validation.validate_run_id(run_id)
    run = client.get_run(run_id)
    if _active_experiment_id is not None and run.info.experiment_id != _active_experiment_id:
        raise store_errors.resume_experiment_mismatch(run_id)
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise store_errors.resume_deleted_run(run_id)
    client.update_run(run_id, status="RUNNING", name=run_name)
    if user_tags:
        client.log_batch(run_id, tags=[validation.validate_tag(k, v) for k, v in user_tags.items()],
                         synchronous=True)
    return client.get_run(run_id)


def _create_run(client: MlflowClient, stack: tuple, experiment_id, run_name, nested,
                parent_run_id, user_tags: dict) -> Run:
    if parent_run_id is not None:
        validation.validate_run_id(parent_run_id)
        parent = client.get_run(parent_run_id)
        if parent.info.lifecycle_stage == LifecycleStage.DELETED:
            raise store_errors.parent_run_deleted(parent_run_id)
    elif stack and nested:
        parent_run_id = stack[-1]._run_id
    tags = run_context.default_run_tags()
    if parent_run_id is not None:
        tags[run_context.PARENT_RUN_ID] = parent_run_id
    tags.update(user_tags)
    if run_name:
        tags[run_context.RUN_NAME] = run_name
    exp_id = experiment_id if experiment_id is not None else _resolve_experiment_id(client)
    return client.create_run(exp_id, tags=tags, run_name=tags.get(run_context.RUN_NAME))


def _resolve_experiment_id(client: MlflowClient) -> str:
    """set_experiment, then MLFLOW_EXPERIMENT_NAME / _ID, then the Default experiment."""
    if _active_experiment_id is not None:
        return _active_experiment_id
    name = os.environ.get("MLFLOW_EXPERIMENT_NAME")
    env_id = os.environ.get("MLFLOW_EXPERIMENT_ID")
    if name:
        experiment = client.get_experiment_by_name(name)
        found = experiment.experiment_id if experiment else client.create_experiment(name)
        if env_id and env_id != found:
            raise MlflowException.invalid_parameter_value(
                f"The provided MLFLOW_EXPERIMENT_ID environment variable value `{env_id}` does "
                f"not match the experiment id `{found}` for experiment name `{name}`")
        return found
    if env_id:
        try:
            return client.get_experiment(env_id).experiment_id
        except MlflowException:
            raise MlflowException.invalid_parameter_value(
                f"The provided MLFLOW_EXPERIMENT_ID environment variable value `{env_id}` does "
                "not exist in the tracking server. Provide a valid experiment_id.") from None
    return "0"


def end_run(status: str = "FINISHED") -> None:
    """End the active run (if any) with ``status``."""
    _end_active_run(status, wait=True)


def _end_active_run(status: str, wait: bool, with_artifacts: bool = True) -> None:
    stack = _active_runs.get()
    if not stack:
        return
    run = stack[-1]
    _set_active_runs(stack[:-1])
    os.environ.pop("MLFLOW_RUN_ID", None)
    _last_active_run_id.set(run._run_id)
    status = validation.validate_run_status(status)
    if run_owner.owned_elsewhere(run):
        _running[run._run_id] = run._engine  # still active in the task that owns it
        return  # inherited from the task that started it: only leaves this task's stack
    MlflowClient(run._engine.tracking_uri)._terminate(run._run_id, status, None, wait,
                                                      with_artifacts)


def active_run() -> ActiveRun | None:
    """The active run of this thread / task, or None."""
    stack = _active_runs.get()
    return stack[-1] if stack else None


def last_active_run() -> Run | None:
    """The active run, else the last run this thread ended, else None."""
    stack = _active_runs.get()
    if stack:
        return stack[-1]
    run_id = _last_active_run_id.get()
    return None if run_id is None else get_run(run_id)


def get_run(run_id: str) -> Run:
    """Fetch a run by id."""
    return MlflowClient().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The parent run of a nested run, or None."""
    return MlflowClient().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    """Mark a run deleted."""
    MlflowClient().delete_run(run_id)


def _active_run_or_start() -> ActiveRun:
    stack = _active_runs.get()
    return stack[-1] if stack else start_run()


def _target(run_id: str | None):
    """(run id, engine) for a data call: the given run, else the (started) active run."""
    if run_id is None:
        active = _active_run_or_start()
        return active._run_id, active._engine
    validation.validate_run_id(run_id)
    return run_id, get_engine(tracking_uri.get_tracking_uri())


# ------------------------------------------------------------------------ run data
def log_metric(key: str, value: float, step: int | None = None,
               synchronous: bool | None = None, timestamp: int | None = None,
               run_id: str | None = None, model_id: str | None = None,
               dataset=None) -> RunOperations | None:
    """Log a metric to the active run (started if needed) or ``run_id``; linked to the
    logged model ``model_id`` (default: the active model) and/or ``dataset``."""
    if model_id is not None or dataset is not None:
        return _log_linked_metric(key, value, step, synchronous, timestamp, run_id, model_id,
                                  dataset)
    if (type(value) is float and type(step) is int and not timestamp and run_id is None
            and type(key) is str and key in KNOWN_KEYS
            and -9223372036854775808 <= step <= 9223372036854775807):
        # The training-loop call, checked inline exactly as validate_metric would.
        timestamp = _time_ns() // 1_000_000  # now_ms, inlined
    else:
        key, value, timestamp, step = validation.validate_metric(
            key, value, timestamp or None, step or None)
    if run_id is None:
        target = _metric_target.get()
        if target is None:  # no run yet, or the metric may link to a model
            return _log_linked_metric(key, value, step, synchronous, timestamp, None, None,
                                      None)
        run_id, engine = target
    else:
        if not _plain_metrics():
            return _log_linked_metric(key, value, step, synchronous, timestamp, run_id, None,
                                      None)
        run_id, engine = _target(run_id)
    if synchronous is None:  # synchronous_mode, inlined on the hot path
        synchronous = not async_logging_default()
    return engine.submit_metric(run_id, key, value, timestamp, step, synchronous)


def _log_linked_metric(key, value, step, synchronous, timestamp, run_id, model_id, dataset):
    from .models import links  # (loads on the first metric that may link to a model)

    return links.log_metric(key, value, step, synchronous, timestamp, run_id, model_id, dataset)


def log_metrics(metrics: dict, step: int | None = None, synchronous: bool | None = None,
                run_id: str | None = None, timestamp: int | None = None,
                model_id: str | None = None, dataset=None) -> RunOperations | None:
    """Log several metrics at one step and timestamp (linked as log_metric's)."""
    if model_id is not None or dataset is not None or not _plain_metrics():
        from .models import links

        return links.log_metrics(metrics, step, synchronous, run_id, timestamp, model_id,
                                 dataset)
    timestamp = timestamp or now_ms()
    step = step or 0
    run_id, engine = _target(run_id)
    rows = validation.log_metrics_rows(run_id, metrics, timestamp, step)
    if not rows:
        return None
    return finish(engine, engine.submit(BATCH, run_id, rows, (), ()), synchronous)


def log_param(key: str, value, synchronous: bool | None = None):
    """Log a param to the active run; returns the value (or a RunOperations)."""
    try:
        checked_key, text = validation.validate_param(key, value)
    except MlflowException as exc:
        raise validation.with_param_hint(exc) from None
    run_id, engine = _target(None)
    operations = finish(engine, engine.submit(PARAM, run_id, checked_key, text), synchronous)
    return value if operations is None else operations


def log_params(params: dict, synchronous: bool | None = None,
               run_id: str | None = None) -> RunOperations | None:
    """Log several params."""
    run_id, engine = _target(run_id)
    _, rows, _ = validation.validate_log_batch(run_id, params=list(params.items()))
    if not rows:
        return None
    return finish(engine, engine.submit(BATCH, run_id, (), rows, ()), synchronous)


def set_tag(key: str, value, synchronous: bool | None = None) -> RunOperations | None:
    """Set a tag on the active run (value stringified)."""
    key, value = validation.validate_tag(key, value)
    run_id, engine = _target(None)
    return finish(engine, engine.submit(BATCH, run_id, (), (), ((key, value),)), synchronous)


def set_tags(tags: dict, synchronous: bool | None = None) -> RunOperations | None:
    """Set several tags on the active run."""
    run_id, engine = _target(None)
    _, _, rows = validation.validate_log_batch(run_id, tags=list(tags.items()))
    if not rows:
        return None
    return finish(engine, engine.submit(BATCH, run_id, (), (), rows), synchronous)


def delete_tag(key: str) -> None:
    """Delete a tag from the active run."""
    run_id, engine = _target(None)
    MlflowClient(engine.tracking_uri).delete_tag(run_id, key)


# ------------------------------------------------------------------------ experiments
def create_experiment(name: str, artifact_location: str | None = None,
                      tags: dict | None = None) -> str:
    """Create an experiment; return its id."""
    return MlflowClient().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id."""
    return MlflowClient().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return MlflowClient().get_experiment_by_name(name)


def delete_experiment(experiment_id: str) -> None:
    """Mark an experiment and its runs deleted."""
    MlflowClient().delete_experiment(experiment_id)


def set_experiment(experiment_name: str | None = None,
                   experiment_id: str | None = None) -> Experiment:
    """Make an experiment active: by name (created if missing) or by id (must exist)."""
    global _active_experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise store_errors.set_experiment_args_error()
    client = MlflowClient()
    if experiment_id is not None:
        experiment = client.get_experiment(experiment_id)
    else:
        experiment = client.get_experiment_by_name(experiment_name)
        if experiment is None:
            _logger.info("Experiment with name '%s' does not exist. Creating a new experiment.",
                         experiment_name)
            experiment = client.get_experiment(client.create_experiment(experiment_name))
    if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
        raise store_errors.set_deleted_experiment_error(experiment.name)
    _active_experiment_id = experiment.experiment_id
    return experiment


def _current_experiment_id() -> str:
    # As MLflow: the experiment set or configured, not the active run's experiment.
    return _resolve_experiment_id(MlflowClient())


def set_experiment_tag(key: str, value) -> None:
    """Set a tag on the current experiment."""
    MlflowClient().set_experiment_tag(_current_experiment_id(), key, value)


def set_experiment_tags(tags: dict) -> None:
    """Set several tags on the current experiment."""
    for key, value in tags.items():
        set_experiment_tag(key, value)


def delete_experiment_tag(key: str) -> None:
    """Delete a tag from the current experiment."""
    MlflowClient().delete_experiment_tag(_current_experiment_id(), key)


# ------------------------------------------------------------------------ search
def search_experiments(view_type: int = 1, max_results: int | None = None,
                       filter_string: str | None = None,
                       order_by: list[str] | None = None) -> list[Experiment]:
    """Experiments matching ``filter_string`` (all of them when ``max_results`` is None),
    most recently updated first unless ``order_by`` says otherwise."""
    from . import search

    if max_results is not None and max_results <= 0:
        return []
    query = search.experiment_search(view_type, max_results, filter_string, order_by,
                                     check_max_results=False)
    experiments, _ = MlflowClient()._engine.read("search_experiments", query)
    return experiments


def search_runs(experiment_ids: list[str] | None = None, filter_string: str = "",
                run_view_type: int = 1, max_results: int = 100000,
                order_by: list[str] | None = None, output_format: str = "pandas",
                search_all_experiments: bool = False,
                experiment_names: list[str] | None = None):
    """Runs matching ``filter_string`` as a pandas DataFrame (``metrics.*``, ``params.*``,
    ``tags.*`` columns) or, with ``output_format="list"``, as Run entities.

    Without experiment ids or names, searches the active experiment (every active
    experiment with ``search_all_experiments=True``).
    """
    from . import search

    no_ids = experiment_ids is None or len(experiment_ids) == 0
    no_names = experiment_names is None or len(experiment_names) == 0
    if not no_ids and not no_names:
        raise MlflowException.invalid_parameter_value(
            "Only experiment_ids or experiment_names can be used, but not both")
    if output_format == "pandas":
        from .search.frame import import_pandas

        import_pandas()
    client = MlflowClient()
    if search_all_experiments and no_ids and no_names:
        experiment_ids = [e.experiment_id for e in search_experiments(view_type=1)]
    elif no_ids and no_names:
        experiment_ids = [_current_experiment_id()]
    elif not no_names:
        found = []
        for name in experiment_names:
            if name is None:
                continue
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                _logger.warning("Cannot retrieve experiment by name %s", name)
            else:
                found.append(experiment.experiment_id)
        experiment_ids = found
    runs = []
    if len(experiment_ids) and (max_results is None or max_results > 0):
        query = search.run_search(experiment_ids, filter_string, run_view_type, max_results,
                                  order_by, None, check_max_results=False)
        runs, _ = client._engine.read("search_runs", query)
    if output_format == "list":
        return runs
    if output_format == "pandas":
        from .search.frame import runs_to_dataframe

        return runs_to_dataframe(runs)
    raise ValueError(f"Unsupported output format: {output_format}. Supported string values are "
                     "'pandas' or 'list'")


# ------------------------------------------------------------------------ engine
def flush_async_logging() -> None:
    """Wait until everything logged so far is durable; raise if any of it failed."""
    flush_all()


_EXIT_STATUS = {"exit": "FINISHED", "exception": "FAILED", "SIGTERM": "KILLED"}


def _end_runs_at_exit(reason: str) -> None:
    # As MLflow, the main thread's active run ends once at exit: FINISHED, or FAILED
    # when an uncaught exception ends the program.  On SIGTERM every run still active
    # in the process (any thread or task) is KILLED: none of them will finish.  Queued,
    # not awaited: the flush that follows delivers it within AIOMLFLOW_EXIT_FLUSH_TIMEOUT
    # (or leaves it in a remote transport's journal).
    status = _EXIT_STATUS[reason]
    if reason == "SIGTERM":
        for run_id, engine in list(_running.items()):
            MlflowClient(engine.tracking_uri)._terminate(run_id, status, None, wait=False)
        _running.clear()
    else:
        _end_active_run(status, wait=False)


def _reset_for_tests() -> None:
    """Forget active runs, last run, active experiment and URIs; stop engines (tests)."""
    global _active_experiment_id
    _set_active_runs(())
    _running.clear()
    _last_active_run_id.set(None)
    _active_experiment_id = None
    tracking_uri.reset()
    close_all()
    artifact_operations.forget_runs()
    from . import system_metrics

    system_metrics._reset_for_tests()
    from .models import fluent as models_fluent, known, links

    _models.reset()
    known.reset()
    links.reset()
    models_fluent._reset_last_logged_model_id()
    from .tracing import reset_for_tests

    reset_for_tests()


def _forget_runs_in_child() -> None:
    # As MLflow: a forked child starts with no active run (the parent still owns it).
    _running.clear()
    _set_active_runs(())
    _last_active_run_id.set(None)
    artifact_operations.forget_runs()
    _models.reset()  # as MLflow: the child's active model comes from the environment


register_before_exit(_end_runs_at_exit)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_runs_in_child)
