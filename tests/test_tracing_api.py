"""Tracing through the public API, over every transport.

Runs against the module under test (aiomlflow, or real mlflow with
``AIOMLFLOW_TESTS_TARGET=mlflow``).  Traces are read back with the module's own
``get_trace`` / ``search_traces`` and, for interop, with real mlflow's client.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import IS_MLFLOW, ensure_store, skip_on_mlflow


@pytest.fixture
def store(mlflow, transport):
    return transport


def flush(mlflow) -> None:
    mlflow.flush_trace_async_logging()


def last_trace(mlflow):
    flush(mlflow)
    trace_id = mlflow.get_last_active_trace_id()
    assert trace_id is not None
    trace = mlflow.get_trace(trace_id)
    assert trace is not None, trace_id
    return trace


def by_name(trace) -> dict:
    return {span.name: span for span in trace.data.spans}


# ----------------------------------------------------------------------------- @trace


def test_decorated_functions_record_nested_spans(mlflow, store):
    @mlflow.trace(span_type="LLM", attributes={"model": "gpt-x", "temperature": 0.5})
    def llm(prompt):
        return {"text": "answer " + prompt}

    @mlflow.trace
    def failing(x):
        raise ValueError(f"boom {x}")

    @mlflow.trace(name="outer_fn")
    def outer(question, k=5):
        try:
            failing(5)
        except ValueError:
            pass
        return llm(question)["text"]

    assert outer("2+2?") == "answer 2+2?"
    trace = last_trace(mlflow)
    spans = by_name(trace)
    root, child, bad = spans["outer_fn"], spans["llm"], spans["failing"]
    assert trace.data.spans[0] is root or trace.data.spans[0].name == "outer_fn"
    assert root.parent_id is None
    assert child.parent_id == root.span_id and bad.parent_id == root.span_id
    assert root.inputs == {"question": "2+2?", "k": 5}
    assert root.outputs == "answer 2+2?"
    assert child.span_type == "LLM" and root.span_type == "UNKNOWN"
    assert child.attributes["model"] == "gpt-x" and child.attributes["temperature"] == 0.5
    assert child.attributes["mlflow.spanFunctionName"] == "llm"
    assert bad.status.status_code.value == "ERROR"
    assert bad.status.description == "ValueError: boom 5"
    assert bad.outputs is None
    (event,) = bad.events
    assert event.name == "exception"
    assert event.attributes["exception.type"] == "ValueError"
    assert event.attributes["exception.message"] == "boom 5"
    assert "Traceback" in event.attributes["exception.stacktrace"]
    assert trace.info.state.value == "OK"  # a caught child error leaves the trace OK
    assert trace.info.tags["mlflow.traceName"] == "outer_fn"
    assert trace.info.trace_metadata["mlflow.traceInputs"] == '{"question": "2+2?", "k": 5}'
    assert trace.info.request_preview == '{"question": "2+2?", "k": 5}'
    assert trace.info.response_preview == '"answer 2+2?"'
    assert all(span.trace_id == trace.info.trace_id for span in trace.data.spans)
    assert trace.info.trace_id.startswith("tr-") and len(trace.info.trace_id) == 35


def test_an_exception_in_the_root_marks_the_trace_error_and_propagates(mlflow, store):
    @mlflow.trace
    def root():
        raise RuntimeError("root fail")

    with pytest.raises(RuntimeError, match="root fail"):
        root()
    trace = last_trace(mlflow)
    assert trace.info.state.value == "ERROR"
    assert trace.info.response_preview is None
    (span,) = trace.data.spans
    assert span.status.description == "RuntimeError: root fail"
    assert span.inputs == {}


def test_coroutines_generators_and_async_generators(mlflow, store):
    @mlflow.trace
    async def acompute(x):
        await asyncio.sleep(0)
        return x * 2

    assert asyncio.run(acompute(4)) == 8
    assert last_trace(mlflow).data.spans[0].outputs == 8

    @mlflow.trace(output_reducer=lambda chunks: "".join(chunks))
    def stream(n):
        for i in range(n):
            yield str(i)

    assert list(stream(3)) == ["0", "1", "2"]
    (span,) = last_trace(mlflow).data.spans
    assert span.outputs == "012"
    assert [e.name for e in span.events] == [f"mlflow.chunk.item.{i}" for i in range(3)]

    @mlflow.trace
    async def astream(n):
        for i in range(n):
            yield i

    async def consume():
        return [i async for i in astream(2)]

    assert asyncio.run(consume()) == [0, 1]
    assert last_trace(mlflow).data.spans[0].outputs == [0, 1]


@skip_on_mlflow("mlflow leaves the span of a generator closed early unended")
def test_a_generator_closed_early_still_ends_its_span(mlflow, store):
    @mlflow.trace
    def numbers():
        yield from range(100)

    gen = numbers()
    assert next(gen) == 0 and next(gen) == 1
    gen.close()
    (span,) = last_trace(mlflow).data.spans
    assert span.outputs == [0, 1] and span.end_time_ns is not None


def test_methods_classmethods_and_staticmethods(mlflow, store):
    class Model:
        @mlflow.trace
        def predict(self, x):
            return x + 1

        @classmethod
        @mlflow.trace
        def build(cls, size):
            return size

        @staticmethod
        @mlflow.trace
        def helper(a, b=2):
            return a * b

    assert Model().predict(1) == 2
    assert last_trace(mlflow).data.spans[0].inputs == {"x": 1}  # self is not captured
    assert Model.build(3) == 3
    assert last_trace(mlflow).data.spans[0].inputs == {"size": 3}
    assert Model.helper(4) == 8
    assert last_trace(mlflow).data.spans[0].inputs == {"a": 4, "b": 2}


def test_wrapping_a_function_without_decorating_it(mlflow, store):
    import math

    assert mlflow.trace(math.factorial)(5) == 120
    (span,) = last_trace(mlflow).data.spans
    assert span.name == "factorial" and span.outputs == 120


def test_output_reducer_is_refused_for_plain_functions(mlflow):
    with pytest.raises(mlflow.MlflowException, match="only supported for generator functions"):
        mlflow.trace(lambda: 1, output_reducer=lambda xs: xs)


def test_inputs_that_json_cannot_hold_are_recorded_not_fatal(mlflow, store):
    class Opaque:
        def __str__(self):
            return "<opaque>"

    @mlflow.trace
    def f(a, c):
        return {1, 2}

    assert f(Opaque(), b"bytes") == {1, 2}
    (span,) = last_trace(mlflow).data.spans
    assert span.inputs == {"a": "<opaque>", "c": "b'bytes'"}
    assert span.outputs == "{1, 2}"


@skip_on_mlflow("mlflow's traced function dies of a RecursionError on a cyclic input")
def test_a_cyclic_input_is_recorded_as_its_repr(mlflow, store):
    loop = []
    loop.append(loop)

    @mlflow.trace
    def g(b):
        return len(b)

    assert g(loop) == 1  # what cannot be encoded at all is recorded as its repr
    (span,) = last_trace(mlflow).data.spans
    assert span.inputs == repr({"b": loop})


# ----------------------------------------------------------------------------- spans


def test_start_span_and_the_live_span_api(mlflow, store):
    SpanEvent, SpanStatusCode = mlflow.entities.SpanEvent, mlflow.entities.SpanStatusCode
    with mlflow.start_span("root", span_type="CHAIN") as root:
        root.set_inputs({"q": "hi"})
        assert mlflow.get_current_active_span().span_id == root.span_id
        assert mlflow.get_active_trace_id() == root.trace_id
        with mlflow.start_span("child", attributes={"a": [1, 2]}) as child:
            child.set_attribute("b", {"x": "ü"})
            child.set_attributes({"c": 3})
            child.add_event(SpanEvent("my_event", attributes={"k": "v"}))
            child.set_outputs("out")
        root.set_status("ERROR")
        root.set_outputs({"answer": 42})
    assert mlflow.get_current_active_span() is None
    trace = last_trace(mlflow)
    spans = by_name(trace)
    child = spans["child"]
    assert child.parent_id == spans["root"].span_id
    assert child.attributes["a"] == [1, 2] and child.attributes["b"] == {"x": "ü"}
    assert child.attributes["c"] == 3
    assert [(e.name, e.attributes) for e in child.events] == [("my_event", {"k": "v"})]
    assert spans["root"].status.status_code == SpanStatusCode.ERROR
    assert trace.info.state.value == "ERROR"
    assert spans["root"].outputs == {"answer": 42}


def test_an_exception_in_a_start_span_block_is_recorded(mlflow, store):
    with pytest.raises(KeyError):
        with mlflow.start_span("s"):
            raise KeyError("k")
    (span,) = last_trace(mlflow).data.spans
    assert span.status.status_code.value == "ERROR"
    assert span.events[0].attributes["exception.type"] == "KeyError"


def test_start_span_no_context_with_explicit_parents(mlflow, store):
    root = mlflow.start_span_no_context("root", span_type="AGENT", inputs={"x": 1},
                                        attributes={"k": "v"}, tags={"t": "tv"},
                                        metadata={"m": "mv"}, start_time_ns=1_700_000_000_000_000_000)
    assert mlflow.get_current_active_span() is None  # not made current
    child = mlflow.start_span_no_context("child", parent_span=root, inputs=[1, 2])
    child.end(outputs="c", attributes={"late": True})
    root.end(outputs={"y": 2}, end_time_ns=1_700_000_000_500_000_000)
    trace = last_trace(mlflow)
    assert trace.info.trace_id == root.trace_id
    spans = by_name(trace)
    assert spans["child"].parent_id == spans["root"].span_id
    assert spans["child"].attributes["late"] is True
    assert spans["root"].start_time_ns == 1_700_000_000_000_000_000
    assert trace.info.request_time == 1_700_000_000_000
    assert trace.info.execution_time_ms == 500
    assert trace.info.tags["t"] == "tv"
    assert trace.info.trace_metadata["m"] == "mv"


def test_a_trace_goes_to_the_experiment_asked_for(mlflow, store):
    other = mlflow.create_experiment("traces-here")
    span = mlflow.start_span_no_context("root", experiment_id=other)
    span.end()
    assert last_trace(mlflow).info.experiment_id == other
    mlflow.set_experiment("set-by-name")
    with mlflow.start_span("x"):
        pass
    assert last_trace(mlflow).info.experiment_id == mlflow.get_experiment_by_name(
        "set-by-name").experiment_id


def test_a_trace_in_an_active_run_is_linked_to_it(mlflow, store):
    with mlflow.start_run() as run:
        with mlflow.start_span("in-run"):
            pass
    trace = last_trace(mlflow)
    assert trace.info.trace_metadata["mlflow.sourceRun"] == run.info.run_id
    assert trace.info.experiment_id == run.info.experiment_id
    found = mlflow.search_traces(run_id=run.info.run_id, return_type="list")
    assert [t.info.trace_id for t in found] == [trace.info.trace_id]


def test_update_current_trace(mlflow, store):
    @mlflow.trace
    def handler(question):
        mlflow.update_current_trace(tags={"fruit": "apple"}, metadata={"app": "v1"},
                                    client_request_id="req-1", request_preview="custom",
                                    state="ERROR")
        return "fine"

    handler("q")
    trace = last_trace(mlflow)
    assert trace.info.tags["fruit"] == "apple"
    assert trace.info.trace_metadata["app"] == "v1"
    assert trace.info.client_request_id == "req-1"
    assert trace.info.request_preview == "custom"
    assert trace.info.state.value == "ERROR"
    assert trace.data.spans[0].status.status_code.value == "OK"  # the span keeps its own


def test_update_current_trace_checks_the_state(mlflow, store):
    with mlflow.start_span("s"):
        with pytest.raises(mlflow.MlflowException, match="State must be either 'OK' or 'ERROR'"):
            mlflow.update_current_trace(state="IN_PROGRESS")


def test_update_current_trace_without_a_trace_warns(mlflow, library_log):
    mlflow.update_current_trace(tags={"a": "b"})
    assert "No active trace found" in library_log.text


def test_chat_previews_show_the_last_message(mlflow, store):
    @mlflow.trace(span_type="CHAT_MODEL")
    def chat(messages):
        return {"choices": [{"message": {"role": "assistant", "content": "Hi there"}}]}

    chat([{"role": "system", "content": "sys"}, {"role": "user", "content": "x" * 1200}])
    info = last_trace(mlflow).info
    assert info.request_preview == "x" * 997 + "..."
    assert info.response_preview == "Hi there"
    assert len(info.trace_metadata["mlflow.traceInputs"]) == 250


# ----------------------------------------------------------------------------- tags, reads


def test_trace_tags_on_stored_traces(mlflow, store):
    with mlflow.start_span("s"):
        pass
    trace_id = last_trace(mlflow).info.trace_id
    mlflow.set_trace_tag(trace_id, "k", "v")
    assert mlflow.get_trace(trace_id).info.tags["k"] == "v"
    mlflow.delete_trace_tag(trace_id, "k")
    assert "k" not in mlflow.get_trace(trace_id).info.tags
    with pytest.raises(mlflow.MlflowException) as missing:
        mlflow.delete_trace_tag(trace_id, "nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(mlflow.MlflowException, match="exceeds the maximum length"):
        mlflow.set_trace_tag(trace_id, "k" * 251, "v")


def test_get_trace_of_an_unknown_id_is_none(mlflow, store, library_log):
    assert mlflow.get_trace("tr-" + "0" * 32) is None
    assert "tr-" + "0" * 32 in library_log.text
    library_log.clear()
    assert mlflow.get_trace("tr-" + "0" * 32, silent=True) is None
    assert not [r for r in library_log.records if r.levelname == "WARNING"]


@skip_on_mlflow("mlflow's get_trace may miss a trace whose asynchronous export is pending")
def test_get_trace_reads_this_process_pending_writes(mlflow, store):
    for i in range(50):
        with mlflow.start_span(f"s{i}"):
            pass
        trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
        assert trace is not None and trace.data.spans[0].name == f"s{i}"


def test_search_traces_as_list_and_frame(mlflow, store):
    for i in range(3):
        with mlflow.start_span(f"t{i}") as span:
            span.set_inputs({"i": i})
            span.set_outputs(i * 10)
        time.sleep(0.002)  # distinct start milliseconds: the default order is by time
    flush(mlflow)
    traces = mlflow.search_traces(return_type="list")
    assert [t.data.spans[0].name for t in traces] == ["t2", "t1", "t0"]  # newest first
    frame = mlflow.search_traces()
    assert list(frame.columns) == ["trace_id", "trace", "client_request_id", "state",
                                   "request_time", "execution_duration", "request", "response",
                                   "trace_metadata", "tags", "spans", "assessments"]
    assert list(frame["request"]) == [{"i": 2}, {"i": 1}, {"i": 0}]
    assert list(frame["response"]) == [20, 10, 0]
    assert len(mlflow.search_traces(max_results=2, return_type="list")) == 2
    infos_only = mlflow.search_traces(include_spans=False, return_type="list")
    assert len(infos_only) == 3 and all(not t.data.spans for t in infos_only)


def test_trace_entities_round_trip(mlflow, store):
    Trace = mlflow.entities.Trace
    @mlflow.trace
    def f(x):
        return x

    f({"a": "ü"})
    trace = last_trace(mlflow)
    again = Trace.from_json(trace.to_json())
    assert again.to_dict() == trace.to_dict()
    assert json.loads(trace.to_json(pretty=True)) == trace.to_dict()
    assert trace.search_spans(name="f")[0].span_id == trace.data.spans[0].span_id
    assert trace.search_spans(span_type="LLM") == []


# ----------------------------------------------------------------------------- context


def test_concurrent_tasks_each_build_their_own_trace(mlflow, store):
    @mlflow.trace
    async def leaf(task, depth):
        await asyncio.sleep(0)
        return f"{task}-{depth}"

    @mlflow.trace
    async def task_root(task):
        async with asyncio.TaskGroup() if hasattr(asyncio, "TaskGroup") else _Gather() as tg:
            for depth in range(3):
                tg.create_task(leaf(task, depth))
        with mlflow.start_span(f"inner-{task}"):
            await asyncio.sleep(0)
            await leaf(task, 99)
        return task

    async def main():
        return await asyncio.gather(*(task_root(i) for i in range(100)))

    assert asyncio.run(main()) == list(range(100))
    flush(mlflow)
    traces = mlflow.search_traces(return_type="list", max_results=1000)
    assert len(traces) == 100
    for trace in traces:
        spans = by_name(trace)
        task = spans["task_root"].inputs["task"]
        assert len(trace.data.spans) == 6
        inner = spans[f"inner-{task}"]
        for span in trace.data.spans:
            if span.name == "leaf":
                assert span.inputs["task"] == task
                expected = inner.span_id if span.inputs["depth"] == 99 else spans["task_root"].span_id
                assert span.parent_id == expected


class _Gather:
    """asyncio.TaskGroup for Python 3.10."""

    async def __aenter__(self):
        self.tasks = []
        return self

    def create_task(self, coro):
        self.tasks.append(asyncio.ensure_future(coro))

    async def __aexit__(self, *exc):
        await asyncio.gather(*self.tasks)


def test_a_span_in_one_thread_is_not_the_parent_of_another_threads(mlflow, store):
    seen = {}

    def worker():
        seen["current"] = mlflow.get_current_active_span()
        with mlflow.start_span("thread-root") as span:
            seen["trace"] = span.trace_id

    with mlflow.start_span("main-root") as main_span:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen["current"] is None
    assert seen["trace"] != main_span.trace_id
    flush(mlflow)
    assert mlflow.get_last_active_trace_id(thread_local=True) == main_span.trace_id


# ----------------------------------------------------------------------------- config


def test_disable_enable_and_reset(mlflow, store):
    @mlflow.trace
    def f():
        return 1

    mlflow.tracing.disable()
    try:
        assert f() == 1
        with mlflow.start_span("off") as span:
            span.set_attribute("x", 1)  # a no-op span
    finally:
        mlflow.tracing.enable()
    flush(mlflow)
    assert mlflow.search_traces(return_type="list") == []
    f()
    flush(mlflow)
    assert len(mlflow.search_traces(return_type="list")) == 1
    mlflow.tracing.disable()
    mlflow.tracing.reset()
    f()
    flush(mlflow)
    assert len(mlflow.search_traces(return_type="list")) == 2


def test_span_processors(mlflow, store):
    def redact(span):
        span.set_attribute("redacted", True)

    with mlflow.tracing.configure(span_processors=[redact]):
        with mlflow.start_span("inside"):
            pass
    with mlflow.start_span("outside"):
        pass
    flush(mlflow)
    traces = {t.data.spans[0].name: t.data.spans[0]
              for t in mlflow.search_traces(return_type="list")}
    assert traces["inside"].attributes.get("redacted") is True
    assert "redacted" not in traces["outside"].attributes
    if IS_MLFLOW:
        return  # mlflow accepts a processor of the wrong arity and fails at span end
    with pytest.raises(mlflow.MlflowException, match="exactly one argument"):
        mlflow.tracing.configure(span_processors=[lambda a, b: None])


def test_log_trace(mlflow, store):
    trace_id = mlflow.log_trace(
        request="Does mlflow support tracing?", response="Yes",
        intermediate_outputs={"retrieved_documents": ["mlflow documentation"]},
        start_time_ms=1_700_000_000_000, execution_time_ms=5129)
    flush(mlflow)
    trace = mlflow.get_trace(trace_id)
    assert trace.data.intermediate_outputs == {"retrieved_documents": ["mlflow documentation"]}
    assert trace.info.execution_time_ms == 5129
    assert trace.data.spans[0].name == "Task"


# ----------------------------------------------------------------------------- interop


@pytest.fixture
def real_reader(store, real_mlflow):
    return real_mlflow.MlflowClient(tracking_uri=ensure_store(store))


def test_real_mlflow_reads_our_traces_identically(mlflow, store, real_reader):
    with mlflow.start_run():
        @mlflow.trace(span_type="RETRIEVER")
        def retrieve(query):
            return [{"doc": "d1", "score": 0.5}]

        @mlflow.trace
        def answer(query):
            with mlflow.start_span("format") as span:
                span.set_inputs(retrieve(query))
                span.set_outputs("formatted")
            mlflow.update_current_trace(tags={"t": "v"}, metadata={"m": "1"})
            return "42"

        answer("meaning?")
    ours = last_trace(mlflow)
    theirs = real_reader.get_trace(ours.info.trace_id)
    assert theirs.to_dict()["data"] == ours.to_dict()["data"]
    assert theirs.info.to_dict() == ours.info.to_dict()
    listed = real_reader.search_traces(locations=[ours.info.experiment_id])
    assert [t.info.trace_id for t in listed] == [ours.info.trace_id]


def test_we_read_real_mlflows_traces_identically(mlflow, store, tmp_path):
    script = tmp_path / "real_traces.py"
    script.write_text(textwrap.dedent(f"""
        import mlflow
        mlflow.set_tracking_uri({store!r})

        @mlflow.trace(span_type="LLM", attributes={{"model": "m"}})
        def llm(p):
            return {{"choices": [{{"message": {{"role": "assistant", "content": "ok"}}}}]}}

        @mlflow.trace
        def agent(q):
            mlflow.update_current_trace(tags={{"x": "y"}})
            try:
                with mlflow.start_span("bad"):
                    raise ValueError("no")
            except ValueError:
                pass
            return llm(q)

        with mlflow.start_run():
            agent("hello")
        mlflow.flush_trace_async_logging()
        print(mlflow.get_last_active_trace_id())
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    trace_id = out.stdout.strip().splitlines()[-1]
    import mlflow as real

    theirs = real.MlflowClient(tracking_uri=store).get_trace(trace_id)
    ours = mlflow.get_trace(trace_id)
    assert ours.to_dict() == theirs.to_dict()
    assert {s.name for s in ours.data.spans} == {"agent", "bad", "llm"}


