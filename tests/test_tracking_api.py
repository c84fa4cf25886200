"""The run-tracking API as users see it, over every transport.

Every expectation here was checked against real mlflow 3.17.2
(``AIOMLFLOW_TESTS_TARGET=mlflow``).
"""

from __future__ import annotations

import getpass
import math
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

from conftest import IS_MLFLOW, skip_on_mlflow, xfail_on_mlflow

pytestmark = pytest.mark.usefixtures("transport")

RUN_ID_RE = re.compile(r"^[0-9a-f]{32}$")
RANDOM_NAME_RE = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")
FLOAT_MAX = sys.float_info.max


def _code(exc):
    return getattr(exc, "error_code", None)


# ------------------------------------------------------------------ runs: lifecycle


def test_start_run_returns_active_run_and_end_run_finishes_it(mlflow):
    before = int(time.time() * 1000)
    active = mlflow.start_run()
    assert isinstance(active, mlflow.ActiveRun)
    run_id = active.info.run_id
    assert RUN_ID_RE.match(run_id)
    assert active.info.status == "RUNNING"
    assert active.info.lifecycle_stage == "active"
    assert active.info.experiment_id == "0"
    assert mlflow.active_run().info.run_id == run_id

    mlflow.end_run()
    assert mlflow.active_run() is None
    run = mlflow.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.info.start_time >= before - 1000
    assert run.info.end_time is not None and run.info.end_time >= run.info.start_time


def test_end_run_without_active_run_is_a_no_op(mlflow):
    assert mlflow.active_run() is None
    mlflow.end_run()
    assert mlflow.active_run() is None


@pytest.mark.parametrize("status", ["FINISHED", "FAILED", "KILLED"])
def test_end_run_with_status(mlflow, status):
    run = mlflow.start_run()
    mlflow.end_run(status)
    assert mlflow.get_run(run.info.run_id).info.status == status


def test_last_active_run(mlflow):
    assert mlflow.last_active_run() is None
    run = mlflow.start_run()
    mlflow.log_param("p", "v")
    current = mlflow.last_active_run()
    assert current.info.run_id == run.info.run_id
    mlflow.end_run()
    last = mlflow.last_active_run()
    assert last.info.run_id == run.info.run_id
    assert last.info.status == "FINISHED"
    assert last.data.params == {"p": "v"}


def test_last_active_run_is_the_latest_ended(mlflow):
    with mlflow.start_run() as first:
        pass
    with mlflow.start_run() as second:
        pass
    assert mlflow.last_active_run().info.run_id == second.info.run_id
    assert first.info.run_id != second.info.run_id


def test_context_manager_finishes_run(mlflow):
    with mlflow.start_run() as run:
        assert mlflow.active_run().info.run_id == run.info.run_id
        mlflow.log_metric("m", 1.0)
    assert mlflow.active_run() is None
    got = mlflow.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics == {"m": 1.0}


def test_context_manager_exception_marks_run_failed(mlflow):
    with pytest.raises(ZeroDivisionError):
        with mlflow.start_run() as run:
            mlflow.log_param("before", "error")
            1 / 0
    assert mlflow.active_run() is None
    got = mlflow.get_run(run.info.run_id)
    assert got.info.status == "FAILED"
    assert got.data.params == {"before": "error"}


def test_starting_a_second_run_without_nested_fails(mlflow):
    with mlflow.start_run() as run:
        with pytest.raises(Exception, match=run.info.run_id):
            mlflow.start_run()
        # the original run is still the active one
        assert mlflow.active_run().info.run_id == run.info.run_id


# ------------------------------------------------------------------ nested runs


def test_nested_runs_and_parent(mlflow):
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            assert mlflow.active_run().info.run_id == child.info.run_id
            with mlflow.start_run(nested=True) as grandchild:
                pass
            assert mlflow.active_run().info.run_id == child.info.run_id
        assert mlflow.active_run().info.run_id == parent.info.run_id
    assert mlflow.active_run() is None

    child_run = mlflow.get_run(child.info.run_id)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child_run.info.status == "FINISHED"
    assert "mlflow.parentRunId" not in mlflow.get_run(parent.info.run_id).data.tags
    gc = mlflow.get_run(grandchild.info.run_id)
    assert gc.data.tags["mlflow.parentRunId"] == child.info.run_id

    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id
    assert mlflow.get_parent_run(grandchild.info.run_id).info.run_id == child.info.run_id
    assert mlflow.get_parent_run(parent.info.run_id) is None


def test_nested_without_parent_is_a_top_level_run(mlflow):
    with mlflow.start_run(nested=True) as run:
        pass
    assert "mlflow.parentRunId" not in mlflow.get_run(run.info.run_id).data.tags


def test_parent_run_id_argument(mlflow):
    with mlflow.start_run() as parent:
        pass
    with mlflow.start_run(parent_run_id=parent.info.run_id) as child:
        pass
    assert mlflow.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert mlflow.get_parent_run(child.info.run_id).info.run_id == parent.info.run_id


def test_parent_run_id_must_match_active_run(mlflow):
    with mlflow.start_run() as parent:
        pass
    with mlflow.start_run() as other:
        with pytest.raises(Exception, match=parent.info.run_id):
            mlflow.start_run(parent_run_id=parent.info.run_id, nested=True)
        assert mlflow.active_run().info.run_id == other.info.run_id


def test_nested_run_inside_parent_with_parent_run_id(mlflow):
    with mlflow.start_run() as parent:
        with mlflow.start_run(parent_run_id=parent.info.run_id, nested=True) as child:
            pass
    assert mlflow.get_run(child.info.run_id).data.tags["mlflow.parentRunId"] == parent.info.run_id


