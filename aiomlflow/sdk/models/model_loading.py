"""Where a model URI's files are, locally: ``download_model``.

Accepted: a local path or ``file://`` URI (used in place), ``runs:/<run_id>/<path>``
(the run's artifacts, or, as in MLflow 3, the run's logged model named ``<path>``),
``models:/<model_id>`` (a logged model's artifact location), registered models
(``models:/<name>/<version>``, ``models:/<name>@<alias>``: resolved by the model
registry, ``aiomlflow.sdk.registry.uris.resolve_model_uri``), and any artifact URI the
artifact stores read (``mlflow-artifacts:/...``, ``http(s)://...``).
"""

from __future__ import annotations

import os
import re
import urllib.parse

from ...exceptions import MlflowException

_MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


def _engine(uri: str | None = None):
    from ...workers.registry import get_engine
    from .. import tracking_uri

    return get_engine(uri or tracking_uri.get_tracking_uri())


def _local(model_uri: str) -> str | None:
    parsed = urllib.parse.urlparse(model_uri)
    if parsed.scheme == "file":
        return urllib.parse.unquote(parsed.path)
    if len(parsed.scheme) <= 1:  # a plain path (or a Windows drive letter)
        return model_uri
    return None


def _registry_uri(model_uri: str) -> str:
    import importlib

    try:
        uris = importlib.import_module("aiomlflow.sdk.registry.uris")
        resolve = uris.resolve_model_uri
    except (ImportError, AttributeError):
        raise MlflowException(
            f"Cannot load {model_uri!r}: registered-model URIs need the model registry "
            "(aiomlflow.sdk.registry), which is not available in this aiomlflow installation.",
            error_code="NOT_IMPLEMENTED") from None
    return resolve(model_uri)


def _split_models_uri(model_uri: str) -> tuple[str, str]:
    """(first part, rest) of ``models:/<first>/<rest>``."""
    path = urllib.parse.urlparse(model_uri).path.lstrip("/")
    if not path:
        raise MlflowException.invalid_parameter_value(
            f"Not a proper models:/ URI: {model_uri}. 'models:/' URIs should be of the form "
            "'models:/<model_name>/suffix' or 'models:/<model_name>@alias' or "
            "'models:/<model_id>'.")
    first, _, rest = path.partition("/")
    return first, rest


def _run_model(run_id: str, name: str, tracking_uri: str | None):
    """The latest logged model named ``name`` that run ``run_id`` made (MLflow 3 reads
    ``runs:/<run_id>/<name>`` as that model when the run has no such artifact)."""
    from ..client import MlflowClient
    from .run_models import model_of_run

    return model_of_run(MlflowClient(tracking_uri), run_id, name)


def download_model(model_uri, dst_path: str | None = None, in_place: bool = True,
                   tracking_uri: str | None = None) -> str:
    """The local directory (or file) holding the model named by ``model_uri``:
    downloaded into ``dst_path``, or (when None) the files themselves where they are
    local (``in_place``), else a new temporary directory."""
    from ..artifacts import reads, roots

    model_uri = os.fspath(model_uri)
    local = _local(model_uri)
    if local is not None:
        if not os.path.exists(local):
            raise MlflowException(f"No such file or directory: '{local}'",
                                  error_code="RESOURCE_DOES_NOT_EXIST")
        if dst_path is None:
            return os.path.abspath(local)
        return reads.download_under(_engine(tracking_uri),
                                    *roots.split_uri(os.path.abspath(local)), dst_path)
    engine = _engine(tracking_uri)
    if model_uri.startswith("runs:"):
        run_id, path = roots.parse_runs_uri(model_uri)
        try:
            return reads.download_of_run(engine, run_id, path, dst_path)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST" or not path:
                raise
            model = _run_model(run_id, path.split("/", 1)[0], tracking_uri)
            if model is None:
                raise
        rest = path.split("/", 1)[1] if "/" in path else None
        return reads.download_under(engine, model.artifact_location, rest, dst_path,
                                    in_place=in_place)
    if model_uri.startswith("models:"):
        first, rest = _split_models_uri(model_uri)
        if _MODEL_ID.match(first):
            from ..client import MlflowClient

            model = MlflowClient(tracking_uri).get_logged_model(first)
            return reads.download_under(engine, model.artifact_location, rest or None,
                                        dst_path, in_place=in_place)
        return download_model(_registry_uri(model_uri), dst_path, in_place, tracking_uri)
    root, name = roots.split_uri(model_uri)
    return reads.download_under(engine, root, name, dst_path, in_place=in_place)


def download_model_file(model_uri: str) -> str:
    """A local path of the MLmodel file (or model directory) named by ``model_uri``."""
    return download_model(model_uri)


__all__ = ["download_model"]
