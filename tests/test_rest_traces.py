"""The REST transport's trace methods against a real ``mlflow server`` (3.17.2).

One server per module (SQLite store, proxied artifacts, so trace artifact locations are
``mlflow-artifacts:/``).  Traces are built by hand as Span/TraceInfo entities, written
through ``RestTransport.write_traces`` and read back by real mlflow's client; traces
written by real mlflow (``@mlflow.trace`` in a subprocess) are read by our transport and
compared with real mlflow's own reading.  A small recording proxy in front of the server
checks the wire (paths, headers, bodies) and injects transient errors.

aiomlflow only (the transport is ours).
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
import uuid

import pytest

from conftest import IS_MLFLOW, free_port, reset_server_store

pytestmark = pytest.mark.skipif(IS_MLFLOW, reason="tests of aiomlflow's REST transport")

FAST_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
}
TRACE_OP = 7  # batches.TRACE
UNKNOWN_TRACE = "tr-00000000000000000000000000000000"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def server(artifacts_server):
    """The session's server that proxies artifacts (trace data goes to
    ``mlflow-artifacts:/``), its store emptied for this module."""
    reset_server_store(artifacts_server)
    return artifacts_server


@pytest.fixture(autouse=True)
def _no_mlflow_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("MLFLOW_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def real(server):
    import mlflow

    return mlflow.MlflowClient(tracking_uri=server.url)


@pytest.fixture
def experiment(real):
    return real.create_experiment(f"traces-{uuid.uuid4().hex[:8]}")


def with_transport(url, fn):
    """Run ``await fn(transport)`` with a fresh RestTransport to ``url``."""
    from aiomlflow.transports.rest.transport import RestTransport

    async def main():
        transport = RestTransport(url)
        await transport.open()
        try:
            return await fn(transport)
        finally:
            await transport.close()

    return asyncio.run(main())


def write(url, traces, patch=None):
    """write_traces of TRACE ops for ``traces``; returns {seq: error}."""
    ops = [(seq, TRACE_OP, None, trace) for seq, trace in enumerate(traces, 1)]

    async def fn(transport):
        if patch is not None:
            patch(transport)
        return await transport.write_traces(ops)

    return dict(with_transport(url, fn))


# --------------------------------------------------------------------------- hand-built traces


def make_trace(experiment_id, *, name="agent", root_error=False, big=False, run_id=None,
               start_ns=None, unicode=True):
    """A finished trace as the engine hands it over: a root AGENT span, a RETRIEVER child,
    an LLM child with a TOOL grandchild that has an event, a child that raised (ERROR,
    ``exception`` event), unicode and odd attribute values; info with the metadata and
    tags MLflow's client sets (all but the size stats)."""
    from aiomlflow.entities.span import Span, dump_attribute_value as _dump
    from aiomlflow.entities.span_event import SpanEvent
    from aiomlflow.entities.span_status import SpanStatus
    from aiomlflow.entities.trace import Trace
    from aiomlflow.entities.trace_data import TraceData
    from aiomlflow.entities.trace_info import TraceInfo
    from aiomlflow.entities.trace_location import TraceLocation

    def text(value: str) -> str:
        return value if unicode else value.encode("ascii", "ignore").decode()

    def plain(value):  # every string of a value, ASCII only unless ``unicode``
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    def dump(value):
        return _dump(plain(value))

    trace_id = "tr-" + os.urandom(16).hex()
    t0 = start_ns or time.time_ns()
    ids = [os.urandom(8).hex() for _ in range(5)]
    ms = 1_000_000

    def attributes(span_type, level, inputs=None, outputs=None, function=None, **extra):
        out = {"mlflow.traceRequestId": dump(trace_id), "mlflow.spanType": dump(span_type)}
        out.update({key: dump(value) for key, value in extra.items()})
        if function is not None:
            out["mlflow.spanFunctionName"] = dump(function)
        if inputs is not None:
            out["mlflow.spanInputs"] = dump(inputs)
        if outputs is not None:
            out["mlflow.spanOutputs"] = dump(outputs)
        out["mlflow.spanLogLevel"] = dump(level)
        return out

    question = text("Quelle est la capitale du Japon ? 日本の首都は？ ✓ \"quoted\" \\ back")
    if big:
        question += " " + "x" * 300_000
    answer = plain({"choices": [{"message": {"role": "assistant", "content": "東京 (Tokyo) 🗼"}}]})
    ok, error = SpanStatus("OK"), SpanStatus("ERROR", text("ValueError: bad input ✗"))
    stack = text("Traceback (most recent call last):\n  File \"agent.py\", line 3, in tool\n"
             "    raise ValueError(\"bad input ✗\")\nValueError: bad input ✗")
    spans = [
        Span(trace_id, ids[0], None, name, t0, t0 + 42 * ms + 123_456,
             error if root_error else ok,
             attributes("AGENT", 40 if root_error else 20,
                        inputs={"question": question, "k": 5, "opts": {}},
                        outputs=None if root_error else answer, function="agent",
                        custom={"nested": [1, 2.5, None, True, "s"], "empty": []}),
             events=[SpanEvent("exception", t0 + 40 * ms, {
                 "exception.message": text("bad input ✗"), "exception.type": "ValueError",
                 "exception.stacktrace": stack})] if root_error else None),
        Span(trace_id, ids[1], ids[0], "retrieve", t0 + 1 * ms, t0 + 5 * ms, ok,
             attributes("RETRIEVER", 20, inputs={"query": "capitale"},
                        outputs=[{"page_content": "Tokyo est la capitale.",
                                  "metadata": {"score": 0.875, "doc_uri": "s3://b/1"}}],
                        top_k=3, temperature=0.0, flags=[True, False], nothing=None,
                        big_int=2 ** 62, neg=-7, ratio=1e-300, empty_string="")),
        Span(trace_id, ids[2], ids[0], "llm_call", t0 + 6 * ms, t0 + 30 * ms, ok,
             attributes("LLM", 20,
                        inputs={"messages": [{"role": "user", "content": question[:80]}]},
                        outputs=answer, model="gpt-x", temperature=0.5)),
        Span(trace_id, ids[3], ids[2], "tool", t0 + 7 * ms, t0 + 9 * ms, ok,
             attributes("TOOL", 20, inputs={"a": 3, "b": 1}, outputs=4, function="add"),
             events=[SpanEvent("my_event", t0 + 8 * ms,
                               {"ek": text("ev ✓"), "n": 3, "f": 0.25, "b": True,
                                "lst": ["a", "b"]})]),
        Span(trace_id, ids[4], ids[0], "failing", t0 + 31 * ms, t0 + 33 * ms, error,
             attributes("UNKNOWN", 40, inputs={"x": 5}, function="failing"),
             events=[SpanEvent("exception", t0 + 32 * ms, {
                 "exception.message": text("bad input ✗"), "exception.type": "ValueError",
                 "exception.stacktrace": stack})]),
    ]
    root = spans[0]
    inputs_json = root._raw_attribute("mlflow.spanInputs")
    outputs_json = root._raw_attribute("mlflow.spanOutputs") or ""
    metadata = {
        "mlflow.trace_schema.version": "3",
        "mlflow.user": "alice",
        "mlflow.source.name": "agent.py",
        "mlflow.source.type": "LOCAL",
        "mlflow.source.git.commit": "",
        "mlflow.traceInputs": inputs_json if len(inputs_json) <= 250 else inputs_json[:247] + "...",
        "mlflow.traceOutputs": outputs_json,
        "app.version": text("1.2 ✓"),
    }
    if run_id is not None:
        metadata["mlflow.sourceRun"] = run_id
    info = TraceInfo(
        trace_id=trace_id, trace_location=TraceLocation.from_experiment_id(experiment_id),
        request_time=t0 // ms, state="ERROR" if root_error else "OK",
        request_preview=question[:997] + "..." if len(question) > 1000 else question,
        response_preview=None if root_error else text("東京 (Tokyo) 🗼"),
        client_request_id="req-" + trace_id[-6:],
        execution_duration=(root.end_time_ns - root.start_time_ns) // ms,
        trace_metadata=metadata, tags={"mlflow.traceName": name, "fruit": text("pomme ✓")})
    # the engine's order: spans as they ended (children first)
    return Trace(info, TraceData([spans[3], spans[1], spans[2], spans[4], spans[0]]))


