"""The ``sklearn`` model flavour: save_model / log_model / load_model / _load_pyfunc.

* the reference's sklearn examples, verbatim (those that register models need the
  model registry and are skipped until it is there);
* the model directory real mlflow 3.17.2 writes: MLmodel flavours field by field, the
  model file of each serialization format (skops, pickle, cloudpickle), the
  environment files;
* interop both ways, locally and through a real ``mlflow server`` (``transport``): a
  model logged by one is loaded and predicts identically with the other;
* bad input with MLflow's error codes and messages.

With ``AIOMLFLOW_TESTS_TARGET=mlflow`` the tests run against real mlflow.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import sys

import numpy as np
import pytest
import yaml

from conftest import IS_MLFLOW, ensure_store, skip_on_mlflow

HERE = pathlib.Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "shared" / "seed" / "000_a0d6af5c2fb3ad62.txt"
FORMATS = ["skops", "pickle", "cloudpickle"]
# given to real mlflow's save/log calls: its requirement inference (a subprocess per
# model) would dominate the test time
REQUIREMENTS = ["scikit-learn", "skops", "cloudpickle"]


class TopLevelRegressor:
    """A model class of this module (not scikit-learn's), for skops' trusted types."""

    def __init__(self, factor=2.0):
        self.factor = factor

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.asarray(X).sum(axis=1) * self.factor


def _classifier():
    from sklearn.linear_model import LogisticRegression

    X = np.random.RandomState(0).rand(30, 3)
    y = (X.sum(axis=1) > 1.5).astype(int)
    return LogisticRegression().fit(X, y), X


@pytest.fixture
def real(transport):
    """Real mlflow 3.17.2 pointed at the test's store (its own fluent state)."""
    import mlflow as real_mlflow
    import mlflow.tracking._tracking_service.utils as tracking_utils

    real_mlflow.set_tracking_uri(ensure_store(transport))
    yield real_mlflow
    if not IS_MLFLOW:
        with contextlib.suppress(Exception):
            while real_mlflow.active_run():
                real_mlflow.end_run()
        tracking_utils._tracking_uri = None
        os.environ.pop("MLFLOW_TRACKING_URI", None)


# ------------------------------------------------------------------ reference examples
LOG_MODEL_EXAMPLE = """
import mlflow.sklearn
from mlflow.models import infer_signature
from sklearn.datasets import make_regression
from sklearn.ensemble import RandomForestRegressor

mlflow.set_tracking_uri("sqlite:////tmp/mlruns.db")
params = {"n_estimators": 3, "random_state": 42}
X, y = make_regression(n_features=4, n_informative=2, random_state=0, shuffle=False)
# Log MLflow entities
with mlflow.start_run() as run:
    rfr = RandomForestRegressor(**params).fit(X, y)
    signature = infer_signature(X, rfr.predict(X))
    mlflow.log_params(params)
    mlflow.sklearn.log_model(rfr, name="sklearn-model", signature=signature)
model_uri = f"runs:/{run.info.run_id}/sklearn-model"
mv = mlflow.register_model(model_uri, "RandomForestRegressionModel")
print(f"Name: {mv.name}")
print(f"Version: {mv.version}")
"""

REGISTERED_EXAMPLE = """
import mlflow
from sklearn.linear_model import LogisticRegression

with mlflow.start_run():
    mlflow.sklearn.log_model(
        LogisticRegression(),
        name="Cordoba",
        registered_model_name="CordobaWeatherForecastModel",
    )
    mlflow.sklearn.log_model(
        LogisticRegression(),
        name="Boston",
        registered_model_name="BostonWeatherForecastModel",
    )
"""


def test_examples_are_the_reference_text():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    text = REFERENCE.read_text(encoding="utf-8")
    for code in (LOG_MODEL_EXAMPLE, REGISTERED_EXAMPLE):
        assert code.strip("\n") in text


def _run_example(module, code: str, tmp_path, monkeypatch) -> dict:
    code = code.replace("sqlite:////tmp/mlruns.db", f"sqlite:///{tmp_path}/mlruns.db")
    names = ("mlflow", "mlflow.sklearn", "mlflow.models")
    saved = {name: sys.modules.get(name) for name in names}
    if module.__name__ != "mlflow":
        sys.modules["mlflow"] = module
        sys.modules["mlflow.sklearn"] = module.sklearn
        if getattr(module, "models", None) is not None:
            sys.modules["mlflow.models"] = module.models
    namespace = {"__name__": "__main__"}
    try:
        exec(compile(code, "<reference example>", "exec"), namespace)
    finally:
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value
    return namespace


def test_reference_log_model_and_register_example(mlflow, tmp_path, monkeypatch, capsys):
    """MLflow 3.17.2 with skops >= 0.16 refuses this example as written: the default
    skops format marks a random forest's tree type untrusted.  The example then runs
    with that type trusted, as the error message advises."""
    with pytest.raises(mlflow.MlflowException) as info:
        _run_example(mlflow, LOG_MODEL_EXAMPLE.split("model_uri =")[0], tmp_path,
                     monkeypatch)
    assert "The saved sklearn model references untrusted types" in str(info.value)
    assert "sklearn.tree._tree.Tree" in str(info.value)
    trusted = LOG_MODEL_EXAMPLE.replace(
        'name="sklearn-model", signature=signature)',
        'name="sklearn-model", signature=signature,\n'
        '                             skops_trusted_types=["sklearn.tree._tree.Tree"])')
    namespace = _run_example(mlflow, trusted, tmp_path, monkeypatch)
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "Name: RandomForestRegressionModel", "Version: 1"]
    loaded = mlflow.sklearn.load_model(namespace["model_uri"])
    np.testing.assert_array_equal(loaded.predict(namespace["X"]),
                                  namespace["rfr"].predict(namespace["X"]))


