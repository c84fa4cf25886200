"""Autologging: ``mlflow.autolog`` and ``mlflow.sklearn.autolog``.

* every autolog example of the reference, unchanged (over both transports where they
  log, and with the output the reference prints for MLflow 3.17.2's scikit-learn);
* what a fit logs — params, training metrics, tags, model, datasets, child runs of a
  parameter search — compared key by key with real mlflow 3.17.2's autologging of the
  same estimators, each run in a fresh process;
* the configuration: disable, exclusive, silent, extra_tags, log_models,
  log_input_examples, log_model_signatures, exclude_flavors, the precedence of an
  integration's own autolog() over ``mlflow.autolog()``;
* post-training metrics: ``sklearn.metrics`` calls on a prediction of an autologged
  model and its ``score`` logged to the run that trained it, with metric_info.json, the
  eval dataset and the model link; nothing for other predictions, nor when disabled;
* patching applied when scikit-learn is imported, never breaking the user's fit;
  integrations aiomlflow does not implement are skipped with one log line;
* bad input with MLflow's error codes.

With ``AIOMLFLOW_TESTS_TARGET=mlflow`` the tests run against real mlflow.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import IS_MLFLOW, fresh_store, skip_on_mlflow

HERE = pathlib.Path(__file__).resolve().parent
WORKTREE = HERE.parent


@pytest.fixture(autouse=True)
def _autolog_off(mlflow):
    """Every test starts and ends with autologging disabled and unpatched."""
    _disable(mlflow)
    yield
    _disable(mlflow)


def _disable(mlflow):
    if IS_MLFLOW:
        from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS

        mlflow.autolog(disable=True)
        mlflow.sklearn.autolog(disable=True)
        AUTOLOGGING_INTEGRATIONS.clear()  # no integration configured by the user
        return
    from aiomlflow.sdk.autolog import config, fluent, hooks, patching
    from aiomlflow.sdk.models.sklearn import post_training

    mlflow.sklearn.autolog(disable=True)
    patching.revert("sklearn")
    hooks.reset()
    config.reset()
    fluent._reset_for_tests()
    post_training.reset()


def _data():
    X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
    return X, np.dot(X, np.array([1, 2])) + 3


def _user_tags(run):
    return {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}


REGRESSOR_METRICS = {"training_score", "training_mean_squared_error",
                     "training_root_mean_squared_error", "training_mean_absolute_error",
                     "training_r2_score"}
CLASSIFIER_METRICS = {"training_score", "training_accuracy_score", "training_precision_score",
                      "training_recall_score", "training_f1_score", "training_log_loss",
                      "training_roc_auc"}


# ------------------------------------------------------------------ reference examples
REFERENCE = HERE.parents[1] / "shared" / "seed" / "000_a0d6af5c2fb3ad62.txt"

AUTOLOG_EXAMPLE = """
import numpy as np
import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression


def print_auto_logged_info(r):
    tags = {k: v for k, v in r.data.tags.items() if not k.startswith("mlflow.")}
    artifacts = [f.path for f in MlflowClient().list_artifacts(r.info.run_id, "model")]
    print(f"run_id: {r.info.run_id}")
    print(f"artifacts: {artifacts}")
    print(f"params: {r.data.params}")
    print(f"metrics: {r.data.metrics}")
    print(f"tags: {tags}")


# prepare training data
X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
y = np.dot(X, np.array([1, 2])) + 3

# Auto log all the parameters, metrics, and artifacts
mlflow.autolog()
model = LinearRegression()
with mlflow.start_run() as run:
    model.fit(X, y)

# fetch the auto logged parameters and metrics for ended run
print_auto_logged_info(mlflow.get_run(run_id=run.info.run_id))
"""

LAST_ACTIVE_RUN_EXAMPLE = """
import mlflow

from sklearn.model_selection import train_test_split
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestRegressor

mlflow.autolog()

db = load_diabetes()
X_train, X_test, y_train, y_test = train_test_split(db.data, db.target)

# Create and train models.
rf = RandomForestRegressor(n_estimators=100, max_depth=6, max_features=3)
rf.fit(X_train, y_train)

# Use the model to make predictions on the test dataset.
predictions = rf.predict(X_test)
autolog_run = mlflow.last_active_run()
"""

GLOBAL_CONFIG_EXAMPLE = """
import mlflow

mlflow.autolog(log_models=False, exclusive=True)
import sklearn
"""

OVERRIDE_EXAMPLE = """
import mlflow

