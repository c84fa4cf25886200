"""Pickles of Python models that both aiomlflow and real MLflow load.

A user's model class subclasses ``aiomlflow.pyfunc.PythonModel``; a plain cloudpickle
of it would name aiomlflow's module, which a process with only MLflow installed cannot
import.  ``dump`` therefore writes our public pyfunc classes (and the aiomlflow modules
a model's code refers to) as the MLflow names they stand for: ``mlflow.pyfunc.model.
PythonModel``...  ``load`` reads them back the other way: every ``mlflow.*`` name a
pickle refers to resolves to aiomlflow's counterpart where there is one, to the
stand-ins of compat.py for the MLflow internals MLflow's pickles carry, then to real
MLflow if it is installed; otherwise a clear error names the missing object.
"""

from __future__ import annotations

import importlib
import io
import pickle
import types

from ...exceptions import MlflowException
from ...utils.optional import require


def _mlflow_name(module: str) -> str:
    """The mlflow module an aiomlflow face module stands for."""
    return "mlflow" + module[len("aiomlflow"):]


class _Import:
    """Pickles as ``importlib.import_module(name)``: a module reference both sides read."""

    def __init__(self, name: str):
        self.name = name

    def __reduce__(self):
        return importlib.import_module, (self.name,)


def _mlflow_aliases() -> dict:
    """Our objects that pickle as MLflow's: object id → (mlflow module, attribute)."""
    from . import python_model

    return {id(python_model.PythonModel): ("mlflow.pyfunc.model", "PythonModel"),
            id(python_model.PythonModelContext): ("mlflow.pyfunc.model", "PythonModelContext"),
            id(python_model._FunctionPythonModel): ("mlflow.pyfunc.model",
                                                    "_FunctionPythonModel")}


def dumps(obj) -> bytes:
    """cloudpickle bytes of ``obj`` in which aiomlflow's classes appear as MLflow's."""
    cloudpickle = require("cloudpickle", "Saving Python models")
    aliases = _mlflow_aliases()

    class Pickler(cloudpickle.CloudPickler):
        def reducer_override(self, value):
            alias = aliases.get(id(value))
            if alias is not None:
                return getattr, (_Import(alias[0]), alias[1])
            if isinstance(value, types.ModuleType) and (
                    value.__name__ == "aiomlflow" or value.__name__.startswith("aiomlflow.")):
                return importlib.import_module, (_mlflow_name(value.__name__),)
            return super().reducer_override(value)

    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.DEFAULT_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _our_module(name: str):
    """aiomlflow's module standing for mlflow module ``name`` (None if there is none)."""
    if name != "mlflow" and not name.startswith("mlflow."):
        return None
    ours = "aiomlflow" + name[len("mlflow"):]
    try:
        return importlib.import_module(ours)
    except ImportError:
        return None


def _import_module(name: str):
    module = _our_module(name)
    if module is not None:
        return module
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise MlflowException(
            f"The model's pickle refers to module {name!r}, which neither aiomlflow nor an "
            f"installed package provides: {exc}", error_code="INVALID_PARAMETER_VALUE") from exc


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        from . import compat

        if (module, name) == ("importlib", "import_module") or (
                module.startswith("cloudpickle") and name == "subimport"):
            return _import_module
        if module == "mlflow" or module.startswith("mlflow."):
            stand_in = compat.STAND_INS.get((module, name))
            if stand_in is not None:
                return stand_in
            ours = _our_module(module)
            if ours is not None and hasattr(ours, name):
                return getattr(ours, name)
            try:
                return super().find_class(module, name)
            except ImportError as exc:
                raise MlflowException(
                    f"The model's pickle refers to {module}.{name}, which aiomlflow does not "
                    "provide and MLflow is not installed to provide.",
                    error_code="INVALID_PARAMETER_VALUE") from exc
        return super().find_class(module, name)


def loads(data: bytes):
    """The object of a pickle written by aiomlflow or by MLflow (see the module doc)."""
    require("cloudpickle", "Loading Python models")  # (its helpers are named in the pickle)
    return _Unpickler(io.BytesIO(data)).load()


def load_file(path: str):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith((".gz", ".bz2", ".lzma", ".xz")):
        import bz2
        import gzip
        import lzma

        opener = {".gz": gzip, ".bz2": bz2, ".lzma": lzma, ".xz": lzma}
        data = opener["." + path.rsplit(".", 1)[1]].decompress(data)
    return loads(data)


__all__ = ["dumps", "loads", "load_file"]
