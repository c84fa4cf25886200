"""Logged models on MLflow 3.17.2's SQLite schema: the ``logged_models``,
``logged_model_params``, ``logged_model_tags`` and ``logged_model_metrics`` tables, and
the run inputs and outputs that link runs to models (``inputs`` rows RUN_INPUT ->
MODEL_INPUT and RUN_OUTPUT -> MODEL_OUTPUT) and datasets.

Synchronous functions run on the connection's worker thread, each write one transaction.
Rows are what MLflow's SQL store writes: ids ``m-<32 hex>``, the artifact location
``<experiment artifact location>/models/<model_id>/artifacts``, the status as its
integer (PENDING 1, READY 2, FAILED 3), ``lifecycle_stage`` 'active'/'deleted'.
"""

from __future__ import annotations

import urllib.parse
import uuid

from ... import store_errors
from ...entities import LoggedModel, LoggedModelStatus, Metric
from ...model_searches import (
    ATTRIBUTES, METRICS, PARAMS, LoggedModelSearch, encode_page_token, page_offset,
)
from ...utils.time import get_current_time_millis as now_ms
from .reads import in_ids, paused_gc, snapshot
from .row_ids import ordered_ids
from .writes import _experiment_row, transaction

_MODEL_COLUMNS = ("model_id, experiment_id, name, artifact_location, creation_timestamp_ms, "
                  "last_updated_timestamp_ms, status, model_type, source_run_id, status_message")
_UPSERT_MODEL_TAG = (
    "INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (model_id, tag_key) DO UPDATE SET "
    "tag_value = excluded.tag_value")


def model_artifact_location(experiment_location: str, model_id: str) -> str:
    """``<experiment location>/models/<model_id>/artifacts`` (a URI's query kept last)."""
    suffix = f"models/{model_id}/artifacts"
    parsed = urllib.parse.urlparse(experiment_location)
    if parsed.scheme and len(parsed.scheme) > 1 and parsed.query:
        return urllib.parse.urlunparse(
            parsed._replace(path=f"{parsed.path.rstrip('/')}/{suffix}"))
    return f"{experiment_location.rstrip('/')}/{suffix}"


# ----------------------------------------------------------------------------- reads
def _models(db, rows) -> list[LoggedModel]:
    """LoggedModel entities of ``_MODEL_COLUMNS`` rows, with their tags, params and
    every logged metric value (None when the model has none, as MLflow's)."""
    ids = [row[0] for row in rows]
    tags: dict[str, dict] = {}
    params: dict[str, dict] = {}
    metrics: dict[str, list] = {}
    for model_id, key, value in in_ids(
            db, "SELECT model_id, tag_key, tag_value FROM logged_model_tags "
                "WHERE model_id IN ({ids})", ids):
        tags.setdefault(model_id, {})[key] = value
    for model_id, key, value in in_ids(
            db, "SELECT model_id, param_key, param_value FROM logged_model_params "
                "WHERE model_id IN ({ids})", ids):
        params.setdefault(model_id, {})[key] = value
    for row in in_ids(
            db, "SELECT model_id, metric_name, metric_value, metric_timestamp_ms, metric_step, "
                "run_id, dataset_name, dataset_digest FROM logged_model_metrics "
                "WHERE model_id IN ({ids}) ORDER BY rowid", ids):
        model_id = row[0]
        metrics.setdefault(model_id, []).append(Metric(
            key=row[1], value=row[2], timestamp=row[3], step=row[4], run_id=row[5],
            dataset_name=row[6], dataset_digest=row[7], model_id=model_id))
    return [
        LoggedModel(
            experiment_id=str(row[1]), model_id=row[0], name=row[2], artifact_location=row[3],
            creation_timestamp=row[4], last_updated_timestamp=row[5],
            status=LoggedModelStatus.from_int(row[6]), model_type=row[7],
            source_run_id=row[8], status_message=row[9], tags=tags.get(row[0]),
            params=params.get(row[0]), metrics=metrics.get(row[0]))
        for row in rows
    ]


