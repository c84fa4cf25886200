"""SQLite transport durability: failed commits, journal modes and the synchronous setting.

aiomlflow only: these look at the SQLite store's own connections and files.
"""

from __future__ import annotations

import sqlite3

import pytest

import aiomlflow
from aiomlflow.batches import METRIC, PARAM, group_by_run
from aiomlflow.transports.sqlite import transport as sqlite_transport
from aiomlflow.transports.sqlite import writes


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh aiomlflow database (MLflow's schema) and a plain connection to it."""
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / "mlflow.db")
    db = sqlite3.connect(path, isolation_level=None)
    sqlite_transport.prepare_database(db, str(tmp_path / "mlruns"), path)
    yield path, db
    db.close()
    aiomlflow.sdk.fluent._reset_for_tests()


def _commit_fails_on_params(db):
    """Make every COMMIT that follows a params insert fail, the way SQLite really fails
    one: a DEFERRABLE INITIALLY DEFERRED foreign key checked only at COMMIT."""
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("CREATE TEMP TABLE parent (id TEXT PRIMARY KEY)")
    db.execute("CREATE TEMP TABLE child (parent_id TEXT REFERENCES parent (id) "
               "DEFERRABLE INITIALLY DEFERRED)")
    db.execute("CREATE TEMP TRIGGER orphan AFTER INSERT ON main.params "
               "BEGIN INSERT INTO child VALUES (NEW.key); END")


def _count(path, table):
    with sqlite3.connect(path) as other:
        return other.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_failed_commit_rolls_back_and_the_connection_stays_usable(store):
    path, db = store
    run_id = writes.create_run(db, "0", "me", 1, [], "r")
    _commit_fails_on_params(db)

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with writes.transaction(db):
            db.execute("INSERT INTO params (key, value, run_uuid) VALUES ('a', '1', ?)",
                       (run_id,))
            db.execute("INSERT INTO tags (key, value, run_uuid) VALUES ('t', 'v', ?)",
                       (run_id,))

    assert not db.in_transaction
    # nothing half-written, neither here nor for another connection
    assert db.execute("SELECT count(*) FROM params").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM tags WHERE key = 't'").fetchone()[0] == 0
    assert _count(path, "params") == 0
    # and the next transaction works (another process can take the write lock, too)
    writes.set_run_lifecycle(db, run_id, "deleted")
    with sqlite3.connect(path, timeout=0) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        assert other.execute("SELECT lifecycle_stage FROM runs").fetchone()[0] == "deleted"


def test_write_runs_whose_commit_fails_leaves_no_rows_and_no_open_transaction(store):
    path, db = store
    run_id = writes.create_run(db, "0", "me", 1, [], "r")
    _commit_fails_on_params(db)
    batches = group_by_run([(1, METRIC, run_id, "m", 1.0, 5, 0),
                            (2, PARAM, run_id, "p", "v")])

    # the one-by-one retry commits the same way and fails too: the error surfaces
    with pytest.raises(sqlite3.IntegrityError):
        writes.write_runs(db, batches)

    assert not db.in_transaction
    assert _count(path, "metrics") == _count(path, "params") == 0
    db.execute("DROP TRIGGER orphan")
    assert writes.write_runs(db, batches) == []
    assert _count(path, "metrics") == _count(path, "params") == 1


# --------------------------------------------------------------------------- journal mode

def _journal_mode(path):
    with sqlite3.connect(path) as other:
        return other.execute("PRAGMA journal_mode").fetchone()[0]


def test_a_new_database_is_in_wal_mode_without_a_warning(store, library_log):
    path, db = store
    assert _journal_mode(path) == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert "WAL" not in library_log.text


def test_without_shared_memory_the_store_works_in_rollback_mode_and_warns_once(
        tmp_path, library_log):
    # SQLite's "unix-none" VFS has no shared-memory support, so WAL is refused
    path = str(tmp_path / "no-shm.db")
    db = sqlite3.connect(f"file:{path}?vfs=unix-none", uri=True, isolation_level=None)
    try:
        mode = sqlite_transport.prepare_database(db, str(tmp_path / "mlruns"), path)
        assert mode == "delete"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        # a rollback journal is only safe at a power cut with FULL
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
        warnings = [r for r in library_log.records if "WAL" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelname == "WARNING"
        assert path in warnings[0].getMessage() and "'delete'" in warnings[0].getMessage()
        assert "rollback-journal mode" in warnings[0].getMessage()

        # the store works, and opening it again does not repeat the warning
        run_id = writes.create_run(db, "0", "me", 1, [], "r")
        assert writes.write_runs(db, group_by_run([(1, METRIC, run_id, "m", 2.0, 5, 0)])) == []
        sqlite_transport.prepare_database(db, str(tmp_path / "mlruns"), path)
        assert len([r for r in library_log.records if "WAL" in r.getMessage()]) == 1
    finally:
        db.close()
    assert _journal_mode(path) == "delete"
    with sqlite3.connect(path) as other:
        assert other.execute("SELECT value FROM metrics").fetchall() == [(2.0,)]


def test_an_in_memory_store_works_without_a_warning(tmp_path, monkeypatch, library_log):
    monkeypatch.chdir(tmp_path)
    aiomlflow.set_tracking_uri("sqlite:///:memory:")
    try:
        with aiomlflow.start_run() as run:
            aiomlflow.log_metric("m", 1.5)
        assert aiomlflow.get_run(run.info.run_id).data.metrics == {"m": 1.5}
    finally:
        aiomlflow.sdk.fluent._reset_for_tests()
    assert "WAL" not in library_log.text


# --------------------------------------------------------------------------- synchronous

def _synchronous_levels(uri):
    """PRAGMA synchronous of both connections a SqliteTransport opens: the engine's and
    the one synchronous calls write through on the caller's thread."""
    import anyio

    transport = sqlite_transport.SqliteTransport(uri)

    async def main():
        await transport.open()
        try:
            engine = await transport._run(
                lambda db: db.execute("PRAGMA synchronous").fetchone()[0])
            transport.write_in_caller([])
            caller = transport._caller_db.execute("PRAGMA synchronous").fetchone()[0]
            return engine, caller
        finally:
            await transport.close()

    return anyio.run(main)


@pytest.mark.parametrize("value, level", [(None, 1), ("normal", 1), ("FULL", 2), (" full ", 2)])
def test_sqlite_synchronous_setting_applies_to_every_connection(tmp_path, monkeypatch,
                                                                 value, level):
    monkeypatch.chdir(tmp_path)
    if value is None:
        monkeypatch.delenv("AIOMLFLOW_SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("AIOMLFLOW_SQLITE_SYNCHRONOUS", value)
    assert _synchronous_levels(f"sqlite:///{tmp_path}/mlflow.db") == (level, level)


@pytest.mark.parametrize("value", ["off", "extra", "2"])
def test_a_bad_sqlite_synchronous_setting_is_refused_naming_the_value(tmp_path, monkeypatch,
                                                                      value):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIOMLFLOW_SQLITE_SYNCHRONOUS", value)
    aiomlflow.set_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")
    try:
        with pytest.raises(aiomlflow.exceptions.MlflowException) as info:
            aiomlflow.get_experiment("0")
    finally:
        aiomlflow.sdk.fluent._reset_for_tests()
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert f"AIOMLFLOW_SQLITE_SYNCHRONOUS={value!r}" in str(info.value)
    assert not (tmp_path / "mlflow.db").exists()
