"""Interop with real mlflow 3.17.2, both ways, on one SQLite database.

* what aiomlflow logs is read identically by real ``MlflowClient.get_run``,
  ``get_metric_history`` and ``mlflow.search_runs``;
* a real ``mlflow server`` on that database serves those runs over REST;
* what real mlflow logged is read by aiomlflow and appended to, and real mlflow then
  sees the additions.

aiomlflow only: with ``AIOMLFLOW_TESTS_TARGET=mlflow`` both sides would be mlflow.
"""

from __future__ import annotations

import contextlib
import math
import os
import urllib.parse

import pytest

from conftest import IS_MLFLOW, MlflowServer, ensure_store, get_json

pytestmark = pytest.mark.skipif(IS_MLFLOW, reason="interop tests compare aiomlflow with mlflow")

FLOAT_MAX = 1.7976931348623157e308


@pytest.fixture
def db_uri(mlflow, tmp_path):
    uri = f"sqlite:///{tmp_path}/interop.db"
    mlflow.set_tracking_uri(uri)
    return uri


@pytest.fixture
def real(real_mlflow):
    """Real mlflow; restores its global tracking URI afterwards."""
    import mlflow.tracking._tracking_service.utils as tracking_utils

    yield real_mlflow
    tracking_utils._tracking_uri = None
    os.environ.pop("MLFLOW_TRACKING_URI", None)


@contextlib.contextmanager
def real_tracking_uri(real, uri):
    import mlflow.tracking._tracking_service.utils as tracking_utils

    old_uri, old_env = tracking_utils._tracking_uri, os.environ.get("MLFLOW_TRACKING_URI")
    real.set_tracking_uri(uri)
    try:
        yield
    finally:
        tracking_utils._tracking_uri = old_uri
        if old_env is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old_env


def _same_float(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def _metrics_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_same_float(a[k], b[k]) for k in a)


def _history(client, run_id, key):
    return sorted(
        ((m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value)
         for m in client.get_metric_history(run_id, key)),
    )


def _info_tuple(info):
    return (
        info.run_id,
        info.experiment_id,
        info.run_name,
        info.status,
        info.start_time,
        info.end_time,
        info.lifecycle_stage,
        info.artifact_uri,
        info.user_id,
    )


def _log_sample(mlflow):
    """Log a representative set of data with aiomlflow; return ids."""
    exp_id = mlflow.create_experiment("interop-exp", tags={"team": "ml", "stage": "dev"})
    mlflow.set_experiment("interop-exp")
    mlflow.set_experiment_tag("owner", "alice")
    with mlflow.start_run(run_name="parent", tags={"kind": "parent"}, description="the parent") as parent:
        mlflow.log_params({"lr": 0.01, "layers": 3, "name": "resnet"})
        for step in range(25):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, timestamp=1_700_000_000_000 + step)
            mlflow.log_metrics({"acc": step / 25, "f1": step / 50}, step=step, synchronous=False)
        mlflow.log_metric("nan_metric", float("nan"), step=0)
        mlflow.log_metric("pinf", float("inf"))
        mlflow.log_metric("ninf", float("-inf"))
        mlflow.set_tags({"framework": "torch", "version": 2})
        mlflow.set_tag("temp", "x")
        mlflow.delete_tag("temp")
        with mlflow.start_run(run_name="child-a", nested=True) as child_a:
            mlflow.log_param("fold", 0)
            mlflow.log_metric("loss", 0.5)
        with mlflow.start_run(run_name="child-b", nested=True) as child_b:
            mlflow.log_param("fold", 1)
            mlflow.log_metric("loss", 0.25)
    with mlflow.start_run(run_name="failed-run") as failed:
        mlflow.end_run("FAILED")
    mlflow.flush_async_logging()
    return exp_id, parent.info.run_id, child_a.info.run_id, child_b.info.run_id, failed.info.run_id


