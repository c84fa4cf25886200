"""The three formats a scikit-learn model is stored in (``model.skops`` or
``model.pkl``), with MLflow's error codes and messages."""

from __future__ import annotations

import os
import pickle
import shutil

from ....exceptions import MlflowException
from ....utils.optional import require

SKOPS, PICKLE, CLOUDPICKLE = "skops", "pickle", "cloudpickle"
SUPPORTED_FORMATS = [SKOPS, PICKLE, CLOUDPICKLE]
PICKLE_FILE, SKOPS_FILE = "model.pkl", "model.skops"
_EXTRA = "sklearn"


def check_format(serialization_format) -> str:
    """The format, or INVALID_PARAMETER_VALUE naming it."""
    if serialization_format not in SUPPORTED_FORMATS:
        raise MlflowException.invalid_parameter_value(
            f"Unrecognized serialization format: {serialization_format}. Please specify one"
            f" of the following supported formats: {SUPPORTED_FORMATS}.")
    return serialization_format


def data_file(serialization_format: str) -> str:
    """The model file's name in the model directory."""
    return SKOPS_FILE if serialization_format == SKOPS else PICKLE_FILE


class CustomModelPicklingError(pickle.PicklingError):
    """A model of a class that is not scikit-learn's could not be pickled."""

    def __init__(self, sk_model, original_exception):
        super().__init__(f"Pickling custom sklearn model {sk_model.__class__.__name__} failed "
                         f"when saving model: {original_exception}")
        self.original_exception = original_exception


def dump(sk_model, output_path: str, serialization_format: str, skops_trusted_types) -> None:
    """Write ``sk_model`` to ``output_path`` in ``serialization_format``."""
    if serialization_format == SKOPS:
        _dump_skops(sk_model, output_path, skops_trusted_types)
        return
    library = pickle if serialization_format == PICKLE else require("cloudpickle",
                                                                    "aiomlflow.sklearn")
    with open(output_path, "wb") as out:
        try:
            # the default protocol, which the interpreters loading it can read
            library.dump(sk_model, out, protocol=pickle.DEFAULT_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            if not type(sk_model).__module__.startswith("sklearn."):
                raise CustomModelPicklingError(sk_model, exc) from exc
            raise


def _dump_skops(sk_model, output_path: str, trusted) -> None:
    sio = require("skops.io", "aiomlflow.sklearn")
    from skops.io.exceptions import UntrustedTypesFoundException

    try:
        sio.dump(sk_model, output_path)
        sio.load(output_path, trusted=trusted)  # as MLflow: refuse what would not load
    except UntrustedTypesFoundException as exc:
        _remove(output_path)
        raise MlflowException(
            "The saved sklearn model references untrusted types. If you are sure loading "
            "these types is safe, set the 'skops_trusted_types' parameter when calling "
            f"'log_model' or 'save_model' to the list of trusted types. Root error: {exc!s}"
        ) from None
    except Exception as exc:
        _remove(output_path)
        raise MlflowException(
            "The sklearn model could not be serialized in the skops serialization format. "
            "skops does not support custom functions or classes that are not defined at the "
            "top level. To work around this limitation, you can set the serialization_format "
            "'cloudpickle', while exercising caution due to the possible arbitrary code during "
            "model deserialization using CloudPickle.") from exc


def _remove(path: str) -> None:
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.exists(path):
        os.remove(path)


def _deserialization_allowed() -> bool:
    value = os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true").strip().lower()
    return value in ("true", "1")


def load(path: str, serialization_format: str, skops_trusted_types=None):
    """Read a model file written in ``serialization_format``."""
    check_format(serialization_format)
    if not _deserialization_allowed():
        raise MlflowException(
            "Deserializing this model is disallowed because 'MLFLOW_ALLOW_PICKLE_"
            "DESERIALIZATION' is not set to 'true'. Loading a model can execute arbitrary code "
            "from the model artifact, including models saved in the 'skops' format, whose "
            "trusted-types allow-list is read from the model itself. Only load models from "
            "trusted sources; set 'MLFLOW_ALLOW_PICKLE_DESERIALIZATION' to 'true' to allow "
            "loading.")
    if serialization_format == SKOPS:
        return require("skops.io", "aiomlflow.sklearn").load(path, trusted=skops_trusted_types)
    with open(path, "rb") as f:
        if serialization_format == PICKLE:
            return pickle.load(f)
        return require("cloudpickle", "aiomlflow.sklearn").load(f)
