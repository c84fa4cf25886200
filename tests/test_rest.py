"""The REST transport: server errors, retries, auth, log-batch packing, and interop.

* Error behaviour runs against a small local aiohttp server that answers what each test
  scripts (400 INVALID_PARAMETER_VALUE, 404, 401, 500 then success, 429 + Retry-After),
  recording every request it gets (headers included).
* Packing is checked on the requests themselves: within MLflow's log-batch limits, in
  the order the operations were logged.
* Interop runs against the session's real ``mlflow server``: what aiomlflow logs through
  it is read identically by real mlflow's client, and the other way round.

aiomlflow only (the transport's internals and the fake server are ours).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import math
import subprocess
import sys
import threading
import time

import orjson
import pytest

from conftest import IS_MLFLOW, free_port, reset_server_store

pytestmark = pytest.mark.skipif(IS_MLFLOW, reason="tests of aiomlflow's REST transport")

FAST_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
}
RUN_ID = "0123456789abcdef0123456789abcdef"


# --------------------------------------------------------------------------- fake server


class FakeServer:
    """An aiohttp server on a free port, in its own thread, answering from a script.

    ``script[endpoint]`` is a list of ``(status, body, headers)`` answers used in turn
    (the last one repeats); endpoints without a script answer 200 with a canned body.
    ``requests`` records ``(endpoint, headers, json body or query)`` per request.
    """

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.script: dict[str, list] = {}
        self.requests: list[tuple[str, dict, dict]] = []
        self.times: list[float] = []
        self.expected_auth: str | None = None
        self.delays: dict[str, float] = {}  # endpoint -> seconds before answering
        self._loop = None
        self._runner = None
        self._thread = None

    def answer(self, endpoint: str, *answers) -> None:
        self.script[endpoint] = list(answers)

    def calls(self, endpoint: str) -> list[tuple[dict, dict]]:
        return [(headers, body) for ep, headers, body in self.requests if ep == endpoint]

    async def _handle(self, request):
        from aiohttp import web

        endpoint = request.path.split("/api/2.0/mlflow/", 1)[-1]
        if request.method == "GET":
            body = dict(request.query)
        else:
            raw = await request.read()
            body = orjson.loads(raw) if raw else {}
        self.requests.append((endpoint, dict(request.headers), body))
        self.times.append(time.monotonic())
        if endpoint in self.delays:
            await asyncio.sleep(self.delays[endpoint])
        if self.expected_auth is not None and request.headers.get("Authorization") != self.expected_auth:
            return web.Response(status=401, text="You are not authenticated. Please see "
                                "https://www.mlflow.org/docs/latest/auth/index.html")
        answers = self.script.get(endpoint)
        if answers:
            status, payload, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        else:
            status, payload, headers = 200, _canned(endpoint, body), {}
        text = payload if isinstance(payload, str) else orjson.dumps(payload).decode()
        return web.Response(status=status, text=text, headers=headers,
                            content_type="application/json" if not isinstance(payload, str)
                            else "text/plain")

    def start(self) -> "FakeServer":
        from aiohttp import web

        ready = threading.Event()

        def main():
            self._loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", self._handle)
            self._runner = web.AppRunner(app)
            self._loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            self._loop.run_until_complete(site.start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def _canned(endpoint: str, body: dict) -> dict:
    if endpoint == "runs/get":
        return {"run": {"info": {"run_id": body.get("run_id", RUN_ID), "experiment_id": "0",
                                 "status": "RUNNING", "lifecycle_stage": "active",
                                 "start_time": 1}, "data": {}}}
    return {}


def _error(code: str, message: str) -> dict:
    return {"error_code": code, "message": message}


@pytest.fixture
def fake(mlflow, monkeypatch, tmp_path):
    """A scripted fake server as the tracking URI, with fast retries and a private spool."""
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(tmp_path / "spool"))
    server = FakeServer().start()
    mlflow.set_tracking_uri(server.url)
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):
            mlflow.sdk.fluent._reset_for_tests()
        server.stop()


def _log_batch_entries(server: FakeServer) -> list[dict]:
    return [body for _, body in server.calls("runs/log-batch")]


# --------------------------------------------------------------------------- errors


def test_400_invalid_parameter_value_is_raised_as_the_server_said(mlflow, fake):
    fake.answer("runs/get", (400, _error("INVALID_PARAMETER_VALUE", "Bad run id 'x'"), {}))
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.MlflowClient().get_run(RUN_ID)
    # as MLflow's client raises it: a RestException worded "ERROR_CODE: message"
    assert isinstance(info.value, mlflow.exceptions.RestException)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert info.value.message == "INVALID_PARAMETER_VALUE: Bad run id 'x'"
    assert len(fake.calls("runs/get")) == 1  # a 4xx is not retried


def test_400_on_log_batch_fails_only_that_operation(mlflow, fake):
    fake.answer("runs/log-batch",
                (400, _error("INVALID_PARAMETER_VALUE", "metric 'bad' refused"), {}),
                (200, {}, {}))
    client = mlflow.MlflowClient()
    with pytest.raises(mlflow.MlflowException, match="metric 'bad' refused") as info:
        client.log_metric(RUN_ID, "bad", 1.0)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    client.log_metric(RUN_ID, "good", 2.0)  # the engine goes on
    assert [b["metrics"][0]["key"] for b in _log_batch_entries(fake)] == ["bad", "good"]


def test_404_resource_does_not_exist(mlflow, fake):
    fake.answer("runs/get", (404, _error("RESOURCE_DOES_NOT_EXIST",
                                         f"Run with id={RUN_ID} not found"), {}))
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert info.value.message == f"RESOURCE_DOES_NOT_EXIST: Run with id={RUN_ID} not found"
    assert len(fake.calls("runs/get")) == 1


def test_404_without_an_mlflow_body_reads_like_mlflows_client(mlflow, fake):
    fake.answer("runs/get", (404, "<html>Not Found</html>", {}))
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert info.value.error_code == "ENDPOINT_NOT_FOUND"
    assert info.value.message == (
        "API request to endpoint /api/2.0/mlflow/runs/get failed with error code 404 != 200. "
        "Response body: '<html>Not Found</html>'")


def test_404_from_a_real_server(mlflow, transport_rest):
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert isinstance(info.value, mlflow.exceptions.RestException)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert info.value.message == f"RESOURCE_DOES_NOT_EXIST: Run with id={RUN_ID} not found"


def test_a_none_argument_is_the_servers_missing_parameter(mlflow, transport_rest):
    with pytest.raises(mlflow.exceptions.RestException) as info:
        mlflow.MlflowClient().get_experiment_by_name(None)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "experiment_name" in info.value.message


def test_bearer_token_is_sent_and_401_with_a_wrong_one(mlflow, fake, monkeypatch, library_log):
    caplog = library_log
    fake.expected_auth = "Bearer right-token"
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "wrong-token-s3cr3t")
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert info.value.error_code == "UNAUTHENTICATED"
    assert "401" in info.value.message
    headers, _ = fake.calls("runs/get")[0]
    assert headers["Authorization"] == "Bearer wrong-token-s3cr3t"
    assert "s3cr3t" not in info.value.message and "s3cr3t" not in caplog.text
    mlflow.sdk.fluent._reset_for_tests()  # settings are read when a transport starts

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "right-token")
    mlflow.set_tracking_uri(fake.url)
    assert mlflow.get_run(RUN_ID).info.run_id == RUN_ID


def test_basic_auth_is_sent_and_401_with_a_wrong_password(mlflow, fake, monkeypatch,
                                                          library_log):
    caplog = library_log
    right = "Basic " + base64.standard_b64encode(b"alice:correct horse").decode()
    fake.expected_auth = right
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "alice")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "wrong-pa55word")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "ignored-when-basic-is-set")
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.MlflowClient().log_metric(RUN_ID, "m", 1.0)
    assert info.value.error_code == "UNAUTHENTICATED"
    headers, _ = fake.calls("runs/log-batch")[0]
    assert headers["Authorization"] == "Basic " + base64.standard_b64encode(
        b"alice:wrong-pa55word").decode()
    assert "pa55word" not in info.value.message and "pa55word" not in caplog.text
    assert len(fake.calls("runs/log-batch")) == 1  # 401 is not retried
    mlflow.sdk.fluent._reset_for_tests()

    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "correct horse")
    mlflow.set_tracking_uri(fake.url)
    mlflow.MlflowClient().log_metric(RUN_ID, "m", 1.0)
    assert fake.calls("runs/log-batch")[-1][0]["Authorization"] == right


def test_credentials_in_the_uri_are_used_but_never_shown(mlflow, fake):
    uri = fake.url.replace("http://", "http://bob:hunter2@")
    fake.expected_auth = "Basic " + base64.standard_b64encode(b"bob:hunter2").decode()
    mlflow.set_tracking_uri(uri)
    assert mlflow.get_run(RUN_ID).info.run_id == RUN_ID
    from aiomlflow.workers.registry import get_engine

    transport = get_engine(uri).transport
    assert "hunter2" not in repr(transport) and "hunter2" not in transport.uri
    assert "hunter2" not in repr(transport.settings) and "hunter2" not in repr(transport._http)


def test_500_then_success_is_retried(mlflow, fake):
    fake.answer("runs/log-batch",
                (500, _error("INTERNAL_ERROR", "database hiccup"), {}),
                (502, "Bad Gateway", {}),
                (200, {}, {}))
    mlflow.MlflowClient().log_metric(RUN_ID, "m", 1.0)  # synchronous: succeeds in the end
    bodies = _log_batch_entries(fake)
    assert len(bodies) == 3 and bodies[0] == bodies[2]


def test_500_until_the_retries_run_out(mlflow, fake):
    fake.answer("runs/get", (503, _error("TEMPORARILY_UNAVAILABLE", "overloaded"), {}))
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert info.value.error_code == "TEMPORARILY_UNAVAILABLE"
    assert info.value.message == "TEMPORARILY_UNAVAILABLE: overloaded"
    assert len(fake.calls("runs/get")) == 1 + int(FAST_RETRIES["MLFLOW_HTTP_REQUEST_MAX_RETRIES"])


def test_500_carrying_a_deterministic_mlflow_error_is_not_retried(mlflow, fake):
    fake.answer("experiments/update",
                (500, _error("INVALID_STATE", "Cannot rename a non-active experiment."), {}))
    with pytest.raises(mlflow.MlflowException, match="non-active") as info:
        mlflow.MlflowClient().rename_experiment("1", "new")
    assert info.value.error_code == "INVALID_STATE"
    assert len(fake.calls("experiments/update")) == 1


def test_429_honours_retry_after(mlflow, fake):
    fake.answer("runs/get", (429, _error("REQUEST_LIMIT_EXCEEDED", "slow down"),
                             {"Retry-After": "1"}), (200, _canned("runs/get", {}), {}))
    assert mlflow.get_run(RUN_ID).info.run_id == RUN_ID
    assert len(fake.calls("runs/get")) == 2
    assert fake.times[1] - fake.times[0] >= 0.9  # waited what the server asked


def test_connection_refused_is_retried_then_reported(mlflow, monkeypatch, tmp_path):
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    url = f"http://127.0.0.1:{free_port()}"
    mlflow.set_tracking_uri(url)
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert info.value.error_code == "TEMPORARILY_UNAVAILABLE"
    assert f"API request to {url}/api/2.0/mlflow/runs/get failed" in info.value.message


def test_a_full_journal_fails_the_call_and_logging_goes_on(mlflow, fake, monkeypatch):
    monkeypatch.setenv("AIOMLFLOW_JOURNAL_MAX_BYTES", "300")  # room for a metric or two
    fake.answer("runs/log-batch", (503, _error("TEMPORARILY_UNAVAILABLE", "down"), {}))
    client = mlflow.MlflowClient()
    client.log_metric(RUN_ID, "m", 1.0)  # the server is down: journaled, durable on disk
    with pytest.raises(mlflow.MlflowException) as info:
        client.log_param(RUN_ID, "p", "x" * 400)
    assert info.value.error_code == "RESOURCE_EXHAUSTED"
    assert "journal" in info.value.message and "is full" in info.value.message
    assert "AIOMLFLOW_JOURNAL_MAX_BYTES" in info.value.message
    fake.answer("runs/log-batch", (200, {}, {}))
    client.log_metric(RUN_ID, "m", 2.0)
    client.get_run(RUN_ID)  # a read lets the journal replay first
    bodies = _log_batch_entries(fake)
    assert [m["value"] for b in bodies for m in b.get("metrics", ())][-2:] == [1.0, 2.0]
    assert not [b for b in bodies if b.get("params")]


def test_timeout_setting_is_honoured(mlflow, fake, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    fake.delays["runs/get"] = 3
    with pytest.raises(mlflow.MlflowException) as info:
        mlflow.get_run(RUN_ID)
    assert info.value.error_code == "DEADLINE_EXCEEDED"
    assert "MLFLOW_HTTP_REQUEST_TIMEOUT" in info.value.message
    assert len(fake.calls("runs/get")) == 2  # a timeout is retried


# --------------------------------------------------------------------------- settings


def test_http_settings_defaults_and_environment(monkeypatch):
    from aiomlflow.transports.rest.settings import HttpSettings

    for name in ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES",
                 "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER",
                 "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
                 "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_INSECURE_TLS",
                 "MLFLOW_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_CLIENT_CERT_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent")
    s = HttpSettings()
    assert (s.timeout, s.max_retries, s.backoff_factor, s.backoff_jitter) == (120, 7, 2, 1.0)
    assert s.authorization is None and s.ssl_context() is True
    # urllib3's schedule for MLflow: no sleep before the first retry, then 4, 8, ... 120
    assert [s.backoff(n, lambda: 0.0) for n in range(1, 8)] == [0, 4, 8, 16, 32, 64, 120]

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "11")
    with pytest.raises(Exception, match="maximum allowable retries"):
        HttpSettings()
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    monkeypatch.setenv("MLFLOW_TRACKING_INSECURE_TLS", "true")
    assert HttpSettings().ssl_context() is False
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", "/some/ca.pem")
    with pytest.raises(Exception, match="only one of these environment variables"):
        HttpSettings()


def test_import_aiomlflow_does_not_import_aiohttp():
    code = "import sys, aiomlflow; print('aiohttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- packing


def _entries(requests, field):
    return [e for r in requests for e in orjson.loads(r.body).get(field, ())]


def test_packing_keeps_limits_and_order():
    from aiomlflow.transports.rest.packing import (
        MAX_REQUEST_BYTES, pack,
    )
    from aiomlflow.batches import BATCH, DELETE_TAG, METRIC, PARAM, TERMINATE

    metrics = [(f"k{i % 7}", float(i), 1_700_000_000_000 + i, i) for i in range(2500)]
    params = [(f"p{i}", str(i)) for i in range(250)]
    tags = [(f"t{i}", "v" * 10) for i in range(150)]
    ops = [(1, BATCH, RUN_ID, metrics, params, tags)]
    ops += [(2 + i, METRIC, RUN_ID, "single", float(i), 5, i) for i in range(1500)]
    ops += [(4000, PARAM, RUN_ID, "solo", "x"), (4001, DELETE_TAG, RUN_ID, "t0"),
            (4002, BATCH, RUN_ID, (), (), (("t0", "again"),)),
            (4003, TERMINATE, RUN_ID, "KILLED", 1_700_000_009_000)]
    requests = pack(RUN_ID, ops)
    for r in requests:
        body = orjson.loads(r.body)
        assert len(r.body) <= MAX_REQUEST_BYTES
        if r.endpoint == "runs/log-batch":
            m, p, t = (len(body.get(k, ())) for k in ("metrics", "params", "tags"))
            assert m <= 1000 and p <= 100 and t <= 100 and m + p + t <= 1000
            keys = [x["key"] for x in body.get("params", ())]
            assert len(keys) == len(set(keys))
    log_batches = [r for r in requests if r.endpoint == "runs/log-batch"]
    # order kept: the entries, concatenated, are the operations' entries in order
    assert [(m["key"], m["value"], m["timestamp"], m["step"])
            for m in _entries(log_batches, "metrics")] == metrics + [
        ("single", float(i), 5, i) for i in range(1500)]
    assert [(p["key"], p["value"]) for p in _entries(log_batches, "params")] == params + [
        ("solo", "x")]
    # the delete comes after the tags set before it and before the tag set after it
    kinds = [r.endpoint for r in requests]
    delete_at = kinds.index("runs/delete-tag")
    assert orjson.loads(requests[delete_at + 1].body)["tags"] == [{"key": "t0", "value": "again"}]
    delete_op = len(ops) - 3
    assert requests[delete_at].ops == [delete_op]
    assert all(r.ops[-1] < delete_op for r in requests[:delete_at])
    assert all(r.ops[0] > delete_op for r in requests[delete_at + 1:])
    # 2500 metrics + 1500 singles need at least 4 requests; 250 params at least 3
    assert len(log_batches) >= 5
    # every request names the operations it carries; the run's end goes out last
    assert requests[0].ops == [0] and requests[-1].ops == [len(ops) - 1]
    assert requests[-1].endpoint == "runs/update"
    assert orjson.loads(requests[-1].body) == {
        "run_id": RUN_ID, "status": "KILLED", "end_time": 1_700_000_009_000}


def test_packing_splits_by_size_even_with_escapes():
    from aiomlflow.transports.rest.packing import MAX_REQUEST_BYTES, pack
    from aiomlflow.batches import BATCH

    params = [(f"p{i}", "é" * 6000) for i in range(100)]         # 2 bytes a char
    tags = [(f"t{i}", "\x01" * 8000) for i in range(100)]          # \u0001: 6 bytes a char
    requests = pack(RUN_ID, [(1, BATCH, RUN_ID, (), params, tags)])
    assert len(requests) > 2
    assert all(len(r.body) <= MAX_REQUEST_BYTES for r in requests)
    assert [(p["key"], p["value"]) for p in _entries(requests, "params")] == params
    assert [(t["key"], t["value"]) for t in _entries(requests, "tags")] == tags


def test_repeated_param_key_starts_a_new_request():
    from aiomlflow.transports.rest.packing import pack
    from aiomlflow.batches import PARAM

    ops = [(1, PARAM, RUN_ID, "a", "1"), (2, PARAM, RUN_ID, "b", "1"),
           (3, PARAM, RUN_ID, "a", "2")]
    requests = pack(RUN_ID, ops)
    assert [r.ops for r in requests] == [[0, 1], [2]]


def test_non_finite_metrics_are_sent_as_mlflows_client_sends_them(mlflow, fake):
    client = mlflow.MlflowClient()
    client.log_batch(RUN_ID, metrics=[
        mlflow.entities.Metric("nan", math.nan, 1, 0),
        mlflow.entities.Metric("inf", math.inf, 1, 0),
        mlflow.entities.Metric("ninf", -math.inf, 1, 0),
        mlflow.entities.Metric("one", 1.0, 1, 0)])
    (body,) = _log_batch_entries(fake)
    assert [m["value"] for m in body["metrics"]] == ["NaN", "Infinity", "-Infinity", 1.0]


def test_big_log_batch_goes_out_in_limited_requests_in_order(mlflow, fake):
    client = mlflow.MlflowClient()
    metrics = [mlflow.entities.Metric(f"m{i % 3}", float(i), 1000 + i, i) for i in range(2500)]
    params = [mlflow.entities.Param(f"p{i}", str(i)) for i in range(250)]
    client.log_batch(RUN_ID, metrics=metrics, params=params)
    bodies = _log_batch_entries(fake)
    for body in bodies:
        assert body["run_id"] == RUN_ID
        assert len(body.get("metrics", ())) <= 1000 and len(body.get("params", ())) <= 100
        assert sum(len(body.get(k, ())) for k in ("metrics", "params", "tags")) <= 1000
    sent = [m for b in bodies for m in b.get("metrics", ())]
    assert [(m["key"], m["value"], m["timestamp"], m["step"]) for m in sent] == [
        (m.key, m.value, m.timestamp, m.step) for m in metrics]
    assert [p["key"] for b in bodies for p in b.get("params", ())] == [p.key for p in params]


def test_async_metrics_pack_into_few_requests(mlflow, fake):
    client = mlflow.MlflowClient()
    for i in range(5000):
        client.log_metric(RUN_ID, "m", float(i), step=i, timestamp=7, synchronous=False)
    mlflow.flush_async_logging()
    bodies = _log_batch_entries(fake)
    assert all(len(b["metrics"]) <= 1000 for b in bodies)
    assert len(bodies) <= 10
    assert [m["step"] for b in bodies for m in b["metrics"]] == list(range(5000))


# --------------------------------------------------------------------------- real server


@pytest.fixture
def transport_rest(mlflow, rest_server):
    """The session's real mlflow server, emptied, as the tracking URI."""
    reset_server_store(rest_server)
    mlflow.set_tracking_uri(rest_server.url)
    return rest_server.url


