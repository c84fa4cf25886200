"""``mlflow.evaluate`` (classic model evaluation), ``mlflow.metrics`` and
``mlflow.validate_evaluation_results``.

* the reference's examples (only their ``...`` / ``<YOUR_..._MODEL_URI>`` placeholders
  filled in);
* differential checks: the same model and data evaluated by real mlflow 3.17.2 and by
  the module under test give the same metric names (in the same order), values and
  artifact names; models are scikit-learn estimators saved and loaded by real mlflow's
  pyfunc (so ``predict_proba`` and ``score`` are used) or plain callables;
* what lands in the run: metrics, artifacts, the run started (or reused), metrics linked
  to a logged model;
* model validation pass/fail, and bad input.

With ``AIOMLFLOW_TESTS_TARGET=mlflow`` the tests run real mlflow against itself.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import pathlib
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest

from conftest import fresh_store, skip_on_mlflow

pd = pytest.importorskip("pandas")
pytest.importorskip("sklearn")

REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_a0d6af5c2fb3ad62.txt"
ROOT = pathlib.Path(__file__).resolve().parents[1]

X = pd.DataFrame({"a": [0.1, 0.5, 0.9, 1.3, 1.7, 2.1, 2.5, 2.9, 3.3, 3.7, 4.1, 4.5],
                  "b": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0]})
Y_BINARY = np.array([0, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0])
Y_MULTI = np.array([0, 1, 2, 1, 0, 2, 1, 2, 0, 1, 2, 0])
Y_REGRESSION = X["a"].to_numpy() * 2.0 + X["b"].to_numpy() - 0.5 + np.array(
    [0.1, -0.2, 0.05, 0.3, -0.1, 0.0, 0.2, -0.3, 0.1, 0.05, -0.05, 0.15])
NO_SHAP = {"log_model_explainability": False}


def submodule(module, name):
    """``<module>.<name>`` of the module under test (``mlflow.models.evaluation`` ...)."""
    return importlib.import_module(f"{module.__name__}.{name}")


def models_face(module):
    """``mlflow.models`` of the module under test (it re-exports the evaluation names)."""
    return importlib.import_module(f"{module.__name__}.models")


# ----------------------------------------------------------------------------- models
@pytest.fixture(scope="module")
def sklearn_models():
    """scikit-learn estimators, and the same estimators as real mlflow's pyfunc models of
    the sklearn flavour (built in memory: saving models costs seconds)."""
    import mlflow as real
    from mlflow.models import Model
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LinearRegression, LogisticRegression

    fitted = {"binary": LogisticRegression().fit(X, Y_BINARY),
              "majority": DummyClassifier(strategy="most_frequent").fit(X, Y_BINARY),
              "multiclass": LogisticRegression().fit(X, Y_MULTI),
              "regressor": LinearRegression().fit(X, Y_REGRESSION)}
    loaded = {}
    for name, estimator in fitted.items():
        metadata = Model()
        metadata.add_flavor("python_function", loader_module="mlflow.sklearn")
        loaded[name] = real.pyfunc.PyFuncModel(model_meta=metadata, model_impl=estimator)
    return {"fitted": fitted, "pyfunc": loaded}


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory):
    """Real mlflow's own store for the expected results (one per module)."""
    return fresh_store(tmp_path_factory.mktemp("reference") / "reference.db")


@pytest.fixture
def expected(reference_store):
    """``expected(**evaluate_kwargs)``: real mlflow 3.17.2's EvaluationResult for the
    same call, evaluated in its own store before the test's store is set."""
    import mlflow as real

    def run(**kwargs):
        previous = os.environ.get("MLFLOW_TRACKING_URI")
        real.set_tracking_uri(reference_store)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with real.start_run():
                    result = real.evaluate(**kwargs)
                result.reference_tables = result.tables  # read while its store is current
                return result
        finally:
            real.set_tracking_uri(previous)

    return run


def same_metrics(actual: dict, wanted: dict):
    """Same names in the same order, same values (NaN equal to NaN)."""
    assert list(actual) == list(wanted)
    for key, value in wanted.items():
        got = actual[key]
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got), key
        else:
            assert got == pytest.approx(value, rel=1e-12, abs=1e-12), key


@pytest.fixture
def store(mlflow, tmp_path):
    uri = fresh_store(tmp_path / "mlflow.db")
    mlflow.set_tracking_uri(uri)
    return uri