mlflow.autolog(log_models=False, exclusive=True)

import sklearn

mlflow.sklearn.autolog(log_models=True)
"""

EXAMPLES = {"autolog": AUTOLOG_EXAMPLE, "last_active_run": LAST_ACTIVE_RUN_EXAMPLE,
            "global_config": GLOBAL_CONFIG_EXAMPLE, "override": OVERRIDE_EXAMPLE}


def test_examples_are_the_reference_text():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    text = REFERENCE.read_text(encoding="utf-8")
    for name, code in EXAMPLES.items():
        assert code.strip("\n") in text, name


@contextlib.contextmanager
def as_mlflow(module):
    """``import mlflow`` (and ``mlflow.sklearn``) bound to ``module`` while an example runs."""
    names = ("mlflow", "mlflow.sklearn")
    saved = {name: sys.modules.get(name) for name in names}
    if module.__name__ != "mlflow":
        sys.modules["mlflow"] = module
        sys.modules["mlflow.sklearn"] = module.sklearn
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value


def run_example(module, code: str) -> dict:
    namespace = {"__name__": "__main__"}
    with as_mlflow(module):
        exec(compile(code, "<reference example>", "exec"), namespace)
    return namespace


def test_reference_autolog_example(mlflow, transport, capsys):
    """The reference's ``mlflow.autolog()`` example, verbatim, and its printed output."""
    namespace = run_example(mlflow, AUTOLOG_EXAMPLE)
    out = capsys.readouterr().out
    run = namespace["run"]
    assert f"run_id: {run.info.run_id}" in out
    artifacts = out.split("artifacts: ", 1)[1].split("\n", 1)[0]
    # as the reference (MLflow 3 adds the environment files)
    assert eval(artifacts) == ["model/MLmodel", "model/conda.yaml", "model/model.pkl",
                               "model/python_env.yaml", "model/requirements.txt"]
    r = mlflow.get_run(run.info.run_id)
    assert f"params: {r.data.params}" in out
    assert r.data.params == {"copy_X": "True", "fit_intercept": "True", "n_jobs": "None",
                             "positive": "False", "tol": "1e-06"}
    assert set(r.data.metrics) == REGRESSOR_METRICS
    assert r.data.metrics["training_score"] == 1.0
    assert r.data.metrics["training_r2_score"] == 1.0
    assert r.data.metrics["training_mean_squared_error"] == pytest.approx(0, abs=1e-20)
    assert ("tags: {'estimator_name': 'LinearRegression', "
            "'estimator_class': 'sklearn.linear_model._base.LinearRegression'}") in out
    assert "mlflow.autologging" not in r.data.tags  # the user's run, not a managed one
    (output,) = r.outputs.model_outputs
    assert mlflow.get_logged_model(output.model_id).name == "model"


def test_reference_sklearn_autolog_docstring_example(mlflow, transport):
    """``mlflow.sklearn.autolog()`` with the docstring example's fetch_logged_data."""
    from sklearn.linear_model import LinearRegression

    def fetch_logged_data(run_id):
        client = mlflow.MlflowClient()
        data = client.get_run(run_id).data
        tags = {k: v for k, v in data.tags.items() if not k.startswith("mlflow.")}
        artifacts = [f.path for f in client.list_artifacts(run_id, "model")]
        return data.params, data.metrics, tags, artifacts

    mlflow.sklearn.autolog()
    X = np.array([[1, 1], [1, 2], [2, 2], [2, 3]])
    y = np.dot(X, np.array([1, 2])) + 3
    model = LinearRegression()
    with mlflow.start_run() as run:
        model.fit(X, y)
    params, metrics, tags, artifacts = fetch_logged_data(run.info.run_id)
    assert set(params) == {"copy_X", "fit_intercept", "n_jobs", "positive", "tol"}
    assert set(metrics) == REGRESSOR_METRICS
    assert tags == {"estimator_class": "sklearn.linear_model._base.LinearRegression",
                    "estimator_name": "LinearRegression"}
    assert "model/MLmodel" in artifacts