def test_get_parent_run_unknown_run(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.get_parent_run("f" * 32)
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"


# ------------------------------------------------------------------ names, tags, descriptions


def test_run_name(mlflow):
    with mlflow.start_run(run_name="my run") as run:
        assert run.info.run_name == "my run"
    got = mlflow.get_run(run.info.run_id)
    assert got.info.run_name == "my run"
    assert got.data.tags["mlflow.runName"] == "my run"


def test_random_run_names(mlflow):
    names = set()
    for _ in range(5):
        with mlflow.start_run() as run:
            pass
        got = mlflow.get_run(run.info.run_id)
        assert RANDOM_NAME_RE.match(got.info.run_name), got.info.run_name
        assert got.data.tags["mlflow.runName"] == got.info.run_name
        names.add(got.info.run_name)
    assert len(names) >= 2


def test_empty_run_name_gets_a_random_name(mlflow):
    with mlflow.start_run(run_name="") as run:
        pass
    assert RANDOM_NAME_RE.match(mlflow.get_run(run.info.run_id).info.run_name)


def test_start_run_tags_and_description(mlflow, transport):
    if IS_MLFLOW and transport.startswith("http"):
        pytest.xfail("real mlflow 3.17.2's REST client raises TypeError on the int tag value")
    with mlflow.start_run(tags={"version": "v1", "n": 3}, description="my description") as run:
        assert run.data.tags["version"] == "v1"
        assert run.data.tags["mlflow.note.content"] == "my description"
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["version"] == "v1"
    assert tags["n"] == "3"
    assert tags["mlflow.note.content"] == "my description"


def test_system_tags(mlflow):
    with mlflow.start_run() as run:
        pass
    got = mlflow.get_run(run.info.run_id)
    tags = got.data.tags
    assert tags["mlflow.user"] == getpass.getuser()
    assert got.info.user_id == getpass.getuser()
    assert tags["mlflow.source.name"]
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.runName"] == got.info.run_name


def test_run_info_fields(mlflow):
    with mlflow.start_run() as run:
        mlflow.log_param("p", 1)
        mlflow.log_metric("m", 2.5)
        mlflow.set_tag("t", "x")
    got = mlflow.get_run(run.info.run_id)
    assert isinstance(got, mlflow.entities.Run)
    assert isinstance(got.info, mlflow.entities.RunInfo)
    assert isinstance(got.data, mlflow.entities.RunData)
    assert got.info.run_id == run.info.run_id
    assert got.info.experiment_id == "0"
    assert got.info.lifecycle_stage == "active"
    assert isinstance(got.info.start_time, int)
    assert isinstance(got.info.end_time, int)
    assert got.info.artifact_uri.endswith(f"/0/{run.info.run_id}/artifacts")
    assert got.data.params == {"p": "1"}
    assert got.data.metrics == {"m": 2.5}
    assert got.data.tags["t"] == "x"


# ------------------------------------------------------------------ resume


def test_resume_run_by_id(mlflow):
    with mlflow.start_run(run_name="resumable") as run:
        mlflow.log_param("a", 1)
        mlflow.log_metric("m", 1.0, step=0)
    assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"

    with mlflow.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.run_id == run.info.run_id
        assert resumed.info.status == "RUNNING"
        assert mlflow.get_run(run.info.run_id).info.status == "RUNNING"
        mlflow.log_param("b", 2)
        mlflow.log_metric("m", 2.0, step=1)
    got = mlflow.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.info.run_name == "resumable"
    assert got.data.params == {"a": "1", "b": "2"}
    assert got.data.metrics == {"m": 2.0}
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "m")
    assert sorted((m.step, m.value) for m in history) == [(0, 1.0), (1, 2.0)]


def test_resume_sets_tags_and_description(mlflow):
    with mlflow.start_run() as run:
        pass
    with mlflow.start_run(run_id=run.info.run_id, tags={"k": "v"}, description="later"):
        pass
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["k"] == "v"
    assert tags["mlflow.note.content"] == "later"


def test_resume_via_mlflow_run_id_env(mlflow, monkeypatch):
    with mlflow.start_run() as run:
        mlflow.log_param("first", "1")
    monkeypatch.setenv("MLFLOW_RUN_ID", run.info.run_id)
    with mlflow.start_run() as resumed:
        assert resumed.info.run_id == run.info.run_id
        mlflow.log_param("second", "2")
    assert mlflow.get_run(run.info.run_id).data.params == {"first": "1", "second": "2"}


def test_run_id_argument_wins_over_env(mlflow, monkeypatch):
    with mlflow.start_run() as a:
        pass
    with mlflow.start_run() as b:
        pass
    monkeypatch.setenv("MLFLOW_RUN_ID", a.info.run_id)
    with mlflow.start_run(run_id=b.info.run_id) as resumed:
        assert resumed.info.run_id == b.info.run_id