def get_logged_model(db, model_id: str, allow_deleted: bool = False) -> LoggedModel:
    """The model (not a deleted one unless ``allow_deleted``); RESOURCE_DOES_NOT_EXIST."""
    with snapshot(db):
        row = db.execute(
            f"SELECT {_MODEL_COLUMNS}, lifecycle_stage FROM logged_models WHERE model_id = ?",
            (model_id,)).fetchone()
        if row is None or (row[-1] == "deleted" and not allow_deleted):
            raise store_errors.logged_model_not_found(model_id)
        return _models(db, [row[:-1]])[0]


def _model_row(db, model_id: str):
    """(model_id, experiment_id) of a model in any lifecycle stage, as MLflow's writes
    look it up; RESOURCE_DOES_NOT_EXIST if there is none."""
    row = db.execute("SELECT model_id, experiment_id FROM logged_models WHERE model_id = ?",
                     (model_id,)).fetchone()
    if row is None:
        raise store_errors.logged_model_not_found(model_id)
    return row


# ----------------------------------------------------------------------------- writes
def create_logged_model(db, experiment_id, name: str, source_run_id: str | None,
                        tags: list, params: list, model_type: str | None) -> LoggedModel:
    """Insert a PENDING model with its tags and params; return it."""
    store_errors.check_logged_model_name(name)
    with transaction(db):
        experiment = _experiment_row(db, experiment_id)
        if experiment[3] != "active":
            raise store_errors.experiment_not_active(experiment[0], experiment[3])
        model_id = f"m-{uuid.uuid4().hex}"
        now = now_ms()
        db.execute(
            "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
            "creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, "
            "model_type, source_run_id, status_message) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, NULL)",
            (model_id, experiment[0], name, model_artifact_location(experiment[2], model_id),
             now, now, LoggedModelStatus.PENDING.to_int(), model_type, source_run_id))
        _insert_params(db, model_id, experiment[0], params)
        db.executemany(_UPSERT_MODEL_TAG,
                       [(model_id, experiment[0], key, value) for key, value in tags])
        return get_logged_model(db, model_id)


def _insert_params(db, model_id: str, experiment_id: int, params: list) -> None:
    for key, value in params:
        if db.execute("SELECT 1 FROM logged_model_params WHERE model_id = ? AND param_key = ?",
                      (model_id, key)).fetchone():
            raise store_errors.logged_model_param_exists(model_id, key)
        db.execute("INSERT INTO logged_model_params (model_id, experiment_id, param_key, "
                   "param_value) VALUES (?, ?, ?, ?)", (model_id, experiment_id, key, value))


def log_logged_model_params(db, model_id: str, params: list) -> None:
    """Add params (``(key, value)`` pairs) to a model; a key it has already is refused."""
    with transaction(db):
        _, experiment_id = _model_row(db, model_id)
        _insert_params(db, model_id, experiment_id, params)


def finalize_logged_model(db, model_id: str, status: int) -> LoggedModel:
    """Set the model's status (and its last update time); return the model."""
    with transaction(db):
        _model_row(db, model_id)
        db.execute("UPDATE logged_models SET status = ?, last_updated_timestamp_ms = ? "
                   "WHERE model_id = ?", (status, now_ms(), model_id))
        return get_logged_model(db, model_id, allow_deleted=True)


def delete_logged_model(db, model_id: str) -> None:
    """Mark the model deleted (searches and get_logged_model no longer see it)."""
    with transaction(db):
        _model_row(db, model_id)
        db.execute("UPDATE logged_models SET lifecycle_stage = 'deleted', "
                   "last_updated_timestamp_ms = ? WHERE model_id = ?", (now_ms(), model_id))


def set_logged_model_tags(db, model_id: str, tags: list) -> None:
    """Set (or overwrite) tags; a key given twice keeps its last value."""
    with transaction(db):
        _, experiment_id = _model_row(db, model_id)
        db.executemany(_UPSERT_MODEL_TAG, [(model_id, experiment_id, key, value)
                                           for key, value in dict(tags).items()])


