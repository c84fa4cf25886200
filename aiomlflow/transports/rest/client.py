"""One pooled aiohttp session to an MLflow tracking server, with MLflow's retry policy.

``HttpClient.call`` sends one request and returns the decoded JSON answer, or raises:

* :class:`RestError` for an answered error: the server's ``error_code`` and ``message``
  when the body is MLflow's error JSON, otherwise MLflow's client wording ("API request
  to endpoint ... failed with error code 404 != 200. Response body: ...") with the
  error code MLflow derives from the HTTP status;
* :class:`ServerUnavailable` when the server could not be reached or did not answer in
  time.

Connection errors, timeouts and the statuses MLflow's client retries (408, 429, 500,
502, 503, 504) are retried with tenacity: ``MLFLOW_HTTP_REQUEST_MAX_RETRIES`` times,
sleeping as urllib3 does for MLflow (none before the first retry, then
``factor * 2**(n-1)`` plus jitter, capped at 120 s), or what ``Retry-After`` asks.  One
deliberate difference: a 5xx whose JSON body carries a deterministic MLflow error
(INVALID_STATE, ...) fails at once instead of being retried for minutes.  Errors that
still fail after the retries are *transient* (:func:`is_transient`), which is what the
transport's undeliverable hook keys on.

The pieces are shared with the artifact stores (transports/artifacts/http.py):
:func:`open_session`, :func:`retrying`, :func:`answered_error`, :func:`unreachable` and
:func:`retry_after_of`.  aiohttp is imported only when a session opens.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time

import orjson
import tenacity

from ...exceptions import HTTP_STATUS, MlflowException, RestException, error_code_name
from ...redact import redact_url

API_PREFIX = "/api/2.0/mlflow/"
# The statuses MLflow's client retries (mlflow.utils.request_utils).
RETRY_STATUSES = frozenset((408, 429, 500, 502, 503, 504))
# urllib3 honours Retry-After on these.
RETRY_AFTER_STATUSES = frozenset((413, 429, 503))
# MLflow errors a 5xx can carry that no retry will change.
_PERMANENT_CODES = frozenset((
    "INVALID_STATE", "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST",
    "RESOURCE_ALREADY_EXISTS", "BAD_REQUEST", "NOT_IMPLEMENTED", "ENDPOINT_NOT_FOUND",
    "PERMISSION_DENIED", "UNAUTHENTICATED", "INVALID_STATE_TRANSITION",
))


def _status_to_code() -> dict[int, str]:
    # MLflow inverts its code -> status table, then pins 400, 404 and 500.
    table = {status: code for code, status in HTTP_STATUS.items()}
    table.update({400: "BAD_REQUEST", 404: "ENDPOINT_NOT_FOUND", 500: "INTERNAL_ERROR"})
    return table


_STATUS_TO_CODE = _status_to_code()


class RestError(RestException):
    """An error the server answered; ``http_status`` and ``json`` (the body, if JSON).

    As MLflow's client words it: an MLflow error body gives "ERROR_CODE: message";
    ``server_message`` keeps the server's own words."""

    def __init__(self, message, error_code="INTERNAL_ERROR", http_status: int = 0, json_body=None,
                 retry_after: float | None = None, transient: bool = False):
        code = error_code_name(error_code)
        MlflowException.__init__(self, f"{code}: {message}" if json_body is not None else message,
                                 error_code=code)
        self.server_message = message
        self.http_status = http_status
        self.json = json_body
        self.retry_after = retry_after
        self.transient = transient


class ServerUnavailable(MlflowException):
    """The server could not be reached, or did not answer within the timeout."""

    transient = True

    def __init__(self, message, error_code="TEMPORARILY_UNAVAILABLE"):
        super().__init__(message, error_code=error_code)


def is_transient(exc: BaseException) -> bool:
    """True for failures a later attempt may fix: unreachable server, timeout, 429, 5xx."""
    return bool(getattr(exc, "transient", False))


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_after_of(status: int, headers) -> float | None:
    """Seconds a 413/429/503 answer's ``Retry-After`` header asks to wait (None: no ask)."""
    if status not in RETRY_AFTER_STATUSES:
        return None
    return _retry_after_seconds(headers.get("Retry-After"))


def answered_error(endpoint: str, status: int, body: bytes, retry_after=None) -> RestError:
    """The RestError for a non-200 answer to ``endpoint``, worded as MLflow's client words
    it and marked transient when a retry may succeed (408/429/5xx without a deterministic
    MLflow error code)."""
    text = body.decode("utf-8", errors="replace")
    parsed = None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    retryable = status in RETRY_STATUSES
    if isinstance(parsed, dict) and ("error_code" in parsed or "message" in parsed):
        code = parsed.get("error_code")
        code = error_code_name(code) if code is not None else _STATUS_TO_CODE.get(
            status, "INTERNAL_ERROR")
        if code in _PERMANENT_CODES:
            retryable = False
        return RestError(parsed.get("message", ""), code, status, parsed, retry_after,
                         transient=retryable)
    return RestError(
        f"API request to endpoint {endpoint} failed with error code {status} != 200. "
        f"Response body: '{text}'",
        _STATUS_TO_CODE.get(status, "INTERNAL_ERROR"), status, None, retry_after,
        transient=retryable)


