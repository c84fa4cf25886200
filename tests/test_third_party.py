"""Real third-party integrations that ``import mlflow``, run on aiomlflow and on mlflow.

Each child script drives a real integration (Hugging Face transformers' MLflowCallback,
optuna's MLflowCallback) the way its framework does.  It runs twice, side by side, each
time in a fresh process and on its own SQLite store: once with ``sys.modules["mlflow"] =
aiomlflow``, once with real mlflow 3.17.2.  Real mlflow then reads both stores, and
what the integration logged must be the same: experiments, run names and statuses,
params, tags, every metric's history.  Ids and clock readings are left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import IS_AIOMLFLOW, fresh_store

pytestmark = pytest.mark.skipif(not IS_AIOMLFLOW, reason="aiomlflow standing in for mlflow")

PRELUDE = textwrap.dedent("""
    import os, sys
    if sys.argv[1] == "aiomlflow":
        import aiomlflow
        sys.modules["mlflow"] = aiomlflow
    URI = sys.argv[2]
""")

HUGGING_FACE = PRELUDE + textwrap.dedent("""
    os.environ["MLFLOW_TRACKING_URI"] = URI
    os.environ["MLFLOW_EXPERIMENT_NAME"] = "hf-experiment"
    os.environ["MLFLOW_TAGS"] = '{"team": "nlp"}'
    os.environ["MLFLOW_NESTED_RUN"] = "false"
    from transformers import TrainerControl, TrainerState, TrainingArguments
    from transformers.integrations import MLflowCallback

    args = TrainingArguments(output_dir="out", run_name="hf-run", learning_rate=3e-5,
                             report_to=[])
    state = TrainerState()
    state.is_world_process_zero = True
    control = TrainerControl()
    callback = MLflowCallback()
    callback.on_train_begin(args, state, control, model=None)
    for step in range(1, 31):
        state.global_step = step
        callback.on_log(args, state, control,
                        logs={"loss": 1.0 / step, "learning_rate": 3e-5 * (1 - step / 30),
                              "epoch": step / 10})
    callback.on_train_end(args, state, control)
    callback.__del__()  # the Trainer's teardown ends the run
""")

OPTUNA = PRELUDE + textwrap.dedent("""
    import optuna
    from optuna_integration.mlflow import MLflowCallback

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    callback = MLflowCallback(tracking_uri=URI, metric_name=["loss", "size"],
                              create_experiment=True, tag_study_user_attrs=True,
                              tag_trial_user_attrs=True)

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        trial.set_user_attr("note", f"trial {trial.number}")
        return (x - 2) ** 2, len(kind) + x

    study = optuna.create_study(study_name="optuna-study", directions=["minimize", "maximize"],
                                sampler=optuna.samplers.RandomSampler(seed=3))
    study.set_user_attr("owner", "search-team")
    study.optimize(objective, n_trials=6, callbacks=[callback])

    @callback.track_in_mlflow()
    def tracked(trial):
        import mlflow
        x = trial.suggest_float("x", 0, 1)
        mlflow.log_param("power", 2)
        for step in range(5):
            mlflow.log_metric("inner", x * step, step=step)
        return x, x * 2

    study.optimize(tracked, n_trials=3, callbacks=[callback])
""")

# tags whose values are clock readings or process facts, not what was logged
_VOLATILE_TAGS = {"datetime_start", "datetime_complete", "mlflow.source.name"}


def _start(lib: str, script: str, tmp_path) -> tuple:
    """The script's process with ``lib`` as mlflow, on a new store; (process, store URI)."""
    workdir = tmp_path / lib
    workdir.mkdir()
    uri = fresh_store(workdir / "mlflow.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    process = subprocess.Popen([sys.executable, "-c", script, lib, uri], cwd=workdir, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, uri


def _finish(lib: str, started: tuple) -> str:
    process, uri = started
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, f"{lib}:\n{stderr[-4000:]}"
    return uri


def _what_was_logged(uri: str) -> dict:
    """Everything an integration logged to ``uri``, read by real mlflow, without ids."""
    import mlflow

    client = mlflow.MlflowClient(uri)
    logged = {}
    for experiment in client.search_experiments():
        runs = {}
        for run in client.search_runs([experiment.experiment_id]):
            tags = {k: v for k, v in run.data.tags.items() if k not in _VOLATILE_TAGS}
            parent = tags.pop("mlflow.parentRunId", None)
            histories = {
                key: [(m.step, m.value) for m in client.get_metric_history(run.info.run_id, key)]
                for key in run.data.metrics}
            runs[run.info.run_name] = {
                "status": run.info.status, "params": run.data.params, "tags": tags,
                "metrics": run.data.metrics, "histories": histories,
                "nested": parent is not None}
        logged[experiment.name] = {"tags": experiment.tags, "runs": runs}
    return logged


@pytest.mark.parametrize("script", [HUGGING_FACE, OPTUNA], ids=["transformers", "optuna"])
def test_an_integration_logs_the_same_through_aiomlflow_as_through_mlflow(script, tmp_path):
    # both processes at once, each on its own store
    ours_started = _start("aiomlflow", script, tmp_path)
    theirs_started = _start("mlflow", script, tmp_path)
    ours = _what_was_logged(_finish("aiomlflow", ours_started))
    theirs = _what_was_logged(_finish("mlflow", theirs_started))
    assert ours == theirs
    assert sum(len(e["runs"]) for e in ours.values()) > 0
