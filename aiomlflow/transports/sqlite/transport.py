"""The SQLite transport: MLflow 3.17.2's schema behind one sqlite3 connection.

Each operation is one hop to a worker thread (``anyio.to_thread``, one at a time on the
connection), where the synchronous SQL of ``writes`` / ``reads`` runs as a whole;
``database is locked`` is retried with backoff.
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
from urllib.parse import unquote, urlparse

import anyio
import anyio.to_thread
import tenacity

from ...exceptions import MlflowException
from ..base import Transport
from . import assessments, reads, search, settings, traces, writes
from .logged_models import SqliteLoggedModelMethods
from .registry import SqliteRegistryMethods
from .schema import SCHEMA_REVISION, SCHEMA_SCRIPT, read_revision

# How long one statement waits for another process's write lock before SQLITE_BUSY.
_BUSY_TIMEOUT_MS = 20_000
# How long a locked database is retried in all before the operation fails.
_LOCKED_RETRY_SECONDS = 300
# WAL checkpoints copy committed pages into the database file.  Left to SQLite's default
# (every 1,000 pages) one lands inside every other large commit and holds up a flush;
# we run them when the queue runs empty instead, and let SQLite step in only when the
# log grows past this many pages (~64 MB) under logging that never pauses.
_AUTOCHECKPOINT_PAGES = 16_384
# Page cache of each connection, in KiB (SQLite's default is 2 MiB).  A registry search
# walks the versions, their tags and both tables' indexes: once those outgrow 2 MiB
# (10,000 versions do) every search reads its pages from the OS again; this is a
# bound, filled only as pages are read.
_CACHE_KIB = 32_768
# Rows written since the last checkpoint before an idle moment is worth one.
_IDLE_CHECKPOINT_ROWS = 5_000

_logger = logging.getLogger("aiomlflow")


def sqlite_path(uri: str) -> str:
    """The file path of a ``sqlite:///`` URI (``:memory:`` stays as is)."""
    parsed = urlparse(uri)
    path = unquote(parsed.path)
    if uri.startswith("sqlite:////"):
        return path if not path.startswith("//") else path[1:]
    if path in ("", "/"):
        return ":memory:"
    path = path[1:] if path.startswith("/") else path
    return path


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        "locked" in str(exc) or "busy" in str(exc))


_LOCKED_RETRY = dict(
    retry=tenacity.retry_if_exception(_is_transient),
    wait=tenacity.wait_random_exponential(multiplier=0.02, max=1.0),
    stop=tenacity.stop_after_delay(_LOCKED_RETRY_SECONDS),
    reraise=True,
)


def _schema_statements() -> list[str]:
    # executescript would commit our BEGIN IMMEDIATE; split into complete statements
    # instead (sqlite3.complete_statement understands trigger bodies).
    statements, buffer = [], ""
    for line in SCHEMA_SCRIPT.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return statements


def configure(db: sqlite3.Connection, synchronous: str = "NORMAL") -> str:
    """Per-connection settings: lock waits, LIKE semantics, fsync policy and WAL
    behaviour; returns the database's journal mode."""
    db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    # MLflow's LIKE is case-sensitive; ILIKE is the case-insensitive one.
    db.execute("PRAGMA case_sensitive_like = true")
    db.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    mode = db.execute("PRAGMA journal_mode").fetchone()[0].lower()
    if mode == "wal":
        # NORMAL: a commit reaches the OS (durable against a process crash) without an
        # fsync per commit; FULL (AIOMLFLOW_SQLITE_SYNCHRONOUS=full) syncs each one.
        db.execute(f"PRAGMA synchronous = {synchronous}")
        db.execute(f"PRAGMA wal_autocheckpoint = {_AUTOCHECKPOINT_PAGES}")
    else:
        # With a rollback journal NORMAL can corrupt the file at a power cut: FULL.
        db.execute("PRAGMA synchronous = FULL")
    return mode


