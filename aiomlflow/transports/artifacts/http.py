"""MlflowArtifactsStore: a tracking server's proxied artifact API over aiohttp.

Roots are ``mlflow-artifacts:/<path>`` (the tracking server's own host),
``mlflow-artifacts://<host>:<port>/<path>`` (another host, reached with the tracking
URI's scheme) or the resolved ``http(s)://.../api/2.0/mlflow-artifacts/artifacts/<path>``
form, as MLflow's MlflowArtifactsRepository and HttpArtifactRepository take them.  The
server's endpoints (``mlflow/server/handlers.py``):

* ``PUT  .../mlflow-artifacts/artifacts/<path>``: upload one file (its bytes as the body);
* ``GET  .../mlflow-artifacts/artifacts/<path>``: download one file;
* ``GET  .../mlflow-artifacts/artifacts?path=<dir>``: list a directory, answered as
  ``{"files": [{"path": <name>, "is_dir": ..., "file_size": ...}]}`` (names relative to
  the listed directory; no size for a directory; no ``files`` when empty).

Bodies are streamed in 1 MiB chunks both ways, never held whole.  Transient failures
(connection errors, timeouts, 408/429/5xx) are retried with MLflow's policy
(rest/client.py ``retrying``); a retried upload re-reads its file from the first byte,
and a retried download rewrites its temporary file from the first byte.  A server run
with ``--no-serve-artifacts`` answers 503 to every call: that fails at once
(FEATURE_DISABLED) instead of being retried for minutes.
"""

from __future__ import annotations

import os
import posixpath
import random
import re
import urllib.parse

import anyio
import orjson

from ...entities.file_info import FileInfo
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from ...redact import redact_url
from ..rest.client import (
    RestError, answered_error, open_session, retry_after_of, retrying, unreachable,
)
from ..rest.settings import HttpSettings, url_credentials
from .base import ArtifactStore
from .download import download_tree
from .layout import (
    CHUNK_SIZE, clean_file_path, clean_path, missing_local_file, no_such_artifact, not_a_file,
)
from .staging import StagedFile

#: The proxied artifact service under a server's base URL.
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
# What HttpArtifactRepository splits an http(s) root on to find the listing endpoint.
_SERVICE = "/mlflow-artifacts/artifacts"


def _numeric(host: str | None) -> bool:
    if not host:
        return False
    try:
        float(host)
    except ValueError:
        return False
    return True


def resolve_mlflow_artifacts_uri(artifact_uri: str, tracking_uri: str | None) -> str:
    """The ``http(s)://`` URL of an ``mlflow-artifacts:`` root, by MLflow's rule
    (MlflowArtifactsRepository.resolve_uri): the tracking URI's scheme; the artifact URI's
    host and port when it has them, else the tracking URI's; the tracking URI's path
    prefix, then ``/api/2.0/mlflow-artifacts/artifacts``, then the artifact path."""
    artifact = urllib.parse.urlsplit(artifact_uri)
    tracking = urllib.parse.urlsplit(tracking_uri or "")
    # urlsplit reads "mlflow-artifacts://5000/x" as host "5000": a port with no host.
    if _numeric(artifact.hostname) and not artifact.port:
        raise MlflowException(
            f"The mlflow-artifacts uri was supplied with a port number: {artifact.hostname}, "
            "but no host was defined.")
    if tracking.scheme not in ("http", "https"):
        shown = urllib.parse.urlunsplit((tracking.scheme, tracking.netloc.rpartition("@")[2],
                                         tracking.path, "", ""))
        raise MlflowException(
            "When an mlflow-artifacts URI was supplied, the tracking URI must be a valid "
            f"http or https URI, but it was currently set to {shown}. Perhaps you forgot to "
            "set the tracking URI to the running MLflow server. To set the tracking URI, use "
            "either of the following methods:\n"
            "1. Set the MLFLOW_TRACKING_URI environment variable to the desired tracking URI. "
            "`export MLFLOW_TRACKING_URI=http://localhost:5000`\n"
            "2. Set the tracking URI programmatically by calling `mlflow.set_tracking_uri`. "
            "`mlflow.set_tracking_uri('http://localhost:5000')`")
    if artifact.path == "/":
        path = ARTIFACTS_API + "/"
    elif artifact.path == ARTIFACTS_API:
        path = ARTIFACTS_API
    else:
        # The tracking URI's path prefix is kept only here, as in MLflow.
        path = f"{tracking.path}/{ARTIFACTS_API}/{artifact.path}"
    path = re.sub(r"//+", "/", path)
    netloc = artifact.netloc or tracking.netloc
    return urllib.parse.urlunsplit((tracking.scheme, netloc, path, "", "")).rstrip("/")