def test_reference_last_active_run_example(mlflow, transport):
    """The reference's last_active_run example: the autologged run of a fit."""
    namespace = run_example(mlflow, LAST_ACTIVE_RUN_EXAMPLE)
    autolog_run = namespace["autolog_run"]
    assert namespace["predictions"].shape == (len(namespace["X_test"]),)
    assert autolog_run.info.status == "FINISHED"
    assert autolog_run.data.tags["mlflow.autologging"] == "sklearn"
    assert autolog_run.data.params["n_estimators"] == "100"
    assert autolog_run.data.params["max_depth"] == "6"
    assert REGRESSOR_METRICS <= set(autolog_run.data.metrics)
    assert mlflow.active_run() is None


def test_reference_autolog_then_import_sklearn(mlflow, transport):
    """``mlflow.autolog(log_models=False, exclusive=True); import sklearn``: sklearn
    autologs with those settings."""
    run_example(mlflow, GLOBAL_CONFIG_EXAMPLE)
    from sklearn.linear_model import LinearRegression

    X, y = _data()
    with mlflow.start_run() as user_run:
        LinearRegression().fit(X, y)  # exclusive: nothing in the user's run
    assert mlflow.get_run(user_run.info.run_id).data.params == {}
    LinearRegression().fit(X, y)
    run = mlflow.last_active_run()
    assert run.info.run_id != user_run.info.run_id
    assert set(run.data.metrics) == REGRESSOR_METRICS
    assert not run.outputs.model_outputs  # log_models=False


def test_reference_integration_autolog_overrides_global(mlflow, transport):
    """``mlflow.autolog(log_models=False, exclusive=True)`` then
    ``mlflow.sklearn.autolog(log_models=True)``: sklearn logs models, not exclusive."""
    run_example(mlflow, OVERRIDE_EXAMPLE)
    from sklearn.linear_model import LinearRegression

    X, y = _data()
    with mlflow.start_run() as run:
        LinearRegression().fit(X, y)
    run = mlflow.get_run(run.info.run_id)
    assert set(run.data.metrics) == REGRESSOR_METRICS  # exclusive=False
    assert len(run.outputs.model_outputs) == 1  # log_models=True
    # and a later mlflow.autolog() keeps the integration's own configuration
    mlflow.autolog(log_models=False, exclusive=True)
    with mlflow.start_run() as run2:
        LinearRegression().fit(X, y)
    assert len(mlflow.get_run(run2.info.run_id).outputs.model_outputs) == 1


# ------------------------------------------------------------------ what a fit logs
def test_classifier_metrics_tags_and_managed_run(mlflow, transport):
    from sklearn.linear_model import LogisticRegression

    mlflow.sklearn.autolog(log_models=False, extra_tags={"team": "search", "n": "3"})
    X = np.random.RandomState(0).rand(30, 2)
    y = (X.sum(axis=1) > 1).astype(int)
    model = LogisticRegression().fit(X, y)
    assert model.coef_.shape == (1, 2)  # the fit itself is the user's
    run = mlflow.last_active_run()
    assert run.info.status == "FINISHED"
    assert set(run.data.metrics) == CLASSIFIER_METRICS
    assert run.data.metrics["training_score"] == run.data.metrics["training_accuracy_score"]
    assert run.data.tags["mlflow.autologging"] == "sklearn"
    assert run.data.tags["team"] == "search"
    assert run.data.tags["n"] == "3"
    assert _user_tags(run)["estimator_name"] == "LogisticRegression"
    assert mlflow.active_run() is None
    artifacts = {f.path for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert {"estimator.html", "training_confusion_matrix.png", "training_roc_curve.png",
            "training_precision_recall_curve.png"} <= artifacts


def test_metric_values_match_sklearn(mlflow, transport):
    from sklearn import metrics
    from sklearn.linear_model import Ridge

    mlflow.sklearn.autolog(log_models=False)
    rng = np.random.RandomState(1)
    X, y = rng.rand(25, 3), rng.rand(25)
    weights = rng.rand(25)
    model = Ridge().fit(X, y, sample_weight=weights)
    logged = mlflow.last_active_run().data.metrics
    predicted = model.predict(X)
    mse = metrics.mean_squared_error(y, predicted, sample_weight=weights)
    assert logged["training_mean_squared_error"] == pytest.approx(mse)
    assert logged["training_root_mean_squared_error"] == pytest.approx(np.sqrt(mse))
    assert logged["training_mean_absolute_error"] == pytest.approx(
        metrics.mean_absolute_error(y, predicted, sample_weight=weights))
    assert logged["training_r2_score"] == pytest.approx(
        metrics.r2_score(y, predicted, sample_weight=weights))
    assert logged["training_score"] == pytest.approx(model.score(X, y, weights))


def test_pipeline_is_one_run_with_deep_params(mlflow, transport):
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    mlflow.sklearn.autolog(log_models=False)
    X, y = _data()
    Pipeline([("scale", StandardScaler()), ("lr", LinearRegression())]).fit(X, y)
    run = mlflow.last_active_run()
    assert run.data.params["lr__fit_intercept"] == "True"
    assert run.data.params["scale__with_mean"] == "True"
    assert _user_tags(run)["estimator_name"] == "Pipeline"
    runs = mlflow.search_runs(output_format="list")
    assert len(runs) == 1  # the steps' own fits log nothing


def test_parameter_search_child_runs(mlflow, transport):
    from sklearn.model_selection import GridSearchCV
    from sklearn.tree import DecisionTreeClassifier

    mlflow.sklearn.autolog(log_models=False, max_tuning_runs=2)
    X = np.random.RandomState(0).rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    search = GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]},
                          cv=2).fit(X, y)
    parent = mlflow.last_active_run()
    assert parent.data.params["best_max_depth"] == str(search.best_params_["max_depth"])
    assert parent.data.metrics["best_cv_score"] == pytest.approx(search.best_score_)
    assert "max_depth" not in parent.data.params  # the seed's untuned params are not logged
    children = mlflow.search_runs(
        filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'",
        output_format="list")
    assert len(children) == 2
    for child in children:
        assert child.info.status == "FINISHED"
        assert child.data.tags["mlflow.autologging"] == "sklearn"
        assert {"mean_test_score", "rank_test_score", "std_test_score"} <= set(child.data.metrics)
        assert child.data.params["max_depth"] in ("1", "2", "3")
    artifacts = {f.path for f in mlflow.MlflowClient().list_artifacts(parent.info.run_id)}
    assert "cv_results.csv" in artifacts