# Paths already warned about in this process: a re-opened engine (fork, a new tracking
# URI and back) says it once.
_warned_no_wal: set[str] = set()


def _use_wal(db: sqlite3.Connection, path: str) -> str:
    """Switch the database to WAL; where SQLite refuses (a VFS or file system without
    shared memory, say) keep its rollback journal and warn once."""
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower()
    # an in-memory database has no readers in other connections to keep working
    if mode != "wal" and path != ":memory:" and path not in _warned_no_wal:
        _warned_no_wal.add(path)
        _logger.warning(
            "SQLite database %s cannot use WAL (journal_mode stays %r: the file system or "
            "SQLite VFS has no shared-memory support); aiomlflow works in rollback-journal "
            "mode: other readers (mlflow ui, other processes) wait while a batch is written, "
            "and every commit is fsynced.", path, mode)
    return mode


def prepare_database(db: sqlite3.Connection, artifact_root: str, path: str = ":memory:",
                     synchronous: str = "NORMAL") -> str:
    """Set pragmas; create MLflow's schema in a new database or check an existing one.

    Returns the journal mode the database ends up in (``wal`` unless SQLite refused)."""
    configure(db, synchronous)
    with writes.transaction(db):
        revision = read_revision(db)
        if revision is None:
            tables = db.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise MlflowException(
                    "The database has tables but no alembic_version; it was not created by "
                    "MLflow and aiomlflow will not write to it.", "INVALID_STATE")
            for statement in _schema_statements():
                db.execute(statement)
        elif revision != SCHEMA_REVISION:
            raise MlflowException(
                f"The database is at MLflow schema revision {revision!r}, but aiomlflow writes "
                f"revision {SCHEMA_REVISION!r} (MLflow 3.17.2). Upgrade it with "
                "`mlflow db upgrade <tracking-uri>` using mlflow 3.17.2.", "INVALID_STATE")
        writes.insert_default_experiment(db, artifact_root)
    # WAL lets readers (mlflow ui, other processes) work while we write.
    _use_wal(db, path)
    return configure(db, synchronous)