@skip_on_mlflow("aiomlflow exports traces at exit; mlflow's async export may drop them")
@pytest.mark.parametrize("queue_size", [None, "8"], ids=["default-queue", "tiny-queue"])
def test_traces_are_stored_at_interpreter_exit(store, tmp_path, queue_size):
    # With a tiny queue the traced loop waits for room: nothing is ever discarded.
    # (A real server stores some 30 traces a second: 100 of them still leave most
    # pending at exit and fill the tiny queue a dozen times over.)
    n = 500 if store.startswith("sqlite") else 100
    script = tmp_path / "exit_traces.py"
    script.write_text(textwrap.dedent(f"""
        import aiomlflow as mlflow
        mlflow.set_tracking_uri({store!r})

        @mlflow.trace
        def step(i):
            with mlflow.start_span("inner"):
                return i

        for i in range({n}):
            step(i)
    """))
    env = dict(os.environ)
    if queue_size:
        env["AIOMLFLOW_QUEUE_SIZE"] = queue_size
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    import aiomlflow

    aiomlflow.set_tracking_uri(store)
    traces = aiomlflow.search_traces(return_type="list")
    assert len(traces) == n
    assert sum(len(t.data.spans) for t in traces) == 2 * n


# ----------------------------------------------------------------------------- client


