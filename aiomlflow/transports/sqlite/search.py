"""Search on MLflow 3.17.2's SQLite schema: the search AST translated into SQL.

Synchronous functions run on the connection's worker thread.  A search is one query
for the page of run (or experiment) rows, in MLflow's order, then one set-based query
per child table (latest_metrics, params, tags, dataset inputs) for the whole page:
never a query per run.  The page query starts from the most selective metric, param
or tag comparison (see ``run_page_sql``).

Semantics follow MLflow's SQL store: a metric filter compares the latest value and
never matches a NaN except with ``!=``; ``attributes.run_name`` compares the
``mlflow.runName`` tag; ordering puts missing values last (and NaN metrics after real
values), then ``start_time DESC`` (unless ordered on), then ``run_id``.
"""

from __future__ import annotations

import json

import orjson

from ...entities import (
    Experiment, ExperimentTag, Metric, Run, RunData, RunInputs, RunOutputs,
)
from ...searches import (
    ATTRIBUTE, DATASET, METRIC, PARAM, TAG, Comparison, ExperimentSearch, RunSearch,
    create_page_token,
)
from .features import json_functions
from .reads import (
    METRIC_HISTORY_SQL, dataset_inputs, in_ids, model_outputs, paused_gc, run_columns, run_info,
    snapshot,
)
from .writes import DEFAULT_WORKSPACE

_NAN = float("nan")
_RUN_NAME_TAG = "mlflow.runName"
_DATASET_CONTEXT_TAG = "mlflow.data.context"

# search's attribute names -> their runs-table columns
_ATTRIBUTE_COLUMNS = {
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


def _child_condition(comp, alias: str, args: list) -> str:
    """The value test of a metric/param/tag clause on the child row ``alias`` ("" for
    IS [NOT] NULL, which only test existence)."""
    op = comp.op
    if op in ("IS NULL", "IS NOT NULL"):
        return ""
    if comp.kind == METRIC:
        condition = _compare(f"{alias}.value", op, float(comp.value), args)
        # NaN is stored as 0 with is_nan set: it only ever satisfies "!=".
        return (f"({condition} OR {alias}.is_nan = 1)" if op == "!="
                else f"({condition} AND {alias}.is_nan = 0)")
    return _compare(f"{alias}.value", op, comp.value, args)


def _child_exists(comp, run_column: str, args: list) -> str:
    """A metric/param/tag clause as an ``EXISTS`` (``NOT EXISTS`` for IS NULL): a
    (key, run_uuid) primary-key lookup for the run in ``run_column``."""
    args.append(comp.key)
    exists = (f"EXISTS (SELECT 1 FROM {_CHILD_TABLES[comp.kind]} c "
              f"WHERE c.run_uuid = {run_column} AND c.key = ?")
    if comp.op == "IS NULL":
        return f"NOT {exists})"
    condition = _child_condition(comp, "c", args)
    return f"{exists} AND {condition})" if condition else f"{exists})"


def _as_child(comp):
    """``attributes.run_name`` is a comparison on the ``mlflow.runName`` tag."""
    if comp.kind == ATTRIBUTE and comp.key == "run_name":
        return Comparison(TAG, _RUN_NAME_TAG, comp.op, comp.value, comp.text)
    return comp


def _run_filter(comp, args: list, run_column: str = "r.run_uuid") -> str:
    kind, key, op, value = comp.kind, comp.key, comp.comparator, comp.value
    if kind in _CHILD_TABLES:
        return _child_exists(comp, run_column, args)
    if kind == ATTRIBUTE:
        return _compare(_ATTRIBUTE_COLUMNS[key], op, value, args)
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
    raise AssertionError(kind)  # pragma: no cover - the parser makes no other kind


def _run_order(q: RunSearch, join_args: list) -> tuple[str, str]:
    """(LEFT JOINs, ORDER BY terms) for the search's order keys plus MLflow's tie-breaks."""
    joins, terms = [], []
    ordered_on_start = False
    for n, key in enumerate(q.order_by):
        direction = "" if key.ascending else " DESC"
        if key.kind == ATTRIBUTE:
            column = _ATTRIBUTE_COLUMNS[key.key]
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


# How a comparison narrows the runs, most selective first (no statistics: the schema
# is MLflow's, and ANALYZE would write to it): equality, then a list, a pattern, a
# range, then the near-universal ones.
_SELECTIVITY = {"=": 0, "IN": 1, "LIKE": 2, "ILIKE": 2, ">": 3, ">=": 3, "<": 3, "<=": 3,
                "!=": 4, "NOT IN": 4, "IS NOT NULL": 5, "IS NULL": 5}
# Per-row costs (µs, measured) of reading a child table: a full scan visits every row
# in storage order; the (key, run_uuid) primary-key index visits only the key's rows
# but then seeks each table row for its value.  The scan wins above ~1 key row in 25.
_SCAN_ROW_COST = 0.045
_SEEK_ROW_COST = 1.1


def _access_cost(db, table: str, key: str) -> tuple[float, bool]:
    """(estimated cost, full scan?) of reading the rows of ``key`` from ``table``."""
    n_rows = db.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
    cap = int(n_rows * _SCAN_ROW_COST / _SEEK_ROW_COST) + 1
    # a covering count of the key's index entries, stopped where the scan is cheaper
    n_key = db.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE key = ? LIMIT ?)",
                       (key, cap)).fetchone()[0]
    if n_key >= cap:
        return n_rows * _SCAN_ROW_COST, True
    return n_key * _SEEK_ROW_COST, False


