"""Tracking and registry URIs: what set_tracking_uri stores and how defaults resolve."""

from __future__ import annotations

import functools
import os

from ..config import getenv

_tracking_uri: str | None = None
_registry_uri: str | None = None
_listeners: list = []


def _normalize(uri) -> str | None:
    if uri is None or isinstance(uri, str):
        return uri
    import pathlib  # only for a path object: pathlib is not part of `import aiomlflow`

    if isinstance(uri, pathlib.PurePath):
        return pathlib.Path(uri).absolute().resolve().as_uri()
    return uri


def set_tracking_uri(uri: "str | os.PathLike") -> None:
    """Set the tracking URI (also exported as MLFLOW_TRACKING_URI for subprocesses)."""
    global _tracking_uri
    uri = _normalize(uri)
    _tracking_uri = uri
    if uri is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = uri
    for listener in _listeners:
        listener()


def get_tracking_uri() -> str:
    """The tracking URI: set_tracking_uri, else MLFLOW_TRACKING_URI, else ./mlflow.db."""
    if _tracking_uri is not None:
        return _tracking_uri
    env = getenv("MLFLOW_TRACKING_URI")
    if env:
        return env
    return _default_uri(os.getcwd())


@functools.lru_cache(maxsize=8)
def _default_uri(cwd: str) -> str:
    # ./mlflow.db of the working directory (cached: a traced call resolves it each time)
    return "sqlite:///" + os.path.join(cwd, "mlflow.db")


def is_tracking_uri_set() -> bool:
    """True if a tracking URI was set by set_tracking_uri or MLFLOW_TRACKING_URI."""
    return bool(_tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"))


def set_registry_uri(uri: str) -> None:
    """Set the model registry URI."""
    global _registry_uri
    _registry_uri = _normalize(uri)


def get_registry_uri() -> str:
    """The registry URI: set_registry_uri, else MLFLOW_REGISTRY_URI, else the tracking URI."""
    if _registry_uri is not None:
        return _registry_uri
    return os.environ.get("MLFLOW_REGISTRY_URI") or get_tracking_uri()


def on_tracking_uri_change(listener) -> None:
    """Call ``listener()`` whenever set_tracking_uri runs (cache invalidation)."""
    _listeners.append(listener)


def reset() -> None:
    """Forget URIs set in this process (tests)."""
    global _tracking_uri, _registry_uri
    _tracking_uri = None
    _registry_uri = None
    for listener in _listeners:
        listener()
