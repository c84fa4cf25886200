"""Artifact stores, one per artifact root URI, behind the ArtifactStore interface (base.py).

``ArtifactStores(tracking_uri).get(artifact_uri)`` picks the store for a run's
``artifact_uri``:

=========================================  ==============================================
plain path, ``file://``                    LocalArtifactStore (local.py)
``mlflow-artifacts:/...``,                 MlflowArtifactsStore (http.py), the tracking
``mlflow-artifacts://host:port/...``,      server's proxied artifact API, over one
``http(s)://.../mlflow-artifacts/...``     shared aiohttp session
=========================================  ==============================================

Any other scheme (``s3://``, ``gs://``, ...) is refused with an MlflowException naming the
URI.  aiohttp is imported only when an HTTP store first sends a request.
"""

from __future__ import annotations

import threading
import urllib.parse

from ...exceptions import NOT_IMPLEMENTED, MlflowException
from ...redact import redact_url
from .base import ArtifactStore

__all__ = ["ArtifactStore", "ArtifactStores", "store_kind"]

_LOCAL = ("", "file")
_HTTP = ("mlflow-artifacts", "http", "https")


def store_kind(artifact_uri: str) -> str:
    """``"local"`` or ``"http"``: which store serves ``artifact_uri``; an MlflowException
    (NOT_IMPLEMENTED) naming the URI when no store does."""
    if not isinstance(artifact_uri, str) or not artifact_uri:
        raise MlflowException(f"Invalid artifact URI: {artifact_uri!r}")
    scheme = urllib.parse.urlsplit(artifact_uri).scheme.lower()
    if scheme in _LOCAL:
        return "local"
    if scheme in _HTTP:
        return "http"
    # A user:password@ is hidden; a bare user@ is part of some schemes' names (wasbs).
    shown = redact_url(artifact_uri) if _has_password(artifact_uri) else artifact_uri
    raise MlflowException(
        f"Unsupported artifact URI '{shown}': aiomlflow stores artifacts "
        "only in local paths, file:// URIs and mlflow-artifacts: URIs (a tracking server's "
        f"proxied artifact API). To keep artifacts in {scheme}:// storage, run the tracking "
        f"server with `mlflow server --artifacts-destination {scheme}://...` and log through "
        "it.", NOT_IMPLEMENTED)


def _has_password(uri: str) -> bool:
    try:
        return urllib.parse.urlsplit(uri).password is not None
    except ValueError:
        return False


class ArtifactStores:
    """The stores of one engine: cached per artifact root URI, HTTP ones sharing one
    session.  ``get`` may be called from any thread; the stores' coroutines run on the
    engine's loop."""

    def __init__(self, tracking_uri: str | None = None, *, max_threads: int = 4,
                 max_connections: int = 16):
        self.tracking_uri = tracking_uri
        self.max_threads = max_threads
        self.max_connections = max_connections
        self._stores: dict[str, ArtifactStore] = {}
        self._http = None
        self._lock = threading.Lock()

    def get(self, artifact_uri: str) -> ArtifactStore:
        """The store for the root ``artifact_uri`` (the same object for the same URI)."""
        store = self._stores.get(artifact_uri)
        if store is not None:
            return store
        kind = store_kind(artifact_uri)
        with self._lock:
            store = self._stores.get(artifact_uri)
            if store is None:
                store = self._create(kind, artifact_uri)
                self._stores[artifact_uri] = store
        return store

    def _create(self, kind: str, artifact_uri: str) -> ArtifactStore:
        if kind == "local":
            from .local import LocalArtifactStore

            return LocalArtifactStore(artifact_uri, max_threads=self.max_threads)
        from .http import ArtifactHttp, MlflowArtifactsStore

        if self._http is None:
            self._http = ArtifactHttp(max_connections=self.max_connections,
                                      max_threads=self.max_threads)
        return MlflowArtifactsStore(artifact_uri, self.tracking_uri, http=self._http)

    async def close(self) -> None:
        """Close every store and the HTTP session; idempotent.  A later ``get`` starts
        afresh (new stores, a new session)."""
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
            http, self._http = self._http, None
        for store in stores:
            await store.close()
        if http is not None:
            await http.close()

    def __repr__(self) -> str:
        return f"<ArtifactStores {len(self._stores)} stores>"