def checkpoint(db: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the database file without waiting for readers."""
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


class SqliteTransport(SqliteLoggedModelMethods, SqliteRegistryMethods, Transport):
    """sqlite3 store on MLflow 3.17.2's SQLite schema, driven from the engine's loop."""

    def __init__(self, uri: str):
        self.uri = uri
        self.path = sqlite_path(uri)
        # MLflow resolves the default artifact root against the working directory.
        self.artifact_root = os.path.abspath("mlruns")
        # PRAGMA synchronous of every connection we open; a bad value fails here
        self.synchronous = settings.synchronous_level()
        self._db: sqlite3.Connection | None = None  # used on anyio's worker threads
        self._limiter: anyio.CapacityLimiter | None = None
        self._rows_since_checkpoint = 0
        self._caller_db: sqlite3.Connection | None = None  # see write_in_caller

    async def open(self) -> None:
        """Connect and make sure the schema is MLflow 3.17.2's."""
        if self.path != ":memory:":
            parent = os.path.dirname(os.path.abspath(self.path))
            if not os.path.isdir(parent):
                raise MlflowException(
                    f"Cannot open {self.uri!r}: directory {parent!r} does not exist.",
                    "INVALID_PARAMETER_VALUE")
        self._limiter = anyio.CapacityLimiter(1)
        self._db = await self._in_thread(functools.partial(
            sqlite3.connect, self.path, isolation_level=None, check_same_thread=False,
            timeout=_BUSY_TIMEOUT_MS / 1000, factory=writes.Connection))
        try:
            await self._run(prepare_database, self.artifact_root, self._display_path(),
                            self.synchronous)
        except BaseException:
            await self.close()
            raise

    def _in_thread(self, fn, *args):
        # One call at a time on the connection (the limiter), off the event loop; not
        # abandoned on cancellation, so a transaction always finishes before we move on.
        return anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    def _display_path(self) -> str:
        return self.path if self.path == ":memory:" else os.path.abspath(self.path)

    async def close(self) -> None:
        """Close the connections (after any call in flight); idempotent."""
        caller_db, self._caller_db = self._caller_db, None
        if caller_db is not None:
            caller_db.close()
        db, self._db = self._db, None
        if db is not None:
            await self._in_thread(db.close)

    async def _run(self, fn, *args):
        """Run ``fn(sqlite_connection, *args)`` on the connection thread, retrying locks."""
        try:
            return await self._in_thread(fn, self._db, *args)
        except sqlite3.OperationalError as exc:
            if not _is_transient(exc):
                raise
        except OverflowError as exc:
            # an integer beyond SQLite's 64 bits (a search filter's, say): MLflow's SQL
            # store answers this as an INTERNAL_ERROR MlflowException
            raise MlflowException(str(exc), "INTERNAL_ERROR") from None
        # Rare path: another process holds the write lock beyond busy_timeout.
        async for attempt in tenacity.AsyncRetrying(**_LOCKED_RETRY):
            with attempt:
                return await self._in_thread(fn, self._db, *args)

    # run data
    async def write_runs(self, batches, durable=None):
        self._rows_since_checkpoint += sum(len(batch.metrics) for batch in batches)
        return await self._run(writes.write_runs, batches, durable)

    @property
    def writes_in_caller(self) -> bool:
        # a second connection to ":memory:" would be another, empty database
        return self.path != ":memory:"

    def write_in_caller(self, batches, durable=None):
        # A plain connection of our own, used by one caller thread at a time (the
        # engine's drain lock): a synchronous call then writes without thread hops.
        return self._in_caller(writes.write_runs, batches, durable)

    # a new run (start_run waits for it), and the run links (a batch of datasets for
    # log_inputs): one transaction each, written by the waiting caller as run data is
    caller_calls = frozenset({"create_run", "log_inputs", "log_outputs"})

    def call_in_caller(self, method: str, args: tuple):
        if method == "create_run":
            return self._in_caller(reads.get_run, self._in_caller(writes.create_run, *args))
        from . import logged_models

        return self._in_caller(getattr(logged_models, method), *args)

    # registry reads: a search or a lookup answered on the caller's thread (no hand-off
    # to the loop and the connection thread and back); they read one snapshot, as on
    # the worker's connection
    caller_reads = frozenset({"search_registry", "get_registered_model", "get_model_version",
                              "get_latest_versions", "get_model_version_by_alias",
                              "get_model_version_download_uri"})

    def read_in_caller(self, method: str, args: tuple):
        from . import registry

        try:
            return self._in_caller(getattr(registry, method), *args)
        except OverflowError as exc:  # as in _run
            raise MlflowException(str(exc), "INTERNAL_ERROR") from None

    def _in_caller(self, fn, *args):
        db = self._caller_db
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                 timeout=_BUSY_TIMEOUT_MS / 1000, factory=writes.Connection)
            configure(db, self.synchronous)
            self._caller_db = db
        try:
            try:
                return fn(db, *args)
            except sqlite3.OperationalError as exc:
                if not _is_transient(exc):
                    raise
            for attempt in tenacity.Retrying(**_LOCKED_RETRY):  # as in _run
                with attempt:
                    return fn(db, *args)
        except BaseException:
            # The caller's thread also runs signal handlers: a KeyboardInterrupt can land
            # between BEGIN and the ``with`` block that would roll it back, and an open
            # transaction would hold the write lock for good.
            if db.in_transaction:
                db.rollback()
            raise

    async def idle(self) -> None:
        if self._rows_since_checkpoint >= _IDLE_CHECKPOINT_ROWS:
            self._rows_since_checkpoint = 0
            await self._run(checkpoint)

    # runs
    async def create_run(self, experiment_id, user_id, start_time, tags, run_name):
        run_id = await self._run(writes.create_run, experiment_id, user_id, start_time, tags,
                                 run_name)
        return await self._run(reads.get_run, run_id)

    async def get_run(self, run_id):
        return await self._run(reads.get_run, run_id)

    async def update_run_info(self, run_id, status, end_time, run_name):
        await self._run(writes.update_run_info, run_id, status, end_time, run_name)
        return await self._run(reads.get_run_info, run_id)

    async def delete_run(self, run_id):
        await self._run(writes.set_run_lifecycle, run_id, "deleted")

    async def restore_run(self, run_id):
        await self._run(writes.set_run_lifecycle, run_id, "active")

    async def get_metric_history(self, run_id, key):
        return await self._run(reads.get_metric_history, run_id, key)

    # experiments
    async def create_experiment(self, name, artifact_location, tags):
        return await self._run(writes.create_experiment, name, artifact_location, tags,
                               self.artifact_root)

    async def get_experiment(self, experiment_id):
        return await self._run(reads.get_experiment, experiment_id)

    async def get_experiment_by_name(self, name):
        return await self._run(reads.get_experiment_by_name, name)

    async def delete_experiment(self, experiment_id):
        await self._run(writes.set_experiment_lifecycle, experiment_id, "deleted")

    async def restore_experiment(self, experiment_id):
        await self._run(writes.set_experiment_lifecycle, experiment_id, "active")

    async def rename_experiment(self, experiment_id, new_name):
        await self._run(writes.rename_experiment, experiment_id, new_name)

    async def set_experiment_tag(self, experiment_id, key, value):
        await self._run(writes.set_experiment_tag, experiment_id, key, value)

    async def delete_experiment_tag(self, experiment_id, key):
        await self._run(writes.delete_experiment_tag, experiment_id, key)

    # search
    async def search_runs(self, query):
        return await self._run(search.search_runs, query)

    async def search_experiments(self, query):
        return await self._run(search.search_experiments, query)

    async def get_metric_history_bulk(self, run_ids, key, max_results=None):
        return await self._run(search.get_metric_history_bulk, list(run_ids), key, max_results)

    # traces
    async def write_traces(self, ops):
        return await self._run(traces.write_traces, ops)

    async def get_trace_info(self, trace_id):
        return await self._run(traces.get_trace_info, trace_id)

    async def get_traces(self, trace_ids):
        return await self._run(traces.get_traces, list(trace_ids))

    async def search_traces(self, query):
        return await self._run(_search_traces, query)

    async def set_trace_tag(self, trace_id, key, value):
        await self._run(traces.set_trace_tag, trace_id, key, value)

    async def delete_trace_tag(self, trace_id, key):
        await self._run(traces.delete_trace_tag, trace_id, key)

    async def delete_traces(self, experiment_id, max_timestamp_millis, max_traces, trace_ids):
        return await self._run(traces.delete_traces, experiment_id, max_timestamp_millis,
                               max_traces, trace_ids)

    async def link_traces_to_run(self, trace_ids, run_id):
        await self._run(traces.link_traces_to_run, list(trace_ids), run_id)

    # assessments
    async def create_assessment(self, assessment):
        return await self._run(assessments.create_assessment, assessment)

    async def get_assessment(self, trace_id, assessment_id):
        return await self._run(assessments.get_assessment, trace_id, assessment_id)

    async def update_assessment(self, trace_id, assessment_id, changes):
        return await self._run(assessments.update_assessment, trace_id, assessment_id, changes)

    async def delete_assessment(self, trace_id, assessment_id):
        await self._run(assessments.delete_assessment, trace_id, assessment_id)


def _search_traces(db, query):
    from .trace_search import search_trace_ids

    with reads.snapshot(db):
        trace_ids, token = search_trace_ids(db, query)
        return traces.read_trace_infos(db, trace_ids), token
