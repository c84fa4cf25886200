"""``mlflow.pyfunc.model``: PythonModel and the loader of pickled Python models (the
``loader_module`` their MLmodel files name)."""

from aiomlflow.sdk.pyfunc import python_model as _python_model
from aiomlflow.sdk.pyfunc.python_model import PythonModel, PythonModelContext
from aiomlflow.sdk.pyfunc.saving import get_default_conda_env, get_default_pip_requirements

# what pickles and MLmodel files name in this module
_FunctionPythonModel = _python_model._FunctionPythonModel
_load_pyfunc = _python_model._load_pyfunc

__all__ = ["PythonModel", "PythonModelContext", "get_default_conda_env",
           "get_default_pip_requirements"]