def test_client_trace_lifecycle_and_search(mlflow, store):
    client = mlflow.MlflowClient()
    root = client.start_trace("root", inputs={"q": 1}, tags={"origin": "client"})
    child = client.start_span("child", trace_id=root.trace_id, parent_id=root.span_id,
                              inputs=[1])
    client.end_span(root.trace_id, child.span_id, outputs="c")
    client.end_trace(root.trace_id, outputs={"a": 2})
    flush(mlflow)
    trace = client.get_trace(root.trace_id)
    assert trace.info.tags["origin"] == "client"
    assert {s.name: s.parent_id for s in trace.data.spans} == {
        "root": None, "child": root.span_id}
    experiment_id = trace.info.experiment_id
    page = client.search_traces(locations=[experiment_id], max_results=1)
    assert [t.info.trace_id for t in page] == [root.trace_id]
    client.set_trace_tag(root.trace_id, "k", "v")
    assert client.get_trace(root.trace_id).info.tags["k"] == "v"
    client.delete_trace_tag(root.trace_id, "k")
    assert "k" not in client.get_trace(root.trace_id).info.tags
    assert client.delete_traces(experiment_id, trace_ids=[root.trace_id]) == 1
    with pytest.raises(mlflow.MlflowException) as gone:
        client.get_trace(root.trace_id)
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_delete_traces_older_than_a_time(mlflow, store):
    for i in range(3):
        span = mlflow.start_span_no_context(f"s{i}", start_time_ns=(1_000 + i) * 1_000_000)
        span.end(end_time_ns=(1_000 + i) * 1_000_000 + 1)
    flush(mlflow)
    client = mlflow.MlflowClient()
    experiment_id = mlflow.get_trace(mlflow.get_last_active_trace_id()).info.experiment_id
    assert client.delete_traces(experiment_id, max_timestamp_millis=1_001, max_traces=1) == 1
    left = sorted(t.data.spans[0].name for t in mlflow.search_traces(return_type="list"))
    assert left == ["s1", "s2"]