def by_span_id(spans) -> dict:
    return {span.span_id: span.to_dict() for span in spans}


SERVER_TAGS = {"mlflow.trace.spansLocation", "mlflow.artifactLocation"}


def assert_stored_as_written(theirs, ours):
    """``theirs`` (read by real mlflow) holds exactly what ``ours`` (written) held."""
    assert theirs.info.trace_id == ours.info.trace_id
    assert theirs.info.experiment_id == ours.info.experiment_id
    assert theirs.info.state.value == ours.info.state.value
    assert theirs.info.request_time == ours.info.request_time
    assert theirs.info.execution_duration == ours.info.execution_duration
    assert theirs.info.request_preview == ours.info.request_preview
    assert theirs.info.response_preview == ours.info.response_preview
    assert theirs.info.client_request_id == ours.info.client_request_id
    assert {k: v for k, v in theirs.info.tags.items() if k not in SERVER_TAGS} == ours.info.tags
    assert theirs.info.tags["mlflow.artifactLocation"].endswith(
        f"/traces/{ours.info.trace_id}/artifacts")
    expected = {k: v[:250] for k, v in ours.info.trace_metadata.items()}
    assert theirs.info.trace_metadata == {**expected, "mlflow.trace.infoFinalized": "true"}
    # spans: identical dict forms (ids, parents, names, times, status, events, attributes)
    assert by_span_id(theirs.data.spans) == by_span_id(ours.data.spans)
    assert theirs.data.spans[0].parent_id is None  # root first, as stores order them