@pytest.fixture
def real_client(real_mlflow, transport_rest):
    return real_mlflow.MlflowClient(tracking_uri=transport_rest)


def test_param_conflict_fails_only_the_conflicting_operation(mlflow, transport_rest):
    client = mlflow.MlflowClient()
    run_id = client.create_run("0").info.run_id
    client.log_param(run_id, "lr", "0.1")
    handles = [client.log_metric(run_id, "m", 1.0, step=0, synchronous=False),
               client.log_param(run_id, "lr", "0.2", synchronous=False),
               client.log_batch(run_id, params=[mlflow.entities.Param("bs", "32"),
                                                mlflow.entities.Param("lr", "0.3")],
                                synchronous=False),
               client.log_param(run_id, "opt", "adam", synchronous=False),
               client.log_metric(run_id, "m", 2.0, step=1, synchronous=False)]
    errors = []
    for handle in handles:
        try:
            handle.wait()
            errors.append(None)
        except mlflow.MlflowException as exc:
            errors.append(exc)
    assert errors[0] is None and errors[3] is None and errors[4] is None
    assert errors[1].error_code == "INVALID_PARAMETER_VALUE"
    assert errors[1].message.startswith("INVALID_PARAMETER_VALUE: Changing param values is not "
                                        "allowed. Param with key='lr' was already logged with "
                                        "value='0.1'")
    assert errors[2].message.startswith("INVALID_PARAMETER_VALUE: Changing param values is not "
                                        "allowed. Params were already logged=")
    with contextlib.suppress(mlflow.MlflowException):
        mlflow.flush_async_logging()
    run = client.get_run(run_id)
    assert run.data.params == {"lr": "0.1", "opt": "adam"}
    assert [m.value for m in client.get_metric_history(run_id, "m")] == [1.0, 2.0]


