"""SQLite reads: get_run's dataset inputs (against real mlflow) and read snapshots.

aiomlflow only: the snapshot tests reach into the SQLite transport's read functions.
"""

from __future__ import annotations

import os
import sqlite3

import pytest

import aiomlflow
from aiomlflow.transports.sqlite import reads, search
from conftest import ensure_store


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            monkeypatch.delenv(key)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    aiomlflow.set_tracking_uri(uri)
    yield uri, str(tmp_path / "mlflow.db")
    aiomlflow.sdk.fluent._reset_for_tests()


@pytest.fixture
def real_fluent(real_mlflow, fresh):
    """Real mlflow's fluent API on the same database; its globals restored afterwards."""
    import mlflow.tracking._tracking_service.utils as tracking_utils

    uri, _ = fresh
    real_mlflow.set_tracking_uri(ensure_store(uri))
    try:
        yield real_mlflow
    finally:
        while real_mlflow.active_run() is not None:
            real_mlflow.end_run()
        tracking_utils._tracking_uri = None
        os.environ.pop("MLFLOW_TRACKING_URI", None)


def _inputs(run):
    """Each dataset input as comparable plain values, in a stable order."""
    return sorted(
        (d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source,
         d.dataset.schema, d.dataset.profile, tuple(sorted((t.key, t.value) for t in d.tags)))
        for d in run.inputs.dataset_inputs)


def test_get_run_returns_the_datasets_real_mlflow_logged(real_fluent, fresh):
    import pandas as pd

    uri, _ = fresh
    train = real_fluent.data.from_pandas(pd.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]}),
                                         source="/data/train.csv", name="train")
    evaluation = real_fluent.data.from_pandas(pd.DataFrame({"x": [4.5]}),
                                              source="/data/eval.csv", name="eval")
    with real_fluent.start_run() as run:
        real_fluent.log_input(train, context="training", tags={"fold": "1"})
        real_fluent.log_input(evaluation, context="eval")
        real_fluent.log_metric("m", 1.0)
    with real_fluent.start_run() as bare:
        pass

    theirs = real_fluent.MlflowClient(tracking_uri=uri)
    ours = aiomlflow.MlflowClient(tracking_uri=uri)
    expected = _inputs(theirs.get_run(run.info.run_id))
    assert len(expected) == 2
    assert {(name, tags) for name, _, _, _, _, _, tags in expected} == {
        ("train", (("fold", "1"), ("mlflow.data.context", "training"))),
        ("eval", (("mlflow.data.context", "eval"),))}
    assert _inputs(ours.get_run(run.info.run_id)) == expected
    assert aiomlflow.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    # and the same through search, which shares the loader
    found = ours.search_runs([run.info.experiment_id], filter_string="metrics.m = 1")
    assert [_inputs(r) for r in found] == [expected]
    assert ours.get_run(bare.info.run_id).inputs.dataset_inputs == []


# --------------------------------------------------------------------------- snapshots

def _commit_from_another_process(path, run_id):
    """What another process writing the store commits: a new metric, param and tag."""
    with sqlite3.connect(path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, "
                      "run_uuid) VALUES ('late', 1, 1, 0, 0, ?)", (run_id,))
        other.execute("INSERT INTO params (key, value, run_uuid) VALUES ('late', 'x', ?)",
                      (run_id,))
        other.execute("INSERT INTO tags (key, value, run_uuid) VALUES ('late', 'x', ?)",
                      (run_id,))
        other.execute("UPDATE runs SET status = 'FAILED' WHERE run_uuid = ?", (run_id,))
        other.execute("COMMIT")


def _logged_run():
    with aiomlflow.start_run() as run:
        aiomlflow.log_metric("m", 1.0)
        aiomlflow.log_param("p", "v")
    return run.info.run_id


def test_get_run_reads_one_snapshot_while_another_process_commits(fresh, monkeypatch):
    _, path = fresh
    run_id = _logged_run()
    read_info = reads.get_run_info
    commits = []

    def info_then_a_commit(db, run_id):
        info = read_info(db, run_id)
        if not commits:  # between get_run's first statement and the next ones
            _commit_from_another_process(path, run_id)
            commits.append(run_id)
        return info

    monkeypatch.setattr(reads, "get_run_info", info_then_a_commit)
    run = aiomlflow.get_run(run_id)
    assert commits == [run_id]
    # all of it as it was when the read began: no half of the other commit
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"m": 1.0}
    assert run.data.params == {"p": "v"}
    assert "late" not in run.data.tags
    # the next read sees all of the commit
    after = aiomlflow.get_run(run_id)
    assert after.info.status == "FAILED"
    assert after.data.metrics["late"] == 1 and after.data.params["late"] == "x"
    assert after.data.tags["late"] == "x"


def test_search_runs_reads_one_snapshot_while_another_process_commits(fresh, monkeypatch):
    _, path = fresh
    run_id = _logged_run()
    load = search._load_run_data
    commits = []

    def commit_then_load(db, rows):
        if not commits:  # between the page query and the child queries
            _commit_from_another_process(path, run_id)
            commits.append(run_id)
        return load(db, rows)

    monkeypatch.setattr(search, "_load_run_data", commit_then_load)
    [run] = aiomlflow.MlflowClient().search_runs(["0"])
    assert commits == [run_id]
    assert run.info.status == "FINISHED"
    assert run.data.metrics == {"m": 1.0}
    assert run.data.params == {"p": "v"}
    assert "late" not in run.data.tags
    [after] = aiomlflow.MlflowClient().search_runs(["0"])
    assert after.data.params == {"p": "v", "late": "x"}


def test_reads_work_while_another_process_holds_the_write_lock(fresh):
    _, path = fresh
    run_id = _logged_run()
    with sqlite3.connect(path, isolation_level=None) as other:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO params (key, value, run_uuid) VALUES ('pending', 'x', ?)",
                      (run_id,))
        try:
            assert aiomlflow.get_run(run_id).data.params == {"p": "v"}
            [run] = aiomlflow.MlflowClient().search_runs(["0"], filter_string="params.p = 'v'")
            assert run.data.params == {"p": "v"}
            assert aiomlflow.get_experiment("0").name == "Default"
        finally:
            other.execute("ROLLBACK")
    assert aiomlflow.get_run(run_id).data.params == {"p": "v"}
