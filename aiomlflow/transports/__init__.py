"""Transports: the places operations land. ``create_transport`` picks one by URI scheme."""

from __future__ import annotations

from ..exceptions import MlflowException


def create_transport(tracking_uri: str):
    """A Transport for ``tracking_uri`` (imports the implementation lazily)."""
    scheme = tracking_uri.split(":", 1)[0].lower() if ":" in tracking_uri else ""
    if scheme == "sqlite":
        from .sqlite.transport import SqliteTransport

        return SqliteTransport(tracking_uri)
    if scheme in ("http", "https"):
        from .rest.transport import RestTransport

        return RestTransport(tracking_uri)
    if scheme == "file" or scheme == "":
        raise MlflowException(
            f"Tracking URI {tracking_uri!r} is a file store, which aiomlflow does not write. "
            "Use a SQLite store instead, e.g. mlflow.set_tracking_uri('sqlite:///mlflow.db') "
            "(the default).", error_code="INVALID_PARAMETER_VALUE")
    raise MlflowException(
        f"Tracking URI {tracking_uri!r} has an unsupported scheme {scheme!r}; aiomlflow supports "
        "sqlite:/// (local) and http(s):// (MLflow tracking server).",
        error_code="INVALID_PARAMETER_VALUE")
