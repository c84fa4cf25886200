"""The model registry: the reference's registry examples, MlflowClient's registry
methods over every transport, bad input with MLflow's codes and messages, a registry on
another store than tracking (set_registry_uri), ``models:/`` URI resolution, and interop
with real mlflow 3.17.2 both ways, on one SQLite file and through a real ``mlflow server``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pathlib
import re
import sqlite3
import sys
import threading
import time

import pytest

from conftest import IS_AIOMLFLOW, IS_MLFLOW

REFERENCE = pathlib.Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_a0d6af5c2fb3ad62.txt"

# fmt: off
EXAMPLES = {
    'register_model': r'''
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
''',
    'search_model_versions': r'''
import mlflow
from sklearn.linear_model import LogisticRegression

for _ in range(2):
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            LogisticRegression(),
            name="Cordoba",
            registered_model_name="CordobaWeatherForecastModel",
        )

# Get all versions of the model filtered by name
filter_string = "name = 'CordobaWeatherForecastModel'"
results = mlflow.search_model_versions(filter_string=filter_string)
print("-" * 80)
for res in results:
    print(f"name={res.name}; run_id={res.run_id}; version={res.version}")

# Get the version of the model filtered by run_id
filter_string = "run_id = 'ae9a606a12834c04a8ef1006d0cff779'"
results = mlflow.search_model_versions(filter_string=filter_string)
print("-" * 80)
for res in results:
    print(f"name={res.name}; run_id={res.run_id}; version={res.version}")
''',
    'search_registered_models': r'''
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

# Get search results filtered by the registered model name
filter_string = "name = 'CordobaWeatherForecastModel'"
results = mlflow.search_registered_models(filter_string=filter_string)
print("-" * 80)
for res in results:
    for mv in res.latest_versions:
        print(f"name={mv.name}; run_id={mv.run_id}; version={mv.version}")

# Get search results filtered by the registered model name that matches
# prefix pattern
filter_string = "name LIKE 'Boston%'"
results = mlflow.search_registered_models(filter_string=filter_string)
print("-" * 80)
for res in results:
    for mv in res.latest_versions:
        print(f"name={mv.name}; run_id={mv.run_id}; version={mv.version}")

# Get all registered models and order them by ascending order of the names
results = mlflow.search_registered_models(order_by=["name ASC"])
print("-" * 80)
for res in results:
    for mv in res.latest_versions:
        print(f"name={mv.name}; run_id={mv.run_id}; version={mv.version}")
''',
}
# fmt: on

# The register_model example writes to sqlite:////tmp/mlruns.db, a file every process on
# the machine shares; each test points it at a database of its own.
SHARED_DB_URI = 'mlflow.set_tracking_uri("sqlite:////tmp/mlruns.db")'

NO_SKLEARN_FLAVOR = (
    "the examples log scikit-learn models with mlflow.sklearn.log_model, which aiomlflow "
    "gets from the `pyfunc` branch (pyfunc/sklearn flavors); the adapted variants below "
    "register models made with create_external_model meanwhile")


def _has_sklearn_flavor(module) -> bool:
    if module.__name__ == "mlflow":
        return True
    return importlib.util.find_spec(f"{module.__name__}.sklearn") is not None


@contextlib.contextmanager
def as_mlflow(module):
    """``import mlflow`` (and its submodules) bound to ``module`` while an example runs."""
    saved = {name: sys.modules.get(name) for name in ("mlflow", "mlflow.entities")}
    if module.__name__ != "mlflow":
        sys.modules["mlflow"] = module
        sys.modules["mlflow.entities"] = module.entities
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = value


def run_example(module, code: str, capsys, **names) -> tuple[dict, list[str]]:
    capsys.readouterr()
    namespace = {"__name__": "__main__", "mlflow": module, **names}
    with as_mlflow(module):
        exec(compile(code, "<reference example>", "exec"), namespace)
    out = capsys.readouterr().out
    # (the links a run on a tracking server prints when it ends are not the example's)
    return namespace, [line for line in out.splitlines()
                       if line.strip() and not line.startswith(("🏃 View run ", "🧪 View "))]


def own_database(code: str, tmp_path) -> str:
    assert SHARED_DB_URI in code
    return code.replace(SHARED_DB_URI, f'mlflow.set_tracking_uri("sqlite:///{tmp_path}/mlruns.db")')


# Adapted variants: the scikit-learn models replaced by external logged models (no model
# files), registered the way log_model(registered_model_name=...) registers them.
def _log_model_stub(mlflow):
    def log_model(*_model, name, registered_model_name=None, **_ignored):
        model = mlflow.create_external_model(name=name)
        if registered_model_name:
            mlflow.register_model(f"models:/{model.model_id}", registered_model_name)
        return model
    return log_model


def without_sklearn(code: str) -> str:
    code = code.replace("import mlflow.sklearn\n", "")
    code = re.sub(r"from (mlflow\.models|sklearn\.[\w.]+) import \w+\n", "", code)
    code = re.sub(r"\n    rfr = .*\n    signature = .*\n", "\n", code)
    code = re.sub(r"\nX, y = make_regression\(.*\)", "", code)
    code = re.sub(r"mlflow\.sklearn\.log_model\(\s*(rfr|LogisticRegression\(\)),", "log_model(", code)
    code = code.replace(", signature=signature)", ")")
    assert "mlflow.sklearn" not in code and "LogisticRegression" not in code, code
    return code


def test_examples_are_verbatim_copies_of_the_reference():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    text = REFERENCE.read_text(encoding="utf-8")
    for name, code in EXAMPLES.items():
        assert code.strip("\n") in text, name


def _check_register_model(mlflow, namespace, lines):
    assert lines[-2:] == ["Name: RandomForestRegressionModel", "Version: 1"]
    mv = namespace["mv"]
    assert mv.run_id == namespace["run"].info.run_id
    assert mv.status == "READY"
    # the run logged no files there: the version comes from the run's logged model
    assert mv.source.startswith("models:/m-")
    client = mlflow.MlflowClient()
    model = client.get_logged_model(mv.source[len("models:/"):])
    assert client.get_model_version_download_uri(mv.name, mv.version) == model.artifact_location
    assert '"name": "RandomForestRegressionModel"' in model.tags["mlflow.modelVersions"]


def _check_search_model_versions(namespace, lines):
    dashes = "-" * 80
    assert lines[0] == dashes and lines[3] == dashes and len(lines) == 4
    versions = [re.fullmatch(r"name=CordobaWeatherForecastModel; run_id=([0-9a-f]{32}); "
                             r"version=(\d)", line).groups() for line in lines[1:3]]
    # newest first (last_updated_timestamp DESC), each from its own run; the run id of
    # the second filter is the reference's, unknown to this store
    assert [v for _, v in versions] == ["2", "1"]
    assert versions[0][0] != versions[1][0]


def _check_search_registered_models(lines):
    dashes = "-" * 80
    pattern = r"name={}; run_id=([0-9a-f]{{32}}); version=1"
    assert [line == dashes for line in lines] == [True, False, True, False, True, False, False]
    assert re.fullmatch(pattern.format("CordobaWeatherForecastModel"), lines[1])
    assert re.fullmatch(pattern.format("BostonWeatherForecastModel"), lines[3])
    assert re.fullmatch(pattern.format("BostonWeatherForecastModel"), lines[5])
    assert re.fullmatch(pattern.format("CordobaWeatherForecastModel"), lines[6])
    assert len({re.search(r"[0-9a-f]{32}", line).group() for line in lines if "run_id" in line}) == 1


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_reference_example(mlflow, transport, name, capsys, tmp_path):
    if not _has_sklearn_flavor(mlflow):
        pytest.skip(NO_SKLEARN_FLAVOR)
    code = EXAMPLES[name]
    if name == "register_model":
        code = own_database(code, tmp_path)
    namespace, lines = run_example(mlflow, code, capsys)
    if name == "register_model":
        _check_register_model(mlflow, namespace, lines)
    elif name == "search_model_versions":
        _check_search_model_versions(namespace, lines)
    else:
        _check_search_registered_models(lines)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_reference_example_with_external_models(mlflow, transport, name, capsys, tmp_path):
    code = without_sklearn(EXAMPLES[name])
    if name == "register_model":
        code = own_database(code, tmp_path)
    namespace, lines = run_example(mlflow, code, capsys, log_model=_log_model_stub(mlflow))
    if name == "register_model":
        _check_register_model(mlflow, namespace, lines)
    elif name == "search_model_versions":
        _check_search_model_versions(namespace, lines)
    else:
        _check_search_registered_models(lines)