def test_cross_validation_helpers_start_no_runs(mlflow, transport):
    mlflow.sklearn.autolog(log_models=False)  # before the import, as MLflow documents
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_score

    X, y = np.random.RandomState(0).rand(20, 2), np.random.RandomState(1).rand(20)
    cross_val_score(LinearRegression(), X, y, cv=2)
    assert mlflow.search_runs(output_format="list") == []


def _model_info(tracking_uri: str, model_id: str):
    """The MLmodel of a logged model, read by real mlflow (interop is tested elsewhere)."""
    import mlflow as real

    if IS_MLFLOW:
        return real.models.get_model_info(f"models:/{model_id}")
    import mlflow.tracking._tracking_service.utils as tracking_utils

    real.set_tracking_uri(tracking_uri)
    try:
        return real.models.get_model_info(f"models:/{model_id}")
    finally:
        tracking_utils._tracking_uri = None
        os.environ.pop("MLFLOW_TRACKING_URI", None)


def test_log_models_with_input_example_and_signature(mlflow, transport):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_input_examples=True, log_model_signatures=True)
    X = np.random.RandomState(0).rand(12, 3)
    y = X @ [1.0, 2.0, 3.0]
    model = LinearRegression().fit(X, y)
    run = mlflow.last_active_run()
    (output,) = run.outputs.model_outputs
    info = _model_info(transport, output.model_id)
    assert info.signature is not None
    assert list(info.signature.inputs.to_dict()[0]["tensor-spec"]["shape"]) == [-1, 3]
    assert info.saved_input_example_info["type"] == "ndarray"
    loaded = mlflow.sklearn.load_model(f"models:/{output.model_id}")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert info.flavors["sklearn"]["serialization_format"] == "cloudpickle"


def test_no_signature_no_example(mlflow, transport):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_input_examples=False, log_model_signatures=False)
    X, y = _data()
    LinearRegression().fit(X, y)
    (output,) = mlflow.last_active_run().outputs.model_outputs
    info = _model_info(transport, output.model_id)
    assert info.signature is None
    assert info.saved_input_example_info is None


def test_registered_model_name_registers_each_fit(mlflow, transport):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(registered_model_name="AutologgedModel")
    X, y = _data()
    LinearRegression().fit(X, y)
    LinearRegression().fit(X, y)
    versions = mlflow.search_model_versions(filter_string="name = 'AutologgedModel'")
    assert sorted(int(v.version) for v in versions) == [1, 2]


