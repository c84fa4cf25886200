"""The run-tracking examples of the API reference, run unchanged.

Each example below is copied as text from the reference
(``shared/seed/000_a0d6af5c2fb3ad62.txt``, the ``mlflow`` module reference) together
with the output the reference shows.  An example is executed with ``import mlflow``
bound to the module under test (aiomlflow, or real mlflow with
``AIOMLFLOW_TESTS_TARGET=mlflow``), and its printed output is compared with the
reference's in shape: run ids, timestamps and artifact locations are normalised.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import traceback

import pytest

from conftest import IS_AIOMLFLOW, IS_MLFLOW, skip_on_mlflow

REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_a0d6af5c2fb3ad62.txt"

# fmt: off
EXAMPLES = {
    'intro_fluent': (
        r'''
import mlflow

mlflow.start_run()
mlflow.log_param("my", "param")
mlflow.log_metric("score", 100)
mlflow.end_run()
''',
        None,
    ),
    'intro_context': (
        r'''
with mlflow.start_run() as run:
    mlflow.log_param("my", "param")
    mlflow.log_metric("score", 100)
''',
        None,
    ),
    'active_run': (
        r'''
import mlflow

mlflow.start_run()
run = mlflow.active_run()
print(f"Active run_id: {run.info.run_id}")
mlflow.end_run()
''',
        r'''
Active run_id: 6f252757005748708cd3aad75d1ff462
''',
    ),
    'create_experiment': (
        r'''
import mlflow
from pathlib import Path

# Create an experiment name, which must be unique and case sensitive
experiment_id = mlflow.create_experiment(
    "Social NLP Experiments",
    artifact_location=Path.cwd().joinpath("mlruns").as_uri(),
    tags={"version": "v1", "priority": "P1"},
)
experiment = mlflow.get_experiment(experiment_id)
print(f"Name: {experiment.name}")
print(f"Experiment_id: {experiment.experiment_id}")
print(f"Artifact Location: {experiment.artifact_location}")
print(f"Tags: {experiment.tags}")
print(f"Lifecycle_stage: {experiment.lifecycle_stage}")
print(f"Creation timestamp: {experiment.creation_time}")
''',
        r'''
Name: Social NLP Experiments
Experiment_id: 1
Artifact Location: file:///.../mlruns
Tags: {'version': 'v1', 'priority': 'P1'}
Lifecycle_stage: active
Creation timestamp: 1662004217511
''',
    ),
    'delete_experiment': (
        r'''
import mlflow

experiment_id = mlflow.create_experiment("New Experiment")
mlflow.delete_experiment(experiment_id)

# Examine the deleted experiment details.
experiment = mlflow.get_experiment(experiment_id)
print(f"Name: {experiment.name}")
print(f"Artifact Location: {experiment.artifact_location}")
print(f"Lifecycle_stage: {experiment.lifecycle_stage}")
print(f"Last Updated timestamp: {experiment.last_update_time}")
''',
        r'''
Name: New Experiment
Artifact Location: file:///.../mlruns/2
Lifecycle_stage: deleted
Last Updated timestamp: 1662004217511
''',
    ),
    'delete_experiment_tag': (
        r'''
import mlflow

exp = mlflow.set_experiment("test-delete-tag")
mlflow.set_experiment_tag("release.version", "1.0")
mlflow.delete_experiment_tag("release.version")
exp = mlflow.get_experiment(exp.experiment_id)
assert "release.version" not in exp.tags
''',
        None,
    ),
    'delete_run': (
        r'''
import mlflow

with mlflow.start_run() as run:
    mlflow.log_param("p", 0)

run_id = run.info.run_id
mlflow.delete_run(run_id)

lifecycle_stage = mlflow.get_run(run_id).info.lifecycle_stage
print(f"run_id: {run_id}; lifecycle_stage: {lifecycle_stage}")
''',
        r'''
run_id: 45f4af3e6fd349e58579b27fcb0b8277; lifecycle_stage: deleted
''',
    ),
    'delete_tag': (
        r'''
import mlflow

tags = {"engineering": "ML Platform", "engineering_remote": "ML Platform"}

with mlflow.start_run() as run:
    mlflow.set_tags(tags)

with mlflow.start_run(run_id=run.info.run_id):
    mlflow.delete_tag("engineering_remote")
''',
        None,
    ),
    'doctor': (
        r'''
import mlflow

with mlflow.start_run():
    mlflow.doctor()
''',
        r'''
System information: Linux #58~20.04.1-Ubuntu SMP Thu Oct 13 13:09:46 UTC 2022
Python version: 3.8.13
MLflow version: 2.0.1
MLflow module location: /usr/local/lib/python3.8/site-packages/mlflow/__init__.py
Tracking URI: sqlite:///mlflow.db
Registry URI: sqlite:///mlflow.db
MLflow environment variables:
  MLFLOW_TRACKING_URI: sqlite:///mlflow.db
MLflow dependencies:
  Flask: 2.2.2
  Jinja2: 3.0.3
  alembic: 1.8.1
  click: 8.1.3
  cloudpickle: 2.2.0
  databricks-cli: 0.17.4.dev0
  docker: 6.0.0
  entrypoints: 0.4
  gitpython: 3.1.29
  gunicorn: 20.1.0
  importlib-metadata: 5.0.0
  markdown: 3.4.1
  matplotlib: 3.6.1
  numpy: 1.23.4
  packaging: 21.3
  pandas: 1.5.1
  protobuf: 3.19.6
  pyarrow: 9.0.0
  pytz: 2022.6
  pyyaml: 6.0
  querystring-parser: 1.2.4
  requests: 2.28.1
  scikit-learn: 1.1.3
  scipy: 1.9.3
  shap: 0.41.0
  sqlalchemy: 1.4.42
  sqlparse: 0.4.3
''',
    ),
    'end_run': (
        r'''
import mlflow

# Start run and get status
mlflow.start_run()
run = mlflow.active_run()
print(f"run_id: {run.info.run_id}; status: {run.info.status}")

# End run and get status
mlflow.end_run()
run = mlflow.get_run(run.info.run_id)
print(f"run_id: {run.info.run_id}; status: {run.info.status}")
print("--")

# Check for any active runs
print(f"Active run: {mlflow.active_run()}")
''',
        r'''
run_id: b47ee4563368419880b44ad8535f6371; status: RUNNING
run_id: b47ee4563368419880b44ad8535f6371; status: FINISHED
--
Active run: None
''',
    ),
    'get_experiment': (
        r'''
import mlflow

experiment = mlflow.get_experiment("0")
print(f"Name: {experiment.name}")
print(f"Artifact Location: {experiment.artifact_location}")
print(f"Tags: {experiment.tags}")
print(f"Lifecycle_stage: {experiment.lifecycle_stage}")
print(f"Creation timestamp: {experiment.creation_time}")
''',
        r'''
Name: Default
Artifact Location: file:///.../mlruns/0
Tags: {}
Lifecycle_stage: active
Creation timestamp: 1662004217511
''',
    ),
    'get_experiment_by_name': (
        r'''
import mlflow

# Case sensitive name
experiment = mlflow.get_experiment_by_name("Default")
print(f"Experiment_id: {experiment.experiment_id}")
print(f"Artifact Location: {experiment.artifact_location}")
print(f"Tags: {experiment.tags}")
print(f"Lifecycle_stage: {experiment.lifecycle_stage}")
print(f"Creation timestamp: {experiment.creation_time}")
''',
        r'''
Experiment_id: 0
Artifact Location: file:///.../mlruns/0
Tags: {}
Lifecycle_stage: active
Creation timestamp: 1662004217511
''',
    ),
    'get_parent_run': (
        r'''
import mlflow

# Create nested runs
with mlflow.start_run():
    with mlflow.start_run(nested=True) as child_run:
        child_run_id = child_run.info.run_id

parent_run = mlflow.get_parent_run(child_run_id)

print(f"child_run_id: {child_run_id}")
print(f"parent_run_id: {parent_run.info.run_id}")
''',
        r'''
child_run_id: 7d175204675e40328e46d9a6a5a7ee6a
parent_run_id: 8979459433a24a52ab3be87a229a9cdf
''',
    ),
    'get_registry_uri': (
        r'''
# Get the current model registry uri
mr_uri = mlflow.get_registry_uri()
print(f"Current model registry uri: {mr_uri}")

# Get the current tracking uri
tracking_uri = mlflow.get_tracking_uri()
print(f"Current tracking uri: {tracking_uri}")

# They should be the same
assert mr_uri == tracking_uri
''',
        r'''
Current model registry uri: file:///.../mlruns
Current tracking uri: file:///.../mlruns
''',
    ),
    'get_run': (
        r'''
import mlflow

with mlflow.start_run() as run:
    mlflow.log_param("p", 0)
run_id = run.info.run_id
print(
    f"run_id: {run_id}; lifecycle_stage: {mlflow.get_run(run_id).info.lifecycle_stage}"
)
''',
        r'''
run_id: 7472befefc754e388e8e922824a0cca5; lifecycle_stage: active
''',
    ),
    'get_tracking_uri': (
        r'''
import mlflow

# Get the current tracking uri
tracking_uri = mlflow.get_tracking_uri()
print(f"Current tracking uri: {tracking_uri}")
''',
        r'''
Current tracking uri: sqlite:///mlflow.db
''',
    ),
    'log_metric': (
        r'''
import mlflow

# Log a metric
with mlflow.start_run():
    mlflow.log_metric("mse", 2500.00)

# Log a metric in async fashion.
with mlflow.start_run():
    mlflow.log_metric("mse", 2500.00, synchronous=False)
''',
        None,
    ),
    'log_metrics': (
        r'''
import mlflow

metrics = {"mse": 2500.00, "rmse": 50.00}

# Log a batch of metrics
with mlflow.start_run():
    mlflow.log_metrics(metrics)

# Log a batch of metrics in async fashion.
with mlflow.start_run():
    mlflow.log_metrics(metrics, synchronous=False)
''',
        None,
    ),
    'log_param': (
        r'''
import mlflow

with mlflow.start_run():
    value = mlflow.log_param("learning_rate", 0.01)
    assert value == 0.01
    value = mlflow.log_param("learning_rate", 0.02, synchronous=False)
''',
        None,
    ),
    'log_params': (
        r'''
import mlflow

params = {"learning_rate": 0.01, "n_estimators": 10}

# Log a batch of parameters
with mlflow.start_run():
    mlflow.log_params(params)

# Log a batch of parameters in async fashion.
with mlflow.start_run():
    mlflow.log_params(params, synchronous=False)
''',
        None,
    ),
    'set_experiment': (
        r'''
import mlflow

# Set an experiment name, which must be unique and case-sensitive.
experiment = mlflow.set_experiment("Social NLP Experiments")
# Get Experiment Details
print(f"Experiment_id: {experiment.experiment_id}")
print(f"Artifact Location: {experiment.artifact_location}")
print(f"Tags: {experiment.tags}")
print(f"Lifecycle_stage: {experiment.lifecycle_stage}")
''',
        r'''
Experiment_id: 1
Artifact Location: file:///.../mlruns/1
Tags: {}
Lifecycle_stage: active
''',
    ),
    'set_experiment_tag': (
        r'''
import mlflow

with mlflow.start_run():
    mlflow.set_experiment_tag("release.version", "2.2.0")
''',
        None,
    ),
    'set_experiment_tags': (
        r'''
import mlflow

tags = {
    "engineering": "ML Platform",
    "release.candidate": "RC1",
    "release.version": "2.2.0",
}

# Set a batch of tags
with mlflow.start_run():
    mlflow.set_experiment_tags(tags)
''',
        None,
    ),
    'set_registry_uri': (
        r'''
import mflow

# Set model registry uri, fetch the set uri, and compare
# it with the tracking uri. They should be different
mlflow.set_registry_uri("sqlite:////tmp/registry.db")
mr_uri = mlflow.get_registry_uri()
print(f"Current registry uri: {mr_uri}")
tracking_uri = mlflow.get_tracking_uri()
print(f"Current tracking uri: {tracking_uri}")

# They should be different
assert tracking_uri != mr_uri
''',
        r'''
Current registry uri: sqlite:////tmp/registry.db
Current tracking uri: file:///.../mlruns
''',
    ),
    'set_tag': (
        r'''
import mlflow

# Set a tag.
with mlflow.start_run():
    mlflow.set_tag("release.version", "2.2.0")

# Set a tag in async fashion.
with mlflow.start_run():
    mlflow.set_tag("release.version", "2.2.1", synchronous=False)
''',
        None,
    ),
    'set_tags': (
        r'''
import mlflow

tags = {
    "engineering": "ML Platform",
    "release.candidate": "RC1",
    "release.version": "2.2.0",
}

# Set a batch of tags
with mlflow.start_run():
    mlflow.set_tags(tags)

# Set a batch of tags in async fashion.
with mlflow.start_run():
    mlflow.set_tags(tags, synchronous=False)
''',
        None,
    ),
    'set_tracking_uri': (
        r'''
import mlflow

mlflow.set_tracking_uri("file:///tmp/my_tracking")
tracking_uri = mlflow.get_tracking_uri()
print(f"Current tracking uri: {tracking_uri}")
''',
        r'''
Current tracking uri: file:///tmp/my_tracking
''',
    ),
    'start_run': (
        r'''
import mlflow

# Create nested runs
experiment_id = mlflow.create_experiment("experiment1")
with mlflow.start_run(
    run_name="PARENT_RUN",
    experiment_id=experiment_id,
    tags={"version": "v1", "priority": "P1"},
    description="parent",
) as parent_run:
    mlflow.log_param("parent", "yes")
    with mlflow.start_run(
        run_name="CHILD_RUN",
        experiment_id=experiment_id,
        description="child",
        nested=True,
    ) as child_run:
        mlflow.log_param("child", "yes")
print("parent run:")
print(f"run_id: {parent_run.info.run_id}")
print("description: {}".format(parent_run.data.tags.get("mlflow.note.content")))
print("version tag value: {}".format(parent_run.data.tags.get("version")))
print("priority tag value: {}".format(parent_run.data.tags.get("priority")))
print("--")

# Search all child runs with a parent id
query = f"tags.mlflow.parentRunId = '{parent_run.info.run_id}'"
results = mlflow.search_runs(experiment_ids=[experiment_id], filter_string=query)
print("child runs:")
print(results[["run_id", "params.child", "tags.mlflow.runName"]])

# Create a nested run under the existing parent run
with mlflow.start_run(
    run_name="NEW_CHILD_RUN",
    experiment_id=experiment_id,
    description="new child",
    parent_run_id=parent_run.info.run_id,
) as child_run:
    mlflow.log_param("new-child", "yes")
''',
        r'''
parent run:
run_id: 8979459433a24a52ab3be87a229a9cdf
description: starting a parent for experiment 7
version tag value: v1
priority tag value: P1
--
child runs:
                             run_id params.child tags.mlflow.runName
0  7d175204675e40328e46d9a6a5a7ee6a          yes           CHILD_RUN
''',
    ),
    'login': (
        r'''
import mlflow

mlflow.login()
with mlflow.start_run():
    mlflow.log_param("p", 0)
''',
        None,
    ),
    'last_active_run_ended': (
        r'''
import mlflow

mlflow.start_run()
mlflow.end_run()
run = mlflow.last_active_run()
''',
        None,
    ),
    'last_active_run_current': (
        r'''
import mlflow

mlflow.start_run()
run = mlflow.last_active_run()
mlflow.end_run()
''',
        None,
    ),
}
# fmt: on

# Examples whose output in the reference contradicts the example's own code.
OUTPUT_ADAPTATIONS = {
    # the code passes description="parent"; the reference's sample output was made
    # with another description
    "start_run": {"description: starting a parent for experiment 7": "description: parent"},
}


def _text(s: str | None) -> str | None:
    return None if s is None else s[1:] if s.startswith("\n") else s


# The links mlflow prints when a run on a tracking server ends: the reference's outputs
# were made on a local store, which prints none.
_SERVER_RUN_LINKS = ("🏃 View run ", "🧪 View experiment at: ")


def _norm(text: str) -> list[str]:
    lines = []
    for line in text.strip("\n").splitlines():
        line = re.sub(r"\b[0-9a-f]{32}\b", "<RUN_ID>", line)
        line = re.sub(r"\b\d{13}\b", "<TIMESTAMP>", line)
        line = re.sub(r"(?:[A-Za-z][\w+.-]*:)?/\S*", "<LOCATION>", line)
        lines.append(" ".join(line.split()))
    return lines


def _source(name: str) -> str:
    code = _text(EXAMPLES[name][0])
    # `import mlflow` binds the module under test, which the namespace already holds.
    # (The set_registry_uri example in the reference misspells it `import mflow`.)
    return re.sub(r"^import (mlflow|mflow)[ \t]*$", "", code, flags=re.M)


def run_example(module, name: str, capsys) -> tuple[dict, str]:
    capsys.readouterr()
    ns = {"mlflow": module, "__name__": "__main__"}
    exec(compile(_source(name), f"<reference:{name}>", "exec"), ns)
    return ns, _printed(capsys)


def _printed(capsys) -> str:
    """What the example printed, without the server's run links (see above)."""
    out = capsys.readouterr().out
    return "".join(line for line in out.splitlines(keepends=True)
                   if not line.startswith(_SERVER_RUN_LINKS))