# ----------------------------------------------------------------------------- differential
DIFFERENTIAL = {
    "binary-pyfunc": lambda m: dict(model=m["pyfunc"]["binary"], data=X.assign(label=Y_BINARY),
                                    targets="label", model_type="classifier",
                                    evaluator_config=NO_SHAP),
    "binary-pyfunc-pos-label-0-weights-prefix": lambda m: dict(
        model=m["pyfunc"]["binary"], data=X.assign(label=Y_BINARY), targets="label",
        model_type="classifier",
        evaluator_config={**NO_SHAP, "pos_label": 0, "metric_prefix": "val_",
                          "sample_weights": np.linspace(0.5, 2.0, len(X))}),
    "binary-callable": lambda m: dict(model=m["fitted"]["binary"].predict,
                                      data=X.assign(label=Y_BINARY), targets="label",
                                      model_type="classifier", evaluator_config=NO_SHAP),
    "binary-numpy-data": lambda m: dict(model=lambda df: m["fitted"]["binary"].predict(
                                            df.to_numpy()), data=X.to_numpy(),
                                        targets=Y_BINARY, model_type="classifier",
                                        evaluator_config=NO_SHAP),
    "binary-static-strings": lambda m: dict(
        data=pd.DataFrame({"x": range(6), "y": list("aabbab"), "p": list("abbbaa")}),
        targets="y", predictions="p", model_type="classifier"),
    "multiclass-pyfunc": lambda m: dict(model=m["pyfunc"]["multiclass"],
                                        data=X.assign(label=Y_MULTI), targets="label",
                                        model_type="classifier", evaluator_config=NO_SHAP),
    "multiclass-callable-macro": lambda m: dict(
        model=m["fitted"]["multiclass"].predict, data=X.assign(label=Y_MULTI), targets="label",
        model_type="classifier", evaluator_config={**NO_SHAP, "average": "macro"}),
    "multiclass-static": lambda m: dict(
        data=X.assign(label=Y_MULTI, pred=np.roll(Y_MULTI, 1)), targets="label",
        predictions="pred", model_type="classifier"),
    "regressor-pyfunc": lambda m: dict(model=m["pyfunc"]["regressor"],
                                       data=X.assign(y=Y_REGRESSION), targets="y",
                                       model_type="regressor", evaluator_config=NO_SHAP),
    "regressor-static-weights": lambda m: dict(
        data=X.assign(y=Y_REGRESSION, p=Y_REGRESSION * 1.1), targets="y", predictions="p",
        model_type="regressor", evaluator_config={"sample_weights": np.arange(1, 13)}),
    "regressor-callable-col-mapping": lambda m: dict(
        model=m["fitted"]["regressor"].predict, data=X.assign(truth=Y_REGRESSION),
        targets="y", model_type="regressor",
        evaluator_config={**NO_SHAP, "col_mapping": {"y": "truth"}}),
    "regressor-flat-list": lambda m: dict(
        model=lambda df: df["feature_1"] * 2, data=[1.0, 2.0, 3.0], targets=[2.0, 4.1, 6.0],
        model_type="regressor", evaluator_config=NO_SHAP),
    "retriever-static": lambda m: dict(
        data=pd.DataFrame({"q": ["a", "b", "c"],
                           "gt": [["d1", "d2"], ["d3"], []],
                           "ret": [["d1", "d9", "d2", "d2"], ["d4"], []]}),
        targets="gt", predictions="ret", model_type="retriever"),
    "retriever-k-2": lambda m: dict(
        data=pd.DataFrame({"q": ["a", "b"], "gt": [["d1", "d2"], ["d3"]],
                           "ret": [["d2", "d1", "d7"], ["d3", "d3"]]}),
        targets="gt", predictions="ret", model_type="retriever",
        evaluator_config={"retriever_k": 2}),
}


@pytest.mark.parametrize("case", list(DIFFERENTIAL))
def test_metrics_and_artifacts_equal_real_mlflow(mlflow, store, sklearn_models, expected, case):
    kwargs = DIFFERENTIAL[case](sklearn_models)
    wanted = expected(**kwargs)
    result = mlflow.evaluate(**DIFFERENTIAL[case](sklearn_models))
    same_metrics(result.metrics, wanted.metrics)
    assert list(result.artifacts) == list(wanted.artifacts)
    for name, artifact in wanted.artifacts.items():
        assert type(result.artifacts[name]).__name__ == type(artifact).__name__
        assert os.path.basename(result.artifacts[name].uri) == os.path.basename(artifact.uri)
    if "per_class_metrics" in wanted.artifacts:
        mine = result.artifacts["per_class_metrics"].content
        theirs = wanted.artifacts["per_class_metrics"].content
        assert list(mine.columns) == list(theirs.columns)
        np.testing.assert_allclose(mine.to_numpy(dtype=float), theirs.to_numpy(dtype=float))
    if "eval_results_table" in wanted.artifacts:
        mine = result.tables["eval_results_table"]
        theirs = wanted.reference_tables["eval_results_table"]
        assert list(mine.columns) == list(theirs.columns)
        score_columns = [c for c in theirs.columns if c.endswith("/score")]
        np.testing.assert_allclose(mine[score_columns].to_numpy(dtype=float),
                                   theirs[score_columns].to_numpy(dtype=float))


def test_builtin_metric_objects_equal_real_mlflow(mlflow, store, expected):
    """Every non-LLM metric of ``mlflow.metrics`` as an extra metric, with no model type."""
    def metrics(module):
        m = module.metrics
        return [m.mae(), m.mse(), m.rmse(), m.r2_score(), m.max_error(), m.mape()]

    import mlflow as real

    data = X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.25 * X["b"])
    wanted = expected(data=data, targets="y", predictions="p", extra_metrics=metrics(real))
    result = mlflow.evaluate(data=data, targets="y", predictions="p",
                             extra_metrics=metrics(mlflow))
    same_metrics(result.metrics, wanted.metrics)
    assert list(result.metrics) == ["mean_absolute_error", "mean_squared_error",
                                    "root_mean_squared_error", "r2_score", "max_error",
                                    "mean_absolute_percentage_error"]

    def classification(module):
        m = module.metrics
        return [m.precision_score(), m.recall_score(), m.f1_score(), m.exact_match()]

    data = pd.DataFrame({"x": range(8), "y": [0, 1, 1, 0, 1, 1, 0, 0],
                         "p": [0, 1, 0, 0, 1, 1, 1, 0]})
    wanted = expected(data=data, targets="y", predictions="p",
                      extra_metrics=classification(real))
    result = mlflow.evaluate(data=data, targets="y", predictions="p",
                             extra_metrics=classification(mlflow))
    same_metrics(result.metrics, wanted.metrics)
    assert "exact_match/v1" in result.metrics


def test_question_answering_without_optional_packages_matches_mlflow(mlflow, store, expected):
    """Text metrics whose packages are missing are skipped with a warning; token_count
    without tiktoken fails the evaluation, as in MLflow."""
    data = pd.DataFrame({"inputs": ["what is x?", "who?"], "truth": ["x is y", "me"],
                         "answer": ["x is y", "you"]})
    kwargs = dict(data=data, targets="truth", predictions="answer", model_type="text")
    import importlib.util

    if importlib.util.find_spec("tiktoken") is None:
        with pytest.raises(mlflow.MlflowException, match="Metric 'token_count'"):
            mlflow.evaluate(**kwargs)
    else:  # pragma: no cover - depends on the environment
        wanted = expected(**kwargs)
        same_metrics(mlflow.evaluate(**kwargs).metrics, wanted.metrics)