def test_trio_tasks_each_build_their_own_trace(mlflow, store):
    trio = pytest.importorskip("trio")

    @mlflow.trace
    async def leaf(task):
        await trio.sleep(0)
        return task

    @mlflow.trace
    async def task_root(task):
        async with trio.open_nursery() as nursery:
            for _ in range(2):
                nursery.start_soon(leaf, task)
        return task

    async def main():
        async with trio.open_nursery() as nursery:
            for task in range(20):
                nursery.start_soon(task_root, task)

    trio.run(main)
    flush(mlflow)
    traces = mlflow.search_traces(return_type="list")
    assert len(traces) == 20
    for trace in traces:
        spans = by_name(trace)
        task = spans["task_root"].inputs["task"]
        leaves = [s for s in trace.data.spans if s.name == "leaf"]
        assert len(leaves) == 2
        assert all(s.inputs["task"] == task and s.parent_id == spans["task_root"].span_id
                   for s in leaves)


# ----------------------------------------------------------------------------- assessments


def test_assessments_on_our_traces(mlflow, store, real_reader):
    AssessmentSource = mlflow.entities.AssessmentSource

    @mlflow.trace
    def answer(question):
        return "Paris"

    answer("capital of France?")
    trace_id = last_trace(mlflow).info.trace_id
    judge = AssessmentSource(source_type="LLM_JUDGE", source_id="gpt-judge")
    feedback = mlflow.log_feedback(trace_id=trace_id, name="correct", value=0.4,
                                   source=judge, rationale="vague", metadata={"k": "v"})
    expected = mlflow.log_expectation(trace_id=trace_id, name="expected", value="Paris")
    better = mlflow.override_feedback(trace_id=trace_id, assessment_id=feedback.assessment_id,
                                      value=0.9, rationale="actually right")
    mlflow.update_assessment(trace_id=trace_id, assessment_id=expected.assessment_id,
                             assessment=mlflow.entities.Expectation(name="expected",
                                                                    value="Paris, France"))
    got = mlflow.get_assessment(trace_id, better.assessment_id)
    assert got.value == 0.9 and got.overrides == feedback.assessment_id
    flush(mlflow)

    def summary(trace):
        # a server answers an updated assessment without `valid` (None): as mlflow reads it
        return sorted((a.name, a.value, a.valid is not False, a.rationale)
                      for a in trace.info.assessments)

    expected_rows = [("correct", 0.4, False, "vague"), ("correct", 0.9, True, "actually right"),
                     ("expected", "Paris, France", True, None)]
    ours = mlflow.get_trace(trace_id)
    assert summary(ours) == expected_rows
    theirs = real_reader.get_trace(trace_id)
    assert sorted(a.to_dictionary()["assessment_id"] for a in theirs.info.assessments) == sorted(
        a.to_dictionary()["assessment_id"] for a in ours.info.assessments)
    assert summary(theirs) == expected_rows
    mlflow.delete_assessment(trace_id=trace_id, assessment_id=better.assessment_id)
    after = summary(mlflow.get_trace(trace_id))
    assert after == [("correct", 0.4, True, "vague"), ("expected", "Paris, France", True, None)]
    with pytest.raises(mlflow.MlflowException) as missing:
        mlflow.get_assessment(trace_id, "a-" + "0" * 32)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(mlflow.MlflowException) as no_trace:
        mlflow.log_feedback(trace_id="tr-" + "0" * 32, name="x", value=1)
    assert no_trace.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_a_span_started_under_an_ended_trace_joins_it(mlflow, store):
    root = mlflow.start_span_no_context("root")
    root.end()
    late = mlflow.start_span_no_context("late", parent_span=root)
    late.end()
    trace = last_trace(mlflow)
    assert sorted(s.name for s in trace.data.spans) == ["late", "root"]