def delete_logged_model_tag(db, model_id: str, key: str) -> None:
    """Remove a tag; RESOURCE_DOES_NOT_EXIST if the model does not have it."""
    with transaction(db):
        _model_row(db, model_id)
        cursor = db.execute("DELETE FROM logged_model_tags WHERE model_id = ? AND tag_key = ?",
                            (model_id, key))
        if cursor.rowcount == 0:
            raise store_errors.logged_model_tag_not_found(model_id, key)


# ----------------------------------------------------------------------------- run links
def _active_run_experiment(db, run_id: str) -> int:
    row = db.execute("SELECT lifecycle_stage, experiment_id FROM runs WHERE run_uuid = ?",
                     (run_id,)).fetchone()
    if row is None:
        raise store_errors.run_not_found(run_id)
    if row[0] != "active":
        raise store_errors.run_not_active(run_id, row[0])
    return row[1]


def log_inputs(db, run_id: str, datasets: list, models: list) -> None:
    """Record datasets (DatasetInput) and logged models (LoggedModelInput) as inputs of
    a run; ones it already has are kept as they are (MLflow's de-duplication: the first
    input of a name and digest wins).  A handful of statements whatever the count."""
    with transaction(db):
        experiment_id = _active_run_experiment(db, run_id)
        unique: dict = {}
        for dataset_input in datasets or ():
            dataset = dataset_input._dataset
            unique.setdefault((dataset._name, dataset._digest), dataset_input)
        if unique:
            _link_datasets(db, experiment_id, run_id, unique)
        if models:
            values = []
            for input_uuid, model in zip(ordered_ids(len(models)), models):
                values += (input_uuid, run_id, model.model_id)
            _insert_values(
                db, "INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, "
                    "destination_id, step) VALUES ",
                "(?, 'RUN_INPUT', ?, 'MODEL_INPUT', ?, 0)", 3, values,
                " ON CONFLICT (source_type, source_id, destination_type, destination_id) "
                "DO NOTHING")


# Bound parameters per statement: SQLite's limit before 3.32 (32,766 since).
_MAX_VARIABLES = 999


def _insert_values(db, head: str, marks: str, width: int, values: list,
                   tail: str = "") -> int:
    """``head`` + one ``marks`` group per row + ``tail``, ``values`` holding ``width``
    per row one after the other: many rows in one statement (a row costs a fraction of an
    ``executemany`` step), in chunks within SQLite's limit on parameters.  A later row
    sees the earlier ones, as in executemany.  Returns the count of rows changed."""
    per_chunk = _MAX_VARIABLES // width * width
    changed = 0
    for start in range(0, len(values), per_chunk):
        chunk = values[start:start + per_chunk] if len(values) > per_chunk else values
        changed += db.execute(f"{head}{', '.join([marks] * (len(chunk) // width))}{tail}",
                              chunk).rowcount
    return changed


def _link_datasets(db, experiment_id, run_id: str, unique: dict) -> None:
    """The experiment's dataset rows (existing or new) of ``unique`` ((name, digest) ->
    DatasetInput), each linked to the run once, with its input tags."""
    ids = ordered_ids(2 * len(unique))  # the datasets', then the inputs'
    dataset_uuids = dict(zip(unique, ids))
    values = []
    for dataset_uuid, dataset_input in zip(ids, unique.values()):
        dataset = dataset_input._dataset
        values += (dataset_uuid, experiment_id, dataset._name, dataset._digest,
                   dataset._source_type, dataset._source, dataset._schema, dataset._profile)
    # a dataset the experiment has already keeps its row (and its id)
    inserted = _insert_values(
        db, "INSERT OR IGNORE INTO datasets (dataset_uuid, experiment_id, name, digest, "
            "dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES ",
        "(?, ?, ?, ?, ?, ?, ?, ?)", 8, values)
    linked = ()
    if inserted < len(unique):
        for name, digest, dataset_uuid in in_ids(
                db, "SELECT name, digest, dataset_uuid FROM datasets WHERE experiment_id = ? "
                    "AND name IN ({ids})", sorted({name for name, _ in unique}),
                (experiment_id,)):
            if (name, digest) in dataset_uuids:
                dataset_uuids[name, digest] = dataset_uuid
        # (only a dataset the experiment had already can be linked to the run already)
        linked = {row[0] for row in in_ids(
            db, "SELECT source_id FROM inputs WHERE source_type = 'DATASET' AND "
                "destination_type = 'RUN' AND destination_id = ? AND source_id IN ({ids})",
            sorted(dataset_uuids.values()), (run_id,))}
    input_values, tag_values = [], []
    for input_uuid, (key, dataset_input) in zip(ids[len(unique):], unique.items()):
        dataset_uuid = dataset_uuids[key]
        if dataset_uuid in linked:
            continue
        input_values += (input_uuid, dataset_uuid, run_id)
        for tag in dataset_input._tags:
            tag_values += (input_uuid, tag.key, tag.value)
    _insert_values(db, "INSERT INTO inputs (input_uuid, source_type, source_id, "
                       "destination_type, destination_id, step) VALUES ",
                   "(?, 'DATASET', ?, 'RUN', ?, 0)", 3, input_values)
    # (a user tag named like the context tag gives way to it, the later of the two)
    _insert_values(db, "INSERT OR REPLACE INTO input_tags (input_uuid, name, value) VALUES ",
                   "(?, ?, ?)", 3, tag_values)