# ----------------------------------------------------------------------------- reference examples
def test_reference_signature_and_examples_present():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    text = REFERENCE.read_text(encoding="utf-8")
    assert ("mlflow.evaluate(model=None, data=None, *, model_type=None, targets=None, "
            "predictions=None, dataset_path=None, feature_names=None, evaluators=None, "
            "evaluator_config=None, extra_metrics=None, custom_artifacts=None, "
            "env_manager='local', model_config=None, inference_params=None, model_id=None, "
            "_called_from_genai_evaluate=False)") in text
    assert "mlflow.validate_evaluation_results(validation_thresholds:" in text


def test_signature_matches_reference(mlflow):
    import inspect

    params = inspect.signature(mlflow.evaluate).parameters
    assert list(params) == ["model", "data", "model_type", "targets", "predictions",
                            "dataset_path", "feature_names", "evaluators", "evaluator_config",
                            "extra_metrics", "custom_artifacts", "env_manager", "model_config",
                            "inference_params", "model_id", "_called_from_genai_evaluate"]
    assert params["env_manager"].default == "local"
    assert params["_called_from_genai_evaluate"].default is False
    assert all(p.kind is p.KEYWORD_ONLY for name, p in params.items()
               if name not in ("model", "data"))
    assert list(inspect.signature(mlflow.validate_evaluation_results).parameters) == [
        "validation_thresholds", "candidate_result", "baseline_result"]


def test_reference_predictions_example(mlflow, store):
    """The ``predictions`` usage example: a model with several output columns, and a
    static dataset (``# other arguments if needed`` filled with an extra metric)."""
    evaluate = mlflow.evaluate
    seen = {}

    def answer_length(predictions):
        seen.setdefault("predictions", []).append(list(predictions))
        return float(predictions.str.len().mean())

    metric = mlflow.metrics.make_metric(eval_fn=answer_length, greater_is_better=True)

    # Evaluate a model that outputs multiple columns
    data = pd.DataFrame({"question": ["foo"]})

    def model(inputs):
        return pd.DataFrame({"answer": ["bar"], "source": ["baz"]})

    results = evaluate(
        model=model,
        data=data,
        predictions="answer",
        extra_metrics=[metric],
    )
    assert results.metrics == {"answer_length": 3.0}
    assert seen["predictions"][-1] == ["bar"]

    # Evaluate a static dataset
    data = pd.DataFrame({"question": ["foo"], "answer": ["bar"], "source": ["baz"]})
    results = evaluate(
        data=data,
        predictions="answer",
        extra_metrics=[metric],
    )
    assert results.metrics == {"answer_length": 3.0}


def test_reference_extra_metrics_example(mlflow, store):
    models = models_face(mlflow)
    mlflow.models = models

    def root_mean_squared_error(eval_df, _builtin_metrics):
        return np.sqrt((np.abs(eval_df["prediction"] - eval_df["target"]) ** 2).mean())

    rmse_metric = mlflow.models.make_metric(
        eval_fn=root_mean_squared_error,
        greater_is_better=False,
    )
    data = X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.5)
    result = mlflow.evaluate(data=data, targets="y", predictions="p", model_type="regressor",
                             extra_metrics=[rmse_metric])
    assert result.metrics["root_mean_squared_error"] == pytest.approx(0.5)


def test_old_style_extra_metric_gets_builtin_metrics(mlflow, store):
    """An ``(eval_df, builtin_metrics)`` metric (the reference's form) receives the
    prediction/target frame and the built-in aggregate metrics."""
    captured = {}

    def root_mean_squared_error(eval_df, _builtin_metrics):
        captured["columns"] = list(eval_df.columns)
        captured["builtin"] = dict(_builtin_metrics)
        return np.sqrt((np.abs(eval_df["prediction"] - eval_df["target"]) ** 2).mean())

    rmse_metric = mlflow.metrics.make_metric(eval_fn=root_mean_squared_error,
                                             greater_is_better=False, name="my_rmse")
    data = X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.5)
    result = mlflow.evaluate(data=data, targets="y", predictions="p", model_type="regressor",
                             extra_metrics=[rmse_metric])
    assert result.metrics["my_rmse"] == pytest.approx(0.5)
    assert captured["columns"] == ["prediction", "target"]
    assert captured["builtin"]["mean_absolute_error"] == pytest.approx(0.5)


