"""Shared fixtures for the run-tracking test suite.

The same tests run against two implementations:

* ``aiomlflow`` (default), and
* real ``mlflow`` 3.17.2 when ``AIOMLFLOW_TESTS_TARGET=mlflow``.

A test passing on real mlflow is a correct expectation of behaviour.  Where our design
intentionally differs, the test is marked for the mlflow target only (see
``xfail_on_mlflow`` / ``skip_on_mlflow``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

TARGET = os.environ.get("AIOMLFLOW_TESTS_TARGET", "aiomlflow").strip().lower()
if TARGET not in ("aiomlflow", "mlflow"):
    raise RuntimeError(f"AIOMLFLOW_TESTS_TARGET must be 'aiomlflow' or 'mlflow', got {TARGET!r}")
IS_MLFLOW = TARGET == "mlflow"
IS_AIOMLFLOW = not IS_MLFLOW

# Transports every transport-parametrised test runs over.  "rest" talks to one real
# ``mlflow server`` per test session, whose store is emptied before each test.
TRANSPORTS = ["sqlite", "rest"]


def xfail_on_mlflow(reason: str):
    """Mark a test (or a param) as an intentional design difference from real mlflow."""
    return pytest.mark.xfail(IS_MLFLOW, reason=f"design difference from mlflow: {reason}", strict=True)


def skip_on_mlflow(reason: str):
    return pytest.mark.skipif(IS_MLFLOW, reason=f"design difference from mlflow: {reason}")


def _import_target():
    return importlib.import_module("mlflow" if IS_MLFLOW else "aiomlflow")


def pytest_report_header(config):
    return f"aiomlflow tests target: {TARGET}"


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mlflow_cli() -> list[str]:
    """Command prefix that runs the real mlflow CLI of the test environment."""
    exe = pathlib.Path(sys.executable).with_name("mlflow")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("mlflow")
    if found:
        return [found]
    return [sys.executable, "-m", "mlflow"]


class MlflowServer:
    """A real ``mlflow server`` subprocess on a free loopback port.

    Used by the interop tests and by the ``rest`` branch of the ``transport`` fixture.
    With ``artifacts_destination`` (a directory) it proxies artifacts
    (``--artifacts-destination``): new experiments get ``mlflow-artifacts:/`` roots.
    """

    def __init__(self, backend_store_uri: str, workdir: pathlib.Path, *, timeout: float = 90.0,
                 workers: int = 1, artifacts_destination: pathlib.Path | None = None):
        self.backend_store_uri = backend_store_uri
        self.workers = workers
        self.artifacts_destination = artifacts_destination
        self.workdir = pathlib.Path(workdir)
        self.timeout = timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / f"mlflow-server-{self.port}.log"

    def start(self) -> "MlflowServer":
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        # No job runner: MLflow's server would otherwise start eight huey consumer
        # processes (each importing mlflow, then polling) that no test uses and that
        # keep two cores busy for the whole session.
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        self._log = open(self.log_path, "wb")
        if self.artifacts_destination is None:
            artifacts = ["--default-artifact-root", (self.workdir / "server-artifacts").as_uri()]
        else:
            artifacts = ["--artifacts-destination", str(self.artifacts_destination)]
        self.proc = subprocess.Popen(
            mlflow_cli()
            + [
                "server",
                "--backend-store-uri",
                self.backend_store_uri,
                *artifacts,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            cwd=self.workdir,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited early:\n{self.log_text()}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server not ready after {self.timeout}s:\n{self.log_text()}")

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)  # the server and its gunicorn/uvicorn workers
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=5)
        self._log.close()
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def fresh_store(path) -> str:
    """A new SQLite store at ``path`` at MLflow's schema revision, created by aiomlflow
    (tests/test_schema.py: the same tables, indexes and seeded rows as MLflow's): real
    mlflow opens it as its own instead of running its alembic migrations, which take
    seconds.  (test_interop keeps a store that real mlflow creates itself.)"""
    from aiomlflow import MlflowClient

    uri = f"sqlite:///{path}"
    MlflowClient(tracking_uri=uri).search_experiments()
    return uri


def ensure_store(uri: str) -> str:
    """``uri``; a SQLite store not created yet is created as by ``fresh_store``."""
    if uri.startswith("sqlite:///") and not os.path.exists(uri[len("sqlite:///"):]):
        fresh_store(uri[len("sqlite:///"):])
    return uri


def get_json(url: str, timeout: float = 10.0):
    import json

    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read().decode())


# --------------------------------------------------------------------------- fixtures


def _clear_mlflow_env():
    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            del os.environ[key]


def _reset_module_state(module) -> None:
    """Best-effort teardown: end runs, flush, forget the active experiment and URIs."""
    if IS_AIOMLFLOW:
        with contextlib.suppress(Exception):
            module.flush_async_logging()
    for _ in range(50):
        try:
            if module.active_run() is None:
                break
            module.end_run()
        except Exception:
            break
    if IS_MLFLOW:
        with contextlib.suppress(Exception):
            module.flush_async_logging()
        _forget_real_mlflow_globals()
    else:
        with contextlib.suppress(Exception):
            module.flush_async_logging()
        sdk = getattr(module, "sdk", None)
        fluent = getattr(sdk, "fluent", None) if sdk is not None else None
        reset = getattr(fluent, "_reset_for_tests", None) if fluent is not None else None
        if reset is not None:
            reset()


def _forget_real_mlflow_globals() -> None:
    """Real mlflow's active runs, experiment and URIs forgotten (no store is touched)."""
    import mlflow.tracking._model_registry.utils as registry_utils
    import mlflow.tracking._tracking_service.utils as tracking_utils
    import mlflow.tracking.fluent as fluent

    fluent._active_experiment_id = None
    with contextlib.suppress(Exception):
        fluent._active_run_stack.set([])
    with contextlib.suppress(Exception):
        fluent._last_active_run_id.set(None)
    tracking_utils._tracking_uri = None
    registry_utils._registry_uri = None


@pytest.fixture
def mlflow(tmp_path, monkeypatch):
    """The module under test, in a clean working directory with no MLFLOW_* env vars."""
    module = _import_target()
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            monkeypatch.delenv(key)
    _reset_module_state(module)
    yield module
    try:
        _reset_module_state(module)
        if IS_AIOMLFLOW and "mlflow.tracking.fluent" in sys.modules:
            # what an interop check set on real mlflow ends with its test too
            _forget_real_mlflow_globals()
    finally:
        # The implementation may export MLFLOW_TRACKING_URI etc. itself (mlflow does):
        # drop them; monkeypatch then restores whatever the outer environment had.
        _clear_mlflow_env()


@pytest.fixture
def library_log(caplog):
    """caplog that also hears the library's own logger, which (as mlflow's) does not
    propagate to the root logger where caplog listens."""
    logger = logging.getLogger(TARGET)
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger=TARGET)
    yield caplog
    logger.removeHandler(caplog.handler)