def log_outputs(db, run_id: str, models: list) -> None:
    """Record logged models (LoggedModelOutput, with their step) as outputs of a run."""
    with transaction(db):
        _active_run_experiment(db, run_id)
        for model in models:
            db.execute("INSERT INTO inputs (input_uuid, source_type, source_id, "
                       "destination_type, destination_id, step) "
                       "VALUES (?, 'RUN_OUTPUT', ?, 'MODEL_OUTPUT', ?, ?)",
                       (uuid.uuid4().hex, run_id, model.model_id, model.step))


# ----------------------------------------------------------------------------- search
def _compare(column: str, op: str, value, args: list) -> str:
    if op in ("IN", "NOT IN"):
        args.extend(value)
        marks = ", ".join("?" * len(value))
        return f"{column} IN ({marks})" if op == "IN" else f"({column} NOT IN ({marks}))"
    args.append(value)
    if op == "LIKE":
        return f"{column} LIKE ?"
    if op == "ILIKE":
        return f"lower({column}) LIKE lower(?)"
    if op == "<>":
        op = "!="
    return f"{column} {op} ?"


def _dataset_condition(datasets, alias: str, args: list) -> str:
    """Any of the ``datasets`` scopes on the metric row ``alias`` (MLflow: a digest is
    compared when the entry has the key, so a None digest means "no digest")."""
    terms = []
    for dataset in datasets:
        args.append(dataset["dataset_name"])
        term = f"{alias}.dataset_name = ?"
        if "dataset_digest" in dataset:
            digest = dataset["dataset_digest"]
            if digest is None:
                term += f" AND {alias}.dataset_digest IS NULL"
            else:
                args.append(digest)
                term += f" AND {alias}.dataset_digest = ?"
        terms.append(f"({term})")
    return "(" + " OR ".join(terms) + ")"


def _where(q: LoggedModelSearch, args: list) -> list[str]:
    where = ["m.lifecycle_stage != 'deleted'",
             f"m.experiment_id IN ({', '.join('?' * len(q.experiment_ids))})"]
    args.extend(int(e) for e in q.experiment_ids)
    has_metric_filter = False
    for comp in q.comparisons:
        if comp.kind == ATTRIBUTES:
            where.append(_compare(f"m.{comp.key}", comp.op, comp.value, args))
        elif comp.kind == METRICS:
            has_metric_filter = True
            args.append(comp.key)
            condition = (f"EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = "
                         f"m.model_id AND x.metric_name = ? AND "
                         f"{_compare('x.metric_value', comp.op, comp.value, args)}")
            if q.datasets:
                condition += " AND " + _dataset_condition(q.datasets, "x", args)
            where.append(condition + ")")
        else:
            table, key, value = (("logged_model_params", "param_key", "param_value")
                                 if comp.kind == PARAMS else
                                 ("logged_model_tags", "tag_key", "tag_value"))
            args.append(comp.key)
            where.append(f"EXISTS (SELECT 1 FROM {table} x WHERE x.model_id = m.model_id AND "
                         f"x.{key} = ? AND {_compare('x.' + value, comp.op, comp.value, args)})")
    if q.datasets and not has_metric_filter:
        # datasets alone: the models with a metric on any of them
        where.append("EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model_id = "
                     f"m.model_id AND {_dataset_condition(q.datasets, 'x', args)})")
    return where