def test_reference_custom_artifacts_example(mlflow, store):
    """The custom artifacts example; its ``pred_sample`` calls ``.head`` on the function
    itself (a typo in the reference), here on ``eval_df``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def scatter_plot(eval_df, builtin_metrics, artifacts_dir):
        plt.scatter(eval_df["prediction"], eval_df["target"])
        plt.xlabel("Targets")
        plt.ylabel("Predictions")
        plt.title("Targets vs. Predictions")
        plt.savefig(os.path.join(artifacts_dir, "example.png"))
        plt.close()
        return {"pred_target_scatter": os.path.join(artifacts_dir, "example.png")}

    def pred_sample(eval_df, _builtin_metrics, _artifacts_dir):
        return {"pred_sample": eval_df.head(10)}

    def as_json(eval_df, _builtin_metrics, _artifacts_dir):
        return {"summary": {"rows": len(eval_df)}, "raw": np.arange(3), "labels": {1, 2}}

    data = X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.5)
    result = mlflow.evaluate(data=data, targets="y", predictions="p", model_type="regressor",
                             custom_artifacts=[scatter_plot, pred_sample, as_json])
    assert list(result.artifacts) == ["pred_target_scatter", "pred_sample", "summary", "raw",
                                      "labels"]
    kinds = {name: type(a).__name__ for name, a in result.artifacts.items()}
    assert kinds == {"pred_target_scatter": "ImageEvaluationArtifact",
                     "pred_sample": "CsvEvaluationArtifact",
                     "summary": "JsonEvaluationArtifact", "raw": "NumpyEvaluationArtifact",
                     "labels": "PickleEvaluationArtifact"}
    assert result.artifacts["labels"].content == {1, 2}
    assert result.artifacts["pred_sample"].content.shape == (10, 2)
    assert result.artifacts["summary"].content == {"rows": 12}
    listed = {f.path for f in mlflow.MlflowClient().list_artifacts(result.run_id)}
    assert {"pred_target_scatter.png", "pred_sample.csv", "summary.json", "raw.npy",
            "labels.pickle"} <= listed


def test_reference_validation_example(mlflow, store, sklearn_models):
    """The model validation example with the two model URIs replaced by models."""
    MetricThreshold = submodule(mlflow, "models.evaluation.validation").MetricThreshold
    eval_dataset = X.assign(ground_truth=Y_BINARY)

    thresholds = {
        "accuracy_score": MetricThreshold(
            # accuracy should be >=0.8
            threshold=0.8,
            # accuracy should be at least 5 percent greater than baseline model accuracy
            min_absolute_change=0.05,
            # accuracy should be at least 0.05 greater than baseline model accuracy
            min_relative_change=0.05,
            greater_is_better=True,
        ),
    }

    # Get evaluation results for the candidate model
    candidate_result = mlflow.evaluate(
        model=sklearn_models["fitted"]["binary"].predict,
        data=eval_dataset,
        targets="ground_truth",
        model_type="classifier",
    )

    # Get evaluation results for the baseline model
    baseline_result = mlflow.evaluate(
        model=lambda df: np.zeros(len(df), dtype=int),
        data=eval_dataset,
        targets="ground_truth",
        model_type="classifier",
    )

    # Validate the results (the candidate's accuracy is only 0.75)
    ModelValidationFailedException = submodule(
        mlflow, "models.evaluation.validation").ModelValidationFailedException
    assert candidate_result.metrics["accuracy_score"] == pytest.approx(0.75)
    with pytest.raises(ModelValidationFailedException) as failure:
        mlflow.validate_evaluation_results(
            thresholds,
            candidate_result,
            baseline_result,
        )
    assert str(failure.value.message) == (
        "Metric accuracy_score value threshold check failed: candidate model accuracy_score = "
        "0.75, accuracy_score threshold = 0.8.")
    assert failure.value.error_code == "BAD_REQUEST"

    thresholds["accuracy_score"] = MetricThreshold(threshold=0.7, min_absolute_change=0.05,
                                                   min_relative_change=0.05,
                                                   greater_is_better=True)
    assert mlflow.validate_evaluation_results(thresholds, candidate_result,
                                              baseline_result) is None


def test_reference_validation_example_with_model_uris(mlflow, store, sklearn_models):
    """The model validation example verbatim, its two model URIs those of logged
    scikit-learn models."""
    models = models_face(mlflow)
    MetricThreshold = models.MetricThreshold
    with mlflow.start_run():
        candidate = mlflow.sklearn.log_model(sklearn_models["fitted"]["binary"], name="c")
        baseline = mlflow.sklearn.log_model(sklearn_models["fitted"]["majority"], name="b")
    eval_dataset = X.assign(ground_truth=Y_BINARY)

    thresholds = {
        "accuracy_score": MetricThreshold(
            # accuracy should be >=0.8
            threshold=0.8,
            # accuracy should be at least 5 percent greater than baseline model accuracy
            min_absolute_change=0.05,
            # accuracy should be at least 0.05 greater than baseline model accuracy
            min_relative_change=0.05,
            greater_is_better=True,
        ),
    }

    # Get evaluation results for the candidate model
    candidate_result = mlflow.evaluate(
        model=candidate.model_uri,
        data=eval_dataset,
        targets="ground_truth",
        model_type="classifier",
    )

    # Get evaluation results for the baseline model
    baseline_result = mlflow.evaluate(
        model=baseline.model_uri,
        data=eval_dataset,
        targets="ground_truth",
        model_type="classifier",
    )

    # Validate the results
    with pytest.raises(mlflow.MlflowException, match="accuracy_score threshold = 0.8"):
        mlflow.validate_evaluation_results(
            thresholds,
            candidate_result,
            baseline_result,
        )
    linked = mlflow.get_logged_model(candidate.model_id).metrics
    assert {m.key for m in linked} == set(candidate_result.metrics)


def test_mlflow_dataset_as_data(mlflow, store, expected):
    """A pandas dataset of ``mlflow.data`` with its targets and predictions."""
    import mlflow as real

    frame = X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.5)
    wanted = expected(data=real.data.from_pandas(frame, targets="y", predictions="p"),
                      model_type="regressor")
    result = mlflow.evaluate(data=mlflow.data.from_pandas(frame, targets="y", predictions="p"),
                             model_type="regressor")
    same_metrics(result.metrics, wanted.metrics)
    inputs = mlflow.get_run(result.run_id).inputs.dataset_inputs
    assert [i.dataset.digest for i in inputs] == [
        real.data.from_pandas(frame, targets="y", predictions="p").digest]


def test_logged_dataset_input_context_and_tag(mlflow, store):
    """A DataFrame becomes the run's dataset input (its digest as mlflow.data computes it,
    the metric prefix as its context) and the ``mlflow.datasets`` tag entry names it
    "dataset", as MLflow."""
    import mlflow as real

    frame = X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.25)
    result = mlflow.evaluate(data=frame, targets="y", predictions="p", model_type="regressor",
                             evaluator_config={"metric_prefix": "val_"})
    assert all(key.startswith("val_") for key in result.metrics)
    (logged,) = mlflow.get_run(result.run_id).inputs.dataset_inputs
    assert logged.dataset.digest == real.data.from_pandas(frame, targets="y",
                                                          predictions="p").digest
    assert logged.dataset.name == "dataset"
    assert {t.key: t.value for t in logged.tags} == {"mlflow.data.context": "val_"}


def test_dataset_to_pyfunc_and_to_evaluation_dataset(mlflow):
    frame = X.assign(y=Y_REGRESSION)
    dataset = mlflow.data.from_pandas(frame, targets="y", name="eval")
    pyfunc_io = dataset.to_pyfunc()
    pd.testing.assert_frame_equal(pyfunc_io.inputs, X)
    pd.testing.assert_series_equal(pyfunc_io.outputs, frame["y"])
    assert mlflow.data.from_pandas(X).to_pyfunc().outputs is None
    evaluation = dataset.to_evaluation_dataset("/data/eval.csv", ["b", "a"])
    assert (evaluation.name, evaluation.digest, evaluation.path) == (
        "eval", dataset.digest, "/data/eval.csv")
    assert evaluation.feature_names == ["b", "a"]
    np.testing.assert_array_equal(evaluation.labels_data, Y_REGRESSION)

    arrays = mlflow.data.from_numpy(X.to_numpy(), targets=Y_BINARY)
    pyfunc_io = arrays.to_pyfunc()
    assert pyfunc_io.inputs is arrays.features and pyfunc_io.outputs is arrays.targets
    evaluation = arrays.to_evaluation_dataset()
    assert evaluation.feature_names == ["feature_1", "feature_2"]
    assert (evaluation.name, evaluation.digest) == ("dataset", arrays.digest)


def test_logged_sklearn_model_uri_uses_predict_proba(mlflow, store, sklearn_models, expected):
    """A classifier logged with ``mlflow.sklearn.log_model`` and evaluated by its URI:
    its probabilities and ``score`` come through the pyfunc wrapper, the metrics are
    MLflow's for the same estimator, and they are linked to the logged model."""
    wanted = expected(model=sklearn_models["pyfunc"]["binary"], data=X.assign(label=Y_BINARY),
                      targets="label", model_type="classifier", evaluator_config=NO_SHAP)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(sklearn_models["fitted"]["binary"], name="m")
    result = mlflow.evaluate(info.model_uri, X.assign(label=Y_BINARY), targets="label",
                             model_type="classifier", evaluator_config=NO_SHAP)
    same_metrics(result.metrics, wanted.metrics)
    assert {"roc_auc", "log_loss", "score"} <= set(result.metrics)
    assert sorted(result.artifacts) == sorted(wanted.artifacts)
    run = mlflow.get_run(result.run_id)
    assert [i.model_id for i in run.inputs.model_inputs] == [info.model_id]
    linked = {m.key for m in mlflow.get_logged_model(info.model_id).metrics}
    assert linked == set(result.metrics)