@pytest.fixture(params=TRANSPORTS)
def transport(request, mlflow, tmp_path):
    """The tracking URI of a fresh store for one test; set as the current tracking URI."""
    yield from _use_store(request, mlflow, tmp_path)


# Artifact tests add a server that proxies artifacts (``mlflow-artifacts:/`` roots,
# uploaded over HTTP) to the server with a file:// artifact root.
ARTIFACT_TRANSPORTS = TRANSPORTS + ["rest-artifacts"]


@pytest.fixture(params=ARTIFACT_TRANSPORTS)
def artifact_transport(request, mlflow, tmp_path):
    """As ``transport``, over every way artifacts are stored."""
    yield from _use_store(request, mlflow, tmp_path)


def _use_store(request, mlflow, tmp_path):
    kind = request.param
    if kind == "sqlite":
        uri = f"sqlite:///{tmp_path}/mlflow.db"
        mlflow.set_tracking_uri(uri)
        yield uri
    elif kind in ("rest", "rest-artifacts"):
        server = request.getfixturevalue("rest_server" if kind == "rest" else "artifacts_server")
        reset_server_store(server)
        mlflow.set_tracking_uri(server.url)
        yield server.url
        with contextlib.suppress(Exception):
            mlflow.flush_async_logging()
    else:  # pragma: no cover
        raise ValueError(f"unknown transport {kind!r}")


