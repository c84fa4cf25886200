"""Search on MLflow 3.17.2's SQLite schema: the search AST translated into SQL.

Synchronous functions run on the aiosqlite connection thread.  A search is one query
for the page of run (or experiment) rows, in MLflow's order, then one set-based query
per child table (latest_metrics, params, tags, dataset inputs) for the whole page:
never a query per run.

Semantics follow MLflow's SQL store: a metric filter compares the latest value and
never matches a NaN except with ``!=``; ``attributes.run_name`` compares the
``mlflow.runName`` tag; ordering puts missing values last (and NaN metrics after real
values), then ``start_time DESC`` (unless ordered on), then ``run_id``.
"""

from __future__ import annotations

import json
import sqlite3

import orjson

from ...sdk.entities import (
    Dataset, DatasetInput, Experiment, ExperimentTag, InputTag, Metric, Run, RunData, RunInfo,
    RunInputs,
)
from ...sdk.search.ast import (
    ATTRIBUTE, DATASET, METRIC, PARAM, TAG, ExperimentSearch, RunSearch,
)
from ...sdk.search.query import create_page_token
from .writes import DEFAULT_WORKSPACE

_NAN = float("nan")
_RUN_NAME_TAG = "mlflow.runName"
_DATASET_CONTEXT_TAG = "mlflow.data.context"

_RUN_COLUMNS = {
    "run_id": "r.run_uuid", "run_name": "r.name", "user_id": "r.user_id", "status": "r.status",
    "start_time": "r.start_time", "end_time": "r.end_time", "artifact_uri": "r.artifact_uri",
}
_CHILD_TABLES = {METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}
_EXPERIMENT_COLUMNS = {
    "experiment_id": "e.experiment_id", "name": "e.name",
    "creation_time": "e.creation_time", "last_update_time": "e.last_update_time",
}


# --------------------------------------------------------------------------- SQL pieces

def _compare(column: str, op: str, value, args: list) -> str:
    """``column <op> value`` as SQLite SQL (ILIKE lower-cases both sides, as SQLAlchemy)."""
    if op in ("IN", "NOT IN"):
        args.extend(value)
        marks = ", ".join("?" * len(value))
        return f"{column} IN ({marks})" if op == "IN" else f"NOT ({column} IN ({marks}))"
    args.append(value)
    if op == "LIKE":
        return f"{column} LIKE ?"
    if op == "ILIKE":
        return f"lower({column}) LIKE lower(?)"
    return f"{column} {op} ?"


def _run_filter(comp, args: list) -> str:
    kind, key, op, value = comp.kind, comp.key, comp.comparator, comp.value
    if kind == ATTRIBUTE:
        if key == "run_name":
            args.append(_RUN_NAME_TAG)
            condition = _compare("t.value", op, value, args)
            return ("EXISTS (SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ? "
                    f"AND {condition})")
        return _compare(_RUN_COLUMNS[key], op, value, args)
    if kind == DATASET:
        if key == "context":
            args.append(_DATASET_CONTEXT_TAG)
            condition = _compare("it.value", op, value, args)
            return ("EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON i.source_id = "
                    "d.dataset_uuid JOIN input_tags it ON it.input_uuid = i.input_uuid "
                    f"AND it.name = ? WHERE i.destination_id = r.run_uuid AND {condition})")
        condition = _compare(f"d.{key}", op, value, args)
        return ("EXISTS (SELECT 1 FROM inputs i JOIN datasets d ON i.source_id = d.dataset_uuid "
                f"WHERE i.destination_id = r.run_uuid AND {condition})")
    # a (key, run_uuid) primary-key lookup per candidate run
    table = _CHILD_TABLES[kind]
    args.append(key)
    exists = f"EXISTS (SELECT 1 FROM {table} c WHERE c.run_uuid = r.run_uuid AND c.key = ?"
    if op == "IS NULL":
        return f"NOT {exists})"
    if op == "IS NOT NULL":
        return f"{exists})"
    if kind == METRIC:
        condition = _compare("c.value", op, float(value), args)
        # NaN is stored as 0 with is_nan set: it only ever satisfies "!=".
        condition = (f"({condition} OR c.is_nan = 1)" if op == "!="
                     else f"({condition} AND c.is_nan = 0)")
    else:
        condition = _compare("c.value", op, value, args)
    return f"{exists} AND {condition})"