# ------------------------------------------------------------------ configuration
def test_disable_logs_nothing(mlflow, transport):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_models=False)
    mlflow.sklearn.autolog(disable=True)
    X, y = _data()
    LinearRegression().fit(X, y)
    assert mlflow.search_runs(output_format="list") == []
    mlflow.autolog(log_models=False)
    mlflow.autolog(disable=True)
    LinearRegression().fit(X, y)
    assert mlflow.search_runs(output_format="list") == []


def test_exclusive_leaves_user_runs_alone(mlflow, transport):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_models=False, exclusive=True)
    X, y = _data()
    with mlflow.start_run() as run:
        LinearRegression().fit(X, y)
    assert mlflow.get_run(run.info.run_id).data.metrics == {}
    LinearRegression().fit(X, y)  # no user run: a managed one
    assert mlflow.last_active_run().data.tags["mlflow.autologging"] == "sklearn"


def test_silent_suppresses_event_logs(mlflow, tmp_path, capfd):
    from sklearn.linear_model import LinearRegression

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/silent.db")
    mlflow.sklearn.autolog(log_models=False, silent=True)
    X, y = _data()
    capfd.readouterr()
    LinearRegression().fit(X, y)
    assert mlflow.last_active_run().data.metrics
    assert "autologging" not in capfd.readouterr().err
    mlflow.sklearn.autolog(log_models=False, silent=False)
    LinearRegression().fit(X, y)
    assert "Created MLflow autologging run" in capfd.readouterr().err


def test_user_errors_propagate_and_fail_the_managed_run(mlflow, transport):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_models=False)
    with pytest.raises(ValueError):
        LinearRegression().fit(np.ones((4, 2)), np.ones(3))
    run = mlflow.last_active_run()
    assert run.info.status == "FAILED"
    assert mlflow.active_run() is None


def test_logging_failure_never_breaks_fit(mlflow, tmp_path, library_log):
    from sklearn.linear_model import LinearRegression

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    mlflow.set_tracking_uri(f"sqlite:///{blocker}/sub/mlflow.db")  # cannot be created
    mlflow.sklearn.autolog(log_models=False)
    X, y = _data()
    model = LinearRegression().fit(X, y)
    np.testing.assert_allclose(model.coef_, [1, 2])
    assert any("Encountered unexpected error during sklearn autologging" in r.getMessage()
               for r in library_log.records)
    assert mlflow.active_run() is None


# ------------------------------------------------------------------ post-training metrics
def _split(classes: bool = False):
    rng = np.random.RandomState(3)
    X_train, X_test = rng.rand(30, 3), rng.rand(12, 3)
    y_train, y_test = X_train @ [1.0, 2.0, 3.0], X_test @ [1.0, 2.0, 3.0] + 0.05
    if classes:
        threshold = y_train.mean()
        y_train, y_test = (y_train > threshold).astype(int), (y_test > threshold).astype(int)
    return X_train, X_test, y_train, y_test


def _post_training_metrics(mlflow, run_id: str) -> dict:
    mlflow.flush_async_logging()  # post-training metrics are logged asynchronously
    return {k: v for k, v in mlflow.get_run(run_id).data.metrics.items()
            if not k.startswith("training_")}


def _metric_info(mlflow, run_id: str):
    mlflow.flush_async_logging()
    names = [f.path for f in mlflow.MlflowClient().list_artifacts(run_id)]
    if "metric_info.json" not in names:
        return None
    return mlflow.artifacts.load_dict(f"runs:/{run_id}/metric_info.json")


