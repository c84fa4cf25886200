"""The pyfunc flavour and the MLmodel format, over both transports (SQLite and a real
``mlflow server``).

* log_model / save_model / load_model: the directory MLflow 3.17.2 writes (MLmodel,
  environment files, input examples), the LoggedModel READY and linked to its run,
  ModelInfo, signatures (given, from type hints, from the input example), enforcement
  at predict time, params, artifacts and load_context, model_config;
* interop both ways with real mlflow 3.17.2: a model logged by the module under test
  loads and predicts identically in a process that imports only real mlflow, and a
  model logged by real mlflow in its own process loads and predicts identically here;
* infer_signature and the MLmodel YAML against real mlflow's;
* bad input: unknown model ids and runs, a python_model that is no model, a model that
  cannot be pickled (the LoggedModel FAILED, no files), conflicting arguments.

With ``AIOMLFLOW_TESTS_TARGET=mlflow`` the tests run real mlflow against itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from conftest import IS_MLFLOW, skip_on_mlflow

UNKNOWN_MODEL = "m-" + "0" * 32
ECHO = '''
class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input: list[str]) -> list[str]:
        return [s.upper() for s in model_input]
'''
FRAME = '''
class Frame(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        scale = (params or {}).get("scale", 1.0)
        return model_input.assign(total=model_input["a"] * scale)
'''


@pytest.fixture(autouse=True)
def _quiet_warnings(monkeypatch):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def main_class(mlflow, source: str, name: str):
    """A model class defined as in a user's script (module ``__main__``), so cloudpickle
    stores it by value and another process loads it without this test module."""
    namespace = {"__name__": "__main__", "mlflow": mlflow}
    exec(compile(source, "<user script>", "exec"), namespace)
    return namespace[name]


def model_dir(mlflow, info) -> str:
    return mlflow.artifacts.download_artifacts(info.model_uri)


def read_mlmodel(path: str) -> dict:
    import yaml

    with open(os.path.join(path, "MLmodel")) as f:
        return yaml.safe_load(f)


def run_real_mlflow(script: str, tracking_uri: str, cwd) -> dict:
    """Run ``script`` in a process that imports only real mlflow; return its last JSON
    line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    env.pop("PYTHONPATH", None)
    prelude = textwrap.dedent("""
        import json, sys, warnings
        warnings.simplefilter("ignore")
        import mlflow
        import pandas as pd
    """)
    epilogue = textwrap.dedent("""
        assert not any(m == "aiomlflow" or m.startswith("aiomlflow.") for m in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(script) + epilogue],
                         env=env, cwd=str(cwd), capture_output=True, text=True, timeout=240)
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


# ========================================================================== log_model
def test_log_model_writes_mlflow_layout(mlflow, transport):
    Echo = main_class(mlflow, ECHO, "Echo")
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=Echo())
    assert info.model_uri == f"models:/{info.model_id}"
    assert info.name == "model" and info.run_id == run.info.run_id
    assert info.model_uuid == info.model_id and info.mlflow_version == "3.17.2"
    model = mlflow.get_logged_model(info.model_id)
    assert str(model.status) == "READY" or model.status.value == "READY"
    assert info.artifact_path == model.artifact_location
    assert model.source_run_id == run.info.run_id
    stored = mlflow.get_run(run.info.run_id)
    assert [(o.model_id, o.step) for o in stored.outputs.model_outputs] == [(info.model_id, 0)]

    path = model_dir(mlflow, info)
    # (real mlflow's download of a models:/ URI adds a registered_model_meta file)
    assert sorted(set(os.listdir(path)) - {"registered_model_meta"}) == ["MLmodel", "conda.yaml", "python_env.yaml",
                                        "python_model.pkl", "requirements.txt"]
    meta = read_mlmodel(path)
    assert list(meta) == sorted(meta)
    flavor = meta["flavors"]["python_function"]
    assert flavor["loader_module"] == "mlflow.pyfunc.model"
    assert flavor["python_model"] == "python_model.pkl" and flavor["code"] is None
    assert flavor["env"] == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert flavor["streamable"] is False
    assert meta["is_signature_from_type_hint"] is True
    assert meta["signature"] == {"inputs": '[{"type": "string", "required": true}]',
                                 "outputs": '[{"type": "string", "required": true}]',
                                 "params": None}
    assert meta["model_id"] == meta["model_uuid"] == info.model_id
    assert meta["run_id"] == run.info.run_id and meta["prompts"] is None
    assert meta["model_size_bytes"] > 0 and "saved_input_example_info" not in meta
    with open(os.path.join(path, "requirements.txt")) as f:
        requirements = f.read().splitlines()
    assert requirements[0] == "mlflow==3.17.2"
    assert any(r.startswith("cloudpickle==") for r in requirements)

    loaded = mlflow.pyfunc.load_model(info.model_uri)
    assert loaded.predict(["a", "b"]) == ["A", "B"]
    assert loaded.model_id == info.model_id
    assert loaded.loader_module == "mlflow.pyfunc.model"
    assert isinstance(loaded.unwrap_python_model(), mlflow.pyfunc.PythonModel)
    assert mlflow.last_logged_model().model_id == info.model_id
    # as in MLflow 3, runs:/<run_id>/<name> is the run's logged model of that name
    by_run = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert by_run.predict(["c"]) == ["C"] and by_run.model_id == info.model_id


def test_every_artifact_store(mlflow, artifact_transport):
    # (rest-artifacts: the files go through the server's proxied artifact API)
    Echo = main_class(mlflow, ECHO, "Echo")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="m", python_model=Echo(), input_example=["a"])
    names = {f.path for f in mlflow.MlflowClient().list_logged_model_artifacts(info.model_id)}
    assert {"MLmodel", "python_model.pkl", "input_example.json"} <= names
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    assert loaded.predict(["b"]) == ["B"] and loaded.input_example == ["a"]


def test_log_model_without_a_run_and_with_model_fields(mlflow, transport):
    Echo = main_class(mlflow, ECHO, "Echo")
    info = mlflow.pyfunc.log_model(name="free", python_model=Echo(), params={"lr": 0.1},
                                   tags={"team": "a"}, model_type="agent")
    assert info.run_id is None
    model = mlflow.get_logged_model(info.model_id)
    assert model.params == {"lr": "0.1"} and model.tags["team"] == "a"
    assert model.model_type == "agent" and not model.source_run_id  # ("" over REST)
    assert "run_id" not in read_mlmodel(model_dir(mlflow, info))
    assert mlflow.pyfunc.load_model(info.model_uri).predict(["x"]) == ["X"]


def test_run_params_and_metrics_at_the_step_go_to_the_model(mlflow, transport):
    Echo = main_class(mlflow, ECHO, "Echo")
    with mlflow.start_run() as run:
        mlflow.log_param("epochs", 3)
        mlflow.log_metric("acc", 0.9, step=2)
        mlflow.log_metric("other", 0.1, step=1)
        info = mlflow.pyfunc.log_model(name="m", python_model=Echo(), step=2)
    model = mlflow.get_logged_model(info.model_id)
    assert model.params == {"epochs": "3"}
    assert [(m.key, m.value, m.step) for m in model.metrics] == [("acc", 0.9, 2)]
    stored = mlflow.get_run(run.info.run_id)
    assert [(o.model_id, o.step) for o in stored.outputs.model_outputs] == [(info.model_id, 2)]


def test_log_model_into_an_existing_model_id(mlflow, transport):
    Echo = main_class(mlflow, ECHO, "Echo")
    pending = mlflow.initialize_logged_model(name="later")
    info = mlflow.pyfunc.log_model(python_model=Echo(), model_id=pending.model_id)
    assert info.model_id == pending.model_id
    model = mlflow.get_logged_model(pending.model_id)
    assert model.status.value == "READY" if hasattr(model.status, "value") else True
    assert mlflow.pyfunc.load_model(f"models:/{pending.model_id}").predict(["q"]) == ["Q"]


def test_read_your_writes_in_async_mode(mlflow, transport, monkeypatch):
    monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
    Echo = main_class(mlflow, ECHO, "Echo")
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="m", python_model=Echo())
        assert mlflow.get_logged_model(info.model_id).status.value == "READY"
        assert mlflow.pyfunc.load_model(info.model_uri).predict(["z"]) == ["Z"]
        found = mlflow.search_logged_models(output_format="list")
        assert [m.model_id for m in found] == [info.model_id]


# ========================================================================== signatures, examples
def test_input_example_infers_signature_and_is_saved(mlflow, transport):
    Frame = main_class(mlflow, FRAME, "Frame")
    example = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    with mlflow.start_run():
        info = mlflow.pyfunc.log_model(name="m", python_model=Frame(), input_example=example)
    path = model_dir(mlflow, info)
    with open(os.path.join(path, "input_example.json")) as f:
        assert json.load(f) == {"columns": ["a", "b"], "data": [[1.0, "x"], [2.0, "y"]]}
    with open(os.path.join(path, "serving_input_example.json")) as f:
        assert json.load(f) == {"dataframe_split": {"columns": ["a", "b"],
                                                    "data": [[1.0, "x"], [2.0, "y"]]}}
    meta = read_mlmodel(path)
    assert meta["saved_input_example_info"] == {
        "artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split",
        "serving_input_path": "serving_input_example.json"}
    assert json.loads(meta["signature"]["inputs"]) == [
        {"type": "double", "name": "a", "required": True},
        {"type": "string", "name": "b", "required": True}]
    assert json.loads(meta["signature"]["outputs"])[-1] == {
        "type": "double", "name": "total", "required": True}
    assert meta["is_signature_from_type_hint"] is False
    assert info.saved_input_example_info["type"] == "dataframe"

    loaded = mlflow.pyfunc.load_model(info.model_uri)
    pd.testing.assert_frame_equal(loaded.input_example, example)
    result = loaded.predict(pd.DataFrame({"a": [3.0], "b": ["z"], "extra": [1]}))
    assert list(result.columns) == ["a", "b", "total"] and result["total"].tolist() == [3.0]
    with pytest.raises(mlflow.MlflowException, match=r"Model is missing inputs \['b'\]") as exc:
        loaded.predict(pd.DataFrame({"a": [1.0]}))
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(mlflow.MlflowException, match="Can not safely convert") as exc:
        loaded.predict(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))  # int64 → double
    # (unless every value is 0 or 1)
    assert loaded.predict(pd.DataFrame({"a": [1], "b": ["x"]}))["total"].tolist() == [1.0]
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    # a dict is one row
    assert loaded.predict({"a": 2.0, "b": "w"})["total"].tolist() == [2.0]
    serving = mlflow.models.convert_input_example_to_serving_input(example)
    with open(os.path.join(path, "serving_input_example.json")) as f:
        assert json.loads(serving) == json.load(f)
    served = mlflow.models.validate_serving_input(info.model_uri, serving)
    assert served["total"].tolist() == [1.0, 2.0]


def test_type_hint_validation_at_predict(mlflow, tmp_path):
    Echo = main_class(mlflow, ECHO, "Echo")
    mlflow.pyfunc.save_model(tmp_path / "m", python_model=Echo())
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    assert loaded.predict(pd.DataFrame({"x": ["a"]})) == ["A"]
    with pytest.raises(mlflow.MlflowException, match="Expected list, but got str") as exc:
        loaded.predict("a")
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(mlflow.MlflowException, match="Expected type str, but got int"):
        loaded.predict([1])


def test_params_schema_defaults_and_conversion(mlflow, tmp_path):
    Frame = main_class(mlflow, FRAME, "Frame")
    example = pd.DataFrame({"a": [1.0]})
    signature = mlflow.models.infer_signature(example, params={"scale": 2.0})
    mlflow.pyfunc.save_model(tmp_path / "m", python_model=Frame(), signature=signature)
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    assert loaded.predict(example)["total"].tolist() == [2.0]
    assert loaded.predict(example, params={"scale": 3})["total"].tolist() == [3.0]
    with pytest.raises(mlflow.MlflowException, match="Invalid parameters found") as exc:
        loaded.predict(example, params={"scale": "big"})
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"


def test_input_example_with_params(mlflow, tmp_path):
    Frame = main_class(mlflow, FRAME, "Frame")
    example = pd.DataFrame({"a": [1.0, 2.0]})
    mlflow.pyfunc.save_model(tmp_path / "m", python_model=Frame(),
                             input_example=(example, {"scale": 2.0}))
    meta = read_mlmodel(str(tmp_path / "m"))
    assert meta["saved_input_example_info"]["params"] == "true"
    assert json.loads(meta["signature"]["params"]) == [
        {"name": "scale", "default": 2.0, "shape": None, "type": "double"}]
    assert json.loads((tmp_path / "m" / "input_example.json").read_text()) == {
        "inputs": {"columns": ["a"], "data": [[1.0], [2.0]]}, "params": {"scale": 2.0}}
    serving = json.loads((tmp_path / "m" / "serving_input_example.json").read_text())
    assert serving["params"] == {"scale": 2.0}
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    pd.testing.assert_frame_equal(loaded.input_example, example)
    assert loaded.predict(example)["total"].tolist() == [2.0, 4.0]


def test_tensor_signature(mlflow, tmp_path):
    Frame = main_class(mlflow, '''
class Sum(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input.sum(axis=1)
''', "Sum")
    example = np.ones((2, 3))
    mlflow.pyfunc.save_model(tmp_path / "m", python_model=Frame(), input_example=example)
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "m"))
    assert loaded.metadata.saved_input_example_info["type"] == "ndarray"
    assert loaded.predict(np.full((1, 3), 2.0)).tolist() == [6.0]
    with pytest.raises(mlflow.MlflowException, match="Shape of input"):
        loaded.predict(np.ones((1, 4)))
    with pytest.raises(mlflow.MlflowException, match="does not match expected dtype"):
        loaded.predict(np.ones((1, 3), dtype=np.int64))


def test_artifacts_model_config_and_code_paths(mlflow, transport, tmp_path):
    (tmp_path / "greeting.txt").write_text("hello")
    (tmp_path / "helper_mod_pf.py").write_text("SUFFIX = '!'\n")
    Greeter = main_class(mlflow, '''
class Greeter(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        with open(context.artifacts["greeting"]) as f:
            self.greeting = f.read()
        self.sep = context.model_config["sep"]

    def predict(self, model_input, params=None):
        import helper_mod_pf
        return [self.greeting + self.sep + s + helper_mod_pf.SUFFIX for s in model_input]
''', "Greeter")
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(
            name="g", python_model=Greeter(), artifacts={"greeting": str(tmp_path / "greeting.txt")},
            model_config={"sep": " ", "nested": {"k": 1}},
            code_paths=[str(tmp_path / "helper_mod_pf.py")])
    meta = read_mlmodel(model_dir(mlflow, info))
    flavor = meta["flavors"]["python_function"]
    assert flavor["artifacts"] == {"greeting": {"path": "artifacts/greeting.txt",
                                                "uri": str(tmp_path / "greeting.txt")}}
    assert flavor["config"] == {"sep": " ", "nested": {"k": 1}}
    assert flavor["code"] == "code"
    assert mlflow.get_run(run.info.run_id).data.params == {"sep": " ", "nested/k": "1"}
    loaded = mlflow.pyfunc.load_model(info.model_uri)
    assert loaded.model_config == {"sep": " ", "nested": {"k": 1}}
    assert loaded.predict(["bob"]) == ["hello bob!"]
    assert mlflow.pyfunc.load_model(info.model_uri, model_config={"sep": "-"}).predict(
        ["x"]) == ["hello-x!"]


def test_environment_arguments(mlflow, tmp_path):
    Echo = main_class(mlflow, ECHO, "Echo")
    mlflow.pyfunc.save_model(tmp_path / "a", python_model=Echo(), pip_requirements=["pandas"])
    assert (tmp_path / "a" / "requirements.txt").read_text().splitlines() == [
        "mlflow==3.17.2", "pandas"]
    mlflow.pyfunc.save_model(tmp_path / "b", python_model=Echo(),
                             extra_pip_requirements=["scikit-learn"])
    lines = (tmp_path / "b" / "requirements.txt").read_text().splitlines()
    assert lines[0] == "mlflow==3.17.2" and lines[-1] == "scikit-learn"
    conda = {"name": "env", "channels": ["defaults"],
             "dependencies": ["python=3.11", {"pip": ["numpy"]}]}
    mlflow.pyfunc.save_model(tmp_path / "c", python_model=Echo(), conda_env=conda)
    import yaml

    written = yaml.safe_load((tmp_path / "c" / "conda.yaml").read_text())
    assert written["name"] == "env" and written["channels"] == ["defaults"]
    assert written["dependencies"][-1] == {"pip": ["mlflow==3.17.2", "numpy"]}
    assert (tmp_path / "c" / "requirements.txt").read_text().splitlines() == [
        "mlflow==3.17.2", "numpy"]
    python_env = yaml.safe_load((tmp_path / "c" / "python_env.yaml").read_text())
    assert list(python_env) == ["python", "build_dependencies", "dependencies"]
    assert python_env["dependencies"] == ["-r requirements.txt"]
    default = yaml.safe_load((tmp_path / "b" / "conda.yaml").read_text())
    assert default["name"] == "mlflow-env" and default["channels"] == ["conda-forge"]
    path = mlflow.pyfunc.get_model_dependencies(str(tmp_path / "a"))
    assert open(path).read().splitlines() == ["mlflow==3.17.2", "pandas"]


def test_save_model_into_a_non_empty_directory(mlflow, tmp_path):
    Echo = main_class(mlflow, ECHO, "Echo")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x").write_text("x")
    with pytest.raises(mlflow.MlflowException, match="already exists") as exc:
        mlflow.pyfunc.save_model(tmp_path / "m", python_model=Echo())
    assert exc.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_callable_python_model(mlflow, tmp_path):
    namespace = {"__name__": "__main__"}
    exec("def shout(model_input: list[str]) -> list[str]:\n"
         "    return [s + '!' for s in model_input]\n", namespace)
    with pytest.raises(mlflow.MlflowException, match="If `python_model` is a callable object"):
        mlflow.pyfunc.save_model(tmp_path / "f", python_model=namespace["shout"])
    mlflow.pyfunc.save_model(tmp_path / "f", python_model=namespace["shout"],
                             input_example=["a"])
    loaded = mlflow.pyfunc.load_model(str(tmp_path / "f"))
    assert loaded.predict(["a"]) == ["a!"]
    assert read_mlmodel(str(tmp_path / "f"))["is_signature_from_type_hint"] is True


# ========================================================================== infer_signature, MLmodel
SIGNATURE_CASES = {
    "frame": lambda: pd.DataFrame({"a": [1, 2], "b": [1.5, 2.0], "c": ["x", "y"],
                                   "d": [True, False], "e": np.array([1, 2], dtype=np.int32),
                                   "f": np.array([1, 2], dtype=np.float32), "g": [b"x", b"y"],
                                   "h": pd.to_datetime(["2020-01-01", "2020-01-02"])}),
    "frame_missing": lambda: pd.DataFrame({"a": [1.0, None]}),
    "frame_lists": lambda: pd.DataFrame({"a": [[1, 2], [3]]}),
    "array2d": lambda: np.zeros((3, 4)),
    "array_int32": lambda: np.zeros((2, 2), dtype=np.int32),
    "dict_arrays": lambda: {"x": np.zeros((2, 3)), "y": np.array(["a", "b"])},
    "dict_scalars": lambda: {"a": 1, "b": "x", "c": 1.5, "d": True},
    "dict_lists": lambda: {"a": [1, 2], "b": ["x", "y"]},
    "list_str": lambda: ["a", "b"],
    "list_dicts": lambda: [{"a": 1, "b": "x"}, {"a": 2}],
    "nested": lambda: {"a": {"b": 1}},
    "series": lambda: pd.Series([1, 2]),
    "str": lambda: "abc",
    "int": lambda: 5,
    # (the inference dataset schemas share: MLflow's dtype rules, object columns typed
    # by their values, Any where values have several types)
    "frame_uint8": lambda: pd.DataFrame({"u": np.array([1, 2], dtype=np.uint8)}),
    "frame_object_numbers": lambda: pd.DataFrame({"a": [1, 2.5]}, dtype=object),
    "frame_dicts": lambda: pd.DataFrame({"d": [{"x": 1}, {"y": 2.0}]}),
    "frame_optional_bools": lambda: pd.DataFrame({"b": [True, None]}),
    "list_mixed": lambda: [1, 2.5],
    "dict_empty_list": lambda: {"a": []},
}


@pytest.mark.parametrize("case", sorted(SIGNATURE_CASES))
def test_infer_signature_matches_mlflow(mlflow, case):
    import mlflow as real

    data = SIGNATURE_CASES[case]()
    ours = mlflow.models.infer_signature(data, np.array([1.0]), params={"k": [1, 2], "t": 0.5})
    theirs = real.models.infer_signature(data, np.array([1.0]), params={"k": [1, 2], "t": 0.5})
    assert ours.to_dict() == theirs.to_dict()
    assert repr(ours) == repr(theirs)
    assert ours == mlflow.models.ModelSignature.from_dict(theirs.to_dict())


def test_schema_types_are_public(mlflow):
    import importlib

    from_types = importlib.import_module(f"{mlflow.__name__}.types")
    schema = from_types.Schema([from_types.ColSpec("double", "x")])
    tensor = from_types.Schema([from_types.TensorSpec(np.dtype("float32"), (-1, 2))])
    signature = mlflow.models.ModelSignature(inputs=schema, outputs=tensor)
    assert signature.to_dict() == {
        "inputs": '[{"type": "double", "name": "x", "required": true}]',
        "outputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]',
        "params": None}


def test_mlmodel_files_of_real_mlflow_round_trip(mlflow, tmp_path):
    import mlflow as real

    class Plain(real.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    real.pyfunc.save_model(str(tmp_path / "m"), python_model=Plain(),
                           input_example=pd.DataFrame({"a": [1], "b": ["x"]}),
                           metadata={"owner": "me"}, pip_requirements=["cloudpickle"])
    text = (tmp_path / "m" / "MLmodel").read_text()
    model = mlflow.models.Model.load(str(tmp_path / "m"))
    assert model.to_yaml() == text
    assert model.metadata == {"owner": "me"}
    assert model.signature.inputs.input_names() == ["a", "b"]
    model.add_flavor("extra", x=1)
    (tmp_path / "copy").mkdir()
    model.save(str(tmp_path / "copy" / "MLmodel"))
    assert real.models.Model.load(str(tmp_path / "copy")).flavors["extra"] == {"x": 1}


def test_public_signatures_match_mlflow(mlflow):
    import inspect

    import mlflow as real

    for name in ("log_model", "save_model", "load_model", "get_model_dependencies",
                 "add_to_model"):
        ours = list(inspect.signature(getattr(mlflow.pyfunc, name)).parameters)
        theirs = list(inspect.signature(getattr(real.pyfunc, name)).parameters)
        assert ours == theirs, name
    for name in ("PythonModel", "PythonModelContext", "PyFuncModel"):
        assert hasattr(mlflow.pyfunc, name)
    for name in ("infer_signature", "ModelSignature", "Model", "get_model_info"):
        assert hasattr(mlflow.models, name)
    import importlib

    ours = importlib.import_module(f"{mlflow.__name__}.models.model").ModelInfo
    info_fields = {n for n in dir(real.models.model.ModelInfo) if not n.startswith("_")}
    assert info_fields <= {n for n in dir(ours) if not n.startswith("_")}


@skip_on_mlflow("import cost of aiomlflow")
def test_import_stays_cheap():
    code = ("import sys, aiomlflow; heavy = [m for m in ('yaml', 'cloudpickle', 'pandas', "
            "'aiomlflow.pyfunc', 'aiomlflow.models', 'aiomlflow.sdk.models.signature') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.stdout.strip() == "[]", out.stderr


# ========================================================================== interop
def test_models_cross_between_us_and_real_mlflow(mlflow, transport, tmp_path):
    """Both directions in one real-mlflow process (starting one takes seconds): it loads
    and predicts with the models we logged, and logs its own, which we then load."""
    Echo = main_class(mlflow, ECHO, "Echo")
    Frame = main_class(mlflow, FRAME, "Frame")
    example = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    with mlflow.start_run():
        echo = mlflow.pyfunc.log_model(name="echo", python_model=Echo())
        frame = mlflow.pyfunc.log_model(name="frame", python_model=Frame(),
                                        input_example=example)
    ours_echo = mlflow.pyfunc.load_model(echo.model_uri).predict(["a", "b"])
    ours_frame = mlflow.pyfunc.load_model(frame.model_uri).predict(example)
    result = run_real_mlflow(f"""
        # ---- the models we logged, loaded by real mlflow
        echo = mlflow.pyfunc.load_model({echo.model_uri!r})
        frame = mlflow.pyfunc.load_model({frame.model_uri!r})
        example = pd.DataFrame({{"a": [1.0, 2.0], "b": ["x", "y"]}})
        model = mlflow.get_logged_model({echo.model_id!r})
        loaded = {{"echo": echo.predict(["a", "b"]),
                  "frame": frame.predict(example).to_dict("list"),
                  "status": str(model.status),
                  "signature": echo.metadata.signature.to_dict(),
                  "example": frame.input_example.to_dict("list")}}

        # ---- real mlflow's own models, for us to load
        class Echo(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input: list[str]) -> list[str]:
                return [s.upper() for s in model_input]

        class Frame(mlflow.pyfunc.PythonModel):
            def load_context(self, context):
                self.scale = context.model_config["scale"]

            def predict(self, model_input, params=None):
                return model_input.assign(total=model_input["a"] * self.scale)

        # (pip_requirements given: mlflow's requirement inference, a subprocess, is skipped)
        with mlflow.start_run():
            echo = mlflow.pyfunc.log_model(name="echo", python_model=Echo(),
                                           pip_requirements=["cloudpickle"])
            frame = mlflow.pyfunc.log_model(name="frame", python_model=Frame(),
                                            input_example=example, model_config={{"scale": 3}},
                                            pip_requirements=["cloudpickle"])
        logged = {{"echo": echo.model_uri, "frame": frame.model_uri,
                  "echo_out": mlflow.pyfunc.load_model(echo.model_uri).predict(["a"]),
                  "frame_out": mlflow.pyfunc.load_model(frame.model_uri).predict(
                      example).to_dict("list")}}
        print(json.dumps({{"loaded": loaded, "logged": logged}}))
    """, transport, tmp_path)

    # real mlflow loads ours
    loaded = result["loaded"]
    assert loaded["echo"] == ours_echo == ["A", "B"]
    assert loaded["frame"] == ours_frame.to_dict("list")
    assert loaded["status"] == "READY"
    assert loaded["signature"] == echo.signature.to_dict()
    assert loaded["example"] == example.to_dict("list")

    # we load real mlflow's
    logged = result["logged"]
    echo = mlflow.pyfunc.load_model(logged["echo"])
    assert echo.predict(["a"]) == logged["echo_out"] == ["A"]
    with pytest.raises(mlflow.MlflowException, match="Expected type str, but got int") as exc:
        echo.predict([1])
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    frame = mlflow.pyfunc.load_model(logged["frame"])
    assert frame.predict(example).to_dict("list") == logged["frame_out"]
    assert frame.model_config == {"scale": 3}
    if not IS_MLFLOW:
        assert isinstance(echo.unwrap_python_model(), mlflow.pyfunc.PythonModel)
    info = mlflow.models.get_model_info(logged["echo"])
    assert info.model_id == logged["echo"].split("/")[-1] and info.name == "echo"


# ========================================================================== bad input
def test_unknown_model_id_and_run(mlflow, transport):
    with pytest.raises(mlflow.MlflowException, match=UNKNOWN_MODEL) as exc:
        mlflow.pyfunc.load_model(f"models:/{UNKNOWN_MODEL}")
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(mlflow.MlflowException) as exc:
        mlflow.pyfunc.load_model("runs:/0123456789abcdef0123456789abcdef/model")
    assert exc.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_python_model_that_is_no_model_fails_the_logged_model(mlflow, transport):
    with mlflow.start_run():
        with pytest.raises(mlflow.MlflowException,
                           match="`python_model` must be a PythonModel instance, callable "
                                 "object, or path to a script") as exc:
            mlflow.pyfunc.log_model(name="bad", python_model=object())
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    [model] = mlflow.search_logged_models(output_format="list")
    assert model.name == "bad" and model.status.value == "FAILED"
    assert mlflow.MlflowClient().list_logged_model_artifacts(model.model_id) == []


def test_unpicklable_model_fails_the_logged_model_and_leaves_no_files(mlflow, transport):
    Locked = main_class(mlflow, '''
import threading

class Locked(mlflow.pyfunc.PythonModel):
    def __init__(self):
        self.lock = threading.Lock()

    def predict(self, context, model_input):
        return model_input
''', "Locked")
    with mlflow.start_run():
        with pytest.raises(mlflow.MlflowException,
                           match="Failed to serialize Python model") as exc:
            mlflow.pyfunc.log_model(name="locked", python_model=Locked())
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    [model] = mlflow.search_logged_models(output_format="list")
    assert model.status.value == "FAILED"
    assert mlflow.MlflowClient().list_logged_model_artifacts(model.model_id) == []


def test_conflicting_and_missing_arguments(mlflow, transport):
    Echo = main_class(mlflow, ECHO, "Echo")
    with pytest.raises(mlflow.MlflowException, match="Both `artifact_path`") as exc:
        mlflow.pyfunc.log_model(name="a", artifact_path="b", python_model=Echo())
    assert exc.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(mlflow.MlflowException,
                       match="Either `loader_module` or `python_model` must be specified"):
        mlflow.pyfunc.log_model(name="none")