# --------------------------------------------------------------------------- size stats


def test_size_stats_match_real_mlflows_for_ascii_and_count_spans_exactly(experiment):
    from mlflow.entities import Trace as RealTrace
    from mlflow.tracing.utils import add_size_stats_to_trace_metadata

    from aiomlflow.traces import SIZE_BYTES, SIZE_STATS, add_size_stats

    trace = make_trace(experiment, unicode=False)  # MLflow measures \u-escaped JSON
    texts = add_size_stats(trace)
    assert texts == [json.dumps(s.to_dict(), ensure_ascii=False) for s in trace.data.spans]
    stats = json.loads(trace.info.trace_metadata[SIZE_STATS])
    assert stats["num_spans"] == 5
    assert stats["max"] == max(len(t.encode()) for t in texts)
    assert trace.info.trace_metadata[SIZE_BYTES] == str(stats["total_size_bytes"])

    theirs = RealTrace.from_dict(trace.to_dict())
    del theirs.info.trace_metadata[SIZE_STATS], theirs.info.trace_metadata[SIZE_BYTES]
    add_size_stats_to_trace_metadata(theirs)
    assert json.loads(theirs.info.trace_metadata[SIZE_STATS]) == stats
    assert theirs.info.trace_metadata[SIZE_BYTES] == trace.info.trace_metadata[SIZE_BYTES]

    # measured afresh when sent again; no spans, no stats
    assert add_size_stats(trace) == texts
    trace.data.spans = []
    assert add_size_stats(trace) == [] and SIZE_STATS not in trace.info.trace_metadata


# --------------------------------------------------------------------------- aiomlflow writes