# Tables of the server's store that hold tracking data; emptied between tests.
_TRACKING_TABLES = (
    "latest_metrics", "metrics", "params", "tags", "input_tags", "inputs", "datasets",
    "logged_model_metrics", "logged_model_params", "logged_model_tags", "logged_models",
    "runs", "experiment_tags",
    "assessments", "span_metrics", "spans", "trace_metrics", "trace_tags", "trace_request_metadata", "trace_info",
    "entity_associations",
    # the model registry (children before parents)
    "model_version_tags", "registered_model_aliases", "model_versions",
    "registered_model_tags", "registered_models",
)


def reset_server_store(server: "MlflowServer") -> None:
    """Give the next test an empty store: no runs, only the Default experiment as new.

    The session's server keeps running (starting one takes seconds); its SQLite store
    is reset underneath it, which is safe because the SQL store caches no entities and
    nothing is in flight between tests.
    """
    import sqlite3

    db = sqlite3.connect(server.db_path, timeout=30, isolation_level=None)
    try:
        if server.default_experiment is None:
            server.default_experiment = db.execute(
                "SELECT name, artifact_location, lifecycle_stage, creation_time, "
                "last_update_time FROM experiments WHERE experiment_id = 0").fetchone()
        db.execute("BEGIN IMMEDIATE")
        for table in _TRACKING_TABLES:
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM experiments WHERE experiment_id <> 0")
        db.execute("UPDATE experiments SET name = ?, artifact_location = ?, "
                   "lifecycle_stage = ?, creation_time = ?, last_update_time = ? "
                   "WHERE experiment_id = 0", server.default_experiment)
        db.execute("COMMIT")
    finally:
        db.close()


@pytest.fixture(scope="session")
def rest_server(tmp_path_factory):
    """One real ``mlflow server`` for the session (temp SQLite store and artifact root)."""
    workdir = tmp_path_factory.mktemp("mlflow-server")
    server = MlflowServer(f"sqlite:///{workdir}/server.db", workdir)
    server.db_path = str(workdir / "server.db")
    server.default_experiment = None
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def artifacts_server(tmp_path_factory):
    """One real ``mlflow server`` for the session that proxies artifacts
    (``--artifacts-destination``; ``destination`` is that directory)."""
    workdir = tmp_path_factory.mktemp("mlflow-artifacts-server")
    destination = workdir / "artifacts-destination"
    destination.mkdir()
    server = MlflowServer(f"sqlite:///{workdir}/server.db", workdir,
                          artifacts_destination=destination)
    server.db_path = str(workdir / "server.db")
    server.default_experiment = None
    server.destination = destination
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(mlflow, transport):
    """An MlflowClient of the module under test bound to the test's store."""
    return mlflow.MlflowClient(tracking_uri=transport)


@pytest.fixture(scope="session")
def real_mlflow():
    """Real mlflow, for interop checks (regardless of the target)."""
    import mlflow as real

    return real


@pytest.fixture(autouse=True)
def _private_spool_dir(tmp_path_factory, monkeypatch):
    """Journals of undelivered remote logging (AIOMLFLOW_SPOOL_DIR) go to a directory of
    the test's own: never the user's ~/.cache, never replayed into another test's server."""
    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(tmp_path_factory.mktemp("spool")))
