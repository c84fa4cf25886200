"""Synchronous SQL that reads entities; runs on the connection's worker thread."""

from __future__ import annotations

import contextlib
import gc
import json
import sqlite3

from ... import store_errors
from ...entities import (
    Dataset, DatasetInput, Experiment, ExperimentTag, InputTag, LoggedModelInput,
    LoggedModelOutput, Metric, Param, Run, RunData, RunInfo, RunInputs, RunOutputs, RunTag,
)
from .writes import DEFAULT_WORKSPACE, transaction

_NAN = float("nan")
# The runs-table columns a RunInfo is built from, in run_info's order: every query of
# run rows (get_run, search's page query) selects these.
RUN_COLUMNS = ("run_uuid", "experiment_id", "user_id", "status", "start_time", "end_time",
               "lifecycle_stage", "artifact_uri", "name")
_EXPERIMENT_COLUMNS = ("experiment_id, name, artifact_location, lifecycle_stage, "
                       "creation_time, last_update_time")


def run_columns(alias: str = "") -> str:
    """RUN_COLUMNS as a SELECT list, qualified by the table alias if one is given."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + column for column in RUN_COLUMNS)


def run_info(row) -> RunInfo:
    """The RunInfo of a row of RUN_COLUMNS."""
    run_id, experiment_id, user_id, status, start, end, stage, artifact_uri, name = row
    return RunInfo(run_id, str(experiment_id), user_id, status, start, end, stage,
                   artifact_uri, name)


def snapshot(db):
    """A read transaction: the SELECTs inside see one snapshot of the database, so a
    commit by another process between them is seen entirely or not at all.  (Inside a
    transaction already open on ``db``, they share that one.)"""
    if db.in_transaction:
        return contextlib.nullcontext(db)
    return transaction(db, "BEGIN")


def get_run_info(db, run_id: str) -> RunInfo:
    """The RunInfo of a run; RESOURCE_DOES_NOT_EXIST if there is none."""
    row = db.execute(f"SELECT {run_columns()} FROM runs WHERE run_uuid = ?",
                     (run_id,)).fetchone()
    if row is None:
        raise store_errors.run_not_found(run_id)
    return run_info(row)


def get_run(db, run_id: str) -> Run:
    """The Run with its latest metrics, params, tags and dataset inputs, read from one
    snapshot."""
    with snapshot(db):
        info = get_run_info(db, run_id)
        metrics = [
            Metric(key, _NAN if is_nan else value, timestamp, step)
            for key, value, timestamp, step, is_nan in db.execute(
                "SELECT key, value, timestamp, step, is_nan FROM latest_metrics "
                "WHERE run_uuid = ?", (run_id,))
        ]
        params = [Param(k, v) for k, v in db.execute(
            "SELECT key, value FROM params WHERE run_uuid = ?", (run_id,))]
        tags = [RunTag(k, v) for k, v in db.execute(
            "SELECT key, value FROM tags WHERE run_uuid = ?", (run_id,))]
        inputs = dataset_inputs(db, [run_id]).get(run_id, [])
        models_in = model_inputs(db, run_id)
        models_out = model_outputs(db, [run_id]).get(run_id, [])
    return Run(info, RunData(metrics=metrics, params=params, tags=tags),
               RunInputs(inputs, models_in), RunOutputs(models_out))


def in_ids(db, sql_template: str, ids: list, extra_args=()):
    """Rows of ``sql_template`` (with ``{ids}`` standing for the id set) over all ids."""
    if not ids:
        return []
    try:
        return db.execute(sql_template.format(ids="SELECT value FROM json_each(?)"),
                          (*extra_args, json.dumps(ids))).fetchall()
    except sqlite3.OperationalError as exc:   # SQLite built without JSON functions
        if "json_each" not in str(exc):
            raise
    rows = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows += db.execute(sql_template.format(ids=", ".join("?" * len(chunk))),
                           (*extra_args, *chunk)).fetchall()
    return rows


def dataset_inputs(db, run_ids: list) -> dict[str, list]:
    """``{run_id: [DatasetInput]}`` of the runs that have dataset inputs, with their
    input tags (the dataset's context among them)."""
    rows = in_ids(db, (
        "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source_type, "
        "d.dataset_source, d.dataset_schema, d.dataset_profile FROM inputs i "
        "JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' "
        "AND i.destination_type = 'RUN' AND i.destination_id IN ({ids})"), run_ids)
    if not rows:
        return {}
    tags: dict[str, list] = {}
    for input_uuid, name, value in in_ids(
            db, "SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN ({ids})",
            [row[1] for row in rows]):
        tags.setdefault(input_uuid, []).append(InputTag(name, value))
    inputs: dict[str, list] = {}
    for run_id, input_uuid, *dataset in rows:
        inputs.setdefault(run_id, []).append(
            DatasetInput(Dataset(*dataset), tags.get(input_uuid, [])))
    return inputs


def model_inputs(db, run_id: str) -> list[LoggedModelInput]:
    """The logged models a run took as inputs."""
    return [LoggedModelInput(model_id) for (model_id,) in db.execute(
        "SELECT destination_id FROM inputs WHERE source_type = 'RUN_INPUT' AND source_id = ? "
        "AND destination_type = 'MODEL_INPUT'", (run_id,))]


def model_outputs(db, run_ids: list) -> dict[str, list[LoggedModelOutput]]:
    """``{run_id: [LoggedModelOutput]}`` of the runs that have model outputs."""
    out: dict[str, list] = {}
    for run_id, model_id, step in in_ids(
            db, "SELECT source_id, destination_id, step FROM inputs WHERE "
                "source_type = 'RUN_OUTPUT' AND destination_type = 'MODEL_OUTPUT' AND "
                "source_id IN ({ids})", run_ids):
        out.setdefault(run_id, []).append(LoggedModelOutput(model_id, step))
    return out


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
    with snapshot(db):
        row = db.execute(f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments "
                         "WHERE experiment_id = ?", (number,)).fetchone()
        if row is None:
            raise store_errors.experiment_not_found(number)
        return _experiment(db, row)


def get_experiment_by_name(db, name: str) -> Experiment | None:
    """The experiment with this exact name, or None."""
    with snapshot(db):
        row = db.execute(f"SELECT {_EXPERIMENT_COLUMNS} FROM experiments "
                         "WHERE name = ? AND workspace = ?", (name, DEFAULT_WORKSPACE)).fetchone()
        return None if row is None else _experiment(db, row)
