"""Synchronous SQL that reads entities; runs on the aiosqlite connection thread."""

from __future__ import annotations

import contextlib
import gc

from ... import store_errors
from ...entities import (
    Experiment, ExperimentTag, Metric, Param, Run, RunData, RunInfo, RunInputs, RunOutputs, RunTag,
)
from .writes import DEFAULT_WORKSPACE

_NAN = float("nan")
_RUN_COLUMNS = ("run_uuid, experiment_id, user_id, status, start_time, end_time, "
                "lifecycle_stage, artifact_uri, name")
_EXPERIMENT_COLUMNS = ("experiment_id, name, artifact_location, lifecycle_stage, "
                       "creation_time, last_update_time")


def _run_info(row) -> RunInfo:
    run_id, experiment_id, user_id, status, start, end, stage, artifact_uri, name = row
    return RunInfo(run_id=run_id, experiment_id=str(experiment_id), user_id=user_id,
                   status=status, start_time=start, end_time=end, lifecycle_stage=stage,
                   artifact_uri=artifact_uri, run_name=name)


def get_run_info(db, run_id: str) -> RunInfo:
    """The RunInfo of a run; RESOURCE_DOES_NOT_EXIST if there is none."""
    row = db.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
    if row is None:
        raise store_errors.run_not_found(run_id)
    return _run_info(row)


def get_run(db, run_id: str) -> Run:
    """The Run with its latest metrics, params and tags."""
    info = get_run_info(db, run_id)
    metrics = [
        Metric(key, _NAN if is_nan else value, timestamp, step)
        for key, value, timestamp, step, is_nan in db.execute(
            "SELECT key, value, timestamp, step, is_nan FROM latest_metrics WHERE run_uuid = ?",
            (run_id,))
    ]
    params = [Param(k, v) for k, v in db.execute(
        "SELECT key, value FROM params WHERE run_uuid = ?", (run_id,))]
    tags = [RunTag(k, v) for k, v in db.execute(
        "SELECT key, value FROM tags WHERE run_uuid = ?", (run_id,))]
    return Run(info, RunData(metrics=metrics, params=params, tags=tags), RunInputs([], []),
               RunOutputs([]))


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while building many objects at once.

    Every 700 new container objects trigger a collection that traverses the young
    generation, so building a million entities costs several times more with the
    collector on.  Entities form no cycles; the collector resumes (if it was on)
    afterwards.  Shared with search's result loading."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# The metric's rows through the covering primary-key index ("key", timestamp, step,
# run_uuid, value, is_nan): with run_uuid fixed its order is MLflow's (timestamp, step,
# value), so no sort is needed; a plain ORDER BY timestamp, step, value sorts every
# (timestamp, step) group, a third of the query's time.
METRIC_HISTORY_SQL = ("SELECT value, timestamp, step, is_nan FROM metrics "
                      "INDEXED BY sqlite_autoindex_metrics_1 "
                      "WHERE key = ? AND run_uuid = ? ORDER BY timestamp, step")


def get_metric_history(db, run_id: str, key: str) -> list[Metric]:
    """All values of one metric, in MLflow's order (timestamp, step, value); like
    MLflow's stores, an unknown run or key has an empty history."""
    nan = _NAN
    with paused_gc():
        return [Metric(key, nan if is_nan else value, timestamp, step)
                for value, timestamp, step, is_nan in db.execute(METRIC_HISTORY_SQL,
                                                                 (key, run_id))]


def _experiment(db, row) -> Experiment:
    experiment_id = row[0]
    tags = [ExperimentTag(k, v) for k, v in db.execute(
        "SELECT key, value FROM experiment_tags WHERE experiment_id = ?", (experiment_id,))]
    return Experiment(str(experiment_id), row[1], row[2], row[3], tags=tags,
                      creation_time=row[4], last_update_time=row[5])


def get_experiment(db, experiment_id) -> Experiment:
    """The experiment with this id; RESOURCE_DOES_NOT_EXIST if there is none."""
    try:
        number = int(experiment_id)
    except (TypeError, ValueError):
        raise store_errors.experiment_not_found(experiment_id) from None
    row = db.execute(f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments WHERE experiment_id = ?",
                     (number,)).fetchone()
    if row is None:
        raise store_errors.experiment_not_found(number)
    return _experiment(db, row)


def get_experiment_by_name(db, name: str) -> Experiment | None:
    """The experiment with this exact name, or None."""
    row = db.execute(f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments "
                     "WHERE name = ? AND workspace = ?", (name, DEFAULT_WORKSPACE)).fetchone()
    return None if row is None else _experiment(db, row)