def test_post_training_metrics_of_a_regressor(mlflow, transport):
    """Metric calls on a tracked prediction and the model's score: keys named after the
    function (with a call index from the second call) and the dataset variable, values
    as sklearn computed them, metric_info.json with each call, the eval dataset as an
    input, the metrics linked to the logged model."""
    from sklearn import metrics
    from sklearn.linear_model import Ridge

    mlflow.sklearn.autolog()
    X_train, X_test, y_train, y_test = _split()
    model = Ridge(alpha=0.1).fit(X_train, y_train)
    run_id = mlflow.last_active_run().info.run_id
    y_pred = model.predict(X_test)
    mse = metrics.mean_squared_error(y_test, y_pred)
    mae = metrics.mean_absolute_error(y_true=y_test, y_pred=y_pred)
    mse_weighted = metrics.mean_squared_error(y_test, y_pred, sample_weight=np.ones(12))
    score = model.score(X_test, y_test)
    logged = _post_training_metrics(mlflow, run_id)
    assert logged == {"mean_squared_error_X_test": pytest.approx(mse),
                      "mean_absolute_error_X_test": pytest.approx(mae),
                      "mean_squared_error-2_X_test": pytest.approx(mse_weighted),
                      "Ridge_score_X_test": pytest.approx(score)}
    assert _metric_info(mlflow, run_id) == {
        "Ridge_score_X_test": "Ridge.score(X=X_test, y=y_test)",
        "mean_absolute_error_X_test": "mean_absolute_error(y_true=y_test, y_pred=y_pred)",
        "mean_squared_error-2_X_test":
            "mean_squared_error(y_true=y_test, y_pred=y_pred, sample_weight=<ndarray>)",
        "mean_squared_error_X_test": "mean_squared_error(y_true=y_test, y_pred=y_pred)",
    }
    run = mlflow.get_run(run_id)
    contexts = sorted(tag.value for d in run.inputs.dataset_inputs for tag in d.tags)
    assert contexts == ["eval", "train"]
    (model_output,) = run.outputs.model_outputs
    linked = mlflow.get_logged_model(model_output.model_id).metrics
    assert {m.key for m in linked} >= set(logged)
    assert {m.run_id for m in linked} == {run_id}


def test_post_training_metrics_of_a_classifier_probabilities(mlflow, transport):
    from sklearn import metrics
    from sklearn.linear_model import LogisticRegression

    mlflow.sklearn.autolog(log_models=False)
    X_train, X_test, y_train, y_test = _split(classes=True)
    model = LogisticRegression().fit(X_train, y_train)
    run_id = mlflow.last_active_run().info.run_id
    proba = model.predict_proba(X_test)
    loss = metrics.log_loss(y_test, proba)
    metrics.roc_auc_score(y_test, proba[:, 1])  # a slice is not the prediction: not logged
    predicted = model.predict(X_test)
    metrics.confusion_matrix(y_test, predicted)  # not a number: not logged
    accuracy = metrics.accuracy_score(y_test, predicted, normalize=False)
    assert _post_training_metrics(mlflow, run_id) == {
        "log_loss_X_test": pytest.approx(loss), "accuracy_score_X_test": accuracy}
    info = _metric_info(mlflow, run_id)
    assert info["accuracy_score_X_test"] == (
        "accuracy_score(y_true=y_test, y_pred=predicted, normalize=False)")
    assert list(info) == sorted(info)


def test_post_training_eval_sets_are_named_after_variables(mlflow, transport):
    """A second object under a name already used gets ``-2``; a helper's parameter is
    named as its caller's variable; an expression is ``unknown_dataset``."""
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_models=False, log_datasets=False)
    X_train, X_test, y_train, y_test = _split()
    model = LinearRegression().fit(X_train, y_train)
    run_id = mlflow.last_active_run().info.run_id
    X_valid = X_test[:6]

    def evaluate(estimator, data, truth):
        return metrics.r2_score(truth, estimator.predict(data))

    evaluate(model, X_valid, y_test[:6])
    metrics.r2_score(y_test, model.predict(X_test))
    X_test = X_test.copy()  # another object under the same name
    metrics.r2_score(y_test, model.predict(X_test))
    metrics.r2_score(y_test, model.predict(X_test * 1.0))
    assert sorted(_post_training_metrics(mlflow, run_id)) == [
        "r2_score-2_X_test", "r2_score-3_X_test-2", "r2_score-4_unknown_dataset",
        "r2_score_X_valid"]
    inputs = mlflow.get_run(run_id).inputs.dataset_inputs
    assert inputs == []  # log_datasets=False: neither the train nor the eval sets


def test_post_training_metrics_go_to_the_run_that_trained_the_model(mlflow, transport):
    """After that run ended, and while another run is active."""
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog(log_models=False)
    X_train, X_test, y_train, y_test = _split()
    with mlflow.start_run() as training:
        model = LinearRegression().fit(X_train, y_train)
    other_model = LinearRegression().fit(X_train, y_train)  # a managed run of its own
    other_model_run = mlflow.last_active_run().info.run_id
    with mlflow.start_run() as other:
        y_pred = model.predict(X_test)
        metrics.max_error(y_test, y_pred)
        other_pred = other_model.predict(X_test)
        metrics.max_error(y_test, other_pred)
    assert mlflow.get_run(training.info.run_id).info.status == "FINISHED"
    assert mlflow.get_run(other_model_run).info.status == "FINISHED"
    assert sorted(_post_training_metrics(mlflow, training.info.run_id)) == [
        "max_error_X_test"]
    assert sorted(_post_training_metrics(mlflow, other_model_run)) == ["max_error_X_test"]
    assert _post_training_metrics(mlflow, other.info.run_id) == {}