class ArtifactHttp:
    """The one aiohttp session (and file-thread limiter) a set of HTTP stores shares.

    Created on the engine loop at the first request; every request is retried as
    ``HttpSettings`` says.  ``request`` hands a 200 answer to a callback that consumes
    it inside the attempt, so a body cut off mid-stream is retried too."""

    def __init__(self, settings: HttpSettings | None = None, *, max_connections: int = 16,
                 max_threads: int = 4):
        self.settings = settings or HttpSettings()
        self.max_connections = max_connections
        self.max_threads = max_threads
        self._session = None
        self._limiter = None
        self._closed = False
        self._rng = random.Random().random

    async def run_sync(self, func, *args):
        """``func(*args)`` in a worker thread (file I/O of transfers), bounded."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.max_threads)
        return await anyio.to_thread.run_sync(func, *args, limiter=self._limiter)

    def _open(self):
        if self._closed:
            raise MlflowException("The artifact store's HTTP session is closed.")
        if self._session is None:
            self._session = open_session(self.settings, self.max_connections,
                                         {"User-Agent": "aiomlflow"})
        return self._session

    async def request(self, method: str, url: str, *, on_ok, auth=None, body=None,
                      params=None):
        """Send ``method url`` (``url`` percent-encoded, without credentials) until it is
        answered 200 or fails for good; return ``await on_ok(response)``.

        ``body()`` (optional) builds each attempt's ``(data, headers, cleanup)`` afresh,
        so a streamed body restarts from its beginning; ``cleanup()`` (or None) runs when
        the attempt ends."""
        if self.settings.max_retries == 0:
            return await self._attempt(method, url, on_ok, auth, body, params)
        async for attempt in retrying(self.settings, self._rng):
            with attempt:
                return await self._attempt(method, url, on_ok, auth, body, params)

    async def _attempt(self, method, url, on_ok, auth, body, params):
        import aiohttp
        import yarl

        session = self._open()
        headers = {"Authorization": auth} if auth else {}
        data = None
        cleanup = None
        if body is not None:
            data, extra, cleanup = await body()
            headers.update(extra)
        try:
            async with session.request(method, yarl.URL(url, encoded=True), data=data,
                                       headers=headers, params=params) as response:
                if response.status == 200:
                    return await on_ok(response)
                payload = await response.read()
                raise _answer_error(url, response.status, payload,
                                    retry_after_of(response.status, response.headers))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise unreachable(url, exc) from None
        finally:
            if cleanup is not None:
                cleanup()

    async def close(self) -> None:
        """Close the session; idempotent.  Later requests fail."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


def _answer_error(url: str, status: int, payload: bytes, retry_after) -> RestError:
    if status == 503 and b"--no-serve-artifacts" in payload:
        return RestError(
            "The tracking server does not serve artifacts: "
            + payload.decode("utf-8", errors="replace"),
            "FEATURE_DISABLED", status, None, transient=False)
    return answered_error(urllib.parse.urlsplit(url).path, status, payload, retry_after)


