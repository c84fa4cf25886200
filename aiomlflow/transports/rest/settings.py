"""HTTP settings of the REST transport: MLflow's environment variables, read in one place.

Names and defaults are MLflow 3.17.2's (``mlflow.environment_variables``):

=====================================  ========  ==========================================
MLFLOW_HTTP_REQUEST_TIMEOUT            120       seconds to connect and between reads
MLFLOW_HTTP_REQUEST_MAX_RETRIES        7         retries after the first attempt (<= 10)
MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR     2         backoff ``factor * 2**(n-1)`` s (<= 120)
MLFLOW_HTTP_REQUEST_BACKOFF_JITTER     1.0       plus ``uniform(0, jitter)`` s
MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER true      wait what 429/503 ``Retry-After`` says
MLFLOW_TRACKING_TOKEN                            ``Authorization: Bearer <token>``
MLFLOW_TRACKING_USERNAME / _PASSWORD             ``Authorization: Basic ...`` (wins over
                                                 the token, as in MLflow's client; also read
                                                 from ``~/.mlflow/credentials``)
MLFLOW_TRACKING_INSECURE_TLS           false     skip TLS verification
MLFLOW_TRACKING_SERVER_CERT_PATH                 CA bundle (file or directory) to verify with
MLFLOW_TRACKING_CLIENT_CERT_PATH                 client certificate (PEM, key included)
=====================================  ========  ==========================================

Secrets live only in :attr:`HttpSettings.authorization`; ``repr`` never shows them.
"""

from __future__ import annotations

import base64
import configparser
import os

from ...config import env_bool, env_number
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException

# MLflow's internal upper bounds (_MLFLOW_HTTP_REQUEST_MAX_RETRIES_LIMIT and
# _MLFLOW_HTTP_REQUEST_MAX_BACKOFF_FACTOR_LIMIT).
MAX_RETRIES_LIMIT = 10
MAX_BACKOFF_FACTOR_LIMIT = 120
# urllib3's cap on one backoff sleep, which MLflow's client inherits.
MAX_BACKOFF_SECONDS = 120.0


def _credentials_file() -> tuple[str | None, str | None]:
    """``[mlflow]`` username/password from ``~/.mlflow/credentials``, as MLflow reads it."""
    path = os.path.expanduser("~/.mlflow/credentials")
    if not os.path.exists(path):
        return None, None
    config = configparser.ConfigParser()
    try:
        config.read(path)
    except configparser.Error:
        return None, None
    if "mlflow" not in config:
        return None, None
    section = config["mlflow"]
    return section.get("mlflow_tracking_username"), section.get("mlflow_tracking_password")


class HttpSettings:
    """Timeouts, retry policy, credentials and TLS for one REST transport."""

    __slots__ = ("timeout", "max_retries", "backoff_factor", "backoff_jitter",
                 "respect_retry_after", "authorization", "auth_scheme", "insecure_tls",
                 "server_cert_path", "client_cert_path")

    def __init__(self):
        self.timeout = env_number("MLFLOW_HTTP_REQUEST_TIMEOUT", 120, float, 0)
        self.max_retries = env_number("MLFLOW_HTTP_REQUEST_MAX_RETRIES", 7, int, 0)
        if self.max_retries > MAX_RETRIES_LIMIT:
            raise MlflowException(
                f"The configured max_retries value ({self.max_retries}) is in excess of the "
                f"maximum allowable retries ({MAX_RETRIES_LIMIT})", INVALID_PARAMETER_VALUE)
        self.backoff_factor = env_number("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 2, float, 0)
        if self.backoff_factor > MAX_BACKOFF_FACTOR_LIMIT:
            raise MlflowException(
                f"The configured backoff_factor value ({self.backoff_factor}) is in excess of "
                f"the maximum allowable backoff_factor limit ({MAX_BACKOFF_FACTOR_LIMIT})",
                INVALID_PARAMETER_VALUE)
        self.backoff_jitter = env_number("MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", 1.0, float, 0)
        self.respect_retry_after = env_bool("MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER", True)

        username = os.environ.get("MLFLOW_TRACKING_USERNAME")
        password = os.environ.get("MLFLOW_TRACKING_PASSWORD")
        if not (username and password):
            file_user, file_password = _credentials_file()
            username, password = username or file_user, password or file_password
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        self.authorization = None
        self.auth_scheme = None
        if username and password:
            raw = f"{username}:{password}".encode()
            self.authorization = "Basic " + base64.standard_b64encode(raw).decode("ascii")
            self.auth_scheme = "basic"
        elif token:
            self.authorization = f"Bearer {token}"
            self.auth_scheme = "bearer"

        self.insecure_tls = env_bool("MLFLOW_TRACKING_INSECURE_TLS", False)
        self.server_cert_path = os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None
        self.client_cert_path = os.environ.get("MLFLOW_TRACKING_CLIENT_CERT_PATH") or None
        if self.insecure_tls and self.server_cert_path is not None:
            raise MlflowException(
                "When 'ignore_tls_verification' is true then 'server_cert_path' must not be "
                "set! This error may have occurred because the 'MLFLOW_TRACKING_INSECURE_TLS' "
                "and 'MLFLOW_TRACKING_SERVER_CERT_PATH' environment variables are both set - "
                "only one of these environment variables may be set.", INVALID_PARAMETER_VALUE)

    def use_url_credentials(self, username: str | None, password: str | None) -> None:
        """Basic auth from the tracking URI's ``user:password@``, unless the environment
        already set credentials (requests sends URL credentials the same way)."""
        if self.authorization is None and username:
            raw = f"{username}:{password or ''}".encode()
            self.authorization = "Basic " + base64.standard_b64encode(raw).decode("ascii")
            self.auth_scheme = "basic"

    def backoff(self, retry_number: int, rng) -> float:
        """Seconds to sleep before retry ``retry_number`` (1-based), as urllib3 computes it
        for MLflow's client: none before the first retry, then ``factor * 2**(n-1)`` plus
        jitter, capped at 120 s."""
        if retry_number <= 1:
            return 0.0
        value = self.backoff_factor * (2 ** (retry_number - 1))
        if self.backoff_jitter:
            value += rng() * self.backoff_jitter
        return max(0.0, min(MAX_BACKOFF_SECONDS, value))

    def ssl_context(self):
        """What aiohttp's ``ssl=`` takes: False (insecure), an SSLContext, or True (default)."""
        if self.insecure_tls:
            return False
        if self.server_cert_path is None and self.client_cert_path is None:
            return True
        import ssl

        if self.server_cert_path is not None and os.path.isdir(self.server_cert_path):
            context = ssl.create_default_context(capath=self.server_cert_path)
        else:
            context = ssl.create_default_context(cafile=self.server_cert_path)
        if self.client_cert_path is not None:
            context.load_cert_chain(self.client_cert_path)
        return context

    def __repr__(self) -> str:
        return (f"<HttpSettings timeout={self.timeout} max_retries={self.max_retries} "
                f"backoff_factor={self.backoff_factor} backoff_jitter={self.backoff_jitter} "
                f"auth={self.auth_scheme or 'none'} insecure_tls={self.insecure_tls}>")


def url_credentials(url: str) -> tuple[str | None, str | None]:
    """``user`` and ``password`` given in a URI's ``user:password@host`` part."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.username is None:
        return None, None
    return unquote(parts.username), unquote(parts.password or "")