def _run_order(q: RunSearch, join_args: list) -> tuple[str, str]:
    """(LEFT JOINs, ORDER BY terms) for the search's order keys plus MLflow's tie-breaks."""
    joins, terms = [], []
    ordered_on_start = False
    for n, key in enumerate(q.order_by):
        direction = "" if key.ascending else " DESC"
        if key.kind == ATTRIBUTE:
            column = _RUN_COLUMNS[key.key]
            ordered_on_start = ordered_on_start or key.key == "start_time"
            terms += [f"({column} IS NULL)", column + direction]
            continue
        alias = f"o{n}"
        joins.append(f"LEFT JOIN {_CHILD_TABLES[key.kind]} {alias} "
                     f"ON {alias}.run_uuid = r.run_uuid AND {alias}.key = ?")
        join_args.append(key.key)
        if key.kind == METRIC:
            terms.append(f"(CASE WHEN {alias}.is_nan = 1 THEN 1 "
                         f"WHEN {alias}.value IS NULL THEN 2 ELSE 0 END)")
        else:
            terms.append(f"({alias}.value IS NULL)")
        terms.append(f"{alias}.value{direction}")
    if not ordered_on_start:
        terms.append("r.start_time DESC")
    terms.append("r.run_uuid")
    return " ".join(joins), ", ".join(terms)


def run_page_sql(q: RunSearch) -> tuple[str, list]:
    """The SELECT of one page of run rows (info columns), with its arguments."""
    args: list = []
    joins, order = _run_order(q, args)
    where = [f"r.experiment_id IN ({', '.join('?' * len(q.experiment_ids))})",
             f"r.lifecycle_stage IN ({', '.join('?' * len(q.stages))})"]
    args.extend(q.experiment_ids)
    args.extend(q.stages)
    # attribute comparisons first: SQLite tests AND-ed terms in order, and these need no
    # lookup in another table
    for comp in sorted(q.filters, key=lambda c: c.kind != ATTRIBUTE):
        where.append(_run_filter(comp, args))
    sql = ("SELECT r.run_uuid, r.experiment_id, r.user_id, r.status, r.start_time, "
           "r.end_time, r.lifecycle_stage, r.artifact_uri, r.name "
           f"FROM runs r {joins} WHERE {' AND '.join(where)} ORDER BY {order}")
    limit = -1 if q.max_results is None else q.max_results + 1
    sql += " LIMIT ? OFFSET ?"
    args += [limit, q.offset]
    return sql, args


# --------------------------------------------------------------------------- loading

def _in_ids(db, sql_template: str, ids: list, extra_args=()):
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


def _dataset_inputs(db, run_ids: list) -> dict[str, list]:
    rows = _in_ids(db, (
        "SELECT i.destination_id, i.input_uuid, d.name, d.digest, d.dataset_source_type, "
        "d.dataset_source, d.dataset_schema, d.dataset_profile FROM inputs i "
        "JOIN datasets d ON d.dataset_uuid = i.source_id WHERE i.source_type = 'DATASET' "
        "AND i.destination_type = 'RUN' AND i.destination_id IN ({ids})"), run_ids)
    if not rows:
        return {}
    tags: dict[str, list] = {}
    for input_uuid, name, value in _in_ids(
            db, "SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN ({ids})",
            [row[1] for row in rows]):
        tags.setdefault(input_uuid, []).append(InputTag(name, value))
    inputs: dict[str, list] = {}
    for run_id, input_uuid, *dataset in rows:
        inputs.setdefault(run_id, []).append(
            DatasetInput(Dataset(*dataset), tags.get(input_uuid, [])))
    return inputs