def test_real_mlflow_reads_what_aiomlflow_logged(mlflow, db_uri, real):
    exp_id, parent_id, child_a, child_b, failed_id = _log_sample(mlflow)
    ours = mlflow.MlflowClient(tracking_uri=db_uri)
    theirs = real.MlflowClient(tracking_uri=db_uri)

    for run_id in (parent_id, child_a, child_b, failed_id):
        a, b = ours.get_run(run_id), theirs.get_run(run_id)
        assert _info_tuple(a.info) == _info_tuple(b.info)
        assert a.data.params == b.data.params
        assert _metrics_equal(a.data.metrics, b.data.metrics), (a.data.metrics, b.data.metrics)
        assert a.data.tags == b.data.tags

    run = theirs.get_run(parent_id)
    assert run.info.status == "FINISHED"
    assert run.info.run_name == "parent"
    assert run.info.experiment_id == exp_id
    assert run.data.params == {"lr": "0.01", "layers": "3", "name": "resnet"}
    assert run.data.metrics["loss"] == pytest.approx(1 / 25)
    assert math.isnan(run.data.metrics["nan_metric"])
    assert run.data.metrics["pinf"] == FLOAT_MAX
    assert run.data.metrics["ninf"] == -FLOAT_MAX
    assert run.data.tags["framework"] == "torch" and run.data.tags["version"] == "2"
    assert "temp" not in run.data.tags
    assert run.data.tags["mlflow.note.content"] == "the parent"
    assert run.data.tags["mlflow.runName"] == "parent"
    assert theirs.get_run(failed_id).info.status == "FAILED"
    assert theirs.get_run(child_a).data.tags["mlflow.parentRunId"] == parent_id

    for key in ("loss", "acc", "f1", "nan_metric", "pinf"):
        assert _history(ours, parent_id, key) == _history(theirs, parent_id, key), key
    assert len(_history(theirs, parent_id, "loss")) == 25
    assert _history(theirs, parent_id, "loss")[3] == (3, 1_700_000_000_003, 0.25)

    exp = theirs.get_experiment(exp_id)
    assert exp.name == "interop-exp"
    assert exp.tags == {"team": "ml", "stage": "dev", "owner": "alice"}
    assert theirs.get_experiment_by_name("interop-exp").experiment_id == exp_id
    assert theirs.get_experiment("0").name == "Default"


def test_real_search_runs_reads_what_aiomlflow_logged(mlflow, db_uri, real):
    exp_id, parent_id, child_a, child_b, failed_id = _log_sample(mlflow)
    with real_tracking_uri(real, db_uri):
        df = real.search_runs(experiment_ids=[exp_id])
        assert set(df["run_id"]) == {parent_id, child_a, child_b, failed_id}
        row = df[df["run_id"] == parent_id].iloc[0]
        assert row["params.lr"] == "0.01"
        assert row["metrics.loss"] == pytest.approx(1 / 25)
        assert row["tags.framework"] == "torch"
        assert row["status"] == "FINISHED"

        children = real.search_runs(
            experiment_ids=[exp_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
        )
        assert sorted(children["tags.mlflow.runName"]) == ["child-a", "child-b"]

        by_param = real.search_runs(experiment_ids=[exp_id], filter_string="params.fold = '1'")
        assert list(by_param["run_id"]) == [child_b]

        by_metric = real.search_runs(
            experiment_ids=[exp_id], filter_string="metrics.loss < 0.3", output_format="list"
        )
        assert {r.info.run_id for r in by_metric} == {parent_id, child_b}

        failed = real.search_runs(experiment_ids=[exp_id], filter_string="attributes.status = 'FAILED'")
        assert list(failed["run_id"]) == [failed_id]

        by_name = real.search_runs(experiment_names=["interop-exp"], order_by=["attributes.run_name ASC"])
        assert list(by_name["tags.mlflow.runName"]) == ["child-a", "child-b", "failed-run", "parent"]


def test_mlflow_server_serves_aiomlflow_runs(mlflow, db_uri, tmp_path):
    exp_id, parent_id, child_a, _, _ = _log_sample(mlflow)
    expected = mlflow.get_run(parent_id)
    with MlflowServer(db_uri, tmp_path) as server:
        api = server.url + "/api/2.0/mlflow"
        body = get_json(f"{api}/runs/get?run_id={parent_id}")
        run = body["run"]
        assert run["info"]["run_id"] == parent_id
        assert run["info"]["experiment_id"] == exp_id
        assert run["info"]["status"] == "FINISHED"
        assert run["info"]["run_name"] == "parent"
        assert int(run["info"]["start_time"]) == expected.info.start_time
        params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
        assert params == expected.data.params
        tags = {t["key"]: t["value"] for t in run["data"].get("tags", [])}
        assert tags == expected.data.tags
        metrics = {m["key"]: m for m in run["data"].get("metrics", [])}
        assert set(metrics) == set(expected.data.metrics)
        for key in ("loss", "acc", "f1"):
            assert float(metrics[key]["value"]) == pytest.approx(expected.data.metrics[key])
        assert int(metrics["loss"]["step"]) == 24

        query = urllib.parse.urlencode({"run_id": parent_id, "metric_key": "loss"})
        hist = get_json(f"{api}/metrics/get-history?{query}")["metrics"]
        assert sorted((int(m["step"]), int(m["timestamp"])) for m in hist) == [
            (s, 1_700_000_000_000 + s) for s in range(25)
        ]

        child = get_json(f"{api}/runs/get?run_id={child_a}")["run"]
        child_tags = {t["key"]: t["value"] for t in child["data"]["tags"]}
        assert child_tags["mlflow.parentRunId"] == parent_id

        exp = get_json(f"{api}/experiments/get-by-name?experiment_name=interop-exp")["experiment"]
        assert exp["experiment_id"] == exp_id
        assert {t["key"]: t["value"] for t in exp["tags"]} == {
            "team": "ml",
            "stage": "dev",
            "owner": "alice",
        }
    # the server did not break the database for aiomlflow
    assert mlflow.get_run(parent_id).data.params == expected.data.params


def _log_with_real(real, uri):
    client = real.MlflowClient(tracking_uri=uri)
    from mlflow.entities import Metric, Param, RunTag

    exp_id = client.create_experiment("real-exp", tags={"origin": "mlflow"})
    run = client.create_run(exp_id, run_name="real-run", tags={"source": "real"})
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 1.0 / (s + 1), 1_690_000_000_000 + s, s) for s in range(10)]
        + [Metric("nan_metric", float("nan"), 1_690_000_000_000, 0)],
        params=[Param("alpha", "0.5"), Param("optimizer", "adam")],
        tags=[RunTag("stage", "train")],
    )
    client.set_terminated(run_id)
    return client, exp_id, run_id