def _order(q: LoggedModelSearch, join_args: list) -> tuple[str, str]:
    joins, terms = [], []
    on_creation = on_id = False
    for n, order in enumerate(q.orders):
        direction = "" if order.ascending else " DESC"
        if not order.metric:
            column = f"m.{order.key}"
            on_creation = on_creation or order.key == "creation_timestamp_ms"
            on_id = on_id or order.key == "model_id"
            terms += [f"({column} IS NULL)", column + direction]
            continue
        # the latest value of the metric per model (latest timestamp, then step, then the
        # first run id), optionally among its values on a dataset
        alias = f"o{n}"
        scope = ""
        join_args.append(order.key)
        if order.dataset_name:
            scope += " AND dataset_name = ?"
            join_args.append(order.dataset_name)
        if order.dataset_digest:
            scope += " AND dataset_digest = ?"
            join_args.append(order.dataset_digest)
        joins.append(
            f"LEFT JOIN (SELECT model_id, metric_value FROM (SELECT model_id, metric_value, "
            f"row_number() OVER (PARTITION BY model_id, metric_name ORDER BY "
            f"metric_timestamp_ms DESC, metric_step DESC, run_id) AS row_num "
            f"FROM logged_model_metrics WHERE metric_name = ?{scope}) WHERE row_num = 1) "
            f"{alias} ON {alias}.model_id = m.model_id")
        terms += [f"({alias}.metric_value IS NULL)", f"{alias}.metric_value{direction}"]
    if not on_creation:
        terms.append("m.creation_timestamp_ms DESC")
    if not on_id:
        terms.append("m.model_id")
    return " ".join(joins), ", ".join(terms)


def search_logged_models(db, q: LoggedModelSearch):
    """One page of models in MLflow's order and the next page's token (or None)."""
    offset = page_offset(q)
    size = q.page_size
    join_args: list = []
    joins, order = _order(q, join_args)
    args: list = []
    where = _where(q, args)
    columns = ", ".join(f"m.{c.strip()}" for c in _MODEL_COLUMNS.split(","))
    with paused_gc(), snapshot(db):
        rows = db.execute(
            f"SELECT {columns} FROM logged_models m {joins} WHERE {' AND '.join(where)} "
            f"ORDER BY {order} LIMIT ? OFFSET ?",
            (*join_args, *args, size + 1, offset)).fetchall()
        token = None
        if len(rows) > size:
            token = encode_page_token(q, offset + size)
            rows = rows[:size]
        return _models(db, rows), token


class SqliteLoggedModelMethods:
    """The SQLite transport's logged-model methods (``self._run`` runs a function of
    this module on the connection thread)."""

    async def create_logged_model(self, experiment_id, name, source_run_id, tags, params,
                                  model_type):
        return await self._run(create_logged_model, experiment_id, name, source_run_id,
                               list(tags), list(params), model_type)

    async def get_logged_model(self, model_id, allow_deleted=False):
        return await self._run(get_logged_model, model_id, allow_deleted)

    async def finalize_logged_model(self, model_id, status):
        return await self._run(finalize_logged_model, model_id, status.to_int())

    async def delete_logged_model(self, model_id):
        await self._run(delete_logged_model, model_id)

    async def set_logged_model_tags(self, model_id, tags):
        await self._run(set_logged_model_tags, model_id, list(tags))

    async def delete_logged_model_tag(self, model_id, key):
        await self._run(delete_logged_model_tag, model_id, key)

    async def log_logged_model_params(self, model_id, params):
        await self._run(log_logged_model_params, model_id, list(params))

    async def search_logged_models(self, query):
        return await self._run(search_logged_models, query)

    async def log_inputs(self, run_id, datasets, models):
        await self._run(log_inputs, run_id, list(datasets or ()), list(models or ()))

    async def log_outputs(self, run_id, models):
        await self._run(log_outputs, run_id, list(models))