def test_resume_unknown_run_fails(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.start_run(run_id="0" * 32)
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"
    assert "0" * 32 in str(ei.value)
    assert mlflow.active_run() is None


# ------------------------------------------------------------------ experiment resolution


def test_start_run_in_experiment_id(mlflow):
    exp_id = mlflow.create_experiment("explicit")
    with mlflow.start_run(experiment_id=exp_id) as run:
        pass
    assert mlflow.get_run(run.info.run_id).info.experiment_id == exp_id


def test_set_experiment_by_name_creates_and_activates(mlflow):
    assert mlflow.get_experiment_by_name("by-name") is None
    exp = mlflow.set_experiment("by-name")
    assert isinstance(exp, mlflow.entities.Experiment)
    assert exp.name == "by-name"
    assert exp.lifecycle_stage == "active"
    assert mlflow.get_experiment_by_name("by-name").experiment_id == exp.experiment_id
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == exp.experiment_id
    # setting it again returns the same experiment
    assert mlflow.set_experiment("by-name").experiment_id == exp.experiment_id


def test_set_experiment_by_id(mlflow):
    exp_id = mlflow.create_experiment("by-id")
    exp = mlflow.set_experiment(experiment_id=exp_id)
    assert exp.experiment_id == exp_id and exp.name == "by-id"
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == exp_id


def test_set_experiment_by_unknown_id_fails(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.set_experiment(experiment_id="424242")
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"
    assert "424242" in str(ei.value)


@pytest.mark.parametrize("kwargs", [{}, {"experiment_name": "a", "experiment_id": "0"}])
def test_set_experiment_needs_exactly_one_argument(mlflow, kwargs):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.set_experiment(**kwargs)
    assert _code(ei.value) == "INVALID_PARAMETER_VALUE"


def test_set_experiment_deleted_fails(mlflow):
    exp_id = mlflow.create_experiment("gone")
    mlflow.delete_experiment(exp_id)
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.set_experiment("gone")
    assert _code(ei.value) == "INVALID_PARAMETER_VALUE"
    with pytest.raises(mlflow.MlflowException):
        mlflow.set_experiment(experiment_id=exp_id)


def test_experiment_name_env(mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    with mlflow.start_run() as run:
        pass
    exp = mlflow.get_experiment_by_name("from-env")
    assert exp is not None
    assert run.info.experiment_id == exp.experiment_id


def test_experiment_id_env(mlflow, monkeypatch):
    exp_id = mlflow.create_experiment("env-id")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", exp_id)
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == exp_id


def test_experiment_id_env_unknown_fails(mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "987654")
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.start_run()
    assert "987654" in str(ei.value)


def test_experiment_precedence(mlflow, monkeypatch):
    env_exp = mlflow.create_experiment("env-exp")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", env_exp)
    active = mlflow.set_experiment("active-exp")
    explicit = mlflow.create_experiment("explicit-exp")
    with mlflow.start_run(experiment_id=explicit) as r1:
        pass
    with mlflow.start_run() as r2:
        pass
    assert r1.info.experiment_id == explicit
    assert r2.info.experiment_id == active.experiment_id


def test_start_run_in_unknown_experiment_fails(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.start_run(experiment_id="31337")
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"
    assert mlflow.active_run() is None


# ------------------------------------------------------------------ params


def test_log_param_returns_value(mlflow):
    with mlflow.start_run() as run:
        assert mlflow.log_param("lr", 0.01) == 0.01
        obj = {"a": 1}
        assert mlflow.log_param("obj", obj) is obj
        assert mlflow.log_param("s", "text") == "text"
    assert mlflow.get_run(run.info.run_id).data.params == {
        "lr": "0.01",
        "obj": "{'a': 1}",
        "s": "text",
    }


def test_log_param_same_value_twice_is_ok(mlflow):
    with mlflow.start_run() as run:
        mlflow.log_param("depth", 3)
        mlflow.log_param("depth", 3)
        mlflow.log_param("depth", "3")
    assert mlflow.get_run(run.info.run_id).data.params == {"depth": "3"}


def test_log_param_different_value_fails(mlflow):
    with mlflow.start_run() as run:
        mlflow.log_param("depth", 3)
        with pytest.raises(mlflow.MlflowException) as ei:
            mlflow.log_param("depth", 5)
        assert _code(ei.value) == "INVALID_PARAMETER_VALUE"
        assert "depth" in str(ei.value)
    assert mlflow.get_run(run.info.run_id).data.params == {"depth": "3"}


def test_log_params(mlflow):
    with mlflow.start_run() as run:
        assert mlflow.log_params({"lr": 0.1, "n": 10, "name": "x", "none": None}) is None
    assert mlflow.get_run(run.info.run_id).data.params == {
        "lr": "0.1",
        "n": "10",
        "name": "x",
        "none": "None",
    }


def test_log_params_to_run_id(mlflow):
    with mlflow.start_run() as target:
        pass
    with mlflow.start_run() as other:
        mlflow.log_params({"k": "v"}, run_id=target.info.run_id)
    assert mlflow.get_run(target.info.run_id).data.params == {"k": "v"}
    assert mlflow.get_run(other.info.run_id).data.params == {}


def test_log_param_without_active_run_starts_one(mlflow):
    assert mlflow.active_run() is None
    mlflow.log_param("auto", "yes")
    run = mlflow.active_run()
    assert run is not None
    mlflow.end_run()
    assert mlflow.get_run(run.info.run_id).data.params == {"auto": "yes"}


# ------------------------------------------------------------------ metrics


def test_log_metric_step_and_timestamp(mlflow):
    with mlflow.start_run() as run:
        assert mlflow.log_metric("loss", 0.5) is None
        mlflow.log_metric("loss", 0.4, step=1, timestamp=1_700_000_000_000)
        mlflow.log_metric("loss", 0.3, step=2)
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert len(history) == 3
    by_step = {m.step: m for m in history}
    assert by_step[0].value == 0.5
    assert by_step[1].value == 0.4 and by_step[1].timestamp == 1_700_000_000_000
    assert by_step[2].value == 0.3
    assert all(isinstance(m, mlflow.entities.Metric) and m.key == "loss" for m in history)
    now = int(time.time() * 1000)
    assert abs(by_step[0].timestamp - now) < 120_000
    assert mlflow.get_run(run.info.run_id).data.metrics == {"loss": 0.3}


def test_log_metric_int_and_numpy_like_values(mlflow):
    with mlflow.start_run() as run:
        mlflow.log_metric("int", 3)
        mlflow.log_metric("bool", True)
        mlflow.log_metric("str_number", "1.5")
    metrics = mlflow.get_run(run.info.run_id).data.metrics
    assert metrics == {"int": 3.0, "bool": 1.0, "str_number": 1.5}
    assert all(isinstance(v, float) for v in metrics.values())


def test_log_metric_to_run_id(mlflow):
    with mlflow.start_run() as target:
        pass
    with mlflow.start_run() as other:
        mlflow.log_metric("m", 1.0, run_id=target.info.run_id)
        mlflow.log_metrics({"a": 1.0, "b": 2.0}, run_id=target.info.run_id, step=3)
    assert mlflow.get_run(target.info.run_id).data.metrics == {"m": 1.0, "a": 1.0, "b": 2.0}
    assert mlflow.get_run(other.info.run_id).data.metrics == {}


def test_log_metrics(mlflow):
    with mlflow.start_run() as run:
        assert mlflow.log_metrics({"mse": 2500.0, "rmse": 50.0}) is None
        mlflow.log_metrics({"mse": 2400.0, "rmse": 49.0}, step=1, timestamp=1_600_000_000_000)
    client = mlflow.MlflowClient()
    assert mlflow.get_run(run.info.run_id).data.metrics == {"mse": 2400.0, "rmse": 49.0}
    hist = client.get_metric_history(run.info.run_id, "rmse")
    assert sorted((m.step, m.value) for m in hist) == [(0, 50.0), (1, 49.0)]
    assert [m.timestamp for m in hist if m.step == 1] == [1_600_000_000_000]


def test_nan_and_inf_round_trip(mlflow):
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("pinf", float("inf"))
        mlflow.log_metric("ninf", float("-inf"))
        mlflow.log_metrics({"nan2": math.nan}, step=2)
    metrics = mlflow.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert math.isnan(metrics["nan2"])
    # MLflow's SQL store keeps +-inf as the largest finite doubles.
    assert metrics["pinf"] in (math.inf, FLOAT_MAX)
    assert metrics["ninf"] in (-math.inf, -FLOAT_MAX)
    assert metrics["pinf"] == FLOAT_MAX
    assert metrics["ninf"] == -FLOAT_MAX
    hist = mlflow.MlflowClient().get_metric_history(run.info.run_id, "nan")
    assert len(hist) == 1 and math.isnan(hist[0].value)


def test_large_asynchronous_batches_keep_every_value_exactly(mlflow):
    # Batches this size take the stores' bulk paths; values must survive bit for bit,
    # and a NaN or infinity inside a large batch must still be stored as MLflow does.
    tricky = [0.1, -0.0, 1e-300, 5e-324, 2.0**53 + 2, 1e16, -1.7976931348623157e308, 1 / 3]
    finite = [tricky[i % len(tricky)] for i in range(300)]
    special = [math.nan if i % 7 == 0 else math.inf if i % 11 == 0 else float(i)
               for i in range(300)]
    with mlflow.start_run() as run:
        for step, value in enumerate(finite):
            mlflow.log_metric("finite", value, step=step, synchronous=False)
        for step, value in enumerate(special):
            mlflow.log_metric("special", value, step=step, synchronous=False)
        mlflow.flush_async_logging()
    client = mlflow.MlflowClient()
    got = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "finite"))
    assert got == list(enumerate(finite))
    got = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "special"))
    expected = [FLOAT_MAX if v == math.inf else v for v in special]
    assert [s for s, _ in got] == list(range(300))
    assert all((math.isnan(v) and math.isnan(e)) or v == e
               for (_, v), e in zip(got, expected))
    assert mlflow.get_run(run.info.run_id).data.metrics["finite"] == finite[-1]