def test_aiomlflow_reads_and_appends_to_real_mlflow_db(mlflow, db_uri, real):
    theirs, exp_id, run_id = _log_with_real(real, db_uri)
    ours = mlflow.MlflowClient(tracking_uri=db_uri)

    exp = mlflow.get_experiment_by_name("real-exp")
    assert exp is not None and exp.experiment_id == exp_id
    assert exp.tags == {"origin": "mlflow"}
    assert mlflow.get_experiment_by_name("Default").experiment_id == "0"

    a, b = mlflow.get_run(run_id), theirs.get_run(run_id)
    assert _info_tuple(a.info) == _info_tuple(b.info)
    assert a.data.params == b.data.params == {"alpha": "0.5", "optimizer": "adam"}
    assert _metrics_equal(a.data.metrics, b.data.metrics)
    assert a.data.tags == b.data.tags
    assert _history(ours, run_id, "loss") == _history(theirs, run_id, "loss")
    assert len(_history(ours, run_id, "loss")) == 10
    assert _history(ours, run_id, "nan_metric") == [(0, 1_690_000_000_000, "nan")]

    # append to the real run
    with mlflow.start_run(run_id=run_id) as resumed:
        assert resumed.info.run_id == run_id
        mlflow.log_param("added_by", "aiomlflow")
        for s in range(10, 15):
            mlflow.log_metric("loss", 1.0 / (s + 1), step=s, synchronous=False)
        mlflow.set_tag("stage", "finetune")
    mlflow.flush_async_logging()

    # and create a new run in the real experiment
    mlflow.set_experiment("real-exp")
    with mlflow.start_run(run_name="ours") as new_run:
        mlflow.log_metric("loss", 0.01)
    mlflow.flush_async_logging()

    after = theirs.get_run(run_id)
    assert after.info.status == "FINISHED"
    assert after.data.params == {"alpha": "0.5", "optimizer": "adam", "added_by": "aiomlflow"}
    assert after.data.tags["stage"] == "finetune"
    assert after.data.tags["source"] == "real"
    assert [s for s, _, _ in _history(theirs, run_id, "loss")] == list(range(15))
    assert after.data.metrics["loss"] == pytest.approx(1 / 15)

    mine = theirs.get_run(new_run.info.run_id)
    assert mine.info.experiment_id == exp_id
    assert mine.info.run_name == "ours"
    assert mine.data.metrics == {"loss": 0.01}
    found = theirs.search_runs([exp_id], order_by=["attributes.start_time ASC"])
    assert [r.info.run_id for r in found] == [run_id, new_run.info.run_id]


def test_real_mlflow_and_aiomlflow_alternate_on_one_run(mlflow, db_uri, real):
    theirs = real.MlflowClient(tracking_uri=ensure_store(db_uri))
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0, step=0)
        mlflow.flush_async_logging()
        theirs.log_metric(run.info.run_id, "m", 2.0, step=1)
        mlflow.log_metric("m", 3.0, step=2)
        theirs.log_param(run.info.run_id, "from_real", "yes")
    mlflow.flush_async_logging()
    got = mlflow.get_run(run.info.run_id)
    assert got.data.params == {"from_real": "yes"}
    assert got.data.metrics == {"m": 3.0}
    assert [v for _, _, v in _history(theirs, run.info.run_id, "m")] == [1.0, 2.0, 3.0]
    # a param conflict is detected whichever side logged first
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.MlflowClient().log_param(run.info.run_id, "from_real", "no")
    assert ei.value.error_code == "INVALID_PARAMETER_VALUE"


def test_real_mlflow_sees_deleted_and_restored_runs(mlflow, db_uri, real):
    theirs = real.MlflowClient(tracking_uri=ensure_store(db_uri))
    with mlflow.start_run() as run:
        pass
    mlflow.delete_run(run.info.run_id)
    assert theirs.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    theirs.restore_run(run.info.run_id)
    assert mlflow.get_run(run.info.run_id).info.lifecycle_stage == "active"
    exp_id = mlflow.create_experiment("to-delete")
    mlflow.delete_experiment(exp_id)
    assert theirs.get_experiment(exp_id).lifecycle_stage == "deleted"