def expected_output(name: str) -> list[str]:
    text = _text(EXAMPLES[name][1])
    for old, new in OUTPUT_ADAPTATIONS.get(name, {}).items():
        assert old in text
        text = text.replace(old, new)
    return _norm(text)


def assert_output_shape(name: str, out: str) -> None:
    assert _norm(out) == expected_output(name), f"--- got:\n{out}"


def test_examples_are_verbatim_copies_of_the_reference():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    ref = REFERENCE.read_text(encoding="utf-8")
    for name, (code, output) in EXAMPLES.items():
        assert _text(code).rstrip("\n") in ref, name
        if output is not None:
            assert _text(output).rstrip("\n") in ref, name


# ------------------------------------------------------------------ the module intro


def test_intro_fluent(mlflow, transport, capsys):
    run_example(mlflow, "intro_fluent", capsys)
    assert mlflow.active_run() is None
    run = mlflow.last_active_run()
    assert run.info.status == "FINISHED"
    assert run.data.params == {"my": "param"}
    assert run.data.metrics == {"score": 100.0}


def test_intro_context_manager(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "intro_context", capsys)
    assert mlflow.active_run() is None
    run = mlflow.get_run(ns["run"].info.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params == {"my": "param"}
    assert run.data.metrics == {"score": 100.0}


def test_intro_with_default_store(mlflow, capsys, tmp_path):
    """No tracking URI set at all: the runs land in ./mlflow.db of the working directory."""
    run_example(mlflow, "intro_fluent", capsys)
    run_example(mlflow, "intro_context", capsys)
    assert (tmp_path / "mlflow.db").exists()
    assert mlflow.last_active_run().data.params == {"my": "param"}


def test_intro_as_a_user_script(tmp_path):
    """The same examples as a script file run by a fresh interpreter."""
    module = "mlflow" if IS_MLFLOW else "aiomlflow as mlflow"
    script = (
        f"import {module}\n"
        + _source("intro_fluent")
        + _source("intro_context")
        + "print(mlflow.get_run(run.info.run_id).data.params)\n"
        + "print(mlflow.get_tracking_uri())\n"
    )
    (tmp_path / "train.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    proc = subprocess.run(
        [sys.executable, "train.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-2] == "{'my': 'param'}"
    assert lines[-1].startswith("sqlite:///") and lines[-1].endswith("mlflow.db")
    assert (tmp_path / "mlflow.db").exists()


# ------------------------------------------------------------------ runs


def test_active_run(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "active_run", capsys)
    assert_output_shape("active_run", out)
    assert ns["run"].info.run_id in out


def test_end_run(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "end_run", capsys)
    assert_output_shape("end_run", out)
    ids = re.findall(r"run_id: ([0-9a-f]{32})", out)
    assert len(ids) == 2 and ids[0] == ids[1]


def test_get_run(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "get_run", capsys)
    assert_output_shape("get_run", out)
    assert mlflow.get_run(ns["run_id"]).data.params == {"p": "0"}


def test_delete_run(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "delete_run", capsys)
    assert_output_shape("delete_run", out)
    assert f"run_id: {ns['run_id']}; lifecycle_stage: deleted" in out


def test_get_parent_run(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "get_parent_run", capsys)
    assert_output_shape("get_parent_run", out)
    child, parent = re.findall(r"[0-9a-f]{32}", out)
    assert child != parent
    assert mlflow.get_run(child).data.tags["mlflow.parentRunId"] == parent


def test_last_active_run_of_ended_run(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "last_active_run_ended", capsys)
    run = ns["run"]
    assert isinstance(run, mlflow.entities.Run)
    assert run.info.status == "FINISHED"
    assert mlflow.active_run() is None


def test_last_active_run_of_current_run(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "last_active_run_current", capsys)
    run = ns["run"]
    assert isinstance(run, mlflow.entities.Run)
    assert run.info.status == "RUNNING"
    assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"


def test_start_run(mlflow, transport, capsys):
    capsys.readouterr()
    ns = {"mlflow": mlflow, "__name__": "__main__"}
    filename = "<reference:start_run>"
    source = _source("start_run")
    try:
        exec(compile(source, filename, "exec"), ns)
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        line = source.splitlines()[frames[-1].lineno - 1] if frames else ""
        if IS_AIOMLFLOW and ("search_runs" in line or "results[" in line):
            pytest.xfail(f"search_runs belongs to the search issue: {exc!r}")
        raise
    out = _printed(capsys)
    assert_output_shape("start_run", out)

    parent = mlflow.get_run(ns["parent_run"].info.run_id)
    assert parent.info.run_name == "PARENT_RUN"
    assert parent.data.params == {"parent": "yes"}
    new_child = mlflow.get_run(ns["child_run"].info.run_id)
    assert new_child.info.run_name == "NEW_CHILD_RUN"
    assert new_child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert new_child.data.tags["mlflow.note.content"] == "new child"
    assert new_child.data.params == {"new-child": "yes"}


# ------------------------------------------------------------------ params, metrics, tags


def test_log_param(mlflow, transport, capsys):
    # the example re-logs the key with another value asynchronously and never waits:
    # the first value stays, and the example itself runs without an error
    run_example(mlflow, "log_param", capsys)
    run = mlflow.last_active_run()
    assert run.data.params == {"learning_rate": "0.01"}


def test_log_params(mlflow, transport, capsys):
    run_example(mlflow, "log_params", capsys)
    mlflow.flush_async_logging()
    run = mlflow.get_run(mlflow.last_active_run().info.run_id)
    assert run.data.params == {"learning_rate": "0.01", "n_estimators": "10"}


def test_log_metric(mlflow, transport, capsys):
    run_example(mlflow, "log_metric", capsys)
    mlflow.flush_async_logging()
    run = mlflow.get_run(mlflow.last_active_run().info.run_id)
    assert run.data.metrics == {"mse": 2500.0}


def test_log_metrics(mlflow, transport, capsys):
    run_example(mlflow, "log_metrics", capsys)
    mlflow.flush_async_logging()
    run = mlflow.get_run(mlflow.last_active_run().info.run_id)
    assert run.data.metrics == {"mse": 2500.0, "rmse": 50.0}


def test_set_tag(mlflow, transport, capsys):
    run_example(mlflow, "set_tag", capsys)
    mlflow.flush_async_logging()
    run = mlflow.get_run(mlflow.last_active_run().info.run_id)
    assert run.data.tags["release.version"] == "2.2.1"


def test_set_tags(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "set_tags", capsys)
    mlflow.flush_async_logging()
    run = mlflow.get_run(mlflow.last_active_run().info.run_id)
    for k, v in ns["tags"].items():
        assert run.data.tags[k] == v


def test_delete_tag(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "delete_tag", capsys)
    tags = mlflow.get_run(ns["run"].info.run_id).data.tags
    assert tags["engineering"] == "ML Platform"
    assert "engineering_remote" not in tags


# ------------------------------------------------------------------ experiments


def test_create_experiment(mlflow, transport, capsys, tmp_path):
    ns, out = run_example(mlflow, "create_experiment", capsys)
    assert_output_shape("create_experiment", out)
    assert f"Artifact Location: {(tmp_path / 'mlruns').as_uri()}" in out.splitlines()


def test_delete_experiment(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "delete_experiment", capsys)
    assert_output_shape("delete_experiment", out)


def test_get_experiment(mlflow, transport, capsys):
    _, out = run_example(mlflow, "get_experiment", capsys)
    assert_output_shape("get_experiment", out)
    location = re.search(r"Artifact Location: (\S+)", out).group(1)
    assert location.endswith("/0")


def test_get_experiment_by_name(mlflow, transport, capsys):
    _, out = run_example(mlflow, "get_experiment_by_name", capsys)
    assert_output_shape("get_experiment_by_name", out)


def test_set_experiment(mlflow, transport, capsys):
    ns, out = run_example(mlflow, "set_experiment", capsys)
    assert_output_shape("set_experiment", out)
    location = re.search(r"Artifact Location: (\S+)", out).group(1)
    assert location.endswith("/" + ns["experiment"].experiment_id)
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == ns["experiment"].experiment_id


def test_delete_experiment_tag(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "delete_experiment_tag", capsys)
    assert ns["exp"].name == "test-delete-tag"
    assert "release.version" not in mlflow.get_experiment(ns["exp"].experiment_id).tags


def test_set_experiment_tag(mlflow, transport, capsys):
    run_example(mlflow, "set_experiment_tag", capsys)
    assert mlflow.get_experiment("0").tags == {"release.version": "2.2.0"}


def test_set_experiment_tags(mlflow, transport, capsys):
    ns, _ = run_example(mlflow, "set_experiment_tags", capsys)
    assert mlflow.get_experiment("0").tags == ns["tags"]


# ------------------------------------------------------------------ URIs


def test_get_tracking_uri_default(mlflow, capsys, tmp_path):
    ns, out = run_example(mlflow, "get_tracking_uri", capsys)
    assert_output_shape("get_tracking_uri", out)
    line = out.strip().splitlines()[-1]
    assert line in (
        "Current tracking uri: sqlite:///mlflow.db",
        f"Current tracking uri: sqlite:///{tmp_path}/mlflow.db",
    )


def test_get_tracking_uri(mlflow, transport, capsys):
    _, out = run_example(mlflow, "get_tracking_uri", capsys)
    assert out.strip() == f"Current tracking uri: {transport}"


def test_get_registry_uri(mlflow, transport, capsys):
    _, out = run_example(mlflow, "get_registry_uri", capsys)
    assert_output_shape("get_registry_uri", out)
    assert out.strip().splitlines() == [
        f"Current model registry uri: {transport}",
        f"Current tracking uri: {transport}",
    ]


def test_set_registry_uri(mlflow, transport, capsys):
    _, out = run_example(mlflow, "set_registry_uri", capsys)
    assert_output_shape("set_registry_uri", out)
    assert out.strip().splitlines() == [
        "Current registry uri: sqlite:////tmp/registry.db",
        f"Current tracking uri: {transport}",
    ]


def test_set_tracking_uri(mlflow, transport, capsys):
    _, out = run_example(mlflow, "set_tracking_uri", capsys)
    assert out == _text(EXAMPLES["set_tracking_uri"][1])


# ------------------------------------------------------------------ doctor, login


def test_doctor(mlflow, transport, capsys):
    _, out = run_example(mlflow, "doctor", capsys)
    got = out.splitlines()
    reference = _text(EXAMPLES["doctor"][1]).splitlines()
    # every section line of the reference (before the dependency list) starts the same way
    headers = [line.split(":")[0] + ":" for line in reference if not line.startswith(" ")]
    got_headers = [line.split(":")[0] + ":" for line in got if not line.startswith(" ")]
    # the reference's sections, in its order (MLflow adds "Active run ..." lines in a run)
    it = iter(got_headers)
    assert all(h in it for h in headers), (headers, got_headers)
    assert got_headers[:6] == headers[:6]
    assert f"Tracking URI: {transport}" in got
    assert f"Registry URI: {transport}" in got
    assert f"  MLFLOW_TRACKING_URI: {transport}" in got or not any(
        line.startswith("  MLFLOW_") for line in got
    )
    deps = got[got.index(next(l for l in got if l.startswith("MLflow dependencies:"))) + 1 :]
    assert deps and all(re.match(r"^  [\w.-]+: \S+", line) for line in deps)


@skip_on_mlflow("mlflow.login() logs in to Databricks; aiomlflow does not support login")
def test_login(mlflow, transport, capsys):
    with pytest.raises(mlflow.MlflowException) as ei:
        run_example(mlflow, "login", capsys)
    assert "login" in str(ei.value).lower() or "support" in str(ei.value).lower()
    assert mlflow.active_run() is None