def _driver(db, filters) -> tuple | None:
    """The clause whose rows drive the search, with its access path, or None for a scan
    of the runs table: the most selective metric/param/tag (or run name) comparison that
    needs a row to exist, unless the runs' primary key is a better start."""
    if db is None:
        return None
    best = None
    for n, comp in enumerate(filters):
        if comp.kind == ATTRIBUTE and comp.key == "run_id" and comp.op in ("=", "IN"):
            return None
        comp = _as_child(comp)
        if comp.kind not in _CHILD_TABLES or comp.op == "IS NULL":
            continue
        rank = (_SELECTIVITY.get(comp.op, 4), n)
        if best is None or rank[0] <= best[0][0]:
            cost, scan = _access_cost(db, _CHILD_TABLES[comp.kind], comp.key)
            rank = (rank[0], cost, n)
            if best is None or rank < best[0]:
                best = (rank, n, scan)
    return None if best is None else (best[1], best[2])


def run_page_sql(q: RunSearch, db=None) -> tuple[str, list]:
    """The SELECT of one page of run rows (info columns), with its arguments.

    With a metric/param/tag comparison that needs a row, and ``db`` to estimate access
    costs, that table drives: its matching rows are read (by a full scan or by the key's
    primary-key range, whichever is cheaper), the other comparisons are primary-key
    lookups for those runs only (most selective first), and each survivor's run row is
    fetched last.  Otherwise every run row is scanned and tested.
    """
    args: list = []
    join_args: list = []
    joins, order = _run_order(q, join_args)
    columns = f"SELECT {run_columns('r')} "
    run_where = [f"r.experiment_id IN ({', '.join('?' * len(q.experiment_ids))})",
                 f"r.lifecycle_stage IN ({', '.join('?' * len(q.stages))})"]
    run_args = [*q.experiment_ids, *q.stages]
    filters = list(q.filters)
    driver = _driver(db, filters)
    if driver is None:
        # attribute comparisons first: SQLite tests AND-ed terms in order, and these need
        # no lookup in another table
        where = run_where
        args += join_args + run_args
        for comp in sorted(filters, key=lambda c: c.kind != ATTRIBUTE):
            where.append(_run_filter(_as_child(comp), args))
        sql = f"{columns}FROM runs r {joins} WHERE {' AND '.join(where)} ORDER BY {order}"
    else:
        n, scan = driver
        comp = _as_child(filters.pop(n))
        args.append(comp.key)
        where = ["d.key = ?"]
        condition = _child_condition(comp, "d", args)
        if condition:
            where.append(condition)
        # The other child clauses, most selective first, are joined on the driver's run:
        # (key, run_uuid) is each child table's primary key, so a join finds at most one
        # row, like EXISTS, without a subquery per candidate.  IS NULL stays NOT EXISTS.
        children = sorted((_as_child(c) for c in filters if _as_child(c).kind in _CHILD_TABLES),
                          key=lambda c: _SELECTIVITY.get(c.op, 4))
        child_joins = ""
        for n_child, child in enumerate(children):
            if child.op == "IS NULL":
                where.append(_child_exists(child, "d.run_uuid", args))
                continue
            alias = f"c{n_child}"
            child_joins += f"CROSS JOIN {_CHILD_TABLES[child.kind]} {alias} "
            args.append(child.key)
            where.append(f"{alias}.key = ? AND {alias}.run_uuid = d.run_uuid")
            condition = _child_condition(child, alias, args)
            if condition:
                where.append(condition)
        where.append("r.run_uuid = d.run_uuid")
        where += run_where
        args += run_args
        for other in filters:
            if _as_child(other).kind not in _CHILD_TABLES:
                where.append(_run_filter(other, args))
        # CROSS JOIN keeps the driver as the outer loop
        sql = (f"{columns}FROM {_CHILD_TABLES[comp.kind]} d{' NOT INDEXED' if scan else ''} "
               f"{child_joins}CROSS JOIN runs r {joins} WHERE {' AND '.join(where)} "
               f"ORDER BY {order}")
        args = join_args + args
    limit = -1 if q.max_results is None else q.max_results + 1
    sql += " LIMIT ? OFFSET ?"
    args += [limit, q.offset]
    return sql, args


