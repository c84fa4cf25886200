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
    sqlite_transport.prepare_database(db, str(tmp_path / "mlruns"))
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