def test_written_traces_read_identically_by_real_mlflow(server, real, experiment):
    run_id = real.create_run(experiment).info.run_id
    t0 = time.time_ns()
    traces = [make_trace(experiment, run_id=run_id, start_ns=t0),
              make_trace(experiment, name="boom", root_error=True, start_ns=t0 + 10 ** 9)]
    assert write(server.url, traces) == {}
    for ours in traces:
        theirs = real.get_trace(ours.info.trace_id)
        assert_stored_as_written(theirs, ours)
        assert theirs.info.tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    # decoded values, as users see them
    theirs = real.get_trace(traces[0].info.trace_id)
    spans = {s.name: s for s in theirs.data.spans}
    assert spans["agent"].inputs["k"] == 5 and spans["agent"].inputs["opts"] == {}
    assert spans["agent"].outputs["choices"][0]["message"]["content"] == "東京 (Tokyo) 🗼"
    assert spans["retrieve"].attributes["nothing"] is None
    assert spans["retrieve"].attributes["big_int"] == 2 ** 62
    assert spans["retrieve"].attributes["empty_string"] == ""
    assert spans["tool"].parent_id == spans["llm_call"].span_id
    assert spans["tool"].events[0].attributes == {"ek": "ev ✓", "n": 3, "f": 0.25, "b": True,
                                                  "lst": ["a", "b"]}
    assert spans["failing"].status.status_code.value == "ERROR"
    assert spans["failing"].status.description == "ValueError: bad input ✗"
    assert spans["failing"].events[0].name == "exception"
    assert spans["failing"].outputs is None
    # the server stored each span's JSON text exactly as the SQLite transport would
    db = sqlite3.connect(server.db_path)
    try:
        stored = dict(db.execute("SELECT span_id, content FROM spans WHERE trace_id = ?",
                                 (traces[0].info.trace_id,)))
    finally:
        db.close()
    assert stored == {s.span_id: json.dumps(s.to_dict(), ensure_ascii=False)
                      for s in traces[0].data.spans}
    # search (with spans) finds both, newest first
    found = real.search_traces(locations=[experiment])
    assert [t.info.trace_id for t in found] == [t.info.trace_id for t in traces[::-1]]
    assert by_span_id(found[0].data.spans) == by_span_id(traces[1].data.spans)
    found = real.search_traces(locations=[experiment], filter_string="trace.status = 'ERROR'")
    assert [t.info.trace_id for t in found] == [traces[1].info.trace_id]
    found = real.search_traces(locations=[experiment],
                               filter_string=f"metadata.mlflow.sourceRun = '{run_id}'")
    assert [t.info.trace_id for t in found] == [traces[0].info.trace_id]


def test_large_inputs_and_many_traces_in_one_call(server, real, experiment):
    traces = [make_trace(experiment, big=True)] + [make_trace(experiment, name=f"t{i}")
                                                   for i in range(12)]
    assert write(server.url, traces) == {}
    big = real.get_trace(traces[0].info.trace_id)
    assert_stored_as_written(big, traces[0])
    assert len(big.data.spans[0].inputs["question"]) > 300_000
    assert len(real.search_traces(locations=[experiment], max_results=50)) == 13


