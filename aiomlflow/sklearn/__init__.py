"""``mlflow.sklearn``: save, log and load scikit-learn models; sklearn autologging.

Needs the ``sklearn`` extra (``pip install 'aiomlflow[sklearn]'``): scikit-learn, skops
and cloudpickle are imported when a function uses them.
"""

from aiomlflow.sdk.models.sklearn.autolog import autolog
from aiomlflow.sdk.models.sklearn.flavor import (
    FLAVOR_NAME,
    SklearnModelWrapper as _SklearnModelWrapper,
    _load_pyfunc,
    get_default_conda_env,
    get_default_pip_requirements,
    load_model,
    log_model,
    save_model,
)
from aiomlflow.sdk.models.sklearn.serialization import (
    CLOUDPICKLE as SERIALIZATION_FORMAT_CLOUDPICKLE,
    PICKLE as SERIALIZATION_FORMAT_PICKLE,
    SKOPS as SERIALIZATION_FORMAT_SKOPS,
    SUPPORTED_FORMATS as SUPPORTED_SERIALIZATION_FORMATS,
)

__all__ = [
    "FLAVOR_NAME", "SERIALIZATION_FORMAT_CLOUDPICKLE", "SERIALIZATION_FORMAT_PICKLE",
    "SERIALIZATION_FORMAT_SKOPS", "SUPPORTED_SERIALIZATION_FORMATS", "autolog",
    "get_default_conda_env", "get_default_pip_requirements", "load_model", "log_model",
    "save_model", "_SklearnModelWrapper", "_load_pyfunc",
]