def test_registered_version_uri_and_model_id(mlflow, store, sklearn_models):
    """``models:/<name>/<version>``: the evaluated model's id is the version's model_id,
    which MLflow's SQL store leaves empty (the version's source names the logged model):
    nothing is linked then unless ``model_id`` is given; a loaded PyFuncModel carries the
    logged model's id from its MLmodel file."""
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(sklearn_models["fitted"]["regressor"], name="m",
                                        registered_model_name="evaluated")
    version = mlflow.MlflowClient().get_model_version("evaluated", "1")
    assert (version.model_id, version.source) == (None, f"models:/{info.model_id}")
    data = X.assign(y=Y_REGRESSION)
    result = mlflow.evaluate("models:/evaluated/1", data, targets="y", model_type="regressor",
                             evaluator_config=NO_SHAP)
    assert "score" in result.metrics
    assert mlflow.get_run(result.run_id).inputs.model_inputs == []
    assert not mlflow.get_logged_model(info.model_id).metrics

    result = mlflow.evaluate("models:/evaluated/1", data, targets="y", model_type="regressor",
                             evaluator_config=NO_SHAP, model_id=info.model_id)
    run = mlflow.get_run(result.run_id)
    assert [i.model_id for i in run.inputs.model_inputs] == [info.model_id]

    loaded = mlflow.pyfunc.load_model("models:/evaluated/1")
    assert loaded.model_id == info.model_id
    result = mlflow.evaluate(loaded, data, targets="y", model_type="regressor",
                             evaluator_config=NO_SHAP)
    run = mlflow.get_run(result.run_id)
    assert [i.model_id for i in run.inputs.model_inputs] == [info.model_id]
    with pytest.raises(mlflow.MlflowException, match="contradicts the model_id"):
        mlflow.evaluate(loaded, data, targets="y", model_type="regressor",
                        evaluator_config=NO_SHAP, model_id="m-00000000000000000000000000000000")
    with pytest.raises(mlflow.MlflowException) as failure:
        mlflow.evaluate("models:/evaluated/7", data, targets="y", model_type="regressor")
    assert failure.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# ----------------------------------------------------------------------------- validation
def _result(mlflow, metrics):
    EvaluationResult = submodule(mlflow, "models.evaluation.base").EvaluationResult
    return EvaluationResult(metrics=metrics, artifacts={})


def test_validation_failures_listed_in_order(mlflow):
    validation = submodule(mlflow, "models.evaluation.validation")
    T = validation.MetricThreshold
    candidate = _result(mlflow, {"acc": 0.8, "loss": 0.5, "r2": -0.2, "zero": 0.0})
    baseline = _result(mlflow, {"acc": 0.79, "loss": 0.4, "r2": -0.25, "zero": 0.0})
    thresholds = {
        "acc": T(min_absolute_change=0.05, greater_is_better=True),
        "loss": T(threshold=0.45, min_relative_change=0.1, greater_is_better=False),
        "r2": T(min_relative_change=0.1, greater_is_better=True),   # +20% of |-0.25|: passes
        "zero": T(min_relative_change=0.5, greater_is_better=True),  # baseline 0: must improve
        "missing": T(threshold=1, greater_is_better=True),
    }
    with pytest.raises(validation.ModelValidationFailedException) as failure:
        mlflow.validate_evaluation_results(thresholds, candidate, baseline)
    assert failure.value.message.split(os.linesep) == [
        "Metric acc minimum absolute change check failed: candidate model acc = 0.8, "
        "baseline model acc = 0.79, acc minimum absolute change threshold = 0.05.",
        "Metric loss value threshold check failed: candidate model loss = 0.5, loss threshold "
        "= 0.45. Metric loss minimum relative change check failed: candidate model loss = 0.5, "
        "baseline model loss = 0.4, loss minimum relative change threshold = 0.1.",
        "Metric zero minimum relative change check failed: candidate model zero = 0.0, "
        "baseline model zero = 0.0, zero minimum relative change threshold = 0.5.",
        "Metric validation failed: metric missing was missing from the evaluation result of "
        "the candidate model.",
    ]