def test_wire_shape_and_transient_errors_are_retried(server, real, experiment, monkeypatch):
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    proxy = Proxy(server.url, fail={"/v1/traces": [503], "/api/3.0/mlflow/traces": [429, 500]})
    with proxy:
        trace = make_trace(experiment)
        assert write(proxy.url, [trace]) == {}
    paths = [(method, path) for method, path, _, _ in proxy.requests]
    assert paths == [("POST", "/v1/traces")] * 2 + [("POST", "/api/3.0/mlflow/traces")] * 3
    _, _, headers, body = proxy.requests[1]
    assert headers["x-mlflow-experiment-id"] == experiment
    assert headers["Content-Type"] == "application/json"
    spans = body["resourceSpans"][0]["scopeSpans"][0]["spans"]
    assert {s["spanId"] for s in spans} == {s.span_id for s in trace.data.spans}
    root = next(s for s in spans if "parentSpanId" not in s)
    assert root["traceId"] == trace.info.trace_id[3:]
    assert root["attributes"][0] == {"key": "mlflow.traceRequestId",
                                     "value": {"stringValue": trace.info.trace_id}}
    assert {"key": "mlflow.spanLogLevel", "value": {"intValue": "20"}} in root["attributes"]
    _, _, _, body = proxy.requests[-1]
    info = body["trace"]["trace_info"]
    assert info["trace_id"] == trace.info.trace_id
    assert info["trace_location"] == {"type": "MLFLOW_EXPERIMENT",
                                      "mlflow_experiment": {"experiment_id": experiment}}
    assert info["execution_duration"] == "0.042s" and "execution_duration_ms" not in info
    assert json.loads(info["trace_metadata"]["mlflow.trace.sizeStats"])["num_spans"] == 5
    assert_stored_as_written(real.get_trace(trace.info.trace_id), trace)


def test_unreachable_server_fails_the_traces_clearly(monkeypatch, experiment):
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    url = f"http://127.0.0.1:{free_port()}"
    traces = [make_trace(experiment), make_trace(experiment)]
    failures = write(url, traces)
    assert set(failures) == {1, 2}
    error = failures[1]
    assert error.error_code == "TEMPORARILY_UNAVAILABLE"
    assert error.message.startswith(f"Trace {traces[0].info.trace_id} could not be logged to "
                                    f"{url}: uploading its spans failed after 2 retries")


def test_one_bad_trace_fails_alone(server, real, experiment):
    good, bad, other = make_trace(experiment), make_trace("999999"), make_trace(experiment)
    later = make_trace(experiment)

    async def calls(transport):
        first = dict(await transport.write_traces(
            [(1, TRACE_OP, None, good), (2, TRACE_OP, None, bad), (3, TRACE_OP, None, other)]))
        # the unknown experiment's 404 did not make the transport give up on OTLP
        return first, await transport.write_traces([(4, TRACE_OP, None, later)])

    failures, later_failures = with_transport(server.url, calls)
    assert set(failures) == {2} and later_failures == []
    assert failures[2].error_code == "RESOURCE_DOES_NOT_EXIST"
    assert failures[2].message == (
        f"Trace {bad.info.trace_id} could not be logged to {server.url}: storing its trace "
        "info failed: RESOURCE_DOES_NOT_EXIST: No Experiment with id=999999 exists")
    for trace in (good, other, later):
        theirs = real.get_trace(trace.info.trace_id)
        assert_stored_as_written(theirs, trace)
        assert theirs.info.tags["mlflow.trace.spansLocation"] == "TRACKING_STORE"
    assert not list(server.artifacts_destination.rglob(f"{later.info.trace_id}/**/traces.json"))


def test_spans_the_server_refuses_go_to_traces_json(server, real, experiment, monkeypatch):
    """A trace whose OTLP upload is refused (a 400 here) is stored as real mlflow stores
    it then: trace info in the database, spans in traces.json at its artifact location,
    which real mlflow and our transport both read; the other traces are unaffected."""
    from aiomlflow.transports.rest.client import RestError

    refused, fine = make_trace(experiment), make_trace(experiment)
    marker = refused.info.trace_id[3:].encode()

    def patch(transport):
        send = transport._otlp

        async def otlp(experiment_id, span_lists):
            if any(marker in spans for spans in span_lists):
                raise RestError("API request to endpoint /v1/traces failed with error code "
                                "400 != 200. Response body: 'refused'", "BAD_REQUEST", 400)
            return await send(experiment_id, span_lists)

        transport._otlp = otlp

    assert write(server.url, [refused, fine], patch) == {}
    # mlflow's artifact repository resolves mlflow-artifacts:/ against the *global* URI
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    theirs = real.get_trace(refused.info.trace_id)
    assert "mlflow.trace.spansLocation" not in theirs.info.tags
    assert by_span_id(theirs.data.spans) == by_span_id(refused.data.spans)
    files = list((server.artifacts_destination / experiment).rglob("traces.json"))
    assert [f.parent.parent.name for f in files] == [refused.info.trace_id]
    assert real.get_trace(fine.info.trace_id).info.tags["mlflow.trace.spansLocation"] \
        == "TRACKING_STORE"
    # our reads: artifact-backed and database-backed traces together, in the order asked
    got = with_transport(server.url, lambda t: t.get_traces(
        [refused.info.trace_id, UNKNOWN_TRACE, fine.info.trace_id]))
    assert [t.info.trace_id for t in got] == [refused.info.trace_id, fine.info.trace_id]
    assert got[0].data.to_dict() == theirs.data.to_dict()
    assert got[0].info.to_dict() == theirs.info.to_dict()