class MlflowArtifactsStore(ArtifactStore):
    """The artifacts under one root of a tracking server's proxied artifact API.

    ``tracking_uri`` resolves ``mlflow-artifacts:`` roots; ``http`` is the session shared
    with other stores (a store given none opens and closes its own)."""

    def __init__(self, artifact_uri: str, tracking_uri: str | None = None, *,
                 http: ArtifactHttp | None = None, max_transfers: int = 8):
        self.root_uri = artifact_uri
        scheme = urllib.parse.urlsplit(artifact_uri).scheme
        if scheme == "mlflow-artifacts":
            url = resolve_mlflow_artifacts_uri(artifact_uri, tracking_uri)
        elif scheme in ("http", "https"):
            url = artifact_uri.rstrip("/")
            if _SERVICE not in urllib.parse.urlsplit(url).path:
                raise MlflowException(
                    f"Unsupported artifact URI '{redact_url(artifact_uri)}': an http(s) "
                    f"artifact root must be a tracking server's {ARTIFACTS_API} URL.",
                    INVALID_PARAMETER_VALUE)
        else:
            raise MlflowException(
                f"Not an mlflow-artifacts or http(s) artifact URI: '{redact_url(artifact_uri)}'",
                INVALID_PARAMETER_VALUE)
        settings = HttpSettings()
        settings.use_url_credentials(*url_credentials(url))
        self._auth = settings.authorization
        parts = urllib.parse.urlsplit(redact_url(url))
        # Requests-style: characters a URL cannot carry are escaped, escapes kept.
        path = urllib.parse.quote(parts.path, safe="/%:@!$&'()*+,;=-._~")
        #: The resolved URL of the root (no credentials).
        self.base_url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
        head, _, tail = self.base_url.partition(_SERVICE)
        self._list_url = head + _SERVICE
        # The root as the listing endpoint's ``path`` parameter names it.
        self._root = urllib.parse.unquote(tail.strip("/"))
        self._owns_http = http is None
        self._http = http if http is not None else ArtifactHttp(settings)
        self.max_transfers = max_transfers

    def __repr__(self) -> str:
        return f"<MlflowArtifactsStore {self.base_url}>"

    def _file_url(self, path: str) -> str:
        return self.base_url + "/" + urllib.parse.quote(path, safe="/")

    # ------------------------------------------------------------------ uploads
    async def upload_file(self, local_path: str, artifact_file: str) -> None:
        """PUT the local file's bytes, streamed from disk in chunks (re-read from the first
        byte on each retry); RESOURCE_DOES_NOT_EXIST naming ``local_path`` when missing."""
        path = clean_file_path(artifact_file)
        local_path = os.fspath(local_path)
        http = self._http

        def open_source():
            try:
                handle = open(local_path, "rb")
            except FileNotFoundError:
                raise missing_local_file(local_path, path) from None
            except IsADirectoryError:
                raise not_a_file(local_path, path) from None
            return handle, os.fstat(handle.fileno()).st_size

        async def body():
            handle, size = await http.run_sync(open_source)

            async def chunks():
                remaining = size
                while remaining > 0:
                    chunk = await http.run_sync(handle.read, min(CHUNK_SIZE, remaining))
                    if not chunk:
                        raise MlflowException(
                            f"The local file '{local_path}' shrank while it was uploaded.")
                    remaining -= len(chunk)
                    yield chunk

            # Closing a file opened for reading does not block; done inline so that a
            # cancelled upload still closes it.
            cleanup = handle.close

            headers = {"Content-Type": "application/octet-stream",
                       "Content-Length": str(size)}
            return chunks(), headers, cleanup

        await http.request("PUT", self._file_url(path), auth=self._auth, body=body,
                           on_ok=_drain)

    async def upload_bytes(self, data: bytes, artifact_file: str) -> None:
        """PUT ``data`` as ``artifact_file``."""
        path = clean_file_path(artifact_file)
        data = bytes(data)

        async def body():
            return data, {"Content-Type": "application/octet-stream"}, None

        await self._http.request("PUT", self._file_url(path), auth=self._auth, body=body,
                                 on_ok=_drain)

    # ------------------------------------------------------------------ reads
    async def list(self, path: str | None = None) -> list:
        """The direct children of directory ``path`` as the server lists them, paths made
        relative to the root as MLflow's client makes them, sorted by path."""
        path = clean_path(path)
        query = posixpath.join(self._root, path) if path else self._root

        async def decode(response):
            payload = await response.read()
            if not payload.strip():
                return {}
            try:
                return orjson.loads(payload)
            except orjson.JSONDecodeError:
                raise MlflowException(
                    f"Listing artifacts at {self._list_url} answered 200 with a body that is "
                    "not JSON: " + payload[:500].decode("utf-8", errors="replace")) from None

        answer = await self._http.request("GET", self._list_url, auth=self._auth,
                                          params={"path": query}, on_ok=decode)
        infos = []
        for entry in answer.get("files", []) if isinstance(answer, dict) else []:
            name = clean_path(entry.get("path", ""))
            size = entry.get("file_size")
            infos.append(FileInfo(posixpath.join(path, name) if path else name,
                                  bool(entry.get("is_dir", False)),
                                  int(size) if size is not None else None))
        # A store that lists a file as itself lists as [] (HttpArtifactRepository's rule).
        if (len(infos) == 1 and not infos[0].is_dir and path
                and infos[0].path == posixpath.join(path, posixpath.basename(path))):
            return []
        infos.sort(key=lambda info: info.path)
        return infos

    async def download(self, path: str, dest_dir: str) -> str:
        """Copy the file or tree ``path`` (the root for ""/None) into ``dest_dir``; a
        directory is found by listing, files are streamed to disk."""
        return await download_tree(self, path, dest_dir, is_dir=self._is_dir,
                                   fetch=self._fetch, limit=self.max_transfers)

    async def _is_dir(self, path: str) -> bool:
        return bool(await self.list(path))

    async def _fetch(self, path: str, target: str) -> None:
        http = self._http
        staged = StagedFile(target)
        await http.run_sync(staged.open)

        async def save(response):
            await http.run_sync(staged.restart)  # a retry starts the file again
            buffer = bytearray()
            async for piece in response.content.iter_chunked(CHUNK_SIZE):
                buffer += piece
                if len(buffer) >= CHUNK_SIZE:
                    await http.run_sync(staged.write, bytes(buffer))
                    buffer.clear()
            if buffer:
                await http.run_sync(staged.write, bytes(buffer))

        try:
            await self._get(path, save)
            await http.run_sync(staged.commit)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await http.run_sync(staged.discard)
            raise

    async def read_bytes(self, artifact_file: str) -> bytes:
        """The bytes of one file; RESOURCE_DOES_NOT_EXIST when it is missing."""
        path = clean_file_path(artifact_file)

        async def read(response):
            return await response.read()

        return await self._get(path, read)

    async def _get(self, path: str, on_ok):
        try:
            return await self._http.request("GET", self._file_url(path), auth=self._auth,
                                            on_ok=on_ok)
        except RestError as exc:
            if exc.http_status == 404:
                raise no_such_artifact(path) from exc
            raise

    async def close(self) -> None:
        """Close the session if this store opened its own; idempotent."""
        if self._owns_http:
            await self._http.close()


async def _drain(response) -> None:
    await response.read()
