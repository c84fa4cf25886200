"""Code written against ``mlflow`` by third-party integrations runs on aiomlflow.

The child process makes ``import mlflow`` resolve to aiomlflow, then logs the way the
PyTorch Lightning logger (explicit-id MlflowClient calls) and the Hugging Face callback
(fluent calls, chunked params) do; real mlflow then reads what was logged.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import IS_AIOMLFLOW

pytestmark = pytest.mark.skipif(not IS_AIOMLFLOW, reason="aiomlflow standing in for mlflow")

CHILD = textwrap.dedent("""
    import sys
    import aiomlflow
    sys.modules["mlflow"] = aiomlflow  # all it takes: mlflow.<submodule> follows

    URI = sys.argv[1]

    # --- Lightning-style: explicit ids through MlflowClient
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.tracking import MlflowClient, context
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME
    from mlflow.utils.time import get_current_time_millis

    client = MlflowClient(URI)
    experiment = client.get_experiment_by_name("lightning_logs")
    experiment_id = (experiment.experiment_id if experiment
                     else client.create_experiment(name="lightning_logs"))
    tags = context.registry.resolve_tags({MLFLOW_RUN_NAME: "version_0"})
    run = client.create_run(experiment_id=experiment_id, tags=tags)
    run_id = run.info.run_id
    client.log_batch(run_id, params=[Param("lr", "0.01"), Param("batch_size", "32")])
    for step in range(50):
        client.log_batch(run_id, metrics=[
            Metric("train_loss", 1.0 / (step + 1), get_current_time_millis(), step)])
    client.set_tag(run_id, "framework", "lightning")
    client.set_terminated(run_id, "FINISHED")

    # an integration's own error handling catches aiomlflow's errors
    from mlflow.exceptions import MlflowException
    try:
        client.get_run("0" * 32)
    except MlflowException as exc:
        assert exc.error_code == "RESOURCE_DOES_NOT_EXIST", exc.error_code
    else:
        raise AssertionError("get_run of an unknown id did not raise")

    # --- Hugging Face-style: fluent calls, params chunked by MLflow's batch limit
    import mlflow
    from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH, MAX_PARAMS_TAGS_PER_BATCH

    mlflow.set_tracking_uri(URI)
    mlflow.set_experiment("hf")
    mlflow.start_run(run_name="hf-run")
    params = {f"arg_{i}": "x" * 10 for i in range(250)}
    params = {k: v for k, v in params.items() if len(str(v)) <= MAX_PARAM_VAL_LENGTH}
    items = list(params.items())
    for start in range(0, len(items), MAX_PARAMS_TAGS_PER_BATCH):
        mlflow.log_params(dict(items[start:start + MAX_PARAMS_TAGS_PER_BATCH]))
    for step in range(20):
        mlflow.log_metrics({"loss": 2.0 / (step + 1), "lr": 0.1}, step=step, synchronous=False)
    hf_run = mlflow.active_run().info.run_id
    mlflow.end_run()
    print(run_id, hf_run)
""")


def test_integration_style_code_logs_through_aiomlflow(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out = subprocess.run([sys.executable, "-c", CHILD, uri], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lightning_run, hf_run = out.stdout.split()

    import mlflow

    client = mlflow.MlflowClient(uri)
    run = client.get_run(lightning_run)
    assert run.info.status == "FINISHED" and run.info.run_name == "version_0"
    assert run.data.params == {"lr": "0.01", "batch_size": "32"}
    assert run.data.tags["framework"] == "lightning"
    assert run.data.tags["mlflow.source.type"] == "LOCAL"
    assert [m.step for m in client.get_metric_history(lightning_run, "train_loss")] == list(range(50))

    run = client.get_run(hf_run)
    assert run.info.status == "FINISHED" and run.info.run_name == "hf-run"
    assert len(run.data.params) == 250
    assert run.data.metrics == {"loss": 0.1, "lr": 0.1}
    assert len(client.get_metric_history(hf_run, "loss")) == 20
