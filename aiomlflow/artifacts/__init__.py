"""``mlflow.artifacts``: list, download and load artifacts by URI or by run id."""

from __future__ import annotations

from aiomlflow.exceptions import MlflowException
from aiomlflow.sdk.artifacts import reads

__all__ = ["download_artifacts", "list_artifacts", "load_dict", "load_image", "load_text"]


def download_artifacts(artifact_uri: str | None = None, run_id: str | None = None,
                       artifact_path: str | None = None, dst_path: str | None = None,
                       tracking_uri: str | None = None, registry_uri: str | None = None) -> str:
    """Download an artifact file or directory to a local directory; return its local path."""
    if registry_uri is not None:
        raise MlflowException("download_artifacts(registry_uri=...): the model registry is not "
                              "supported by aiomlflow yet", error_code="NOT_IMPLEMENTED")
    if artifact_uri is not None and str(artifact_uri).startswith("models:"):
        from aiomlflow.sdk.models.model_loading import download_model

        if run_id is not None or artifact_path is not None:
            raise MlflowException("`artifact_path` cannot be specified if `artifact_uri` is "
                                  "specified", error_code="INVALID_PARAMETER_VALUE")
        return download_model(artifact_uri, dst_path, in_place=False, tracking_uri=tracking_uri)
    engine, run_id, root, path = reads.locate(artifact_uri, run_id, artifact_path,
                                              tracking_uri)
    if run_id is not None:
        return reads.download_of_run(engine, run_id, path, dst_path)
    return reads.download_under(engine, root, path, dst_path, in_place=True)


def list_artifacts(artifact_uri: str | None = None, run_id: str | None = None,
                   artifact_path: str | None = None, tracking_uri: str | None = None) -> list:
    """The FileInfo entries directly under an artifact URI (or a run's artifact_path)."""
    engine, _, root, path = reads.locate(artifact_uri, run_id, artifact_path, tracking_uri)
    return reads.list_under(engine, root, path)


def _load(artifact_uri: str) -> bytes:
    engine, _, root, path = reads.locate(artifact_uri, None, None, None)
    return reads.read_under(engine, root, path)


def _not_utf8(artifact_uri: str) -> MlflowException:
    return MlflowException(
        f"Artifact {artifact_uri!r} is not valid UTF-8. To read a file in another encoding, "
        "download it with `mlflow.artifacts.download_artifacts` and open it with the correct "
        "`encoding`.", error_code="BAD_REQUEST")


def load_text(artifact_uri: str) -> str:
    """The content of a text artifact."""
    try:
        # read in text mode, as MLflow does: universal newlines
        return _load(artifact_uri).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise _not_utf8(artifact_uri) from exc


def load_dict(artifact_uri: str) -> dict:
    """The content of a JSON artifact."""
    import json

    try:
        text = _load(artifact_uri).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(artifact_uri) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MlflowException("Unable to form a JSON object from file content",
                              error_code="BAD_REQUEST") from exc


def load_image(artifact_uri: str):
    """An image artifact as a PIL image."""
    import io

    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("`load_image` requires Pillow. Please install it via: pip install "
                          "Pillow (or `pip install 'aiomlflow[images]'`)") from exc
    try:
        image = Image.open(io.BytesIO(_load(artifact_uri)))
        image.load()
    except Exception as exc:
        if isinstance(exc, MlflowException):
            raise
        raise MlflowException("Unable to form a PIL Image object from file content",
                              error_code="BAD_REQUEST") from exc
    return image