def test_deleted_run_fails_all_its_operations_with_one_request_each(mlflow, transport_rest):
    client = mlflow.MlflowClient()
    run_id = client.create_run("0").info.run_id
    client.delete_run(run_id)
    for i in range(3000):
        client.log_metric(run_id, "m", float(i), step=i, synchronous=False)
    with pytest.raises(mlflow.MlflowException, match="must be in the 'active' state") as info:
        mlflow.flush_async_logging()
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "2999 other" in info.value.message


def test_aiomlflow_logs_and_real_mlflow_reads_identically(mlflow, transport_rest, real_client):
    client = mlflow.MlflowClient()
    exp_id = client.create_experiment("interop", tags={"team": "ml"})
    run = client.create_run(exp_id, start_time=1_700_000_000_000, run_name="ours",
                            tags={"k": "v"})
    run_id = run.info.run_id
    for i in range(30):
        client.log_metric(run_id, "loss", 1.0 / (i + 1), step=i, timestamp=1_700_000_000_000 + i,
                          synchronous=False)
    client.log_batch(run_id, metrics=[mlflow.entities.Metric("nan", math.nan, 5, 1),
                                      mlflow.entities.Metric("inf", math.inf, 5, 1)],
                     params=[mlflow.entities.Param("lr", "0.01")],
                     tags=[mlflow.entities.RunTag("stage", "dev")])
    client.set_tag(run_id, "gone", "x")
    client.delete_tag(run_id, "gone")
    client.set_terminated(run_id, "FINISHED", end_time=1_700_000_100_000)
    mlflow.flush_async_logging()

    theirs = real_client.get_run(run_id)
    ours = client.get_run(run_id)
    assert theirs.info.to_proto() is not None  # a real mlflow entity
    for field in ("run_id", "experiment_id", "status", "start_time", "end_time", "run_name",
                  "lifecycle_stage", "artifact_uri", "user_id"):
        assert getattr(ours.info, field) == getattr(theirs.info, field), field
    assert ours.data.params == theirs.data.params == {"lr": "0.01"}
    assert ours.data.tags == theirs.data.tags
    assert "gone" not in theirs.data.tags and theirs.data.tags["stage"] == "dev"
    assert set(ours.data.metrics) == set(theirs.data.metrics) == {"loss", "nan", "inf"}
    assert math.isnan(theirs.data.metrics["nan"])
    assert theirs.data.metrics["inf"] == ours.data.metrics["inf"]
    history = [(m.value, m.timestamp, m.step) for m in real_client.get_metric_history(run_id, "loss")]
    assert history == [(m.value, m.timestamp, m.step)
                       for m in client.get_metric_history(run_id, "loss")]
    assert [h[2] for h in history] == list(range(30))
    assert real_client.get_experiment(exp_id).tags == {"team": "ml"}