def test_reference_registered_model_name_example(mlflow, transport, tmp_path, monkeypatch):
    _run_example(mlflow, REGISTERED_EXAMPLE, tmp_path, monkeypatch)
    names = {m.name for m in mlflow.search_registered_models()}
    assert {"CordobaWeatherForecastModel", "BostonWeatherForecastModel"} <= names


# ------------------------------------------------------------------ the model directory
def _mlmodel(path) -> dict:
    return yaml.safe_load((pathlib.Path(path) / "MLmodel").read_text())


@pytest.mark.parametrize("serialization_format", FORMATS)
def test_save_and_load_each_format(mlflow, tmp_path, serialization_format):
    model, X = _classifier()
    path = tmp_path / "model"
    mlflow.sklearn.save_model(model, path, serialization_format=serialization_format)
    data_file = "model.skops" if serialization_format == "skops" else "model.pkl"
    assert (path / data_file).is_file()
    assert {p.name for p in path.iterdir()} >= {"MLmodel", data_file, "conda.yaml",
                                                "python_env.yaml", "requirements.txt"}
    loaded = mlflow.sklearn.load_model(str(path))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))
    wrapper = mlflow.sklearn._load_pyfunc(str(path))
    np.testing.assert_array_equal(wrapper.predict(X), model.predict(X))
    np.testing.assert_allclose(wrapper.predict_proba(X), model.predict_proba(X))
    assert wrapper.get_raw_model().__class__ is model.__class__
    by_file = mlflow.sklearn._load_pyfunc(str(path / data_file))
    np.testing.assert_array_equal(by_file.predict(X), model.predict(X))
    requirements = (path / "requirements.txt").read_text().splitlines()
    assert any(r.startswith("scikit-learn==") for r in requirements)
    if serialization_format != "pickle":
        assert any(r.startswith(f"{serialization_format}==") for r in requirements)


@skip_on_mlflow("compares with real mlflow's own output")
@pytest.mark.parametrize("serialization_format", FORMATS)
def test_mlmodel_is_what_real_mlflow_writes(mlflow, real_mlflow, tmp_path,
                                            serialization_format):
    model, X = _classifier()
    mlflow.sklearn.save_model(model, tmp_path / "ours", input_example=X[:2],
                              serialization_format=serialization_format,
                              pyfunc_predict_fn="predict_proba",
                              pip_requirements=REQUIREMENTS)
    real_mlflow.sklearn.save_model(model, tmp_path / "theirs", input_example=X[:2],
                                   serialization_format=serialization_format,
                                   pyfunc_predict_fn="predict_proba",
                                   pip_requirements=REQUIREMENTS)
    ours, theirs = _mlmodel(tmp_path / "ours"), _mlmodel(tmp_path / "theirs")
    assert ours["flavors"] == theirs["flavors"]
    assert ours["signature"] == theirs["signature"]
    assert ours["saved_input_example_info"] == theirs["saved_input_example_info"]
    assert set(ours) == set(theirs)
    for name in ("input_example.json", "serving_input_example.json", "python_env.yaml",
                 "requirements.txt", "conda.yaml"):
        assert (tmp_path / "ours" / name).read_text() == (tmp_path / "theirs" / name).read_text()