def test_pipeline_post_training_metrics(mlflow, transport):
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    mlflow.sklearn.autolog(log_models=False)
    X_train, X_test, y_train, y_test = _split()
    pipeline = Pipeline([("scale", StandardScaler()), ("lr", LinearRegression())])
    pipeline.fit(X_train, y_train)
    run_id = mlflow.last_active_run().info.run_id
    metrics.median_absolute_error(y_test, pipeline.predict(X_test))
    pipeline.score(X_test, y_test)
    assert sorted(_post_training_metrics(mlflow, run_id)) == [
        "Pipeline_score_X_test", "median_absolute_error_X_test"]
    assert _metric_info(mlflow, run_id)["Pipeline_score_X_test"] == (
        "Pipeline.score(X=X_test, y=y_test)")


def test_untracked_predictions_log_nothing(mlflow, transport):
    """Predictions of a model no autologged fit trained, or copies of tracked ones."""
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression

    X_train, X_test, y_train, y_test = _split()
    untracked = LinearRegression().fit(X_train, y_train)  # before autolog
    mlflow.sklearn.autolog(log_models=False)
    model = LinearRegression().fit(X_train, y_train)
    run_id = mlflow.last_active_run().info.run_id
    assert metrics.mean_squared_error(y_test, untracked.predict(X_test)) == pytest.approx(
        0.0025)
    untracked.score(X_test, y_test)
    y_pred = model.predict(X_test)
    metrics.mean_squared_error(y_test, y_pred.copy())
    metrics.mean_squared_error(y_test, list(y_pred))
    assert _post_training_metrics(mlflow, run_id) == {}
    assert _metric_info(mlflow, run_id) is None
    assert len(mlflow.search_runs(output_format="list")) == 1


def test_log_post_training_metrics_false_and_disable(mlflow, transport):
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression

    X_train, X_test, y_train, y_test = _split()
    mlflow.sklearn.autolog(log_models=False, log_post_training_metrics=False)
    model = LinearRegression().fit(X_train, y_train)
    first = mlflow.last_active_run().info.run_id
    metrics.mean_squared_error(y_test, model.predict(X_test))
    model.score(X_test, y_test)
    assert _post_training_metrics(mlflow, first) == {}
    assert [t.value for d in mlflow.get_run(first).inputs.dataset_inputs
            for t in d.tags] == ["train"]

    mlflow.sklearn.autolog(log_models=False)
    model = LinearRegression().fit(X_train, y_train)
    second = mlflow.last_active_run().info.run_id
    mlflow.sklearn.autolog(disable=True)
    metrics.mean_squared_error(y_test, model.predict(X_test))
    model.score(X_test, y_test)
    assert _post_training_metrics(mlflow, second) == {}


def test_tuple_predictions_are_returned_unchanged(mlflow, transport):
    from sklearn.gaussian_process import GaussianProcessRegressor

    mlflow.sklearn.autolog(log_models=False, silent=True)
    X_train, X_test, y_train, y_test = _split()
    model = GaussianProcessRegressor().fit(X_train, y_train)
    mean, std = model.predict(X_test, return_std=True)
    assert mean.shape == std.shape == (12,)


# ------------------------------------------------------------------ bad input
def test_bad_extra_tags(mlflow):
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.autolog(extra_tags="team=a")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Invalid `extra_tags` type: expecting dictionary, received `str`" in str(info.value)


def test_negative_max_tuning_runs(mlflow):
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.autolog(max_tuning_runs=-1)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "`max_tuning_runs` must be non-negative, instead got -1." in str(info.value)


def test_unsupported_serialization_format_is_a_warning_per_fit(mlflow, library_log):
    from sklearn.linear_model import LinearRegression

    mlflow.set_tracking_uri("sqlite:///fmt.db")
    mlflow.sklearn.autolog(serialization_format="joblib")
    X, y = _data()
    model = LinearRegression().fit(X, y)
    assert model.coef_.shape == (2,)
    assert any("Unrecognized serialization format: joblib" in r.getMessage()
               for r in library_log.records)