# --------------------------------------------------------------------------- loading

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


def _metric_rows(db, run_ids: list):
    """``(run index, key, value or None for NaN, timestamp, step)`` of the runs' latest
    metrics; the run's position stands in for its 32-character id."""
    if json_functions():
        return db.execute(
            "SELECT j.key, c.key, CASE WHEN c.is_nan THEN NULL ELSE c.value END, c.timestamp, "
            "c.step FROM json_each(?) j JOIN latest_metrics c ON c.run_uuid = j.value",
            (json.dumps(run_ids),)).fetchall()
    index = {run_id: n for n, run_id in enumerate(run_ids)}
    return [(index[row[0]], *row[1:]) for row in in_ids(
        db, "SELECT run_uuid, key, CASE WHEN is_nan THEN NULL ELSE value END, timestamp, step "
            "FROM latest_metrics WHERE run_uuid IN ({ids})", run_ids)]


def _key_values(db, table: str, run_ids: list) -> list[dict]:
    """Each run's ``{key: value}`` of params or tags, in run order: with JSON, one object
    per run built by SQLite and decoded by orjson."""
    if json_functions():
        loads = orjson.loads
        return [loads(text) for (text,) in db.execute(
            f"SELECT (SELECT json_group_object(c.key, c.value) FROM {table} c "
            "WHERE c.run_uuid = j.value) FROM json_each(?) j ORDER BY j.key",
            (json.dumps(run_ids),))]
    out = {run_id: {} for run_id in run_ids}
    for run_id, key, value in in_ids(
            db, f"SELECT run_uuid, key, value FROM {table} WHERE run_uuid IN ({{ids}})", run_ids):
        out[run_id][key] = value
    return [out[run_id] for run_id in run_ids]


def _load_run_data(db, rows) -> tuple:
    """The page's run data, one query per table: per run (in page order) its latest
    metric rows and ``{key: value}`` metrics, params and tags, and its dataset inputs."""
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
    return (metric_rows, metrics, params, tags, dataset_inputs(db, run_ids),
            model_outputs(db, run_ids))


def _build_runs(rows, run_data) -> list[Run]:
    """Run entities for run rows and their loaded data."""
    metric_rows, metrics, params, tags, inputs, outputs = run_data
    runs = []
    append = runs.append
    new_data = _SearchRunData.__new__
    for n, row in enumerate(rows):
        info = run_info(row)
        data = new_data(_SearchRunData)
        data._metric_rows = metric_rows[n]
        data._metrics = metrics[n]
        data._params = params[n]
        data._tags = tags[n]
        append(Run(info, data, RunInputs(list(inputs.get(info.run_id, ())), []),
                   RunOutputs(list(outputs.get(info.run_id, ())))))
    return runs


def load_runs(db, rows) -> list[Run]:
    """Run entities for run rows, their data loaded with one query per table."""
    with paused_gc():
        return _build_runs(rows, _load_run_data(db, rows))


def _search_page(db, q: RunSearch) -> tuple:
    """(run rows, next page token, run data) of one page, read from the database."""
    sql, args = run_page_sql(q, db)
    rows = db.execute(sql, args).fetchall()
    token = None
    if q.max_results is not None and len(rows) == q.max_results + 1:
        token = create_page_token(q.offset + q.max_results)
        rows = rows[:q.max_results]
    return rows, token, _load_run_data(db, rows)


def search_runs(db, q: RunSearch):
    """One page of runs and the next page's token (None on the last page)."""
    if not q.experiment_ids or not q.stages:
        return [], None
    with paused_gc():
        # the page and its children from one snapshot: a run committed in between by
        # another process is seen with all its data or not at all
        with snapshot(db):
            rows, token, run_data = _search_page(db, q)
        return _build_runs(rows, run_data), token


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
    with snapshot(db):  # the page and its tags
        return _experiment_page(db, q)


def _experiment_page(db, q: ExperimentSearch):
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
    for experiment_id, key, value in in_ids(
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
    with snapshot(db):  # one query per run, all from one snapshot
        for run_id in ids:
            if limit >= 0 and len(out) >= limit:
                break
            rows = db.execute(METRIC_HISTORY_SQL + " LIMIT ?",
                              (key, run_id, -1 if limit < 0 else limit - len(out))).fetchall()
            with paused_gc():
                out += _metrics_from_rows(key, rows, run_id)
    return out