@skip_on_mlflow("compares with real mlflow's own output")
def test_code_paths_extra_files_and_trusted_types(mlflow, real_mlflow, tmp_path):
    code = tmp_path / "helpers.py"
    code.write_text("VALUE = 1\n")
    extra = tmp_path / "notes.txt"
    extra.write_text("notes")
    model = TopLevelRegressor().fit(None, None)
    trusted = [f"{TopLevelRegressor.__module__}.TopLevelRegressor"]
    for name, module in (("ours", mlflow), ("theirs", real_mlflow)):
        module.sklearn.save_model(model, tmp_path / name, code_paths=[str(code)],
                                  extra_files=[str(extra)], skops_trusted_types=trusted,
                                  pip_requirements=REQUIREMENTS)
    ours, theirs = _mlmodel(tmp_path / "ours"), _mlmodel(tmp_path / "theirs")
    assert ours["flavors"] == theirs["flavors"]
    assert (tmp_path / "ours" / "code" / "helpers.py").read_text() == "VALUE = 1\n"
    assert (tmp_path / "ours" / "extra_files" / "notes.txt").read_text() == "notes"
    loaded = mlflow.sklearn.load_model(str(tmp_path / "ours"))
    assert loaded.predict([[1.0, 2.0]]).tolist() == [6.0]


# ------------------------------------------------------------------ logging
def test_log_model_and_load_by_uris(mlflow, transport):
    model, X = _classifier()
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="clf", input_example=X[:3],
                                        params={"C": 1.0}, tags={"team": "a"},
                                        model_type="classifier", step=4)
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.flavors["sklearn"]["serialization_format"] == "skops"
    assert info.flavors["python_function"]["loader_module"] == "mlflow.sklearn"
    assert info.signature is not None
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/clf"):
        loaded = mlflow.sklearn.load_model(uri)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    logged = mlflow.get_logged_model(info.model_id)
    assert logged.name == "clf"
    assert logged.params["C"] == "1.0"
    assert logged.tags["team"] == "a"
    assert logged.model_type == "classifier"
    assert logged.source_run_id == run.info.run_id
    outputs = mlflow.get_run(run.info.run_id).outputs.model_outputs
    assert [(o.model_id, o.step) for o in outputs] == [(info.model_id, 4)]


def test_pyfunc_loads_an_sklearn_model(mlflow, transport):
    model, X = _classifier()
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="clf", pyfunc_predict_fn="predict_proba")
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    np.testing.assert_allclose(loaded.predict(X), model.predict_proba(X))
    assert loaded.get_raw_model().__class__ is model.__class__


def test_load_model_into_dst_path(mlflow, transport, tmp_path):
    model, X = _classifier()
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="clf", serialization_format="pickle")
    destination = tmp_path / "downloaded"
    destination.mkdir()
    loaded = mlflow.sklearn.load_model(info.model_uri, dst_path=str(destination))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert any(p.name == "MLmodel" for p in destination.rglob("MLmodel"))


# ------------------------------------------------------------------ interop
@skip_on_mlflow("interop compares aiomlflow with real mlflow")
@pytest.mark.parametrize("serialization_format", FORMATS)
def test_real_mlflow_loads_what_aiomlflow_logged(mlflow, transport, real,
                                                 serialization_format):
    model, X = _classifier()
    with mlflow.start_run() as run:
        info = mlflow.sklearn.log_model(model, name="clf", input_example=X[:2],
                                        serialization_format=serialization_format)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/clf"):
        np.testing.assert_array_equal(real.sklearn.load_model(uri).predict(X),
                                      model.predict(X))
        np.testing.assert_array_equal(real.pyfunc.load_model(uri).predict(X),
                                      model.predict(X))
    assert real.get_logged_model(info.model_id).name == "clf"


