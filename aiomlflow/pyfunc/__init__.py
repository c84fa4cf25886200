"""``mlflow.pyfunc``: the python_function flavour (PythonModel, save/log/load_model,
PyFuncModel)."""

from aiomlflow.sdk.pyfunc.loading import PyFuncModel, get_model_dependencies, load_model
from aiomlflow.sdk.pyfunc.python_model import PythonModel, PythonModelContext
from aiomlflow.sdk.pyfunc.saving import (
    FLAVOR_NAME,
    add_to_model,
    get_default_conda_env,
    get_default_pip_requirements,
    log_model,
    save_model,
)

__all__ = ["FLAVOR_NAME", "PyFuncModel", "PythonModel", "PythonModelContext", "add_to_model",
           "get_default_conda_env", "get_default_pip_requirements", "get_model_dependencies",
           "load_model", "log_model", "save_model"]