def unreachable(url: str, exc: BaseException) -> ServerUnavailable:
    """The ServerUnavailable for a request to ``url`` that failed without an answer
    (``exc``: a timeout or an aiohttp.ClientError); ``url`` must carry no credentials."""
    if isinstance(exc, asyncio.TimeoutError):  # aiohttp.ServerTimeoutError is one too
        return ServerUnavailable(
            f"API request to {url} failed with timeout exception {exc!r}. To increase the "
            "timeout, set the environment variable MLFLOW_HTTP_REQUEST_TIMEOUT to a larger "
            "value.", error_code="DEADLINE_EXCEEDED")
    return ServerUnavailable(f"API request to {url} failed with exception "
                             f"{type(exc).__name__}: {exc}")


def open_session(settings, max_connections: int, headers: dict | None = None):
    """A new aiohttp ClientSession with ``settings``' TLS and timeouts (to connect and
    between reads; no total, so large transfers are not cut off), proxies from the
    environment, and ``headers`` sent on every request.  Call it on the loop that will
    use the session."""
    import aiohttp

    timeout = settings.timeout or None
    connector = aiohttp.TCPConnector(limit=max_connections, ssl=settings.ssl_context())
    return aiohttp.ClientSession(
        connector=connector, headers=headers or {},
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout),
        trust_env=True,  # HTTP(S)_PROXY / NO_PROXY, as requests honours them
    )


def retrying(settings, rng) -> tenacity.AsyncRetrying:
    """MLflow's retry policy as a tenacity loop: transient failures (:func:`is_transient`)
    are retried ``settings.max_retries`` times, sleeping what ``Retry-After`` asks (when
    honoured) or ``settings.backoff``; the last failure is re-raised as it is.  Each
    attempt must rebuild its request (a streamed body restarts from its beginning)."""

    def wait(retry_state) -> float:
        exc = retry_state.outcome.exception()
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None and settings.respect_retry_after:
            return retry_after
        return settings.backoff(retry_state.attempt_number, rng)

    return tenacity.AsyncRetrying(
        retry=tenacity.retry_if_exception(is_transient),
        stop=tenacity.stop_after_attempt(settings.max_retries + 1),
        wait=wait,
        reraise=True,
    )


class HttpClient:
    """A pooled aiohttp session bound to one tracking server (created on the engine loop)."""

    def __init__(self, base_url: str, settings, max_connections: int = 16):
        # ``user:password@`` in the URI becomes the transport's Basic auth (see settings);
        # it is never part of a request URL or a message.
        self.base_url = redact_url(base_url.rstrip("/"))
        self.display_url = self.base_url
        self.settings = settings
        self.max_connections = max_connections
        self._session = None
        self._aiohttp = None
        self._rng = random.Random().random

    async def open(self) -> None:
        import aiohttp

        self._aiohttp = aiohttp
        headers = {"User-Agent": "aiomlflow", "Content-Type": "application/json"}
        if self.settings.authorization:
            headers["Authorization"] = self.settings.authorization
        self._session = open_session(self.settings, self.max_connections, headers)

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    # ------------------------------------------------------------------ requests
    async def call(self, method: str, endpoint: str, body=None, params=None,
                   retry: bool = True, *, prefix: str = API_PREFIX, headers=None):
        """``method`` on ``prefix + endpoint`` (``/api/2.0/mlflow/`` unless told);
        ``body`` a dict (JSON-encoded here) or bytes; ``params`` a dict or a list of
        pairs (a repeated query parameter); ``headers`` added to the session's.
        Returns the decoded JSON object (``{}`` for an empty answer)."""
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = orjson.dumps(body)
        path = prefix + endpoint
        if not retry or self.settings.max_retries == 0:
            return await self._attempt(method, path, body, params, headers)
        async for attempt in retrying(self.settings, self._rng):
            with attempt:
                return await self._attempt(method, path, body, params, headers)

    async def _attempt(self, method: str, path: str, body, params, headers=None):
        session = self._session
        if session is None:
            raise ServerUnavailable(f"The REST transport to {self.display_url} is closed.")
        aiohttp = self._aiohttp
        url = self.base_url + path
        try:
            async with session.request(method, url, data=body, params=params,
                                       headers=headers) as response:
                payload = await response.read()
                status = response.status
                if status == 200:
                    if not payload.strip():
                        return {}
                    try:
                        return orjson.loads(payload)
                    except orjson.JSONDecodeError:
                        raise MlflowException(
                            "API request to endpoint was successful but the response body was "
                            "not in a valid JSON format. Response body: "
                            f"'{payload.decode('utf-8', errors='replace')}'") from None
                raise answered_error(path, status, payload,
                                     retry_after_of(status, response.headers))
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            raise unreachable(self.display_url + path, exc) from None

    def __repr__(self) -> str:
        return f"<HttpClient {self.display_url} {self.settings!r}>"