def test_validation_without_baseline(mlflow):
    validation = submodule(mlflow, "models.evaluation.validation")
    T = validation.MetricThreshold
    candidate = _result(mlflow, {"acc": 0.85, "loss": 0.3})
    assert mlflow.validate_evaluation_results(
        {"acc": T(threshold=0.85, greater_is_better=True),
         "loss": T(threshold=0.3, greater_is_better=False)}, candidate) is None
    with pytest.raises(validation.ModelValidationFailedException) as failure:
        mlflow.validate_evaluation_results(
            {"acc": T(threshold=0.5, min_absolute_change=0.01, greater_is_better=True)},
            candidate)
    assert failure.value.message == ("Model comparison failed: metric acc was missing from "
                                     "the evaluation result of the baseline model.")
    # compared as exact decimals of the floats: 0.85 is below 0.8 + 0.05 (0.8500000000000001)
    with pytest.raises(validation.ModelValidationFailedException):
        mlflow.validate_evaluation_results(
            {"acc": T(min_absolute_change=0.05, greater_is_better=True)}, candidate,
            _result(mlflow, {"acc": 0.8}))
    assert mlflow.validate_evaluation_results(
        {"acc": T(min_absolute_change=0.04, greater_is_better=True)}, candidate,
        _result(mlflow, {"acc": 0.8})) is None


@pytest.mark.parametrize("kwargs, message", [
    (dict(threshold="1", greater_is_better=True), "`threshold` parameter must be a number."),
    (dict(min_absolute_change=0, greater_is_better=True),
     "`min_absolute_change` parameter must be a positive number."),
    (dict(min_relative_change=1, greater_is_better=True),
     "`min_relative_change` parameter must be a floating point number."),
    (dict(min_relative_change=1.5, greater_is_better=True),
     "`min_relative_change` parameter must be between 0 and 1."),
    (dict(threshold=1), "`greater_is_better` parameter must be defined."),
    (dict(threshold=1, greater_is_better=1), "`greater_is_better` parameter must be a boolean."),
    (dict(greater_is_better=True), "no threshold was specified."),
])
def test_metric_threshold_bad_input(mlflow, kwargs, message):
    validation = submodule(mlflow, "models.evaluation.validation")
    with pytest.raises(mlflow.MlflowException) as failure:
        validation.MetricThreshold(**kwargs)
    assert failure.value.message == "Could not instantiate MetricThreshold class: " + message
    assert failure.value.error_code == "INVALID_PARAMETER_VALUE"


def test_metric_threshold_str(mlflow):
    T = submodule(mlflow, "models.evaluation.validation").MetricThreshold
    assert str(T(threshold=0.8, min_absolute_change=0.05, min_relative_change=0.05,
                 greater_is_better=True)) == (
        "Threshold: 0.8. Minimum Absolute Change: 0.05. Minimum Relative Change: 0.05. "
        "Greater value is better.")
    assert str(T(threshold=1, greater_is_better=False)) == "Threshold: 1. Lower value is better."


def test_validate_rejects_bad_thresholds(mlflow):
    with pytest.raises(mlflow.MlflowException, match="must be a dictionary that maps strings "
                                                     "to MetricThreshold objects") as failure:
        mlflow.validate_evaluation_results({"acc": 0.8}, _result(mlflow, {"acc": 0.9}))
    assert failure.value.error_code == "INVALID_PARAMETER_VALUE"


# ----------------------------------------------------------------------------- the run
def test_logs_to_a_new_run_that_ends(mlflow, store):
    assert mlflow.active_run() is None
    result = mlflow.evaluate(data=X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 1), targets="y",
                             predictions="p", model_type="regressor")
    assert mlflow.active_run() is None
    run = mlflow.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics == pytest.approx({k: float(v) for k, v in result.metrics.items()})
    assert result.metrics["mean_absolute_error"] == pytest.approx(1.0)


def test_logs_to_the_active_run(mlflow, store, sklearn_models):
    with mlflow.start_run() as run:
        result = mlflow.evaluate(sklearn_models["fitted"]["binary"].predict,
                                 X.assign(label=Y_BINARY), targets="label",
                                 model_type="classifier", evaluator_config=NO_SHAP)
        assert result.run_id == run.info.run_id
        assert mlflow.active_run().info.run_id == run.info.run_id
    data = mlflow.get_run(run.info.run_id).data
    assert set(data.metrics) == {"true_negatives", "false_positives", "false_negatives",
                                 "true_positives", "example_count", "accuracy_score",
                                 "recall_score", "precision_score", "f1_score"}
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "accuracy_score")
    assert [(m.step, m.value) for m in history] == [(0, result.metrics["accuracy_score"])]
    listed = {f.path for f in mlflow.MlflowClient().list_artifacts(run.info.run_id)}
    assert listed == {"confusion_matrix.png"}


def test_binary_classifier_plots_logged(mlflow, store, sklearn_models):
    result = mlflow.evaluate(sklearn_models["pyfunc"]["binary"], X.assign(label=Y_BINARY),
                             targets="label", model_type="classifier",
                             evaluator_config={**NO_SHAP, "metric_prefix": "test_"})
    assert list(result.artifacts) == ["roc_curve_plot", "precision_recall_curve_plot",
                                      "lift_curve_plot", "calibration_curve_plot",
                                      "confusion_matrix"]
    assert result.artifacts["roc_curve_plot"].content.size[0] > 100
    assert list(result.metrics)[:2] == ["test_score", "test_true_negatives"]
    listed = {f.path for f in mlflow.MlflowClient().list_artifacts(result.run_id)}
    assert listed == {"test_roc_curve_plot.png", "test_precision_recall_curve_plot.png",
                      "test_lift_curve_plot.png", "test_calibration_curve_plot.png",
                      "test_confusion_matrix.png"}


@pytest.mark.parametrize("transport_kind", ["sqlite", "rest"])
def test_evaluation_over_each_transport(mlflow, transport_kind, request, tmp_path):
    """Metrics, the per-class CSV and the table reach the run over SQLite and a real
    ``mlflow server``."""
    if transport_kind == "rest":
        from conftest import reset_server_store

        server = request.getfixturevalue("rest_server")
        reset_server_store(server)
        mlflow.set_tracking_uri(server.url)
    else:
        mlflow.set_tracking_uri(fresh_store(tmp_path / "mlflow.db"))
    result = mlflow.evaluate(data=X.assign(label=Y_MULTI, pred=np.roll(Y_MULTI, 1)),
                             targets="label", predictions="pred", model_type="classifier")
    run = mlflow.get_run(result.run_id)
    assert run.data.metrics == pytest.approx({k: float(v) for k, v in result.metrics.items()})
    table = result.artifacts["per_class_metrics"]
    table._content = None  # download it again
    assert list(table.content["positive_class"]) == [0, 1, 2]


