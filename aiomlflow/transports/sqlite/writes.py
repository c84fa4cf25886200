"""Synchronous SQL that writes runs and experiments; runs on the connection's worker thread.

Values are stored as MLflow 3.17.2's SQLAlchemy store stores them, so real MLflow reads
our rows unchanged: NaN as 0 with ``is_nan = 1``, ±inf as ±max float, times in ms.
"""

from __future__ import annotations

import sqlite3
import uuid
import functools
from itertools import chain
from operator import itemgetter

from ... import store_errors
from ...batches import TAG_DELETED, group_by_run
from ...exceptions import MlflowException
from ...utils.time import get_current_time_millis as now_ms

DEFAULT_WORKSPACE = "default"

class Connection(sqlite3.Connection):
    """The transport's connection: it keeps one cursor, ``writer``, for the statements
    of the write path, which never iterate a result while running another.  sqlite3
    keeps a weak reference to every cursor a connection makes until a purge every few
    hundred cursors; a cursor per statement, at a drain every tick, handed a service's
    garbage collector a stream of objects that live just long enough to be promoted,
    and so more full collections."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writer = self.cursor()


def _writer(db):
    """``db``'s write cursor (any other connection: the connection itself)."""
    return db.writer if type(db) is Connection else db


# Metric rows are bound straight from METRIC-shaped operation tuples
# (seq, kind, run_id, key, value, timestamp, step).  SQLite binds NaN as NULL, which
# the CASE turns into MLflow's storage: 0 with is_nan = 1; ±inf become ±max float.
_MAX = "1.7976931348623157e308"


def _stored_value(v: str) -> str:
    return (f"CASE WHEN {v} IS NULL THEN 0.0 WHEN {v} > {_MAX} THEN {_MAX} "
            f"WHEN {v} < -{_MAX} THEN -{_MAX} ELSE {v} END")


# Keep the newest value per key: highest step, then timestamp, then value (MLflow's order).
_UPSERT_LATEST = (
    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
    f"VALUES (?4, {_stored_value('?5')}, ?6, ?7, ?5 IS NULL, ?3) ON CONFLICT (key, run_uuid) "
    "DO UPDATE SET value = excluded.value, timestamp = excluded.timestamp, "
    "step = excluded.step, is_nan = excluded.is_nan WHERE "
    "(excluded.step, excluded.timestamp, excluded.value) > "
    "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)")
_UPSERT_TAG = ("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?) "
               "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value")
_UPSERT_EXPERIMENT_TAG = (
    "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?) "
    "ON CONFLICT (key, experiment_id) DO UPDATE SET value = excluded.value")