def test_latest_metric_is_max_step_then_timestamp_then_value(mlflow):
    with mlflow.start_run() as run:
        # a higher step wins over a later timestamp
        mlflow.log_metric("a", 5.0, step=2, timestamp=100)
        mlflow.log_metric("a", 9.0, step=1, timestamp=200)
        # same step: the latest timestamp wins, whatever the logging order
        mlflow.log_metric("b", 1.0, step=1, timestamp=100)
        mlflow.log_metric("b", 2.0, step=1, timestamp=300)
        mlflow.log_metric("b", 3.0, step=1, timestamp=200)
        # same step and timestamp: the largest value wins
        mlflow.log_metric("c", 1.0, step=1, timestamp=100)
        mlflow.log_metric("c", 7.0, step=1, timestamp=100)
        mlflow.log_metric("c", 3.0, step=1, timestamp=100)
    assert mlflow.get_run(run.info.run_id).data.metrics == {"a": 5.0, "b": 2.0, "c": 7.0}
    hist = mlflow.MlflowClient().get_metric_history(run.info.run_id, "c")
    assert sorted(m.value for m in hist) == [1.0, 3.0, 7.0]


def test_metric_history_of_unknown_key_is_empty(mlflow):
    with mlflow.start_run() as run:
        pass
    assert list(mlflow.MlflowClient().get_metric_history(run.info.run_id, "nope")) == []


# ------------------------------------------------------------------ tags


def test_set_tag_set_tags_delete_tag(mlflow):
    with mlflow.start_run() as run:
        assert mlflow.set_tag("release.version", "2.2.0") is None
        mlflow.set_tag("num", 5)
        assert mlflow.set_tags({"engineering": "ML Platform", "rc": "RC1"}) is None
        mlflow.set_tag("release.version", "2.2.1")  # tags may be overwritten
        assert mlflow.delete_tag("rc") is None
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags["release.version"] == "2.2.1"
    assert tags["num"] == "5"
    assert tags["engineering"] == "ML Platform"
    assert "rc" not in tags


def test_delete_missing_tag_fails(mlflow):
    with mlflow.start_run():
        with pytest.raises(mlflow.MlflowException) as ei:
            mlflow.delete_tag("never-set")
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"
    assert "never-set" in str(ei.value)


def test_delete_tag_on_resumed_run(mlflow):
    with mlflow.start_run() as run:
        mlflow.set_tags({"engineering": "ML Platform", "engineering_remote": "ML Platform"})
    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.delete_tag("engineering_remote")
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert "engineering_remote" not in tags and tags["engineering"] == "ML Platform"


# ------------------------------------------------------------------ asynchronous logging


def test_synchronous_false_returns_waitable(mlflow):
    with mlflow.start_run() as run:
        ops = [
            mlflow.log_metric("m", 1.0, synchronous=False),
            mlflow.log_metrics({"a": 1.0, "b": 2.0}, synchronous=False),
            mlflow.log_params({"p1": 1}, synchronous=False),
            mlflow.set_tag("t", "v", synchronous=False),
            mlflow.set_tags({"t2": "v2"}, synchronous=False),
            mlflow.log_param("p2", 2, synchronous=False),
        ]
        for op in ops:
            assert op is not None and callable(getattr(op, "wait", None))
        for op in ops:
            op.wait()
        got = mlflow.get_run(run.info.run_id)
        assert got.data.metrics == {"m": 1.0, "a": 1.0, "b": 2.0}
        assert got.data.params == {"p1": "1", "p2": "2"}
        assert got.data.tags["t"] == "v" and got.data.tags["t2"] == "v2"


def test_synchronous_true_returns_none(mlflow):
    with mlflow.start_run():
        assert mlflow.log_metric("m", 1.0, synchronous=True) is None
        assert mlflow.log_metrics({"m2": 1.0}, synchronous=True) is None
        assert mlflow.set_tag("t", "v", synchronous=True) is None
        assert mlflow.log_param("p", "v", synchronous=True) == "v"


def test_async_logging_env_var(mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
    with mlflow.start_run() as run:
        op = mlflow.log_metric("m", 1.0)
        assert op is not None and callable(getattr(op, "wait", None))
        op2 = mlflow.set_tag("t", "v")
        assert op2 is not None
        mlflow.flush_async_logging()
    got = mlflow.get_run(run.info.run_id)
    assert got.data.metrics == {"m": 1.0}
    assert got.data.tags["t"] == "v"


def test_async_logging_env_var_false_is_synchronous(mlflow, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
    with mlflow.start_run():
        assert mlflow.log_metric("m", 1.0) is None


def test_flush_async_logging_makes_everything_durable(mlflow):
    with mlflow.start_run() as run:
        for step in range(200):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, synchronous=False)
            if step % 50 == 0:
                mlflow.log_param(f"p{step}", step, synchronous=False)
        mlflow.set_tag("phase", "done", synchronous=False)
        assert mlflow.flush_async_logging() is None
        hist = mlflow.MlflowClient().get_metric_history(run.info.run_id, "loss")
        assert sorted(m.step for m in hist) == list(range(200))
        got = mlflow.get_run(run.info.run_id)
        assert got.data.params == {f"p{s}": str(s) for s in (0, 50, 100, 150)}
        assert got.data.tags["phase"] == "done"
        assert got.data.metrics["loss"] == 1.0 / 200


def test_async_logging_then_end_run_keeps_order(mlflow):
    with mlflow.start_run() as run:
        for step in range(50):
            mlflow.log_metric("m", step, step=step, synchronous=False)
    mlflow.flush_async_logging()
    got = mlflow.get_run(run.info.run_id)
    assert got.info.status == "FINISHED"
    assert got.data.metrics["m"] == 49.0
    assert len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "m")) == 50