def test_model_id_links_metrics(mlflow, store):
    model = mlflow.create_external_model(name="candidate")
    result = mlflow.evaluate(lambda df: df["a"] * 2 + df["b"] - 0.5, X.assign(y=Y_REGRESSION),
                             targets="y", model_type="regressor", evaluator_config=NO_SHAP,
                             model_id=model.model_id)
    linked = mlflow.get_logged_model(model.model_id).metrics
    # the evaluator's batch and the final log_metrics: every metric twice, on the run
    assert sorted({m.key for m in linked}) == sorted(result.metrics)
    assert len(linked) == 2 * len(result.metrics)
    assert {m.run_id for m in linked} == {result.run_id}
    assert all(m.step == 0 for m in linked)
    run = mlflow.get_run(result.run_id)
    assert [i.model_id for i in run.inputs.model_inputs] == [model.model_id]


def test_unknown_model_id_fails(mlflow, store):
    with pytest.raises(mlflow.MlflowException) as failure:
        mlflow.evaluate(data=X.assign(y=Y_REGRESSION, p=Y_REGRESSION), targets="y",
                        predictions="p", model_type="regressor",
                        model_id="m-00000000000000000000000000000000")
    assert failure.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_pyfunc_model_tags_mlflow_datasets(mlflow, store, sklearn_models):
    """A pyfunc model with metadata adds the dataset (hash as MLflow computes it) and the
    model uuid to the run's ``mlflow.datasets`` tag."""
    model = sklearn_models["pyfunc"]["regressor"]
    result = mlflow.evaluate(model, X.assign(y=Y_REGRESSION), targets="y",
                             model_type="regressor", evaluator_config=NO_SHAP,
                             dataset_path="/data/eval.csv")
    tag = json.loads(mlflow.get_run(result.run_id).data.tags["mlflow.datasets"])
    assert len(tag) == 1
    assert tag[0]["model"] == model.metadata.model_uuid
    assert tag[0]["path"] == "/data/eval.csv"
    assert re.fullmatch(r"[0-9a-f]{32}", tag[0]["hash"])
    assert "score" in result.metrics


def test_result_object(mlflow, store, tmp_path):
    result = mlflow.evaluate(data=pd.DataFrame({"q": ["a", "b"], "gt": [["d1"], ["d2"]],
                                                "ret": [["d1", "d3"], ["d4"]]}),
                             targets="gt", predictions="ret", model_type="retriever")
    assert type(result).__name__ == "EvaluationResult"
    assert result.metrics["precision_at_3/mean"] == pytest.approx(0.25)
    assert list(result.artifacts) == ["eval_results_table"]
    table = result.tables["eval_results_table"]
    assert list(table.columns) == ["q", "gt", "ret", "precision_at_3/score",
                                   "recall_at_3/score", "ndcg_at_3/score"]
    result.save(str(tmp_path / "saved"))
    loaded = type(result).load(str(tmp_path / "saved"))
    assert loaded.metrics == pytest.approx({k: float(v) for k, v in result.metrics.items()})
    assert loaded.artifacts["eval_results_table"].content["columns"][0] == "q"


def test_make_metric_and_metric_value(mlflow):
    metrics = mlflow.metrics

    def accuracy(predictions, targets):
        return metrics.MetricValue(scores=[1, 0, 1])

    metric = metrics.make_metric(eval_fn=accuracy, greater_is_better=True)
    assert (metric.name, metric.greater_is_better, metric.long_name) == ("accuracy", True,
                                                                         "accuracy")
    assert str(metric) == "EvaluationMetric(name=accuracy, greater_is_better=True, " \
                          "long_name=accuracy)"
    assert metric(predictions=None, targets=None).aggregate_results["mean"] == pytest.approx(2 / 3)
    assert str(metrics.rmse()) == ("EvaluationMetric(name=root_mean_squared_error, "
                                   "greater_is_better=False, long_name=root_mean_squared_error)")
    assert metrics.precision_at_k(4).name == "precision_at_4"
    with pytest.raises(mlflow.MlflowException, match="`name` must be specified if `eval_fn` "
                                                     "is a lambda function."):
        metrics.make_metric(eval_fn=lambda x: x, greater_is_better=True)
    with pytest.raises(mlflow.MlflowException, match="cannot include forward slashes"):
        metrics.make_metric(eval_fn=accuracy, greater_is_better=True, name="a/b")


def test_list_evaluators(mlflow):
    base = submodule(mlflow, "models.evaluation")
    assert base.list_evaluators() == ["default", "classifier", "regressor", "shap"]


def test_dependent_extra_metrics_in_order(mlflow, store):
    """A metric may take another metric (computed first) and evaluator_config entries."""
    metrics = mlflow.metrics

    def double_mae(predictions, mean_absolute_error, scale):
        return mean_absolute_error.aggregate_results["mean_absolute_error"] * scale

    result = mlflow.evaluate(data=X.assign(y=Y_REGRESSION, p=Y_REGRESSION + 0.5), targets="y",
                             predictions="p",
                             extra_metrics=[metrics.make_metric(eval_fn=double_mae,
                                                                greater_is_better=False),
                                            metrics.mae()],
                             evaluator_config={"scale": 2})
    assert list(result.metrics) == ["mean_absolute_error", "double_mae"]
    assert result.metrics["double_mae"] == pytest.approx(1.0)