@skip_on_mlflow("interop compares aiomlflow with real mlflow")
@pytest.mark.parametrize("serialization_format", FORMATS)
def test_aiomlflow_loads_what_real_mlflow_logged(mlflow, transport, real,
                                                 serialization_format):
    model, X = _classifier()
    with real.start_run() as run:
        info = real.sklearn.log_model(model, name="clf", input_example=X[:2],
                                      serialization_format=serialization_format,
                                      pip_requirements=REQUIREMENTS)
    for uri in (info.model_uri, f"runs:/{run.info.run_id}/clf"):
        np.testing.assert_array_equal(mlflow.sklearn.load_model(uri).predict(X),
                                      model.predict(X))
    local = mlflow.sklearn.load_model(info.model_uri)
    np.testing.assert_allclose(local.predict_proba(X), model.predict_proba(X))


@skip_on_mlflow("interop compares aiomlflow with real mlflow")
def test_real_mlflow_loads_an_autologged_model(mlflow, transport, real):
    from sklearn.linear_model import LinearRegression

    mlflow.sklearn.autolog()
    try:
        X = np.random.RandomState(0).rand(10, 2)
        y = X @ [1.0, 2.0]
        model = LinearRegression().fit(X, y)
    finally:
        mlflow.sklearn.autolog(disable=True)
    run_id = mlflow.last_active_run().info.run_id
    loaded = real.pyfunc.load_model(f"runs:/{run_id}/model")
    np.testing.assert_allclose(loaded.predict(X), model.predict(X))


# ------------------------------------------------------------------ bad input
def test_unknown_serialization_format(mlflow, tmp_path):
    model, _ = _classifier()
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.save_model(model, tmp_path / "m", serialization_format="joblib")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert str(info.value) == (
        "Unrecognized serialization format: joblib. Please specify one of the following "
        "supported formats: ['skops', 'pickle', 'cloudpickle'].")
    assert not (tmp_path / "m").exists()


def test_unknown_serialization_format_in_log_model(mlflow, transport):
    model, _ = _classifier()
    with mlflow.start_run():
        with pytest.raises(mlflow.MlflowException) as info:
            mlflow.sklearn.log_model(model, name="m", serialization_format="joblib")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Unrecognized serialization format: joblib" in str(info.value)


def test_save_into_a_non_empty_directory(mlflow, tmp_path):
    model, _ = _classifier()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.save_model(model, tmp_path / "taken")
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"
    assert f"Path '{tmp_path / 'taken'}' already exists and is not empty" in str(info.value)


def test_skops_refuses_untrusted_tree_types(mlflow, tmp_path):
    """(What the reference's RandomForestRegressor example meets with skops >= 0.16.)"""
    from sklearn.tree import DecisionTreeRegressor

    X = np.random.RandomState(0).rand(10, 2)
    tree = DecisionTreeRegressor().fit(X, X.sum(axis=1))
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.save_model(tree, tmp_path / "m")
    assert "sklearn.tree._tree.Tree" in str(info.value)
    mlflow.sklearn.save_model(tree, tmp_path / "ok",
                              skops_trusted_types=["sklearn.tree._tree.Tree"])
    np.testing.assert_allclose(mlflow.sklearn.load_model(str(tmp_path / "ok")).predict(X),
                               tree.predict(X))


def test_skops_refuses_untrusted_types(mlflow, tmp_path):
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.save_model(TopLevelRegressor(), tmp_path / "m")
    assert "The saved sklearn model references untrusted types" in str(info.value)
    assert "skops_trusted_types" in str(info.value)


def test_loading_refused_when_deserialization_is_disallowed(mlflow, tmp_path, monkeypatch):
    model, _ = _classifier()
    mlflow.sklearn.save_model(model, tmp_path / "m")
    monkeypatch.setenv("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "false")
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.sklearn.load_model(str(tmp_path / "m"))
    assert "MLFLOW_ALLOW_PICKLE_DESERIALIZATION" in str(info.value)


@skip_on_mlflow("aiomlflow's optional extra")
def test_missing_extra_names_it(mlflow, tmp_path, monkeypatch):
    model, _ = _classifier()
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    with pytest.raises(ImportError) as info:
        mlflow.sklearn.save_model(model, tmp_path / "m")
    assert "aiomlflow[sklearn]" in str(info.value)