# --------------------------------------------------------------------------- real mlflow writes

REAL_SCRIPT = textwrap.dedent("""
    import json, sys
    import mlflow
    from mlflow.entities import SpanType

    mlflow.set_tracking_uri(sys.argv[1])
    mlflow.set_experiment(experiment_id=sys.argv[2])

    @mlflow.trace(span_type=SpanType.TOOL)
    def add(a, b):
        return a + b

    @mlflow.trace
    def failing(x):
        raise ValueError("bad ✗ " + str(x))

    @mlflow.trace(name="root_fn", attributes={"k": "v", "n": 1.5})
    def root(question):
        with mlflow.start_span("inner", span_type="CHAIN") as span:
            span.set_inputs({"q": question})
            span.add_event(mlflow.entities.SpanEvent("evt", attributes={"a": 1, "b": "ü"}))
            y = add(len(question), 1)
            span.set_outputs({"y": y, "list": [1, None, {"z": "日本"}]})
        try:
            failing(y)
        except ValueError:
            pass
        mlflow.update_current_trace(tags={"fruit": "pomme"}, metadata={"app.version": "1.2"},
                                    client_request_id="req-1")
        return {"answer": "東京", "n": y * 2}

    @mlflow.trace
    def crash():
        raise RuntimeError("root fail")

    ids = []
    with mlflow.start_run() as run:
        root("Quelle heure est-il ? ✓ " + "x" * 2000)
        ids.append(mlflow.get_last_active_trace_id())
    try:
        crash()
    except RuntimeError:
        pass
    ids.append(mlflow.get_last_active_trace_id())
    mlflow.flush_trace_async_logging()
    print(json.dumps({"ids": ids, "run_id": run.info.run_id}))
""")