def test_a_span_ending_after_its_root_joins_the_stored_trace(mlflow, store):
    root = mlflow.start_span_no_context("root")
    open_child = mlflow.start_span_no_context("open-child", parent_span=root)
    root.end()
    open_child.end(outputs="late output")
    flush(mlflow)
    trace = mlflow.get_trace(root.trace_id)
    spans = by_name(trace)
    assert spans["open-child"].outputs == "late output"
    assert spans["open-child"].end_time_ns is not None


def test_set_destination_globally_and_per_context(mlflow, store):
    from mlflow_location import experiment_location

    first = mlflow.create_experiment("dest-global")
    second = mlflow.create_experiment("dest-local")
    mlflow.tracing.set_destination(experiment_location(mlflow, first))
    try:
        with mlflow.start_span("global"):
            pass
        assert last_trace(mlflow).info.experiment_id == first

        def in_thread():
            mlflow.tracing.set_destination(experiment_location(mlflow, second),
                                           context_local=True)
            with mlflow.start_span("local"):
                pass

        worker = threading.Thread(target=in_thread)
        worker.start()
        worker.join()
        flush(mlflow)
        local = mlflow.search_traces(locations=[second], return_type="list")
        assert [t.data.spans[0].name for t in local] == ["local"]
        with mlflow.start_span("still-global"):
            pass
        assert last_trace(mlflow).info.experiment_id == first
    finally:
        mlflow.tracing.reset()


