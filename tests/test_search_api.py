"""search_runs / search_experiments / metric history through the public API.

Runs against aiomlflow (default) and real mlflow (AIOMLFLOW_TESTS_TARGET=mlflow); the
reference's examples run unchanged.
"""

from __future__ import annotations

import math
import re
import sys

import pytest

from conftest import IS_AIOMLFLOW, skip_on_mlflow

SEARCH_RUNS_EXAMPLE = '''
import mlflow

# Create an experiment and log two runs under it
experiment_name = "Social NLP Experiments"
experiment_id = mlflow.create_experiment(experiment_name)
with mlflow.start_run(experiment_id=experiment_id):
    mlflow.log_metric("m", 1.55)
    mlflow.set_tag("s.release", "1.1.0-RC")
with mlflow.start_run(experiment_id=experiment_id):
    mlflow.log_metric("m", 2.50)
    mlflow.set_tag("s.release", "1.2.0-GA")
# Search for all the runs in the experiment with the given experiment ID
df = mlflow.search_runs([experiment_id], order_by=["metrics.m DESC"])
print(df[["metrics.m", "tags.s.release", "run_id"]])
print("--")
# Search the experiment_id using a filter_string with tag
# that has a case insensitive pattern
filter_string = "tags.s.release ILIKE '%rc%'"
df = mlflow.search_runs([experiment_id], filter_string=filter_string)
print(df[["metrics.m", "tags.s.release", "run_id"]])
print("--")
# Search for all the runs in the experiment with the given experiment name
df = mlflow.search_runs(experiment_names=[experiment_name], order_by=["metrics.m DESC"])
print(df[["metrics.m", "tags.s.release", "run_id"]])
'''

SEARCH_RUNS_OUTPUT = '''
   metrics.m tags.s.release                            run_id
0       2.50       1.2.0-GA  147eed886ab44633902cc8e19b2267e2
1       1.55       1.1.0-RC  5cc7feaf532f496f885ad7750809c4d4
--
   metrics.m tags.s.release                            run_id
0       1.55       1.1.0-RC  5cc7feaf532f496f885ad7750809c4d4
--
   metrics.m tags.s.release                            run_id
0       2.50       1.2.0-GA  147eed886ab44633902cc8e19b2267e2
1       1.55       1.1.0-RC  5cc7feaf532f496f885ad7750809c4d4
'''

SEARCH_EXPERIMENTS_EXAMPLE = '''
import mlflow


def assert_experiment_names_equal(experiments, expected_names):
    actual_names = [e.name for e in experiments if e.name != "Default"]
    assert actual_names == expected_names, (actual_names, expected_names)


mlflow.set_tracking_uri("sqlite:///:memory:")
# Create experiments
for name, tags in [
    ("a", None),
    ("b", None),
    ("ab", {"k": "v"}),
    ("bb", {"k": "V"}),
]:
    mlflow.create_experiment(name, tags=tags)

# Search for experiments with name "a"
experiments = mlflow.search_experiments(filter_string="name = 'a'")
assert_experiment_names_equal(experiments, ["a"])
# Search for experiments with name starting with "a"
experiments = mlflow.search_experiments(filter_string="name LIKE 'a%'")
assert_experiment_names_equal(experiments, ["ab", "a"])
# Search for experiments with tag key "k" and value ending with "v" or "V"
experiments = mlflow.search_experiments(filter_string="tags.k ILIKE '%v'")
assert_experiment_names_equal(experiments, ["bb", "ab"])
# Search for experiments with name ending with "b" and tag {"k": "v"}
experiments = mlflow.search_experiments(filter_string="name LIKE '%b' AND tags.k = 'v'")
assert_experiment_names_equal(experiments, ["ab"])
# Sort experiments by name in ascending order
experiments = mlflow.search_experiments(order_by=["name"])
assert_experiment_names_equal(experiments, ["a", "ab", "b", "bb"])
# Sort experiments by ID in descending order
experiments = mlflow.search_experiments(order_by=["experiment_id DESC"])
assert_experiment_names_equal(experiments, ["bb", "ab", "b", "a"])
'''


def _run(mlflow, source, capsys):
    capsys.readouterr()
    namespace = {"__name__": "__main__"}
    saved = sys.modules.get("mlflow")
    sys.modules["mlflow"] = mlflow       # `import mlflow` in the example → the target
    try:
        exec(compile(source, "<reference example>", "exec"), namespace)
    finally:
        if saved is None:
            sys.modules.pop("mlflow", None)
        else:
            sys.modules["mlflow"] = saved
    return namespace, capsys.readouterr().out


def _shape(text):
    # (mlflow prints "🏃 View run ... at: <server url>" lines when it talks to a server)
    return [re.sub(r"[0-9a-f]{32}", "<id>", line).strip() for line in text.strip().splitlines()
            if not line.startswith(("🏃", "🧪"))]


def test_reference_search_runs_example(mlflow, transport, capsys):
    _, out = _run(mlflow, SEARCH_RUNS_EXAMPLE, capsys)
    assert _shape(out) == _shape(SEARCH_RUNS_OUTPUT)
    ids = re.findall(r"[0-9a-f]{32}", "\n".join(
        line for line in out.splitlines() if not line.startswith(("🏃", "🧪"))))
    assert len(ids) == 5 and ids[0] == ids[3] and ids[1] == ids[2] == ids[4] != ids[0]


def test_reference_search_experiments_example(mlflow, capsys):
    _run(mlflow, SEARCH_EXPERIMENTS_EXAMPLE, capsys)