@pytest.fixture(scope="module")
def real_traces(server, real, tmp_path_factory):
    """Traces logged by real mlflow (``@mlflow.trace``) to the server, in a subprocess."""
    experiment = real.create_experiment("real-traces")
    script = tmp_path_factory.mktemp("real") / "log_traces.py"
    script.write_text(REAL_SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    out = subprocess.run([sys.executable, str(script), server.url, experiment], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return experiment, result["ids"], result["run_id"]


def test_real_mlflows_traces_read_by_us_as_real_mlflow_reads_them(server, real, real_traces,
                                                                  monkeypatch):
    experiment, ids, run_id = real_traces
    # (should real mlflow's async upload have fallen back to traces.json: its artifact
    # repository resolves mlflow-artifacts:/ against the global tracking URI)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.url)
    theirs = [real.get_trace(trace_id) for trace_id in ids]

    ours = with_transport(server.url, lambda t: t.get_traces(ids))
    assert [t.info.trace_id for t in ours] == ids
    for mine, real_trace in zip(ours, theirs):
        assert mine.to_dict() == real_trace.to_dict()
        assert [s.span_id for s in mine.data.spans] == [s.span_id for s in real_trace.data.spans]
    spans = {s.name: s for s in ours[0].data.spans}
    assert spans["add"].inputs == {"a": 2024, "b": 1} and spans["add"].span_type == "TOOL"
    assert spans["inner"].outputs == {"y": 2025, "list": [1, None, {"z": "日本"}]}
    assert spans["inner"].events[0].attributes == {"a": 1, "b": "ü"}
    assert spans["failing"].events[0].attributes["exception.type"] == "ValueError"
    assert ours[0].info.trace_metadata["mlflow.sourceRun"] == run_id
    assert ours[0].info.tags["fruit"] == "pomme"
    assert ours[1].info.state.value == "ERROR"

    async def reads(transport):
        infos = [await transport.get_trace_info(trace_id) for trace_id in ids]
        return infos, await transport.search_traces(_search(experiment, max_results=10))

    infos, (found, token) = with_transport(server.url, reads)
    assert [i.to_dict() for i in infos] == [t.info.to_dict() for t in theirs]
    assert [i.trace_id for i in found] == ids[::-1] and token is None
    assert [i.to_dict() for i in found] == [t.info.to_dict() for t in theirs[::-1]]


def _search(experiment, **kwargs):
    from aiomlflow.searches import TraceSearch

    args = dict(experiment_ids=(experiment,), filter_string=None, max_results=100,
                order_by=(), page_token=None)
    args.update(kwargs)
    return TraceSearch(**args)


def test_search_filters_order_and_pages(server, real, experiment):
    t0 = time.time_ns() - 10 * 60 * 10 ** 9
    traces = [make_trace(experiment, name=f"n{i}", start_ns=t0 + i * 10 ** 9,
                         root_error=(i == 3)) for i in range(5)]
    assert write(server.url, traces) == {}
    ids = [t.info.trace_id for t in traces]

    async def searches(transport):
        pages, token = [], None
        while True:
            page, token = await transport.search_traces(
                _search(experiment, max_results=2, page_token=token, order_by=("name ASC",)))
            pages.append([i.trace_id for i in page])
            if token is None:
                return pages, (
                    await transport.search_traces(_search(
                        experiment, filter_string="trace.status = 'ERROR'")),
                    await transport.search_traces(_search(
                        experiment, filter_string="tags.fruit = 'pomme ✓' AND name = 'n1'")))

    pages, (errors, named) = with_transport(server.url, searches)
    assert pages == [ids[0:2], ids[2:4], ids[4:]]
    assert [i.trace_id for i in errors[0]] == [ids[3]]
    assert [i.trace_id for i in named[0]] == [ids[1]]
    theirs = real.search_traces(locations=[experiment], filter_string="trace.status = 'ERROR'",
                                include_spans=False)
    assert [t.info.to_dict() for t in theirs] == [i.to_dict() for i in errors[0]]

    # a bad filter is the server's error
    with pytest.raises(Exception) as info:
        with_transport(server.url, lambda t: t.search_traces(
            _search(experiment, filter_string="nonsense ~~ 1")))
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "Invalid attribute key 'nonsense'" in info.value.message


# --------------------------------------------------------------------------- tags, deletes, errors


def test_tags_delete_and_link(server, real, experiment):
    traces = [make_trace(experiment) for _ in range(3)]
    assert write(server.url, traces) == {}
    ids = [t.info.trace_id for t in traces]
    run_id = real.create_run(experiment).info.run_id

    async def calls(transport):
        await transport.set_trace_tag(ids[0], "color", "rouge ✓")
        await transport.set_trace_tag(ids[0], "gone", "x")
        await transport.delete_trace_tag(ids[0], "gone")
        await transport.link_traces_to_run(ids[:2], run_id)
        return await transport.delete_traces(experiment, None, None, [ids[2], UNKNOWN_TRACE])

    assert with_transport(server.url, calls) == 1
    tags = real.get_trace(ids[0]).info.tags
    assert tags["color"] == "rouge ✓" and "gone" not in tags
    linked = real.search_traces(locations=[experiment],
                                filter_string=f"trace.run_id = '{run_id}'")
    assert sorted(t.info.trace_id for t in linked) == sorted(ids[:2])
    with pytest.raises(Exception, match="not found"):
        real.get_trace(ids[2])
    # by time: everything older than now
    deleted = with_transport(server.url, lambda t: t.delete_traces(
        experiment, int(time.time() * 1000) + 1000, None, None))
    assert deleted == 2
    assert real.search_traces(locations=[experiment]) == []


def test_errors_are_mlflows(server, real, experiment):
    from mlflow.exceptions import RestException as RealRestException

    from aiomlflow.exceptions import RestException

    with pytest.raises(RealRestException) as theirs:
        real.get_trace(UNKNOWN_TRACE)
    with pytest.raises(RestException) as ours:
        with_transport(server.url, lambda t: t.get_trace_info(UNKNOWN_TRACE))
    assert ours.value.error_code == theirs.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert ours.value.message == theirs.value.message == (
        f"RESOURCE_DOES_NOT_EXIST: Trace with ID '{UNKNOWN_TRACE}' not found.")

    assert with_transport(server.url, lambda t: t.get_traces([UNKNOWN_TRACE])) == []

    trace = make_trace(experiment)
    assert write(server.url, [trace]) == {}
    with pytest.raises(RestException) as ours:
        with_transport(server.url, lambda t: t.delete_trace_tag(trace.info.trace_id, "nope"))
    assert ours.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert ours.value.message == ("RESOURCE_DOES_NOT_EXIST: No trace tag with key 'nope' for "
                                  f"trace with ID '{trace.info.trace_id}'")
    with pytest.raises(RestException) as ours:
        with_transport(server.url, lambda t: t.set_trace_tag(trace.info.trace_id, "k" * 251, "v"))
    assert ours.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "'key' exceeds the maximum length of 250 characters" in ours.value.message
    with pytest.raises(RestException) as ours:
        with_transport(server.url, lambda t: t.link_traces_to_run(
            [trace.info.trace_id] * 101, uuid.uuid4().hex))
    assert ours.value.message == ("INVALID_PARAMETER_VALUE: Cannot link more than 100 traces "
                                  "to a run in a single request. Provided 101 traces.")


# --------------------------------------------------------------------------- proxy


class Proxy:
    """A recording reverse proxy to ``target`` on a free loopback port; ``fail[path]``
    lists statuses answered (instead of forwarding) to the first requests of a path."""

    def __init__(self, target: str, fail: dict | None = None):
        self.target = target
        self.fail = {path: list(statuses) for path, statuses in (fail or {}).items()}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list = []
        self._loop = None
        self._thread = None

    async def _handle(self, request):
        import aiohttp
        from aiohttp import web

        raw = await request.read()
        body = json.loads(raw) if raw and request.content_type == "application/json" else raw
        self.requests.append((request.method, request.path, dict(request.headers), body))
        statuses = self.fail.get(request.path)
        if statuses:
            return web.Response(status=statuses.pop(0), text="injected")
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length", "transfer-encoding")}
        async with aiohttp.ClientSession() as session:
            async with session.request(request.method, self.target + request.path_qs,
                                       data=raw, headers=headers) as answer:
                payload = await answer.read()
                return web.Response(status=answer.status, body=payload,
                                    content_type=answer.content_type)

    def __enter__(self):
        from aiohttp import web

        ready = threading.Event()

        def main():
            self._loop = asyncio.new_event_loop()
            app = web.Application(client_max_size=1 << 30)
            app.router.add_route("*", "/{tail:.*}", self._handle)
            runner = web.AppRunner(app)
            self._loop.run_until_complete(runner.setup())
            self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", self.port).start())
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=main, daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