RUN_NAME_TAG = "mlflow.runName"
# A LINKED metric naming a logged model is also recorded on the model, as MLflow's SQL
# store does: rows (seq, model_id, key, value, timestamp, step, dataset_name,
# dataset_digest, experiment_id, run_id); NaN (bound as NULL) is stored as 0.
_INSERT_MODEL_METRIC = (
    "INSERT OR IGNORE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, "
    "metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, "
    f"dataset_digest) VALUES (?2, ?3, ?5, ?6, {_stored_value('?4')}, ?9, ?10, NULL, ?7, ?8)")


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error, COMMIT's own included.

    Taking the write lock up front avoids SQLITE_BUSY upgrade deadlocks between
    processes, and busy_timeout then waits for the lock.  ``begin="BEGIN"`` makes a
    deferred (read) transaction: one snapshot for several SELECTs."""

    __slots__ = ("db", "begin")

    def __init__(self, db: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE"):
        self.db = db
        self.begin = begin

    def __enter__(self):
        _writer(self.db).execute(self.begin)
        return self.db

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self._rollback()
            return False
        try:
            _writer(self.db).execute("COMMIT")
        except BaseException:
            # A failed COMMIT (a deferred constraint, SQLITE_BUSY, an I/O error) can
            # leave the transaction open: the next BEGIN would fail and the write lock
            # would stay held.
            self._rollback()
            raise
        return False

    def _rollback(self) -> None:
        # SQLite rolls back by itself on some errors (SQLITE_FULL, SQLITE_IOERR, ...);
        # a second ROLLBACK would then raise and hide the original error.
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")


# ----------------------------------------------------------------------------- run data
def write_runs(db: sqlite3.Connection, batches: list, durable=None) -> list[tuple[int, MlflowException]]:
    """Apply every RunBatch in one transaction; return the failed operations.

    ``durable(failures)`` is called right after COMMIT (see Transport.write_runs).
    """
    try:
        with transaction(db):
            failures = [failure for batch in batches for failure in _write_run(db, batch)]
    except _DATA_ERRORS:
        # A value that passed validation but that SQLite refuses (an integer beyond 64
        # bits, say) rolled everything back: redo the operations one by one, so that
        # only the culprit fails.
        failures = _write_each(db, batches)
    if durable is not None:
        durable(failures)
    return failures


# Errors that come from one operation's values, not from the database or its lock
_DATA_ERRORS = (TypeError, ValueError, OverflowError, sqlite3.IntegrityError,
                sqlite3.InterfaceError)


def _write_each(db, batches: list) -> list[tuple[int, MlflowException]]:
    """The operations of ``batches`` in one transaction, each in its own savepoint."""
    failures: list[tuple[int, MlflowException]] = []
    with transaction(db):
        for batch in batches:
            for op in batch.ops:
                db.execute("SAVEPOINT one_operation")
                try:
                    failures.extend(_write_run(db, group_by_run([op])[0]))
                except _DATA_ERRORS as exc:
                    db.execute("ROLLBACK TO one_operation")
                    failures.append((op[0], MlflowException(
                        f"{type(exc).__name__}: {exc}", "INTERNAL_ERROR")))
                db.execute("RELEASE one_operation")
    return failures


def _write_run(db, batch) -> list[tuple[int, MlflowException]]:
    run_id = batch.run_id
    writer = _writer(db)
    row = writer.execute("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?",
                         (run_id,)).fetchone()
    if row is None:
        error = store_errors.run_not_found(run_id)
        return [(seq, error) for seq in batch.seqs]
    if row[0] != "active":
        error = store_errors.run_not_active(run_id, row[0])
        return [(seq, error) for seq in batch.seqs]
    failures = _param_conflicts(db, run_id, batch.params) if batch.params else []
    if batch.model_metrics:
        failures.extend(_unknown_models(db, batch.model_metrics, {seq for seq, _ in failures}))
        failures.extend(_model_metric_conflicts(db, run_id, batch.model_metrics,
                                                {seq for seq, _ in failures}))
    if failures:
        # A conflicting call fails as a whole, as MLflow's log_batch does.
        batch = batch.without({seq for seq, _ in failures})
    if batch.metrics:
        _insert_metrics(db, batch.metrics)
        writer.executemany(_UPSERT_LATEST, batch.latest.values())
    if batch.model_metrics:
        experiment_id = db.execute("SELECT experiment_id FROM runs WHERE run_uuid = ?",
                                   (run_id,)).fetchone()[0]
        db.executemany(_INSERT_MODEL_METRIC,
                       [(*row, experiment_id, run_id) for row in batch.model_metrics])
    if batch.params:
        db.executemany("INSERT OR IGNORE INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                       [(p[0], p[1], run_id) for p in batch.params])
    if batch.tag_ops:
        failures.extend(_apply_tag_ops(db, run_id, batch.tag_ops))
    if batch.terminations:
        status, end_time, _ = batch.terminations[-1]
        db.execute("UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ?",
                   (status, end_time, run_id))
    return failures


def _insert_metrics(db, rows: list) -> None:
    """Insert metric rows with multi-row INSERTs bound from the operation tuples as
    they are (row i of a statement binds ?7i+1 .. ?7i+7; seq and kind go unused).

    One statement per chunk of rows is one sqlite3_step, which runs without the GIL:
    the rows are written while a service's own thread keeps running, with no
    per-row work in Python (an executemany takes the GIL back after every row)."""
    flat = list(chain.from_iterable(rows))
    try:
        # a NaN or an infinity anywhere makes the sum non-finite
        total = sum(map(_VALUE, rows))
        finite = total - total == 0
    except TypeError:
        finite = False
    chunk = _chunk_rows(db)
    writer = _writer(db)
    start, n = 0, len(rows)
    while start < n:
        size = min(chunk, 1 << ((n - start).bit_length() - 1))  # a power of two
        writer.execute(_insert_statement(size, finite), flat[7 * start:7 * (start + size)])
        start += size


def _chunk_rows(db) -> int:
    """Rows per statement: a power of two under the connection's bound-variable limit."""
    try:
        limit = db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    except AttributeError:  # Python 3.10: SQLite's historical default
        limit = 999
    return 1 << min(9, (limit // 7).bit_length() - 1)


@functools.lru_cache(maxsize=32)
def _insert_statement(rows: int, finite: bool) -> str:
    """The INSERT of ``rows`` metric rows (the sizes are powers of two, so few
    statements stay prepared in the connection's cache)."""
    values = []
    for i in range(rows):
        b = 7 * i
        value = f"?{b + 5}" if finite else _stored_value(f"?{b + 5}")
        is_nan = "0" if finite else f"?{b + 5} IS NULL"
        values.append(f"(?{b + 4}, {value}, ?{b + 6}, ?{b + 3}, ?{b + 7}, {is_nan})")
    return ("INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES " + ", ".join(values))


_VALUE = itemgetter(4)


def _param_conflicts(db, run_id: str, params: list) -> list[tuple[int, MlflowException]]:
    """Operations that would change an already logged param value."""
    keys = list({p[0] for p in params})
    existing: dict[str, str] = {}
    for start in range(0, len(keys), 500):  # stay under SQLite's bound-variable limit
        chunk = keys[start:start + 500]
        existing.update(db.execute(
            f"SELECT key, value FROM params WHERE run_uuid = ? AND key IN "
            f"({', '.join('?' * len(chunk))})", (run_id, *chunk)))
    conflicts: dict[int, list] = {}
    single: set[int] = set()
    for key, value, seq, is_single in params:
        old = existing.get(key)
        if old is None:
            existing[key] = value
        elif old != value:
            conflicts.setdefault(seq, []).append((key, old, value))
            if is_single:
                single.add(seq)
    return [(seq, (store_errors.param_changed_error(run_id, *items[0]) if seq in single
             else store_errors.param_overwrite_error(run_id, items)))
            for seq, items in conflicts.items()]


def _unknown_models(db, model_metrics: list, failed: set) -> list[tuple[int, MlflowException]]:
    """Operations whose metrics name a logged model the store does not have (MLflow's
    foreign key refuses them); ``failed`` operations are already reported."""
    wanted = list({row[1] for row in model_metrics})
    known = {row[0] for row in db.execute(
        f"SELECT model_id FROM logged_models WHERE model_id IN ({', '.join('?' * len(wanted))})",
        wanted)} if len(wanted) <= 500 else None
    if known is None:
        known = {model_id for model_id in wanted if db.execute(
            "SELECT 1 FROM logged_models WHERE model_id = ?", (model_id,)).fetchone()}
    out: dict[int, MlflowException] = {}
    for row in model_metrics:
        if row[1] not in known and row[0] not in failed and row[0] not in out:
            out[row[0]] = store_errors.logged_model_not_found(row[1])
    return list(out.items())


def _stored_model_value(value: float) -> float:
    if value != value:
        return 0.0
    return max(-1.7976931348623157e308, min(1.7976931348623157e308, value))


def _model_metric_conflicts(db, run_id: str, model_metrics: list,
                            failed: set) -> list[tuple[int, MlflowException]]:
    """Operations recording on a model a value its metric already has, at the same
    timestamp and step from this run, with another value or dataset (the table's primary
    key holds one; MLflow's store refuses the second with BAD_REQUEST).  The same value
    again is no conflict (it is skipped, as MLflow skips it)."""
    seen: dict[tuple, tuple] = {}
    out: dict[int, MlflowException] = {}
    for seq, model_id, key, value, timestamp, step, name, digest in model_metrics:
        if seq in failed or seq in out:
            continue
        pk = (model_id, key, timestamp, step)
        entry = (_stored_model_value(value), name, digest)
        previous = seen.get(pk)
        if previous is None:
            previous = db.execute(
                "SELECT metric_value, dataset_name, dataset_digest FROM logged_model_metrics "
                "WHERE model_id = ? AND metric_name = ? AND metric_timestamp_ms = ? AND "
                "metric_step = ? AND run_id = ?", (*pk, run_id)).fetchone()
            seen[pk] = previous if previous is not None else entry
        if previous is not None and tuple(previous) != entry:
            out[seq] = MlflowException(
                "UNIQUE constraint failed: logged_model_metrics.model_id, "
                "logged_model_metrics.metric_name, logged_model_metrics.metric_timestamp_ms, "
                "logged_model_metrics.metric_step, logged_model_metrics.run_id (model "
                f"{model_id!r} already has metric {key!r} at timestamp {timestamp}, step "
                f"{step} from run {run_id!r}, with another value or dataset)", "BAD_REQUEST")
    return list(out.items())


def _apply_tag_ops(db, run_id: str, tag_ops: list) -> list[tuple[int, MlflowException]]:
    failures = []
    pending: list[tuple] = []
    for key, value, seq in tag_ops:
        if value is not TAG_DELETED:
            pending.append((key, value, run_id))
            continue
        if pending:
            _upsert_tags(db, run_id, pending)
            pending = []
        cursor = db.execute("DELETE FROM tags WHERE run_uuid = ? AND key = ?", (run_id, key))
        if cursor.rowcount == 0:
            failures.append((seq, store_errors.run_tag_not_found(run_id, key)))
    if pending:
        _upsert_tags(db, run_id, pending)
    return failures


def _upsert_tags(db, run_id: str, rows: list) -> None:
    db.executemany(_UPSERT_TAG, rows)
    for key, value, _ in rows:
        if key == RUN_NAME_TAG:
            db.execute("UPDATE runs SET name = ? WHERE run_uuid = ?", (value, run_id))


# ----------------------------------------------------------------------------- runs
def _experiment_row(db, experiment_id: str):
    try:
        number = int(experiment_id)
    except (TypeError, ValueError):
        raise MlflowException(f"Invalid experiment ID {experiment_id!r}. Experiment ID must "
                              "be a valid integer.", "INVALID_PARAMETER_VALUE") from None
    row = db.execute(
        "SELECT experiment_id, name, artifact_location, lifecycle_stage FROM experiments "
        "WHERE experiment_id = ?", (number,)).fetchone()
    if row is None:
        raise store_errors.experiment_not_found(number)
    return row


def _run_stage(db, run_id: str) -> str:
    row = db.execute("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()
    if row is None:
        raise store_errors.run_not_found(run_id)
    return row[0]


def create_run(db, experiment_id: str, user_id: str, start_time: int, tags: list,
               run_name: str | None) -> str:
    """Insert a RUNNING run with its tags; return its id."""
    with transaction(db):
        experiment = _experiment_row(db, experiment_id)
        if experiment[3] != "active":
            raise store_errors.experiment_not_active(experiment[0], experiment[3])
        run_id = uuid.uuid4().hex
        artifact_uri = f"{experiment[2].rstrip('/')}/{run_id}/artifacts"
        tag_rows = [(key, value, run_id) for key, value in tags if key != RUN_NAME_TAG]
        if run_name is not None:
            tag_rows.append((RUN_NAME_TAG, run_name, run_id))
        db.execute(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
            "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
            "artifact_uri, experiment_id, deleted_time) "
            "VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, '', 'active', ?, ?, NULL)",
            (run_id, run_name, user_id, start_time, artifact_uri, experiment[0]))
        db.executemany(_UPSERT_TAG, tag_rows)
    return run_id


def update_run_info(db, run_id: str, status, end_time, run_name) -> None:
    """Set status, end time and/or name of an active run."""
    with transaction(db):
        stage = _run_stage(db, run_id)
        if stage != "active":
            raise store_errors.run_not_active(run_id, stage)
        if status is not None:
            db.execute("UPDATE runs SET status = ? WHERE run_uuid = ?", (status, run_id))
        if end_time is not None:
            db.execute("UPDATE runs SET end_time = ? WHERE run_uuid = ?", (end_time, run_id))
        if run_name is not None:
            _upsert_tags(db, run_id, [(RUN_NAME_TAG, run_name, run_id)])


def set_run_lifecycle(db, run_id: str, stage: str) -> None:
    """Delete (stage 'deleted') or restore (stage 'active') a run."""
    with transaction(db):
        _run_stage(db, run_id)
        deleted_time = now_ms() if stage == "deleted" else None
        db.execute("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE run_uuid = ?",
                   (stage, deleted_time, run_id))


# ----------------------------------------------------------------------------- experiments
def insert_default_experiment(db, artifact_root: str) -> None:
    """Experiment 0, "Default", as MLflow creates it with a new database."""
    now = now_ms()
    db.execute(
        "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, "
        "lifecycle_stage, creation_time, last_update_time, workspace) "
        "VALUES (0, 'Default', ?, 'active', ?, ?, ?)",
        (f"{artifact_root}/0", now, now, DEFAULT_WORKSPACE))


def create_experiment(db, name: str, artifact_location: str | None, tags: list,
                      artifact_root: str) -> str:
    """Insert an experiment; its default artifact location is ``<root>/<id>``."""
    with transaction(db):
        if db.execute("SELECT 1 FROM experiments WHERE name = ? AND workspace = ?",
                      (name, DEFAULT_WORKSPACE)).fetchone():
            raise store_errors.experiment_name_exists(name)
        now = now_ms()
        cursor = db.execute(
            "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
            "last_update_time, workspace) VALUES (?, ?, 'active', ?, ?, ?)",
            (name, artifact_location, now, now, DEFAULT_WORKSPACE))
        experiment_id = cursor.lastrowid
        if not artifact_location:
            db.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?",
                       (f"{artifact_root}/{experiment_id}", experiment_id))
        db.executemany(_UPSERT_EXPERIMENT_TAG,
                       [(key, value, experiment_id) for key, value in tags])
    return str(experiment_id)


def set_experiment_lifecycle(db, experiment_id: str, stage: str) -> None:
    """Delete or restore an experiment together with its runs."""
    with transaction(db):
        row = _experiment_row(db, experiment_id)
        if row[3] == stage:  # delete sees only active ones, restore only deleted ones
            raise store_errors.experiment_not_found(row[0])
        now = now_ms()
        db.execute("UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? "
                   "WHERE experiment_id = ?", (stage, now, row[0]))
        other = "active" if stage == "deleted" else "deleted"
        db.execute("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? "
                   "WHERE experiment_id = ? AND lifecycle_stage = ?",
                   (stage, now if stage == "deleted" else None, row[0], other))


def rename_experiment(db, experiment_id: str, new_name: str) -> None:
    """Rename an active experiment to an unused name."""
    with transaction(db):
        row = _experiment_row(db, experiment_id)
        if row[3] != "active":
            raise store_errors.experiment_rename_not_active()
        if db.execute("SELECT 1 FROM experiments WHERE name = ? AND workspace = ?",
                      (new_name, DEFAULT_WORKSPACE)).fetchone():
            raise MlflowException("UNIQUE constraint failed: experiments.workspace, "
                                  f"experiments.name (name={new_name!r})", "BAD_REQUEST")
        db.execute("UPDATE experiments SET name = ?, last_update_time = ? WHERE experiment_id = ?",
                   (new_name, now_ms(), row[0]))


def set_experiment_tag(db, experiment_id: str, key: str, value: str) -> None:
    """Set a tag on an active experiment."""
    with transaction(db):
        row = _experiment_row(db, experiment_id)
        if row[3] != "active":
            raise store_errors.experiment_not_active(experiment_id, row[3])
        db.execute(_UPSERT_EXPERIMENT_TAG, (key, value, row[0]))


def delete_experiment_tag(db, experiment_id: str, key: str) -> None:
    """Remove a tag from an active experiment."""
    with transaction(db):
        row = _experiment_row(db, experiment_id)
        if row[3] != "active":
            raise store_errors.experiment_not_active(experiment_id, row[3])
        cursor = db.execute("DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?",
                            (row[0], key))
        if cursor.rowcount == 0:
            raise store_errors.experiment_tag_not_found(experiment_id, key)