@xfail_on_mlflow("mlflow's synchronous delete_tag may overtake a queued async set_tag")
def test_async_set_tag_then_delete_tag_keeps_order(mlflow):
    with mlflow.start_run() as run:
        mlflow.set_tag("x", "1", synchronous=False)
        mlflow.delete_tag("x")
        mlflow.set_tag("y", "1", synchronous=False)
        mlflow.delete_tag("y")
    mlflow.flush_async_logging()
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert "x" not in tags and "y" not in tags


@xfail_on_mlflow("mlflow's synchronous delete_tag may overtake a queued async set_tag")
def test_threads_mixing_async_and_synchronous_calls_keep_each_threads_order(mlflow):
    # Synchronous calls may write queued operations on their own thread; whichever
    # thread writes, a thread's async set_tag lands before its synchronous delete_tag.
    import threading

    client = mlflow.MlflowClient()
    with mlflow.start_run() as run:
        run_id = run.info.run_id
    errors: list = []

    def worker(t: int) -> None:
        try:
            for i in range(15):
                client.log_metric(run_id, f"m{t}", float(i), step=i, synchronous=False)
                client.set_tag(run_id, f"t{t}", str(i), synchronous=False)
                client.delete_tag(run_id, f"t{t}")
            client.set_tag(run_id, f"t{t}", "last", synchronous=False)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mlflow.flush_async_logging()
    assert errors == []
    got = mlflow.get_run(run_id).data
    assert {k: v for k, v in got.tags.items() if k.startswith("t")} == {
        f"t{t}": "last" for t in range(6)}
    for t in range(6):
        steps = sorted(m.step for m in client.get_metric_history(run_id, f"m{t}"))
        assert steps == list(range(15))


def test_flush_async_logging_without_anything_pending(mlflow):
    assert mlflow.flush_async_logging() is None


# ------------------------------------------------------------------ delete run


def test_delete_run(mlflow):
    with mlflow.start_run() as run:
        mlflow.log_param("p", 0)
    assert mlflow.delete_run(run.info.run_id) is None
    got = mlflow.get_run(run.info.run_id)
    assert got.info.lifecycle_stage == "deleted"
    assert got.data.params == {"p": "0"}