# ------------------------------------------------------------------ fresh processes
def _run_python(code: str, cwd, extra_env=None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(WORKTREE),
                                                      env.get("PYTHONPATH")]))
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=240)


MODULE = "mlflow" if IS_MLFLOW else "aiomlflow as mlflow"


def test_patching_waits_for_sklearn_import(tmp_path):
    result = _run_python(f"""
        import sys
        import {MODULE}
        mlflow.set_tracking_uri("sqlite:///lazy.db")
        mlflow.autolog(log_models=False)
        assert "sklearn" not in sys.modules, "autolog imported sklearn"
        import numpy as np
        from sklearn.linear_model import LinearRegression
        LinearRegression().fit(np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 2.0, 3.0]))
        run = mlflow.last_active_run()
        print("RUN", run.data.tags["mlflow.autologging"], sorted(run.data.metrics)[0])
    """, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "RUN sklearn training_mean_absolute_error" in result.stdout


@skip_on_mlflow("aiomlflow implements only the sklearn integration; others are skipped")
def test_unsupported_integrations_log_one_line_and_skip(tmp_path):
    fake = tmp_path / "fakes" / "xgboost"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("__version__ = '2.0.0'\n")
    result = _run_python("""
        import aiomlflow as mlflow
        mlflow.autolog()
        import xgboost
        mlflow.autolog()
        import importlib; importlib.reload(xgboost)
        print("IMPORTED", xgboost.__version__)
    """, tmp_path, {"PYTHONPATH": os.pathsep.join([str(tmp_path / "fakes"), str(WORKTREE)])})
    assert result.returncode == 0, result.stderr
    assert "IMPORTED 2.0.0" in result.stdout
    lines = [line for line in result.stderr.splitlines() if "xgboost" in line]
    assert len(lines) == 1, result.stderr
    assert "not supported by aiomlflow" in lines[0]
    excluded = _run_python("""
        import aiomlflow as mlflow
        mlflow.autolog(exclude_flavors=["xgboost"])
        import xgboost
    """, tmp_path, {"PYTHONPATH": os.pathsep.join([str(tmp_path / "fakes"), str(WORKTREE)])})
    assert excluded.returncode == 0, excluded.stderr
    assert "xgboost" not in excluded.stderr


def _start_probe(target: str, directory: pathlib.Path, *configs: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HERE / "autolog_probe.py"), target, *configs], cwd=directory,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
             "PYTHONPATH": str(WORKTREE)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def _probe_result(process: subprocess.Popen) -> dict:
    stdout, stderr = process.communicate(timeout=400)
    assert process.returncode == 0, stderr[-3000:]
    line = next(line for line in stdout.splitlines() if line.startswith("AUTOLOG_PROBE "))
    return json.loads(line[len("AUTOLOG_PROBE "):])


# LOG_MODELS,LOG_DATASETS,SET: models with post-training metrics linked to them, datasets
# on and off (with models off: a real mlflow model takes seconds to log).
PROBE_CONFIGS = ["0,1,all", "0,0,small", "1,1,post"]


@pytest.fixture(scope="module")
def probes(tmp_path_factory):
    """What the probe's fits logged under each configuration, by real mlflow and by
    aiomlflow: one fresh process each, side by side, running every configuration."""
    directory = tmp_path_factory.mktemp("autolog-probes")
    for side in ("ours", "theirs"):  # the probe's stores (probe-<SET>.db)
        (directory / side).mkdir()
        for config in PROBE_CONFIGS:
            fresh_store(directory / side / f"probe-{config.split(',')[2]}.db")
    ours = _start_probe("aiomlflow", directory / "ours", *PROBE_CONFIGS)
    theirs = _start_probe("mlflow", directory / "theirs", *PROBE_CONFIGS)
    return _probe_result(ours), _probe_result(theirs)


@skip_on_mlflow("compares aiomlflow with real mlflow")
@pytest.mark.parametrize("config", PROBE_CONFIGS)
def test_autolog_logs_what_real_mlflow_logs(probes, config):
    """The same estimators under both autologgers: identical params (keys and values),
    metric keys, tags, artifacts, dataset inputs, logged models (names, params, linked
    metrics) and child runs; with ``post``, the post-training metrics' keys and values
    and metric_info.json."""
    ours, theirs = probes[0][config], probes[1][config]
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        if isinstance(theirs[name], dict):
            for field in theirs[name]:
                assert ours[name][field] == theirs[name][field], (name, field)
        else:
            assert ours[name] == theirs[name], name