def test_real_mlflow_logs_and_aiomlflow_reads_identically(mlflow, transport_rest, real_client,
                                                           real_mlflow):
    Metric, Param, RunTag = (real_mlflow.entities.Metric, real_mlflow.entities.Param,
                             real_mlflow.entities.RunTag)
    exp_id = real_client.create_experiment("theirs", tags={"owner": "bob"})
    run = real_client.create_run(exp_id, run_name="theirs", tags={"a": "b"})
    run_id = run.info.run_id
    real_client.log_batch(run_id, metrics=[Metric("acc", i / 10, 1000 + i, i) for i in range(10)]
                          + [Metric("nan", math.nan, 3, 0)],
                          params=[Param("depth", "5")], tags=[RunTag("x", "y")])
    real_client.set_terminated(run_id, "FAILED")

    client = mlflow.MlflowClient()
    ours, theirs = client.get_run(run_id), real_client.get_run(run_id)
    for field in ("run_id", "experiment_id", "status", "start_time", "end_time", "run_name",
                  "lifecycle_stage", "artifact_uri", "user_id"):
        assert getattr(ours.info, field) == getattr(theirs.info, field), field
    assert ours.data.params == theirs.data.params
    assert ours.data.tags == theirs.data.tags
    assert ours.data.metrics.keys() == theirs.data.metrics.keys()
    assert math.isnan(ours.data.metrics["nan"])
    assert [(m.key, m.value, m.timestamp, m.step) for m in client.get_metric_history(run_id, "acc")] \
        == [(m.key, m.value, m.timestamp, m.step) for m in real_client.get_metric_history(run_id, "acc")]
    exp = client.get_experiment_by_name("theirs")
    assert (exp.experiment_id, exp.tags) == (exp_id, {"owner": "bob"})
    # and aiomlflow appends to mlflow's run, which mlflow then sees
    client.log_metric(run_id, "acc", 2.0, step=10, timestamp=2000)
    assert real_client.get_run(run_id).data.metrics["acc"] == 2.0


