"""SQLite-store specifics: opening foreign databases, and the git context tags."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

import pytest

import aiomlflow
from aiomlflow.exceptions import MlflowException
from aiomlflow.transports.sqlite.schema import SCHEMA_REVISION


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    aiomlflow.sdk.fluent._reset_for_tests()


def _use(path):
    aiomlflow.set_tracking_uri(f"sqlite:///{path}")


def test_other_schema_revision_is_refused_with_its_name(fresh):
    db_path = fresh / "old.db"
    aiomlflow.set_tracking_uri(f"sqlite:///{db_path}")
    aiomlflow.get_experiment("0")  # creates the schema
    aiomlflow.sdk.fluent._reset_for_tests()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'abc123old'")
    _use(db_path)
    with pytest.raises(MlflowException) as info:
        aiomlflow.start_run()
    message = str(info.value)
    assert "abc123old" in message and SCHEMA_REVISION in message
    assert "mlflow db upgrade" in message


def test_foreign_database_without_alembic_version_is_refused(fresh):
    db_path = fresh / "other.db"
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE something (x INTEGER)")
    _use(db_path)
    with pytest.raises(MlflowException, match="alembic_version"):
        aiomlflow.get_experiment("0")
    with sqlite3.connect(db_path) as conn:  # and nothing was written into it
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert tables == {"something"}


def test_missing_directory_names_the_uri(fresh):
    _use(fresh / "no" / "such" / "dir" / "x.db")
    with pytest.raises(MlflowException, match="does not exist"):
        aiomlflow.get_experiment("0")


def test_engine_recovers_after_a_failed_open(fresh):
    _use(fresh / "missing" / "x.db")
    with pytest.raises(MlflowException):
        aiomlflow.get_experiment("0")
    (fresh / "missing").mkdir()
    assert aiomlflow.get_experiment("0").name == "Default"


def _fake_checkout(root, sha, branch="main", remote="https://user:secret@example.com/team/repo.git"):
    git = root / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text(f"ref: refs/heads/{branch}\n")
    (git / "refs" / "heads" / branch).write_text(sha + "\n")
    (git / "config").write_text(f'[core]\n\tbare = false\n[remote "origin"]\n\turl = {remote}\n')


SCRIPT = """
import json, aiomlflow as mlflow
with mlflow.start_run() as run:
    pass