class _SearchRunData(RunData):
    """RunData whose Metric entities are built from their rows on first use: a search
    of many runs mostly needs only the ``metrics`` dict."""

    __slots__ = ("_metric_rows",)
    _HIDDEN_PROPS = frozenset({"_metric_objs"})

    def __repr__(self) -> str:
        return "<RunData" + super().__repr__()[len("<_SearchRunData"):]

    @property
    def _metric_objs(self) -> list:
        try:
            return _METRIC_OBJS_SLOT.__get__(self, RunData)
        except AttributeError:
            objs = [_metric(key, _NAN if value is None else value, timestamp, step)
                    for _, key, value, timestamp, step in self._metric_rows]
            _METRIC_OBJS_SLOT.__set__(self, objs)
            return objs

    @_metric_objs.setter
    def _metric_objs(self, value) -> None:
        _METRIC_OBJS_SLOT.__set__(self, value)


_METRIC_OBJS_SLOT = RunData.__dict__["_metric_objs"]


def _metric(key, value, timestamp, step, run_id=None) -> Metric:
    metric = Metric.__new__(Metric)
    metric._key = key
    metric._value = value
    metric._timestamp = timestamp
    metric._step = step
    metric._model_id = metric._dataset_name = metric._dataset_digest = None
    metric._run_id = run_id
    return metric


_json_ok: bool | None = None


def _has_json(db) -> bool:
    """Whether this SQLite has its JSON functions (built in since 3.38)."""
    global _json_ok
    if _json_ok is None:
        try:
            db.execute("SELECT json_group_object('a', 1) FROM json_each('[1]')").fetchall()
            _json_ok = True
        except sqlite3.OperationalError:
            _json_ok = False
    return _json_ok


def _metric_rows(db, run_ids: list):
    """``(run index, key, value or None for NaN, timestamp, step)`` of the runs' latest
    metrics; the run's position stands in for its 32-character id."""
    if _has_json(db):
        return db.execute(
            "SELECT j.key, c.key, CASE WHEN c.is_nan THEN NULL ELSE c.value END, c.timestamp, "
            "c.step FROM json_each(?) j JOIN latest_metrics c ON c.run_uuid = j.value",
            (json.dumps(run_ids),)).fetchall()
    index = {run_id: n for n, run_id in enumerate(run_ids)}
    return [(index[row[0]], *row[1:]) for row in _in_ids(
        db, "SELECT run_uuid, key, CASE WHEN is_nan THEN NULL ELSE value END, timestamp, step "
            "FROM latest_metrics WHERE run_uuid IN ({ids})", run_ids)]


def _key_values(db, table: str, run_ids: list) -> list[dict]:
    """Each run's ``{key: value}`` of params or tags, in run order: with JSON, one object
    per run built by SQLite and decoded by orjson."""
    if _has_json(db):
        loads = orjson.loads
        return [loads(text) for (text,) in db.execute(
            f"SELECT (SELECT json_group_object(c.key, c.value) FROM {table} c "
            "WHERE c.run_uuid = j.value) FROM json_each(?) j ORDER BY j.key",
            (json.dumps(run_ids),))]
    out = {run_id: {} for run_id in run_ids}
    for run_id, key, value in _in_ids(
            db, f"SELECT run_uuid, key, value FROM {table} WHERE run_uuid IN ({{ids}})", run_ids):
        out[run_id][key] = value
    return [out[run_id] for run_id in run_ids]


def load_runs(db, rows) -> list[Run]:
    """Run entities for run rows, their data loaded with one query per table."""
    run_ids = [row[0] for row in rows]
    n = len(run_ids)
    metric_rows: list[list] = [[] for _ in range(n)]
    metrics: list[dict] = [{} for _ in range(n)]
    for row in _metric_rows(db, run_ids):
        index, key, value = row[0], row[1], row[2]
        metric_rows[index].append(row)
        metrics[index][key] = _NAN if value is None else value
    params = _key_values(db, "params", run_ids)
    tags = _key_values(db, "tags", run_ids)
    inputs = _dataset_inputs(db, run_ids)
    runs = []
    append = runs.append
    new_data = _SearchRunData.__new__
    for n, (run_id, experiment_id, user_id, status, start, end, stage, artifact_uri,
            name) in enumerate(rows):
        info = RunInfo(run_id, str(experiment_id), user_id, status, start, end, stage,
                       artifact_uri, name)
        data = new_data(_SearchRunData)
        data._metric_rows = metric_rows[n]
        data._metrics = metrics[n]
        data._params = params[n]
        data._tags = tags[n]
        append(Run(info, data, RunInputs(inputs.get(run_id, []), [])))
    return runs