def test_search_passes_filters_and_order_through(mlflow, transport_rest, real_client):
    client = mlflow.MlflowClient()
    exp_id = client.create_experiment("search")
    ids = []
    for i in range(12):
        run = client.create_run(exp_id, start_time=1000 + i, tags={"parity": str(i % 2)})
        client.log_metric(run.info.run_id, "score", float(i % 5), step=0, timestamp=1)
        client.log_param(run.info.run_id, "i", str(i))
        ids.append(run.info.run_id)
    filter_string = "tags.parity = '0' and metrics.score >= 1"
    order_by = ["metrics.score DESC", "params.i ASC"]
    ours = client.search_runs([exp_id], filter_string, order_by=order_by, max_results=3)
    theirs = real_client.search_runs([exp_id], filter_string, order_by=order_by, max_results=3)
    assert [r.info.run_id for r in ours] == [r.info.run_id for r in theirs]
    assert ours.token and ours.token == theirs.token
    page2 = client.search_runs([exp_id], filter_string, order_by=order_by, max_results=3,
                               page_token=ours.token)
    assert [r.info.run_id for r in page2] == [
        r.info.run_id for r in real_client.search_runs([exp_id], filter_string,
                                                       order_by=order_by, max_results=3,
                                                       page_token=theirs.token)]
    # the fluent API without a limit reads every page
    mlflow.set_experiment(experiment_id=exp_id)
    assert len(mlflow.search_runs(output_format="list")) == 12
    assert [e.name for e in client.search_experiments(filter_string="name = 'search'")] == [
        "search"]
    assert [e.experiment_id for e in client.search_experiments(order_by=["name ASC"])] == [
        e.experiment_id for e in real_client.search_experiments(order_by=["name ASC"])]


def test_metric_history_bulk_over_rest(mlflow, transport_rest):
    client = mlflow.MlflowClient()
    runs = [client.create_run("0").info.run_id for _ in range(3)]
    for n, run_id in enumerate(runs):
        for step in range(4):
            client.log_metric(run_id, "m", float(n * 10 + step), step=step, timestamp=step)
    bulk = client.get_metric_history_bulk(runs + [RUN_ID], "m")
    assert [(m.run_id, m.step) for m in bulk] == [(r, s) for r in sorted(runs) for s in range(4)]
    assert len(client.get_metric_history_bulk(runs, "m", max_results=6)) == 6