def test_search_traces_with_a_filter_and_order(mlflow, store):
    for name, tag in (("b", "x"), ("a", "y"), ("c", "x")):
        with mlflow.start_span(name):
            mlflow.update_current_trace(tags={"group": tag})
        time.sleep(0.002)
    flush(mlflow)
    found = mlflow.search_traces(filter_string="tag.group = 'x'", order_by=["name ASC"],
                                 return_type="list")
    assert [t.info.tags["mlflow.traceName"] for t in found] == ["b", "c"]
    errors = mlflow.search_traces(filter_string="trace.status = 'ERROR'", return_type="list")
    assert errors == []
    with pytest.raises(mlflow.MlflowException) as bad:
        mlflow.search_traces(filter_string="nonsense ==== 1")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_configure_as_a_function(mlflow, store):
    seen = []
    mlflow.tracing.configure(span_processors=[lambda span: seen.append(span.name)])
    try:
        with mlflow.start_span("processed"):
            pass
    finally:
        mlflow.tracing.configure(span_processors=[])
    with mlflow.start_span("not-processed"):
        pass
    assert seen == ["processed"]


@skip_on_mlflow("aiomlflow reports a trace the store refuses at the flush; mlflow logs it")
def test_a_trace_the_store_refuses_fails_alone(mlflow, store):
    with mlflow.start_span("before"):
        pass
    if store.startswith("sqlite"):  # SQLite refuses an integer beyond 64 bits
        bad = mlflow.start_span_no_context("too-late", start_time_ns=2**70)
        bad.end(end_time_ns=2**70 + 1)
    deleted = mlflow.create_experiment("gone")
    doomed = mlflow.start_span_no_context("in-deleted", experiment_id=deleted)
    mlflow.delete_experiment(deleted)
    doomed.end()
    with mlflow.start_span("after"):
        pass
    with pytest.raises(mlflow.MlflowException):
        mlflow.flush_async_logging()
    names = sorted(t.data.spans[0].name for t in mlflow.search_traces(return_type="list"))
    assert names == ["after", "before"]