print(json.dumps(mlflow.get_run(run.info.run_id).data.tags))
"""


def _run_script(directory, env_root):
    script = directory / "train.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{env_root}/mlflow.db"
    out = subprocess.run([sys.executable, str(script)], cwd=directory, env=env,
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_git_tags_in_a_checkout(tmp_path):
    sha = "0123456789abcdef0123456789abcdef01234567"
    _fake_checkout(tmp_path, sha)
    (tmp_path / "src").mkdir()
    tags = _run_script(tmp_path / "src", tmp_path)
    assert tags["mlflow.source.git.commit"] == sha
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://example.com/team/repo.git"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"].endswith("train.py")


def test_packed_ref_and_no_git(tmp_path):
    sha = "89abcdef0123456789abcdef0123456789abcdef"
    repo = tmp_path / "repo"
    repo.mkdir()
    _fake_checkout(repo, sha)
    (repo / ".git" / "refs" / "heads" / "main").unlink()
    (repo / ".git" / "packed-refs").write_text(f"# pack-refs with: peeled\n{sha} refs/heads/main\n")
    assert _run_script(repo, tmp_path)["mlflow.source.git.commit"] == sha
    plain = tmp_path / "plain"
    plain.mkdir()
    assert not any(k.startswith("mlflow.source.git") for k in _run_script(plain, tmp_path))


def _write_and_read(path, ops: list, columns: str, key: str) -> list:
    """Write ``ops`` with the store's batch writer; read metric ``key``'s ``columns`` back
    in step order."""
    from aiomlflow.batches import group_by_run
    from aiomlflow.transports.sqlite import writes

    db = sqlite3.connect(path, isolation_level=None)
    try:
        writes.write_runs(db, group_by_run(ops))
        return db.execute(f"SELECT {columns} FROM metrics WHERE key = ? ORDER BY step",
                          (key,)).fetchall()
    finally:
        db.close()


def test_bulk_metric_insert_keeps_every_double_bit_for_bit(fresh):
    # Batches go to SQLite as multi-row INSERTs in chunks; whatever chunking a batch
    # takes, the stored doubles must be the logged ones exactly (random bit patterns
    # cover subnormals, huge exponents and 17-digit mantissas), and a batch holding NaN
    # or an infinity stores them as MLflow does (0 with is_nan = 1, ±max float).
    import random
    import struct

    from aiomlflow.batches import METRIC

    _use(fresh / "bits.db")
    run_id = aiomlflow.start_run().info.run_id
    aiomlflow.end_run()
    rng = random.Random(7)
    values = [v for v in (struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
                          for _ in range(60_000)) if v - v == 0]
    values += [rng.random() * 10.0 ** rng.randint(-300, 300) for _ in range(20_000)]
    ops = [(n, METRIC, run_id, "bits", value, 1_700_000_000_000, n)
           for n, value in enumerate(values)]
    stored = _write_and_read(fresh / "bits.db", ops, "step, value", "bits")
    pack = struct.Struct("<d").pack
    assert len(stored) == len(values)
    mismatched = [(values[step], got) for step, got in stored if pack(values[step]) != pack(got)]
    assert not mismatched, mismatched[:5]

    odd = [float(n) for n in range(1031)]  # not a power of two: several statement sizes
    odd[3], odd[700], odd[1030] = float("nan"), float("inf"), float("-inf")
    ops = [(n, METRIC, run_id, "odd", value, 1_700_000_000_000, n)
           for n, value in enumerate(odd)]
    stored = _write_and_read(fresh / "bits.db", ops, "step, value, is_nan", "odd")
    top = 1.7976931348623157e308
    expected = [(n, float(n), 0) for n in range(1031)]
    expected[3], expected[700], expected[1030] = (3, 0.0, 1), (700, top, 0), (1030, -top, 0)
    assert stored == expected


def test_a_value_sqlite_refuses_fails_only_its_own_operation(fresh):
    # Validation stops such values at the call site; this is the store's own guard for
    # one that slips through: the write is redone operation by operation, so the good
    # operations around it (in the same run and in another) all land.
    from aiomlflow.batches import BATCH, METRIC, group_by_run
    from aiomlflow.transports.sqlite import writes

    _use(fresh / "guard.db")
    first = aiomlflow.start_run().info.run_id
    aiomlflow.end_run()
    second = aiomlflow.start_run().info.run_id
    aiomlflow.end_run()
    ops = [(n, METRIC, first, "m", float(n), 1, n) for n in range(5)]
    ops.append((5, METRIC, first, "m", 5.0, 1, 2 ** 64))  # beyond SQLite's INTEGER
    ops.append((6, BATCH, second, [("m", 6.0, 1, 6)], [("p", "v")], [("t", None)]))
    ops += [(n, METRIC, second, "m", float(n), 1, n) for n in range(7, 10)]
    db = sqlite3.connect(fresh / "guard.db", isolation_level=None)
    try:
        failures = writes.write_runs(db, group_by_run(ops))
        steps = db.execute("SELECT run_uuid = ?, step FROM metrics ORDER BY step",
                           (first,)).fetchall()
        param = db.execute("SELECT value FROM params WHERE run_uuid = ?", (second,)).fetchall()
        tag = db.execute("SELECT value FROM tags WHERE run_uuid = ? AND key = 't'",
                         (second,)).fetchall()
    finally:
        db.close()
    assert [(seq, error.error_code) for seq, error in failures] == [(5, "INTERNAL_ERROR")]
    assert "too large" in failures[0][1].message
    assert steps == [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (0, 6), (0, 7), (0, 8), (0, 9)]
    assert param == [("v",)]
    assert tag == [(None,)]  # a None tag value is stored, as MLflow's SQL store does


def test_dataset_and_input_ids_are_distinct_time_ordered_uuids():
    """The ids of dataset and input rows: 32 hex digits (MLflow's form), UUIDv7s whose
    consecutive ones count up, distinct past one head's 65,536."""
    import uuid

    from aiomlflow.transports.sqlite.row_ids import ordered_ids

    ids = ordered_ids(70_000)
    assert len(ids) == len(set(ids)) == 70_000
    assert all(len(i) == 32 for i in ids[:10] + ids[-10:])
    parsed = [uuid.UUID(hex=i) for i in ids[:3] + ids[-3:]]
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    assert ids[:65_536] == sorted(ids[:65_536])
    assert ids[65_536:] == sorted(ids[65_536:])
    assert ordered_ids(0) == [] and len(set(ordered_ids(3) + ordered_ids(3))) == 6