def test_get_run_unknown(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.get_run("a" * 32)
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"
    assert "a" * 32 in str(ei.value)


# ------------------------------------------------------------------ experiments


def test_create_and_get_experiment(mlflow, tmp_path):
    location = (tmp_path / "artifacts-here").as_uri()
    exp_id = mlflow.create_experiment(
        "Social NLP Experiments", artifact_location=location, tags={"version": "v1", "priority": "P1"}
    )
    assert isinstance(exp_id, str) and exp_id != "0"
    exp = mlflow.get_experiment(exp_id)
    assert isinstance(exp, mlflow.entities.Experiment)
    assert exp.experiment_id == exp_id
    assert exp.name == "Social NLP Experiments"
    assert exp.artifact_location == location
    assert exp.tags == {"version": "v1", "priority": "P1"}
    assert exp.lifecycle_stage == "active"
    assert isinstance(exp.creation_time, int) and exp.creation_time > 1_600_000_000_000
    assert isinstance(exp.last_update_time, int)
    assert mlflow.get_experiment_by_name("Social NLP Experiments").experiment_id == exp_id
    # runs of that experiment put their artifacts under its location
    with mlflow.start_run(experiment_id=exp_id) as run:
        pass
    assert run.info.artifact_uri.startswith(location)


def test_default_experiment(mlflow):
    exp = mlflow.get_experiment("0")
    assert exp.name == "Default"
    assert exp.lifecycle_stage == "active"
    assert exp.tags == {}
    assert exp.artifact_location.endswith("0")
    assert mlflow.get_experiment_by_name("Default").experiment_id == "0"


def test_experiment_ids_are_distinct(mlflow):
    ids = [mlflow.create_experiment(f"exp-{i}") for i in range(3)]
    assert len(set(ids)) == 3
    assert [mlflow.get_experiment(i).name for i in ids] == ["exp-0", "exp-1", "exp-2"]


def test_get_experiment_by_name_missing_and_case_sensitive(mlflow):
    mlflow.create_experiment("CaseSensitive")
    assert mlflow.get_experiment_by_name("casesensitive") is None
    assert mlflow.get_experiment_by_name("nope") is None


def test_create_duplicate_experiment_fails(mlflow):
    mlflow.create_experiment("dup")
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.create_experiment("dup")
    assert _code(ei.value) == "RESOURCE_ALREADY_EXISTS"
    assert "dup" in str(ei.value)


def test_get_unknown_experiment_fails(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.get_experiment("777")
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"
    assert "777" in str(ei.value)


def test_delete_experiment(mlflow):
    exp_id = mlflow.create_experiment("New Experiment")
    assert mlflow.delete_experiment(exp_id) is None
    exp = mlflow.get_experiment(exp_id)
    assert exp.name == "New Experiment"
    assert exp.lifecycle_stage == "deleted"
    assert exp.last_update_time >= exp.creation_time
    # a deleted experiment is still found by name
    assert mlflow.get_experiment_by_name("New Experiment").lifecycle_stage == "deleted"


def test_delete_experiment_deletes_its_runs(mlflow):
    exp_id = mlflow.create_experiment("with-runs")
    with mlflow.start_run(experiment_id=exp_id) as run:
        pass
    mlflow.delete_experiment(exp_id)
    assert mlflow.get_run(run.info.run_id).info.lifecycle_stage == "deleted"


def test_experiment_tags_on_active_experiment(mlflow):
    exp = mlflow.set_experiment("tagged")
    assert mlflow.set_experiment_tag("release.version", "1.0") is None
    assert mlflow.set_experiment_tags({"engineering": "ML Platform", "n": 2}) is None
    tags = mlflow.get_experiment(exp.experiment_id).tags
    assert tags["release.version"] == "1.0"
    assert tags["engineering"] == "ML Platform"
    assert tags["n"] == "2"
    assert mlflow.delete_experiment_tag("release.version") is None
    assert "release.version" not in mlflow.get_experiment(exp.experiment_id).tags


def test_experiment_tag_inside_run_goes_to_current_experiment(mlflow):
    exp_id = mlflow.create_experiment("run-exp")
    with mlflow.start_run(experiment_id=exp_id):
        mlflow.set_experiment_tag("k", "v")
    # as in mlflow: with no experiment set, the "current experiment" is the default one,
    # not the experiment of the active run
    assert mlflow.get_experiment("0").tags == {"k": "v"}
    assert mlflow.get_experiment(exp_id).tags == {}


# ------------------------------------------------------------------ tracking / registry URIs


def test_set_and_get_tracking_uri(mlflow, transport):
    assert mlflow.get_tracking_uri() == transport
    assert mlflow.is_tracking_uri_set() is True


def test_set_tracking_uri_with_path(mlflow, transport, tmp_path):
    mlflow.set_tracking_uri(tmp_path / "store")
    uri = mlflow.get_tracking_uri()
    assert uri == (tmp_path / "store").as_uri()
    mlflow.set_tracking_uri(pathlib.Path("relative"))
    assert mlflow.get_tracking_uri() == (tmp_path / "relative").as_uri()
    mlflow.set_tracking_uri(transport)
    assert mlflow.get_tracking_uri() == transport


def test_tracking_uri_switch_affects_new_runs(mlflow, transport, tmp_path):
    with mlflow.start_run() as first:
        pass
    other = f"sqlite:///{tmp_path}/other.db"
    mlflow.set_tracking_uri(other)
    with mlflow.start_run() as second:
        pass
    assert mlflow.get_run(second.info.run_id).info.run_id == second.info.run_id
    with pytest.raises(mlflow.MlflowException):
        mlflow.get_run(first.info.run_id)
    mlflow.set_tracking_uri(transport)
    assert mlflow.get_run(first.info.run_id).info.run_id == first.info.run_id


def test_registry_uri_defaults_to_tracking_uri(mlflow, transport):
    assert mlflow.get_registry_uri() == mlflow.get_tracking_uri() == transport


def test_set_registry_uri(mlflow, transport, tmp_path):
    reg = f"sqlite:///{tmp_path}/registry.db"
    assert mlflow.set_registry_uri(reg) is None
    assert mlflow.get_registry_uri() == reg
    assert mlflow.get_tracking_uri() == transport


def _python_for_subprocess() -> list[str]:
    return [sys.executable, "-c"]


def test_tracking_uri_defaults_in_fresh_process(tmp_path):
    """In a fresh interpreter: nothing set, default is ./mlflow.db as an absolute sqlite URI."""
    module = "mlflow" if IS_MLFLOW else "aiomlflow"
    code = (
        f"import {module} as mlflow\n"
        "print(mlflow.is_tracking_uri_set())\n"
        "print(mlflow.get_tracking_uri())\n"
        "print(mlflow.get_registry_uri())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out = subprocess.run(
        _python_for_subprocess() + [code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()[-3:]
    assert lines[0] == "False"
    assert lines[1] in ("sqlite:///mlflow.db", f"sqlite:///{tmp_path}/mlflow.db")
    assert lines[2] == lines[1]


def test_tracking_uri_env_var_in_fresh_process(tmp_path):
    module = "mlflow" if IS_MLFLOW else "aiomlflow"
    uri = f"sqlite:///{tmp_path}/env.db"
    code = (
        f"import {module} as mlflow\n"
        "print(mlflow.is_tracking_uri_set())\n"
        "print(mlflow.get_tracking_uri())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = uri
    out = subprocess.run(
        _python_for_subprocess() + [code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-2:] == ["True", uri]


# ------------------------------------------------------------------ MlflowClient


def test_client_is_exported_from_tracking(mlflow):
    import importlib

    tracking = importlib.import_module(f"{mlflow.__name__}.tracking")
    assert tracking.MlflowClient is mlflow.MlflowClient


def test_client_module(mlflow):
    import importlib

    client_mod = importlib.import_module(f"{mlflow.__name__}.client")
    assert client_mod.MlflowClient is mlflow.MlflowClient


def test_client_default_tracking_uri(mlflow, transport):
    client = mlflow.MlflowClient()
    assert client.tracking_uri == transport


def test_client_run_lifecycle(mlflow, client):
    run = client.create_run("0", run_name="client-run", tags={"k": "v"})
    run_id = run.info.run_id
    assert RUN_ID_RE.match(run_id)
    assert run.info.status == "RUNNING"
    assert run.info.run_name == "client-run"
    assert run.data.tags["k"] == "v"
    assert run.data.tags["mlflow.runName"] == "client-run"

    assert client.log_param(run_id, "p", 1) == 1
    assert client.log_metric(run_id, "m", 1.5, step=3, timestamp=1_650_000_000_000) is None
    assert client.set_tag(run_id, "t", "x") is None
    client.set_tag(run_id, "gone", "x")
    assert client.delete_tag(run_id, "gone") is None

    got = client.get_run(run_id)
    assert got.data.params == {"p": "1"}
    assert got.data.metrics == {"m": 1.5}
    assert got.data.tags["t"] == "x" and "gone" not in got.data.tags
    hist = client.get_metric_history(run_id, "m")
    assert [(m.key, m.value, m.step, m.timestamp) for m in hist] == [("m", 1.5, 3, 1_650_000_000_000)]

    assert client.set_terminated(run_id) is None
    got = client.get_run(run_id)
    assert got.info.status == "FINISHED" and got.info.end_time is not None

    client.set_terminated(run_id, status="KILLED", end_time=1_700_000_000_000)
    got = client.get_run(run_id)
    assert got.info.status == "KILLED" and got.info.end_time == 1_700_000_000_000

    assert client.update_run(run_id, status="FAILED", name="renamed") is None
    got = client.get_run(run_id)
    assert got.info.status == "FAILED"
    assert got.info.run_name == "renamed"
    assert got.data.tags["mlflow.runName"] == "renamed"

    assert client.delete_run(run_id) is None
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    assert client.restore_run(run_id) is None
    assert client.get_run(run_id).info.lifecycle_stage == "active"


def test_client_create_run_random_name_and_start_time(mlflow, client):
    run = client.create_run("0", start_time=1_600_000_000_000)
    assert RANDOM_NAME_RE.match(run.info.run_name)
    assert run.info.start_time == 1_600_000_000_000
    assert client.get_run(run.info.run_id).info.start_time == 1_600_000_000_000


def test_client_log_batch(mlflow, client):
    from importlib import import_module

    entities = import_module(f"{mlflow.__name__}.entities")
    run_id = client.create_run("0").info.run_id
    metrics = [entities.Metric("acc", 0.1 * i, 1_700_000_000_000 + i, i) for i in range(10)]
    params = [entities.Param("lr", "0.1"), entities.Param("bs", "32")]
    tags = [entities.RunTag("stage", "train")]
    assert client.log_batch(run_id, metrics=metrics, params=params, tags=tags) is None
    got = client.get_run(run_id)
    assert got.data.params == {"lr": "0.1", "bs": "32"}
    assert got.data.tags["stage"] == "train"
    assert got.data.metrics["acc"] == pytest.approx(0.9)
    hist = client.get_metric_history(run_id, "acc")
    assert sorted((m.step, m.timestamp) for m in hist) == [(i, 1_700_000_000_000 + i) for i in range(10)]
    # empty batch is fine
    client.log_batch(run_id)


def test_client_log_batch_async(mlflow, client):
    from importlib import import_module

    entities = import_module(f"{mlflow.__name__}.entities")
    run_id = client.create_run("0").info.run_id
    op = client.log_batch(
        run_id, metrics=[entities.Metric("m", 1.0, 1_700_000_000_000, 0)], synchronous=False
    )
    op.wait()
    assert client.get_run(run_id).data.metrics == {"m": 1.0}


def test_client_experiments(mlflow, client):
    exp_id = client.create_experiment("client-exp", tags={"a": "1"})
    exp = client.get_experiment(exp_id)
    assert exp.name == "client-exp" and exp.tags == {"a": "1"}
    assert client.get_experiment_by_name("client-exp").experiment_id == exp_id
    assert client.get_experiment_by_name("missing") is None

    assert client.set_experiment_tag(exp_id, "b", 2) is None
    assert client.get_experiment(exp_id).tags == {"a": "1", "b": "2"}
    assert client.delete_experiment_tag(exp_id, "a") is None
    assert client.get_experiment(exp_id).tags == {"b": "2"}

    assert client.rename_experiment(exp_id, "renamed-exp") is None
    assert client.get_experiment(exp_id).name == "renamed-exp"
    assert client.get_experiment_by_name("client-exp") is None

    assert client.delete_experiment(exp_id) is None
    assert client.get_experiment(exp_id).lifecycle_stage == "deleted"
    assert client.restore_experiment(exp_id) is None
    assert client.get_experiment(exp_id).lifecycle_stage == "active"


def test_client_runs_in_other_experiment(mlflow, client):
    exp_id = client.create_experiment("client-runs")
    run = client.create_run(exp_id)
    assert run.info.experiment_id == exp_id
    assert client.get_run(run.info.run_id).info.experiment_id == exp_id


def test_client_delete_missing_experiment_tag_fails(mlflow, client):
    with pytest.raises(mlflow.MlflowException) as ei:
        client.delete_experiment_tag("0", "nope")
    assert _code(ei.value) == "RESOURCE_DOES_NOT_EXIST"


def test_client_with_explicit_tracking_uri_and_fluent_see_same_data(mlflow, transport):
    client = mlflow.MlflowClient(tracking_uri=transport)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}
    run2 = client.create_run("0")
    client.log_param(run2.info.run_id, "x", "y")
    assert mlflow.get_run(run2.info.run_id).data.params == {"x": "y"}


# ------------------------------------------------------------------ entities and exceptions


def test_entities_importable(mlflow):
    import importlib

    entities = importlib.import_module(f"{mlflow.__name__}.entities")
    for name in [
        "Run",
        "RunInfo",
        "RunData",
        "Metric",
        "Param",
        "RunTag",
        "Experiment",
        "ExperimentTag",
        "RunStatus",
        "ViewType",
        "LifecycleStage",
    ]:
        assert hasattr(entities, name), name
    assert mlflow.entities is entities
    assert entities.RunStatus.to_string(entities.RunStatus.FAILED) == "FAILED"
    assert entities.RunStatus.from_string("FINISHED") == entities.RunStatus.FINISHED
    assert entities.RunStatus.is_terminated(entities.RunStatus.KILLED)
    assert not entities.RunStatus.is_terminated(entities.RunStatus.RUNNING)
    assert entities.ViewType.ACTIVE_ONLY == 1
    assert entities.ViewType.DELETED_ONLY == 2
    assert entities.ViewType.ALL == 3
    assert entities.LifecycleStage.ACTIVE == "active"
    assert entities.LifecycleStage.DELETED == "deleted"

    m = entities.Metric("k", 1.0, 123, 4)
    assert (m.key, m.value, m.timestamp, m.step) == ("k", 1.0, 123, 4)
    p = entities.Param("pk", "pv")
    assert (p.key, p.value) == ("pk", "pv")
    t = entities.RunTag("tk", "tv")
    assert (t.key, t.value) == ("tk", "tv")
    et = entities.ExperimentTag("ek", "ev")
    assert (et.key, et.value) == ("ek", "ev")


def test_mlflow_exception(mlflow):
    err = mlflow.MlflowException("boom")
    assert isinstance(err, Exception)
    assert err.error_code == "INTERNAL_ERROR"
    assert err.get_http_status_code() == 500
    assert err.message == "boom"
    import json

    body = json.loads(err.serialize_as_json())
    assert body["error_code"] == "INTERNAL_ERROR" and body["message"] == "boom"

    bad = mlflow.MlflowException.invalid_parameter_value("bad value", extra=1)
    assert bad.error_code == "INVALID_PARAMETER_VALUE"
    assert bad.get_http_status_code() == 400
    body = json.loads(bad.serialize_as_json())
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert body["message"] == "bad value"
    assert body["extra"] == 1

    import importlib

    exceptions = importlib.import_module(f"{mlflow.__name__}.exceptions")
    assert exceptions.MlflowException is mlflow.MlflowException


def test_mlflow_exception_error_codes_from_stores(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.get_run("b" * 32)
    assert ei.value.get_http_status_code() == 404
    mlflow.create_experiment("twice")
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.create_experiment("twice")
    assert ei.value.get_http_status_code() == 400


# ------------------------------------------------------------------ login, doctor


@skip_on_mlflow("mlflow.login() talks to Databricks (interactive prompt); aiomlflow refuses it")
def test_login_is_not_supported(mlflow):
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.login()
    assert "login" in str(ei.value).lower() or "support" in str(ei.value).lower()


def test_login_non_interactive_raises(mlflow):
    with pytest.raises(mlflow.MlflowException):
        mlflow.login(interactive=False)


DOCTOR_PREFIXES = [
    "System information:",
    "Python version:",
    "MLflow version:",
    "MLflow module location:",
    "Tracking URI:",
    "Registry URI:",
    "MLflow environment variables:",
    "MLflow dependencies:",
]


def test_doctor(mlflow, transport, capsys, monkeypatch):
    monkeypatch.setenv("MLFLOW_SOME_SETTING", "secret-value")
    with mlflow.start_run():
        assert mlflow.doctor() is None
    out = capsys.readouterr().out
    lines = out.splitlines()
    for prefix in DOCTOR_PREFIXES:
        assert any(line.startswith(prefix) for line in lines), (prefix, out)
    starts = [next(i for i, line in enumerate(lines) if line.startswith(p)) for p in DOCTOR_PREFIXES]
    assert starts == sorted(starts)
    assert f"Tracking URI: {transport}" in lines
    assert f"Python version: {sys.version.split()[0]}" in lines
    assert "  MLFLOW_SOME_SETTING: secret-value" in lines

    mlflow.doctor(mask_envs=True)
    masked = capsys.readouterr().out
    assert "secret-value" not in masked
    assert "MLFLOW_SOME_SETTING: ***" in masked


# ------------------------------------------------------------------ threads, tasks, stores


def test_active_run_is_per_thread(mlflow):
    import threading

    seen = {}

    def worker():
        seen["before"] = mlflow.active_run()
        with mlflow.start_run() as run:
            seen["own"] = run.info.run_id
            seen["active"] = mlflow.active_run().info.run_id

    with mlflow.start_run() as main_run:
        t = threading.Thread(target=worker)
        t.start()
        t.join(60)
        assert mlflow.active_run().info.run_id == main_run.info.run_id
    assert seen["before"] is None
    assert seen["own"] == seen["active"] != main_run.info.run_id
    assert mlflow.get_run(seen["own"]).info.status == "FINISHED"


@xfail_on_mlflow("mlflow keeps the active-run stack per thread, not per asyncio task")
def test_active_run_is_per_asyncio_task(mlflow):
    import asyncio

    async def task(name, started, proceed):
        with mlflow.start_run(run_name=name) as run:
            started.set()
            await proceed.wait()
            assert mlflow.active_run().info.run_id == run.info.run_id
            mlflow.log_param("task", name)
        return run.info.run_id

    async def main():
        s1, s2, go = asyncio.Event(), asyncio.Event(), asyncio.Event()
        t1 = asyncio.create_task(task("t1", s1, go))
        await s1.wait()
        t2 = asyncio.create_task(task("t2", s2, go))
        waiter = asyncio.create_task(s2.wait())
        await asyncio.wait({t2, waiter}, return_when=asyncio.FIRST_COMPLETED, timeout=30)
        waiter.cancel()
        go.set()
        return await asyncio.gather(t1, t2)

    r1, r2 = asyncio.run(main())
    assert r1 != r2
    assert mlflow.get_run(r1).data.params == {"task": "t1"}
    assert mlflow.get_run(r2).data.params == {"task": "t2"}


@skip_on_mlflow("mlflow still writes file stores; aiomlflow points users to sqlite")
def test_file_store_is_accepted_but_logging_points_to_sqlite(mlflow, tmp_path):
    uri = (tmp_path / "filestore").as_uri()
    mlflow.set_tracking_uri(uri)
    assert mlflow.get_tracking_uri() == uri
    with pytest.raises(mlflow.MlflowException) as ei:
        mlflow.start_run()
    assert "sqlite" in str(ei.value)
    assert mlflow.active_run() is None


# ------------------------------------------------------------------ what users see printed

def _links(uri, experiment_id, run_id, run_name) -> str:
    experiment_url = f"{uri.rstrip('/')}/#/experiments/{experiment_id}"
    return (f"🏃 View run {run_name} at: {experiment_url}/runs/{run_id}\n"
            f"🧪 View experiment at: {experiment_url}\n")


def test_ending_a_run_on_a_server_prints_its_links(mlflow, transport, capsys):
    mlflow.set_experiment("linked")
    capsys.readouterr()
    with mlflow.start_run(run_name="outer") as outer:
        with mlflow.start_run(run_name="inner", nested=True) as inner:
            mlflow.log_param("p", 1)
        inner_out = capsys.readouterr().out
    out = capsys.readouterr().out
    if transport.startswith("http"):
        assert inner_out == _links(transport, inner.info.experiment_id, inner.info.run_id,
                                   "inner")
        assert out == _links(transport, outer.info.experiment_id, outer.info.run_id, "outer")
    else:  # a local store has no page to link to
        assert inner_out == out == ""


def test_set_terminated_prints_the_current_name_unless_suppressed(mlflow, transport, capsys,
                                                                  monkeypatch):
    client = mlflow.MlflowClient()
    run = client.create_run("0", run_name="first")
    client.update_run(run.info.run_id, name="renamed")
    client.set_terminated(run.info.run_id, "FAILED")
    expected = (_links(transport, "0", run.info.run_id, "renamed")
                if transport.startswith("http") else "")
    assert capsys.readouterr().out == expected
    assert client.get_run(run.info.run_id).info.status == "FAILED"

    monkeypatch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    quiet = client.create_run("0")
    client.set_terminated(quiet.info.run_id)
    assert capsys.readouterr().out == ""
    assert client.get_run(quiet.info.run_id).info.status == "FINISHED"


def test_creating_an_experiment_by_name_logs_an_info_line(mlflow, capsys):
    mlflow.set_experiment("fresh-experiment")
    mlflow.set_experiment("fresh-experiment")  # exists now: nothing more is said
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d INFO [\w.]+: Experiment with name "
                        r"'fresh-experiment' does not exist\. Creating a new experiment\.",
                        lines[0]), lines[0]