def test_missing_metric_argument_lists_columns(mlflow, store):
    def needs(predictions, context):
        return 1.0

    with pytest.raises(mlflow.MlflowException) as failure:
        mlflow.evaluate(data=X.assign(y=Y_REGRESSION, p=Y_REGRESSION), targets="y",
                        predictions="p",
                        extra_metrics=[mlflow.metrics.make_metric(eval_fn=needs,
                                                                  greater_is_better=True)])
    assert "Metric 'needs' requires the following:" in failure.value.message
    assert "missing columns ['context'] need to be defined or mapped" in failure.value.message
    assert "Input Columns: ['a', 'b', 'y']" in failure.value.message
    assert failure.value.error_code == "INVALID_PARAMETER_VALUE"


# ----------------------------------------------------------------------------- bad input
BAD_CALLS = [
    (dict(data=None, model_type="regressor", targets="y"), "The data argument cannot be None."),
    (dict(model_type="regressor"), "The targets argument must be specified for regressor "
                                   "models."),
    (dict(targets="y"), "The extra_metrics argument must be specified model_type is None."),
    (dict(targets="y", model_type="regressor", env_manager="docker"),
     "Invalid value for `env_manager`: docker. Must be one of"),
    (dict(targets="y", model_type="regressor", model=len, env_manager="conda"),
     "The model argument must be a string URI referring to an MLflow model when a non-local "
     "env_manager is specified."),
    (dict(targets="y", model_type="regressor", model=42),
     "The model argument must be a string URI referring to an MLflow model, an MLflow "
     "Deployments endpoint URI, an instance of `mlflow.pyfunc.PyFuncModel`, a function, or "
     "None."),
    (dict(targets="y", model_type="regressor", inference_params={"max_tokens": 1}),
     "The inference_params argument can only be specified when the model is an MLflow "
     "Deployments endpoint URI"),
    (dict(targets="y", model_type="regressor", evaluators=["default", "nope"]),
     "Could not find a registered model evaluator for: nope."),
    (dict(targets="y", model_type="regressor", evaluators=["default"],
          evaluator_config={"col_mapping": {}}),
     "If `evaluators` argument is an evaluator name list, evaluator_config must be a dict "
     "containing mapping from evaluator name to individual evaluator config dict."),
    (dict(targets="y", model_type="regressor", extra_metrics=["mae"]),
     "In the 'extra_metrics' parameter, the following metrics have the wrong type:"),
    (dict(targets="y", model_type="regressor", dataset_path='a"b'),
     'Dataset path cannot include a double quote (") but got a"b'),
]


@pytest.mark.parametrize("kwargs, message", BAD_CALLS,
                         ids=[str(i) for i in range(len(BAD_CALLS))])
def test_bad_input(mlflow, store, kwargs, message):
    kwargs = {"data": X.assign(y=Y_REGRESSION, p=Y_REGRESSION), "predictions": "p", **kwargs}
    if "model" in kwargs:
        kwargs.pop("predictions")
    with pytest.raises(mlflow.MlflowException) as failure:
        mlflow.evaluate(**kwargs)
    assert message in failure.value.message


@skip_on_mlflow("aiomlflow raises for what it does not run (mlflow: other evaluators, "
                "environments and model types)")
@pytest.mark.parametrize("kwargs, message", [
    (dict(model="models:/m-0123456789abcdef0123456789abcdef", env_manager="virtualenv"),
     "env_manager='virtualenv' is not supported by aiomlflow yet"),
    (dict(model="endpoints:/my-chat"), "Evaluating an MLflow Deployments endpoint"),
    (dict(model_type="databricks-agent"), "Unsupported model_type 'databricks-agent'"),
    (dict(evaluators="my-plugin"), "Could not find a registered model evaluator for: "
                                   "my-plugin."),
    (dict(model_config={"temperature": 0}),
     "model_config is only used to load a model from its URI"),
    (dict(evaluator_config=["not", "a", "dict"]), "evaluator_config must be a dict"),
])
def test_unsupported_is_an_error(mlflow, store, kwargs, message):
    kwargs = {"data": X.assign(y=Y_REGRESSION), "targets": "y", "model_type": "regressor",
              **kwargs}
    if "model" not in kwargs:
        kwargs["model"] = lambda df: df["a"]
    with pytest.raises(mlflow.MlflowException) as failure:
        mlflow.evaluate(**kwargs)
    assert message in failure.value.message
    assert failure.value.error_code == "INVALID_PARAMETER_VALUE"
    assert mlflow.active_run() is None


def test_failed_evaluation_marks_the_new_run_failed(mlflow, store):
    def broken(predictions, targets):
        raise ValueError("boom")

    with pytest.raises(mlflow.MlflowException, match="Metric 'broken': Error:\nValueError"):
        mlflow.evaluate(data=X.assign(y=Y_REGRESSION, p=Y_REGRESSION), targets="y",
                        predictions="p", model_type="regressor",
                        extra_metrics=[mlflow.metrics.make_metric(eval_fn=broken,
                                                                  greater_is_better=True)])
    assert mlflow.active_run() is None
    runs = mlflow.search_runs(output_format="list")
    assert [r.info.status for r in runs] == ["FAILED"]


@skip_on_mlflow("import cost of aiomlflow")
def test_import_stays_cheap():
    code = ("import sys, aiomlflow; print(sorted(m for m in ('pandas', 'sklearn', "
            "'matplotlib', 'aiomlflow.sdk.evaluation') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    code = ("import aiomlflow, sys; aiomlflow.evaluate; aiomlflow.metrics.mae; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"


def test_explainability_skipped_with_one_warning_without_shap(mlflow, store, library_log):
    import importlib.util

    if importlib.util.find_spec("shap") is not None:  # pragma: no cover - environment
        pytest.skip("shap is installed")
    mlflow.evaluate(lambda df: df["a"] * 2, X.assign(y=Y_REGRESSION), targets="y",
                    model_type="regressor")
    warned = [r.getMessage() for r in library_log.records
              if "explainability insights will not be logged" in r.getMessage()]
    assert warned == ["SHAP or matplotlib package is not installed, so model explainability "
                      "insights will not be logged."]
    library_log.clear()
    mlflow.evaluate(lambda df: df["a"] * 2, X.assign(y=Y_REGRESSION), targets="y",
                    model_type="regressor", evaluator_config=NO_SHAP)
    assert not [r for r in library_log.records if "explainability" in r.getMessage()]