# --------------------------------------------------------------------------- results

def test_latest_metric_value_is_max_step_then_timestamp_then_value(mlflow, client):
    run = client.create_run("0")
    rid = run.info.run_id
    for key, points in {"w": [(1.0, 1000, 5), (2.0, 2000, 3), (0.0, 3000, 5)],
                        "s": [(1.0, 1000, 1), (3.0, 1000, 1), (2.0, 1000, 1)],
                        "t": [(1.0, 5000, 1), (9.0, 1000, 1)],
                        "n": [(5.0, 1000, 1), (float("nan"), 1000, 2)]}.items():
        for value, timestamp, step in points:
            client.log_metric(rid, key, value, timestamp=timestamp, step=step)
    [found] = client.search_runs(["0"], f"attributes.run_id = '{rid}'")
    metrics = found.data.metrics
    assert metrics["w"] == 0.0 and metrics["s"] == 3.0 and metrics["t"] == 1.0
    assert math.isnan(metrics["n"])
    assert found.data.metrics == {k: v for k, v in client.get_run(rid).data.metrics.items()} \
        or math.isnan(client.get_run(rid).data.metrics["n"])
    assert [(m.step, m.timestamp, m.value) for m in client.get_metric_history(rid, "w")] == \
        [(5, 1000, 1.0), (3, 2000, 2.0), (5, 3000, 0.0)]
    assert [m.value for m in client.get_metric_history(rid, "s")] == [1.0, 2.0, 3.0]


def test_search_sees_lifecycle_and_view_types(mlflow, client):
    exp = client.create_experiment("views")
    runs = [client.create_run(exp).info.run_id for _ in range(3)]
    client.delete_run(runs[1])
    ViewType = mlflow.entities.ViewType
    active = {r.info.run_id for r in client.search_runs([exp])}
    deleted = {r.info.run_id for r in client.search_runs([exp], run_view_type=ViewType.DELETED_ONLY)}
    every = {r.info.run_id for r in client.search_runs([exp], run_view_type=ViewType.ALL)}
    assert active == {runs[0], runs[2]} and deleted == {runs[1]} and every == set(runs)


def test_client_pages(mlflow, client):
    exp = client.create_experiment("pages")
    ids = {client.create_run(exp, start_time=1000 + i).info.run_id for i in range(5)}
    page = client.search_runs([exp], max_results=2)
    seen = [r.info.run_id for r in page]
    assert isinstance(page, list) and page.token
    while page.token:
        page = client.search_runs([exp], max_results=2, page_token=page.token)
        seen += [r.info.run_id for r in page]
    assert len(seen) == 5 and set(seen) == ids
    assert page.token is None


def test_fluent_search_defaults_to_the_active_experiment(mlflow, transport):
    mlflow.set_experiment("active one")
    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
    df = mlflow.search_runs()
    assert list(df["run_id"]) == [run.info.run_id]
    assert list(df["params.p"]) == ["1"]
    runs = mlflow.search_runs(output_format="list")
    assert [r.info.run_id for r in runs] == [run.info.run_id]
    assert [e.name for e in mlflow.search_experiments()] == ["active one", "Default"]


def test_async_logged_data_is_searchable_after_flush(mlflow, transport):
    with mlflow.start_run() as run:
        for step in range(100):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step, synchronous=False)
        mlflow.log_param("lr", "0.1", synchronous=False)
    mlflow.flush_async_logging()
    df = mlflow.search_runs(filter_string="metrics.loss < 0.011 AND params.lr = '0.1'")
    assert list(df["run_id"]) == [run.info.run_id]
    assert df["metrics.loss"][0] == 0.01


# --------------------------------------------------------------------------- aiomlflow only

@skip_on_mlflow("bulk metric history is an aiomlflow addition")
def test_metric_history_bulk(mlflow, client):
    ids = sorted(client.create_run("0").info.run_id for _ in range(3))
    for n, rid in enumerate(ids):
        for step in range(n + 2):
            client.log_metric(rid, "loss", float(step), timestamp=100 - step, step=step)
    client.log_metric(ids[0], "other", 1.0)
    history = client.get_metric_history_bulk(list(reversed(ids)) + ["f" * 32], "loss")
    assert [m.run_id for m in history] == [ids[0]] * 2 + [ids[1]] * 3 + [ids[2]] * 4
    for rid in ids:
        assert [(m.timestamp, m.step, m.value) for m in history if m.run_id == rid] == \
            [(m.timestamp, m.step, m.value) for m in client.get_metric_history(rid, "loss")]
    assert len(client.get_metric_history_bulk(ids, "loss", max_results=4)) == 4


@skip_on_mlflow("the error names aiomlflow's extra")
def test_dataframe_without_pandas_names_the_extra(mlflow, transport, monkeypatch):
    with mlflow.start_run():
        pass
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"aiomlflow\[pandas\].*output_format='list'"):
        mlflow.search_runs()
    assert len(mlflow.search_runs(output_format="list")) == 1


@pytest.mark.skipif(not IS_AIOMLFLOW, reason="import laziness of aiomlflow")
def test_search_does_not_import_pandas_for_lists(tmp_path):
    import subprocess

    code = ("import sys, aiomlflow as m; m.set_tracking_uri('sqlite:///%s/x.db');"
            "m.search_runs(output_format='list'); m.search_experiments();"
            "print('pandas' in sys.modules)" % tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, check=True)
    assert out.stdout.strip() == "False"
