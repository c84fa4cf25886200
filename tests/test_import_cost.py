"""`import aiomlflow` stays cheap: what it must not load, and that what loads later still
answers as before (lazy MlflowClient methods, submodule attributes, lazy entities).

No timings are asserted (benchmarks/run.py --only import measures them): these tests pin
which modules an import loads, which is what the time follows from.
"""

from __future__ import annotations

import inspect
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = str(pathlib.Path(__file__).parents[1])

# Not needed until something is logged (the engine loads its transport on its own
# thread) or until a feature is used; each costs milliseconds at import.
NOT_ON_IMPORT = (
    # runtime dependencies: the engine's loop and transports load them
    "aiohttp", "aiosqlite", "anyio", "numpy", "orjson", "tenacity",
    # standard-library modules no import-time code needs
    "typing", "importlib.abc", "importlib.resources", "pathlib", "tempfile", "shutil",
    "urllib.parse", "uuid", "platform", "json", "configparser", "getpass", "random",
    "concurrent.futures", "copy",
    # our own features, loaded on first use
    "aiomlflow.transports", "aiomlflow.sdk.registry.client", "aiomlflow.sdk.models.client",
    "aiomlflow.sdk.artifacts.image", "aiomlflow.entities.dataset",
    "aiomlflow.entities.logged_model", "aiomlflow.utils.validation", "aiomlflow.tracking",
)


def _run(code: str, cwd) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_loads_none_of_the_deferred_modules(tmp_path):
    out = _run("import sys, aiomlflow\n"
               f"print(sorted(m for m in {NOT_ON_IMPORT!r} if m in sys.modules))", tmp_path)
    assert out.strip() == "[]"


def test_first_log_metric_after_a_cheap_import_lands(tmp_path):
    out = _run("import aiomlflow as mlflow\n"
               "mlflow.log_metric('loss', 0.5, step=3)\n"
               "run_id = mlflow.active_run().info.run_id\n"
               "mlflow.end_run()\n"
               "m = mlflow.MlflowClient().get_metric_history(run_id, 'loss')\n"
               "print([(x.key, x.value, x.step) for x in m])", tmp_path)
    assert out.strip() == "[('loss', 0.5, 3)]"


def test_submodules_mlflow_loads_are_reachable_as_attributes(tmp_path):
    out = _run("import aiomlflow as mlflow\n"
               "print(mlflow.utils.validation.MAX_TAG_VAL_LENGTH,\n"
               "      mlflow.protos.databricks_pb2.INVALID_PARAMETER_VALUE,\n"
               "      mlflow.utils.mlflow_tags.MLFLOW_USER,\n"
               "      mlflow.tracking.context.registry.resolve_tags.__name__,\n"
               "      mlflow.tracking.client.MlflowClient is mlflow.MlflowClient,\n"
               "      mlflow.tracking.fluent.start_run is mlflow.start_run,\n"
               "      mlflow.client.MlflowClient is mlflow.MlflowClient,\n"
               "      callable(mlflow.artifacts.load_text), callable(mlflow.utils.time.get_current_time_millis))",
               tmp_path)
    assert out.split() == ["8000", "1000", "mlflow.user", "resolve_tags", "True", "True",
                           "True", "True", "True"]


def test_unknown_submodule_attribute_is_an_attribute_error():
    import aiomlflow

    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        aiomlflow.utils.nope  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        aiomlflow.tracking.nope  # noqa: B018


def test_client_method_lists_match_their_mixins():
    from aiomlflow.lazy import mixin_members
    from aiomlflow.sdk import client
    from aiomlflow.sdk.models.client import LoggedModelClientMethods
    from aiomlflow.sdk.registry.client import RegistryClientMethods

    assert sorted(client.REGISTRY_METHODS) == mixin_members(RegistryClientMethods)
    assert sorted(client.LOGGED_MODEL_METHODS) == mixin_members(LoggedModelClientMethods)


def test_lazy_client_methods_are_ordinary_methods_once_reached(tmp_path):
    out = _run(
        "import inspect, sys, aiomlflow\n"
        "C = aiomlflow.MlflowClient\n"
        "print('aiomlflow.sdk.registry.client' in sys.modules)\n"
        "print('create_registered_model' in dir(C))\n"
        "f = C.create_registered_model\n"
        "from aiomlflow.sdk.registry.client import RegistryClientMethods as R\n"
        "print(f is R.create_registered_model, type(vars(C)['_registry_engine']).__name__)\n"
        "print(list(inspect.signature(C.get_model_version).parameters))\n"
        "class Mine(C):\n"
        "    def search_logged_models(self, *a, **k):\n"
        "        return ('mine', super().search_logged_models)\n"
        "print(Mine().search_logged_models()[1].__func__.__qualname__)\n",
        tmp_path)
    assert out.splitlines() == [
        "False", "True", "True property", "['self', 'name', 'version']",
        "LoggedModelClientMethods.search_logged_models"]


def test_a_client_method_reached_first_through_an_instance(tmp_path):
    db = tmp_path / "m.db"
    out = _run("import aiomlflow\n"
               f"c = aiomlflow.MlflowClient('sqlite:///{db}')\n"
               "c.create_registered_model('m1')\n"
               "print(c.get_registered_model('m1').name)", tmp_path)
    assert out.strip() == "m1"


def test_deferred_entities_resolve_and_runs_parse():
    import aiomlflow.entities as E
    from aiomlflow.entities.dataset import Dataset
    from aiomlflow.entities.run_inputs import RunInputs

    assert E.Dataset is Dataset and E.RunInputs is RunInputs
    assert {"Dataset", "LoggedModel", "RunInputs", "FileInfo"} <= set(dir(E))
    run = E.Run.from_dict({"info": {"run_id": "r" * 32}, "data": {},
                           "inputs": {"dataset_inputs": [
                               {"dataset": {"name": "d", "digest": "x"}}]}})
    assert isinstance(run.inputs, RunInputs)
    assert run.inputs.dataset_inputs[0].dataset.name == "d"
    assert run.outputs is not None and run.outputs.model_outputs == []


def test_image_is_a_lazy_top_level_name():
    import aiomlflow
    from aiomlflow.sdk.artifacts.image import Image

    assert aiomlflow.Image is Image
    assert "Image" in dir(aiomlflow)
    assert inspect.isclass(aiomlflow.Image)
