"""Our hand-written SQLite schema against the one real MLflow 3.17.2 creates."""

from __future__ import annotations

import os
import sqlite3
import time

import pytest

from aiomlflow.transports.sqlite.schema import (
    SCHEMA_REVISION,
    SCHEMA_SCRIPT,
    create_schema,
    read_revision,
    schema_fingerprint,
)

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402


def _our_fingerprint_in_memory() -> dict:
    conn = sqlite3.connect(":memory:")
    try:
        create_schema(conn)
        return schema_fingerprint(conn)
    finally:
        conn.close()


# Parametrizing needs the names at collection time; building our schema in memory is
# instant, and test_same_tables checks this list is also MLflow's.
TABLES = sorted(_our_fingerprint_in_memory()["tables"])


def _insert_default_experiment(path, artifact_location: str) -> None:
    # the row MLflow's tracking store inserts on first use (see schema.py's docstring)
    now = int(time.time() * 1000)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
            " creation_time, last_update_time, workspace)"
            " VALUES (0, 'Default', ?, 'active', ?, ?, 'default')",
            (artifact_location, now, now),
        )
    conn.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    # MLflow resolves its default artifact root (./mlruns) against the cwd
    path = tmp_path_factory.mktemp("schema")
    old = os.getcwd()
    os.chdir(path)
    try:
        yield path
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def mlflow_db(workdir):
    """A database created by real MLflow 3.17.2 (runs all alembic migrations, once)."""
    path = workdir / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture(scope="module")
def our_db(workdir):
    path = workdir / "ours.db"
    conn = sqlite3.connect(path)
    create_schema(conn)
    conn.close()
    return path


def _fingerprint(path) -> dict:
    conn = sqlite3.connect(path)
    try:
        return schema_fingerprint(conn)
    finally:
        conn.close()


@pytest.fixture(scope="module")
def mlflow_fp(mlflow_db):
    return _fingerprint(mlflow_db)


@pytest.fixture(scope="module")
def our_fp(our_db):
    return _fingerprint(our_db)


def test_same_tables(mlflow_fp, our_fp):
    assert sorted(our_fp["tables"]) == sorted(mlflow_fp["tables"])
    assert len(mlflow_fp["tables"]) == 65


@pytest.mark.parametrize("table", TABLES)
def test_table_matches_mlflow(table, mlflow_fp, our_fp):
    theirs = mlflow_fp["tables"].get(table)
    ours = our_fp["tables"][table]
    assert theirs is not None, f"MLflow has no table {table}"

    assert [c["name"] for c in ours["columns"]] == [c["name"] for c in theirs["columns"]], (
        f"{table}: column names/order differ"
    )
    for mine, real in zip(ours["columns"], theirs["columns"]):
        assert mine == real, f"{table}.{real['name']} differs"
    assert sorted(ours["indexes"]) == sorted(theirs["indexes"]), f"{table}: index names differ"
    for name, real in theirs["indexes"].items():
        assert ours["indexes"][name] == real, f"{table}: index {name} differs"
    assert ours["foreign_keys"] == theirs["foreign_keys"], f"{table}: foreign keys differ"
    assert ours["constraints"] == theirs["constraints"], f"{table}: constraints differ"
    for flag in ("kind", "without_rowid", "strict"):
        assert ours[flag] == theirs[flag], f"{table}: {flag} differs"


def test_whole_fingerprint_matches_mlflow(mlflow_fp, our_fp):
    assert our_fp["triggers"] == mlflow_fp["triggers"]
    assert our_fp["views"] == mlflow_fp["views"]
    assert our_fp == mlflow_fp


def test_seeded_rows_match_mlflow(mlflow_db, our_db):
    """Every row MLflow's migrations seed is in our script; experiment 0 is left out."""
    real = sqlite3.connect(mlflow_db)
    ours = sqlite3.connect(our_db)
    try:
        for table in TABLES:
            rows = sorted(real.execute(f'SELECT * FROM "{table}"').fetchall())
            if table == "experiments":
                assert [r[:2] for r in rows] == [(0, "Default")]
                rows = []
            assert sorted(ours.execute(f'SELECT * FROM "{table}"').fetchall()) == rows, table
    finally:
        real.close()
        ours.close()


def test_read_revision(mlflow_db, our_db, tmp_path):
    for path in (mlflow_db, our_db):
        conn = sqlite3.connect(path)
        assert read_revision(conn) == SCHEMA_REVISION == "dc11669786a5"
        conn.close()
    empty = sqlite3.connect(tmp_path / "empty.db")
    assert read_revision(empty) is None
    empty.close()


def test_fingerprint_sees_differences():
    """Guards against a fingerprint too coarse to notice a wrong default or CHECK."""
    baseline = _our_fingerprint_in_memory()
    for old, new in [
        ("DEFAULT 'default'", "DEFAULT 'other'"),
        ("IN ('active', 'deleted')", "IN ('active', 'Deleted')"),
        ("version_major DESC", "version_major"),
        ("ON DELETE SET NULL", "ON DELETE CASCADE"),
    ]:
        assert old in SCHEMA_SCRIPT
        conn = sqlite3.connect(":memory:")
        conn.executescript(SCHEMA_SCRIPT.replace(old, new, 1))
        assert schema_fingerprint(conn) != baseline, old
        conn.close()


def test_create_schema_is_one_transaction(tmp_path):
    conn = sqlite3.connect(tmp_path / "clash.db")
    conn.execute("CREATE TABLE runs (x INTEGER)")  # clashes midway through the script
    conn.commit()
    with pytest.raises(sqlite3.OperationalError):
        create_schema(conn)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
    assert names == ["runs"]
    conn.close()


def test_real_mlflow_uses_our_database(our_db, workdir, monkeypatch):
    import mlflow.store.db.utils as db_utils

    def no_migration(*args, **kwargs):
        raise AssertionError("MLflow tried to create or migrate tables")

    monkeypatch.setattr(db_utils, "_initialize_tables", no_migration)
    monkeypatch.setattr(db_utils, "_upgrade_db", no_migration)

    # a copy, so the module's fingerprint fixtures see the pristine schema
    path = workdir / "ours_used.db"
    path.write_bytes(our_db.read_bytes())
    artifact_location = str(workdir / "mlruns" / "0")
    _insert_default_experiment(path, artifact_location)
    before = _fingerprint(path)

    client = MlflowClient(tracking_uri=f"sqlite:///{path}")
    default = client.get_experiment("0")
    assert (default.name, default.artifact_location) == ("Default", artifact_location)

    run = client.create_run("0")
    run_id = run.info.run_id
    client.log_metric(run_id, "loss", 0.25, timestamp=1_000, step=7)
    client.log_metric(run_id, "loss", float("nan"), timestamp=2_000, step=8)
    client.log_param(run_id, "lr", "0.01")
    client.set_tag(run_id, "team", "infra")
    client.set_terminated(run_id)

    got = client.get_run(run_id)
    assert got.info.status == "FINISHED"
    assert got.data.params == {"lr": "0.01"}
    assert got.data.tags["team"] == "infra"
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.timestamp) for m in history] == [(7, 1_000), (8, 2_000)]
    assert history[0].value == 0.25 and history[1].value != history[1].value  # NaN
    assert [e.experiment_id for e in client.search_experiments()] == ["0"]

    assert _fingerprint(path) == before
    conn = sqlite3.connect(path)
    assert read_revision(conn) == SCHEMA_REVISION
    conn.close()