def search_runs(db, q: RunSearch):
    """One page of runs and the next page's token (None on the last page)."""
    if not q.experiment_ids or not q.stages:
        return [], None
    sql, args = run_page_sql(q)
    rows = db.execute(sql, args).fetchall()
    token = None
    if q.max_results is not None and len(rows) == q.max_results + 1:
        token = create_page_token(q.offset + q.max_results)
        rows = rows[:q.max_results]
    return load_runs(db, rows), token


# --------------------------------------------------------------------------- experiments

def _experiment_filter(comp, args: list) -> str:
    if comp.kind == ATTRIBUTE:
        return _compare(_EXPERIMENT_COLUMNS[comp.key], comp.comparator.upper(), comp.value, args)
    args.append(comp.key)
    exists = ("EXISTS (SELECT 1 FROM experiment_tags t WHERE t.experiment_id = e.experiment_id "
              "AND t.key = ?")
    if comp.comparator == "IS NULL":
        return f"NOT {exists})"
    if comp.comparator == "IS NOT NULL":
        return f"{exists})"
    return f"{exists} AND {_compare('t.value', comp.comparator.upper(), comp.value, args)})"


def search_experiments(db, q: ExperimentSearch):
    """One page of experiments and the next page's token."""
    if not q.stages:
        return [], None
    args: list = list(q.stages)
    where = [f"e.lifecycle_stage IN ({', '.join('?' * len(q.stages))})", "e.workspace = ?"]
    args.append(DEFAULT_WORKSPACE)
    for comp in q.filters:
        where.append(_experiment_filter(comp, args))
    order = ", ".join(_EXPERIMENT_COLUMNS[k.key] + ("" if k.ascending else " DESC")
                      for k in q.order_by)
    rows = db.execute(
        "SELECT e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, "
        f"e.creation_time, e.last_update_time FROM experiments e WHERE {' AND '.join(where)} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        (*args, -1 if q.max_results is None else q.max_results + 1, q.offset)).fetchall()
    token = None
    if q.max_results is not None and len(rows) == q.max_results + 1:
        token = create_page_token(q.offset + q.max_results)
        rows = rows[:q.max_results]
    tags: dict[int, list] = {row[0]: [] for row in rows}
    for experiment_id, key, value in _in_ids(
            db, "SELECT experiment_id, key, value FROM experiment_tags "
                "WHERE experiment_id IN ({ids})", [row[0] for row in rows]):
        tags[experiment_id].append(ExperimentTag(key, value))
    experiments = [
        Experiment(str(row[0]), row[1], row[2], row[3], tags=tags[row[0]],
                   creation_time=row[4], last_update_time=row[5])
        for row in rows
    ]
    return experiments, token


# --------------------------------------------------------------------------- metric history

def _metrics_from_rows(key, rows, run_id=None) -> list[Metric]:
    return [_metric(key, _NAN if is_nan else value, timestamp, step, run_id)
            for value, timestamp, step, is_nan in rows]


def get_metric_history_bulk(db, run_ids: list, key: str, max_results=None) -> list[Metric]:
    """The metric's history for several runs, ordered by run id, then timestamp, step and
    value (MLflow's bulk order); each Metric carries its ``run_id``."""
    out: list[Metric] = []
    ids = sorted(set(run_ids))
    limit = -1 if max_results is None else int(max_results)
    for run_id in ids:
        if limit >= 0 and len(out) >= limit:
            break
        rows = db.execute(
            "SELECT value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ? "
            "ORDER BY timestamp, step, value LIMIT ?",
            (run_id, key, -1 if limit < 0 else limit - len(out))).fetchall()
        out += _metrics_from_rows(key, rows, run_id)
    return out
