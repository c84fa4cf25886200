"""The tracing examples of the API reference, run unchanged.

Every tracing example of the reference (``shared/seed/000_a0d6af5c2fb3ad62.txt``, the
``mlflow`` module reference) is kept below as text, checked to be a verbatim copy, and
run with ``import mlflow`` (and ``from mlflow.x import ...``) bound to the module under
test: aiomlflow, or real mlflow with ``AIOMLFLOW_TESTS_TARGET=mlflow``.  Each test then
checks what the example printed and the trace it left in the store.  (The assessment
examples are run by tests/test_assessments.py.)

Examples that read the store back inside themselves (``search_traces`` right after a
traced call) assume a finished trace is visible at once.  aiomlflow's reads wait for
this process's pending trace writes, so they hold with asynchronous export, its
default; real mlflow's asynchronous export gives no such guarantee, so on real mlflow
these tests run with MLFLOW_ENABLE_ASYNC_TRACE_LOGGING=false (``read_your_writes``).
"""

from __future__ import annotations

import ast
import contextlib
import math
import re
import sqlite3
import sys
import textwrap
import threading
import time
import types

import pytest

from conftest import IS_MLFLOW, skip_on_mlflow, xfail_on_mlflow
from test_reference_examples import REFERENCE

# fmt: off
EXAMPLES = {
    'trace_decorator': r'''
import mlflow


@mlflow.trace
def my_function(x, y):
    return x + y
''',  # seed L2580-2585
    'trace_as_start_span': r'''
import mlflow


def my_function(x, y):
    return x + y


with mlflow.start_span("my_function") as span:
    x = 1
    y = 2
    span.set_inputs({"x": x, "y": y})
    result = my_function(x, y)
    span.set_outputs({"output": result})
''',  # seed L2589-2601
    'trace_external_function': r'''
import math

import mlflow

mlflow.trace(math.factorial)(5)
''',  # seed L2639-2643
    'start_span': r'''
import mlflow

with mlflow.start_span("my_span") as span:
    x = 1
    y = 2
    span.set_inputs({"x": x, "y": y})

    z = x + y

    span.set_outputs(z)
    span.set_attribute("key", "value")
    # do something
''',  # seed L2663-2674
    'start_span_no_context': r'''
import mlflow

root_span = mlflow.start_span_no_context("my_trace")

# Create a child span
child_span = mlflow.start_span_no_context(
    "child_span",
    # Manually specify the parent span
    parent_span=root_span,
)
# Do something...
child_span.end()

root_span.end()
''',  # seed L2730-2743
    'log_trace': r'''
import time
import mlflow

trace_id = mlflow.log_trace(
    request="Does mlflow support tracing?",
    response="Yes",
    intermediate_outputs={
        "retrieved_documents": ["mlflow documentation"],
        "system_prompt": ["answer the question with yes or no"],
    },
    start_time_ms=int(time.time() * 1000),
    execution_time_ms=5129,
)
trace = mlflow.get_trace(trace_id)

print(trace.data.intermediate_outputs)
''',  # seed L1592-1607
    'add_trace': r'''
@mlflow.trace(name="predict")
def predict(input):
    # Call a remote service that returns a trace in the response
    resp = requests.get("https://your-service-endpoint", ...)

    # Extract the trace from the response
    trace_json = resp.json().get("trace")

    # Use the remote trace as a part of the current active trace.
    # It will be merged under the span "predict" and exported together when it is ended.
    mlflow.add_trace(trace_json)
''',  # seed L2938-2948
    'add_trace_target': r'''
def predict(input):
    # Create a local span
    with mlflow.start_span(name="predict") as span:
        resp = requests.get("https://your-service-endpoint", ...)
        trace_json = resp.json().get("trace")

        # Merge the remote trace under the span created above
        mlflow.add_trace(trace_json, target=span)
''',  # seed L2952-2959
    'get_current_active_span': r'''
import mlflow


@mlflow.trace
def f():
    span = mlflow.get_current_active_span()
    span.set_attribute("key", "value")
    return 0


f()
''',  # seed L2882-2892
    'get_active_trace_id': r'''
import mlflow


@mlflow.trace
def f():
    trace_id = mlflow.get_active_trace_id()
    print(trace_id)


f()
''',  # seed L792-801
    'get_last_active_trace_id': r'''
import mlflow


@mlflow.trace
def f():
    pass


f()

trace_id = mlflow.get_last_active_trace_id()

# Set a tag on the trace
mlflow.set_trace_tag(trace_id, "key", "value")

# Get the full trace object
trace = mlflow.get_trace(trace_id)
''',  # seed L2913-2929
    'update_current_trace_in_function': r'''
@mlflow.trace
def my_func(x):
    mlflow.update_current_trace(tags={"fruit": "apple"}, client_request_id="req-12345")
    return x + 1
''',  # seed L2456-2459
    'update_current_trace_in_span': r'''
with mlflow.start_span("span"):
    mlflow.update_current_trace(tags={"fruit": "apple"}, client_request_id="req-12345")
''',  # seed L2463-2464
    'update_current_trace_metadata': r'''
mlflow.update_current_trace(
    metadata={
        "mlflow.trace.session": "session-4f855da00427",
        "mlflow.trace.user": "user-id-cc156f29bcfb",
        "mlflow.source.name": "inference.py",
        "mlflow.source.git.commit": "1234567890",
        "mlflow.source.git.repoURL": "https://github.com/mlflow/mlflow",
    },
)
''',  # seed L2468-2476
    'update_current_trace_request_preview': r'''
import mlflow
import openai


@mlflow.trace
def predict(messages: list[dict]) -> str:
    # Customize the request preview to show the first and last messages
    custom_preview = f"{messages[0]['content'][:10]} ... {messages[-1]['content'][:10]}"
    mlflow.update_current_trace(request_preview=custom_preview)

    # Call the model
    response = openai.chat.completions.create(
        model="o4-mini",
        messages=messages,
    )

    return response.choices[0].message.content


messages = [
    {"role": "user", "content": "Hi, how are you?"},
    {"role": "assistant", "content": "I'm good, thank you!"},
    {"role": "user", "content": "What's your name?"},
    # ... (long message history)
    {"role": "assistant", "content": "Bye!"},
]
predict(messages)

# The request preview rendered in the UI will be:
#     "Hi, how are you? ... Bye!"
''',  # seed L2480-2509
    'get_trace': r'''
import mlflow


with mlflow.start_span(name="span") as span:
    span.set_attribute("key", "value")

trace = mlflow.get_trace(span.trace_id)
print(trace)
''',  # seed L2759-2766
    'search_traces_extract_fields': r'''
import mlflow

with mlflow.start_span(name="span1") as span:
    span.set_inputs({"a": 1, "b": 2})
    span.set_outputs({"c": 3, "d": 4})

mlflow.search_traces(
    extract_fields=["span1.inputs", "span1.outputs", "span1.outputs.c"],
    return_type="pandas",
)
''',  # seed L2841-2850
    'search_traces_non_dict': r'''
import mlflow

with mlflow.start_span(name="non_dict_span") as span:
    span.set_inputs(["a", "b"])
    span.set_outputs([1, 2, 3])

mlflow.search_traces(
    extract_fields=["non_dict_span.inputs", "non_dict_span.outputs"],
)
''',  # seed L2852-2860
    'search_traces_run_id': r'''
import mlflow


@mlflow.trace
def traced_func(x):
    return x + 1


with mlflow.start_run() as run:
    traced_func(1)

mlflow.search_traces(run_id=run.info.run_id, return_type="list")
''',  # seed L2862-2873
    'extract_fields_backticks': r'''
    # span name contains a dot
    extract_fields = ["`span.name`.inputs.field"]
    
    # field name contains a dot
    extract_fields = ["span.inputs.`field.name`"]
    
    # span name and field name contain a dot
    extract_fields = ["`span.name`.inputs.`field.name`"]
''',  # seed L2806-2813
    'set_trace_tag': r'''
import mlflow

with mlflow.start_span(name="span") as span:
    mlflow.set_trace_tag(span.trace_id, "key", "value")
''',  # seed L2315-2318
    'delete_trace_tag': r'''
import mlflow

with mlflow.start_span("my_span") as span:
    mlflow.set_trace_tag(span.trace_id, "key", "value")
    mlflow.delete_trace_tag(span.trace_id, "key")
''',  # seed L353-357
    'configure': r'''
def pii_filter(span):
    """Example PII filter that masks sensitive data in span attributes."""
    # Mask sensitive inputs
    if inputs := span.inputs:
        for key, value in inputs.items():
            if "password" in key.lower() or "token" in key.lower():
                span.set_inputs({**inputs, key: "[REDACTED]"})

    # Mask sensitive outputs
    if outputs := span.outputs:
        if isinstance(outputs, dict):
            for key in outputs:
                if "secret" in key.lower():
                    outputs[key] = "[REDACTED]"
            span.set_outputs(outputs)

    # Mask sensitive attributes
    for attr_key in list(span.attributes.keys()):
        if "api_key" in attr_key.lower():
            span.set_attribute(attr_key, "[REDACTED]")

# Permanent configuration change
mlflow.tracing.configure(span_processors=[pii_filter])

# Temporary configuration change
with mlflow.tracing.configure(span_processors=[pii_filter]):
    # PII filtering enabled only in this block
    pass
''',  # seed L3239-3266
    'disable': r'''
import mlflow


@mlflow.trace
def f():
    return 0


# Tracing is enabled by default
f()
assert len(mlflow.search_traces()) == 1

# Disable tracing
mlflow.tracing.disable()
f()
assert len(mlflow.search_traces()) == 1
''',  # seed L3277-3292
    'enable': r'''
import mlflow


@mlflow.trace
def f():
    return 0


# Tracing is enabled by default
f()
assert len(mlflow.search_traces()) == 1

# Disable tracing
mlflow.tracing.disable()
f()
assert len(mlflow.search_traces()) == 1

# Re-enable tracing
mlflow.tracing.enable()
f()
assert len(mlflow.search_traces()) == 2
''',  # seed L3303-3323
    'set_destination_experiment': r'''
from mlflow.entities.trace_location import MlflowExperimentLocation

mlflow.tracing.set_destination(MlflowExperimentLocation(experiment_id="123"))
''',  # seed L3364-3366
    'set_destination_uc_schema': r'''
from mlflow.entities.trace_location import UCSchemaLocation

mlflow.tracing.set_destination(
    UCSchemaLocation(catalog_name="catalog", schema_name="schema")
)
''',  # seed L3372-3376
    'set_destination_context_local': r'''
from mlflow.tracing.destination import Databricks

mlflow.tracing.set_destination(
    MlflowExperimentLocation(experiment_id="123"),
    context_local=True,
)
''',  # seed L3380-3385
    'reset_destination': r'''
mlflow.tracing.reset()
''',  # seed L3391-3391
    'set_experiment_trace_location': r'''
import mlflow
from mlflow.entities import UCSchemaLocation

location = UCSchemaLocation(catalog_name="my_catalog", schema_name="my_schema")

result = mlflow.tracing.set_experiment_trace_location(
    location=location,
    experiment_id="12345",
)
print(result.full_otel_spans_table_name)  # my_catalog.my_schema.otel_spans_table


@mlflow.trace
def add(x):
    return x + 1


add(1)  # this writes the trace to the storage location set above
''',  # seed L3419-3436
    'unset_experiment_trace_location': r'''
import mlflow
from mlflow.entities import UCSchemaLocation

mlflow.tracing.unset_experiment_trace_location(
    location=UCSchemaLocation(catalog_name="my_catalog", schema_name="my_schema"),
    experiment_id="12345",
)
''',  # seed L3495-3501
    'set_span_chat_tools': r'''
import mlflow
from mlflow.tracing import set_span_chat_tools

tools = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two numbers",
            "parameters": {
                "type": "object",
                "properties": {
                    "a": {"type": "number"},
                    "b": {"type": "number"},
                },
                "required": ["a", "b"],
            },
        },
    }
]


@mlflow.trace
def f():
    span = mlflow.get_current_active_span()
    set_span_chat_tools(span, tools)
    return 0


f()
''',  # seed L3448-3477
    'set_active_model': r'''
import mlflow

# Set the active model by name
mlflow.set_active_model(name="my_model")

# Set the active model by model ID
model = mlflow.create_external_model(name="test_model")
mlflow.set_active_model(model_id=model.model_id)

# Use the active model in a context manager
with mlflow.set_active_model(name="new_model"):
    print(mlflow.get_active_model_id())

# Traces are automatically linked to the active model
mlflow.set_active_model(name="my_model")


@mlflow.trace
def predict(model_input):
    return model_input


predict("abc")
traces = mlflow.search_traces(model_id=mlflow.get_active_model_id(), return_type="list")
assert len(traces) == 1
''',  # seed L3783-3807
}
# fmt: on


def test_examples_are_verbatim_copies_of_the_reference():
    if not REFERENCE.exists():
        pytest.skip(f"reference text not found at {REFERENCE}")
    ref = REFERENCE.read_text(encoding="utf-8")
    for name, code in EXAMPLES.items():
        assert code[1:].rstrip("\n") in ref, name


# ------------------------------------------------------------------------------ harness

@pytest.fixture
def store(mlflow, transport):
    """The test's store (conftest empties a server's run and trace tables per test)."""
    return transport


@pytest.fixture(autouse=True)
def _tracing_defaults(mlflow):
    """Examples switch tracing off, add span processors and set destinations: undo it."""
    yield
    with contextlib.suppress(Exception):
        mlflow.flush_trace_async_logging()
    mlflow.tracing.configure(span_processors=[])
    mlflow.tracing.reset()
    mlflow.tracing.enable()
    mlflow.tracing.enable_notebook_display()


@pytest.fixture
def read_your_writes(mlflow, monkeypatch):
    """Examples that read the store right after a traced call: on real mlflow, export
    synchronously (its asynchronous export may not have stored the trace yet, which
    fails the reference's own asserts); aiomlflow's reads wait for pending writes."""
    if IS_MLFLOW:
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")
        mlflow.tracing.reset()  # the exporter is chosen when the tracer starts


@contextlib.contextmanager
def as_mlflow(module):
    """``import mlflow`` and ``from mlflow.x import y`` give the module under test
    (aiomlflow serves ``mlflow.<sub>`` from ``aiomlflow.<sub>`` once ``sys.modules``
    maps ``mlflow`` to it); real mlflow's modules come back afterwards."""
    if IS_MLFLOW:
        yield
        return
    saved = {k: v for k, v in sys.modules.items() if k == "mlflow" or k.startswith("mlflow.")}
    for name in saved:
        del sys.modules[name]
    sys.modules["mlflow"] = module
    try:
        yield
    finally:
        for name in [k for k in sys.modules if k == "mlflow" or k.startswith("mlflow.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def _compile(name: str, code: str):
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        # As a notebook shows it: keep the value of a closing expression in ``_`` (the
        # search_traces examples end with the call whose result is the point).
        tree.body[-1] = ast.copy_location(ast.Assign(
            targets=[ast.Name("_", ast.Store())], value=last.value), last)
        ast.fix_missing_locations(tree)
    return compile(tree, f"<reference:{name}>", "exec")


def run_example(module, name: str, capsys, ns: dict | None = None) -> tuple[dict, str]:
    """Run EXAMPLES[name] in ``ns`` (with ``mlflow`` bound to the module under test);
    return the namespace and what it printed.  Trace export is flushed afterwards."""
    capsys.readouterr()
    ns = {} if ns is None else ns
    ns.setdefault("__name__", "__main__")
    ns.setdefault("mlflow", module)
    code = textwrap.dedent(EXAMPLES[name][1:])
    with as_mlflow(module):
        exec(_compile(name, code), ns)
    module.flush_trace_async_logging()
    return ns, capsys.readouterr().out


def stored_traces(mlflow, locations: list[str] | None = None) -> list:
    """The traces of the current experiment (or ``locations``), oldest first."""
    mlflow.flush_trace_async_logging()
    found = mlflow.search_traces(locations=locations, return_type="list")
    # request_time is in milliseconds: traces of one millisecond go by their spans' start
    return sorted(found, key=lambda t: min((s.start_time_ns for s in t.data.spans),
                                           default=t.info.request_time * 1_000_000))


def the_trace(mlflow):
    """The one trace the example left in the current experiment."""
    (trace,) = stored_traces(mlflow)
    assert mlflow.get_last_active_trace_id() == trace.info.trace_id
    return trace


def spans_of(trace) -> dict:
    return {span.name: span for span in trace.data.spans}


def the_span(trace):
    (span,) = trace.data.spans
    return span


TRACE_ID = re.compile(r"tr-[0-9a-f]{32}")


# ------------------------------------------------------------------ creating traces


def test_trace_decorator(mlflow, store, capsys):
    ns, out = run_example(mlflow, "trace_decorator", capsys)
    assert out == "" and stored_traces(mlflow) == []  # decorating records nothing yet
    assert ns["my_function"](1, 2) == 3
    trace = the_trace(mlflow)
    span = the_span(trace)
    assert (span.name, span.span_type, span.parent_id) == ("my_function", "UNKNOWN", None)
    assert span.inputs == {"x": 1, "y": 2} and span.outputs == 3
    assert span.attributes["mlflow.spanFunctionName"] == "my_function"
    assert span.status.status_code.value == "OK"
    assert trace.info.tags["mlflow.traceName"] == "my_function"
    assert trace.info.state.value == "OK"
    assert trace.info.request_preview == '{"x": 1, "y": 2}'
    assert trace.info.response_preview == "3"


def test_trace_is_the_same_as_start_span(mlflow, store, capsys):
    ns, out = run_example(mlflow, "trace_as_start_span", capsys)
    assert out == "" and ns["result"] == 3
    span = the_span(the_trace(mlflow))
    assert span.name == "my_function" and span.parent_id is None
    assert span.inputs == {"x": 1, "y": 2}
    assert span.outputs == {"output": 3}


def test_trace_wraps_an_external_function(mlflow, store, capsys):
    ns, _ = run_example(mlflow, "trace_external_function", capsys)
    assert ns["_"] == math.factorial(5) == 120
    span = the_span(the_trace(mlflow))
    assert span.name == "factorial"
    assert span.inputs == {"n": 5} and span.outputs == 120
    assert span.attributes["mlflow.spanFunctionName"] == "factorial"


def test_start_span(mlflow, store, capsys):
    ns, out = run_example(mlflow, "start_span", capsys)
    assert out == "" and ns["z"] == 3
    trace = the_trace(mlflow)
    span = the_span(trace)
    assert span.trace_id == ns["span"].trace_id == trace.info.trace_id
    assert (span.name, span.span_type) == ("my_span", "UNKNOWN")
    assert span.inputs == {"x": 1, "y": 2} and span.outputs == 3
    assert span.attributes["key"] == "value"
    assert span.end_time_ns >= span.start_time_ns
    assert trace.info.tags["mlflow.traceName"] == "my_span"


def test_start_span_no_context(mlflow, store, capsys):
    ns, out = run_example(mlflow, "start_span_no_context", capsys)
    assert out == ""
    assert mlflow.get_current_active_span() is None  # never made current
    trace = the_trace(mlflow)
    assert trace.info.trace_id == ns["root_span"].trace_id == ns["child_span"].trace_id
    spans = spans_of(trace)
    assert sorted(spans) == ["child_span", "my_trace"]
    assert spans["my_trace"].parent_id is None
    assert spans["child_span"].parent_id == spans["my_trace"].span_id
    assert all(s.end_time_ns is not None for s in spans.values())
    assert trace.info.tags["mlflow.traceName"] == "my_trace"


def test_log_trace(mlflow, store, capsys, read_your_writes):
    before_ms = int(time.time() * 1000)
    with pytest.warns(FutureWarning, match="log_trace`` is deprecated since 3.6.0"):
        ns, out = run_example(mlflow, "log_trace", capsys)
    assert out == ("{'retrieved_documents': ['mlflow documentation'], "
                   "'system_prompt': ['answer the question with yes or no']}\n")
    trace = the_trace(mlflow)
    assert trace.info.trace_id == ns["trace_id"]
    assert TRACE_ID.fullmatch(ns["trace_id"])
    span = the_span(trace)
    assert span.name == "Task" and trace.info.tags["mlflow.traceName"] == "Task"
    assert span.inputs == "Does mlflow support tracing?" and span.outputs == "Yes"
    # start_time_ms is when the trace starts; execution_time_ms is its duration (the
    # reference's "milliseconds since the epoch" for it is a slip: mlflow takes a duration)
    assert before_ms <= trace.info.request_time <= before_ms + 60_000
    assert trace.info.execution_time_ms == 5129
    assert span.end_time_ns - span.start_time_ns == 5129 * 1_000_000


# --------------------------------------------------------------- merging remote traces


class _Response:
    def __init__(self, body: str):
        self._body = body

    def json(self):
        import json

        return json.loads(self._body)


def remote_service(mlflow):
    """A stand-in for ``requests`` talking to a traced remote service: its ``get``
    answers ``{"trace": <a finished trace as JSON>}``.  The remote trace is recorded
    in an experiment of its own, so the current one holds only the example's."""
    import json

    experiment_id = mlflow.create_experiment("remote-service")
    root = mlflow.start_span_no_context("remote_model", span_type="CHAT_MODEL",
                                        inputs={"q": "hi"}, experiment_id=experiment_id)
    child = mlflow.start_span_no_context("remote_retriever", span_type="RETRIEVER",
                                         parent_span=root, inputs="hi")
    child.end(outputs=["doc-1"])
    root.end(outputs={"answer": "hello"})
    mlflow.flush_trace_async_logging()
    body = json.dumps({"trace": mlflow.get_trace(root.trace_id).to_dict()})
    calls = []

    def get(url, *args, **kwargs):
        calls.append(url)
        return _Response(body)

    return types.SimpleNamespace(get=get, calls=calls), root.trace_id


def assert_merged_under_predict(mlflow, remote_trace_id):
    trace = the_trace(mlflow)
    assert trace.info.trace_id != remote_trace_id
    spans = spans_of(trace)
    assert sorted(spans) == ["predict", "remote_model", "remote_retriever"]
    predict, model, retriever = (spans[n] for n in ("predict", "remote_model",
                                                    "remote_retriever"))
    assert predict.parent_id is None
    assert model.parent_id == predict.span_id
    assert retriever.parent_id == model.span_id
    assert {s.trace_id for s in spans.values()} == {trace.info.trace_id}
    assert (model.span_type, model.inputs, model.outputs) == (
        "CHAT_MODEL", {"q": "hi"}, {"answer": "hello"})
    assert (retriever.span_type, retriever.outputs) == ("RETRIEVER", ["doc-1"])
    return predict


def test_add_trace_under_the_current_span(mlflow, store, capsys):
    requests, remote_trace_id = remote_service(mlflow)
    ns, out = run_example(mlflow, "add_trace", capsys, {"requests": requests})
    assert ns["predict"]("hello") is None
    assert requests.calls == ["https://your-service-endpoint"]
    predict = assert_merged_under_predict(mlflow, remote_trace_id)
    assert predict.inputs == {"input": "hello"}


def test_add_trace_under_a_target_span(mlflow, store, capsys):
    requests, remote_trace_id = remote_service(mlflow)
    ns, out = run_example(mlflow, "add_trace_target", capsys, {"requests": requests})
    assert ns["predict"]("hello") is None
    assert requests.calls == ["https://your-service-endpoint"]
    assert_merged_under_predict(mlflow, remote_trace_id)


# ------------------------------------------------------- the active span and trace


def test_get_current_active_span(mlflow, store, capsys):
    ns, out = run_example(mlflow, "get_current_active_span", capsys)
    assert out == "" and ns["_"] == 0
    span = the_span(the_trace(mlflow))
    assert span.name == "f" and span.attributes["key"] == "value" and span.outputs == 0
    assert mlflow.get_current_active_span() is None


def test_get_active_trace_id(mlflow, store, capsys):
    _, out = run_example(mlflow, "get_active_trace_id", capsys)
    trace = the_trace(mlflow)
    assert out == trace.info.trace_id + "\n"
    assert TRACE_ID.fullmatch(out.strip())
    assert mlflow.get_active_trace_id() is None  # outside the function


def test_get_last_active_trace_id(mlflow, store, capsys, read_your_writes):
    ns, out = run_example(mlflow, "get_last_active_trace_id", capsys)
    assert out == ""
    trace = the_trace(mlflow)
    assert trace.info.trace_id == ns["trace_id"] == ns["trace"].info.trace_id
    assert ns["trace"].info.tags["key"] == "value"  # the tag set on the stored trace
    assert trace.info.tags["key"] == "value"
    assert the_span(ns["trace"]).name == "f"


def test_update_current_trace_in_a_traced_function(mlflow, store, capsys):
    ns, _ = run_example(mlflow, "update_current_trace_in_function", capsys)
    assert ns["my_func"](1) == 2
    trace = the_trace(mlflow)
    assert trace.info.tags["fruit"] == "apple"
    assert trace.info.client_request_id == "req-12345"
    assert the_span(trace).name == "my_func"


def test_update_current_trace_in_a_span(mlflow, store, capsys):
    run_example(mlflow, "update_current_trace_in_span", capsys)
    trace = the_trace(mlflow)
    assert the_span(trace).name == "span"
    assert trace.info.tags["fruit"] == "apple"
    assert trace.info.client_request_id == "req-12345"


SOURCE_METADATA = {
    "mlflow.trace.session": "session-4f855da00427",
    "mlflow.trace.user": "user-id-cc156f29bcfb",
    "mlflow.source.name": "inference.py",
    "mlflow.source.git.commit": "1234567890",
    "mlflow.source.git.repoURL": "https://github.com/mlflow/mlflow",
}


def test_update_current_trace_overrides_the_source_metadata(mlflow, store, capsys):
    # The snippet is meant for inside a traced function or span (see the two above).
    with mlflow.start_span("handler"):
        run_example(mlflow, "update_current_trace_metadata", capsys)
    metadata = the_trace(mlflow).info.trace_metadata
    assert {k: metadata.get(k) for k in SOURCE_METADATA} == SOURCE_METADATA


def test_update_current_trace_with_no_active_trace_warns(mlflow, store, capsys, library_log):
    # The reference says this raises; mlflow 3.17.2 logs a warning and returns, and so
    # do we (code that calls it outside a trace keeps working).
    run_example(mlflow, "update_current_trace_metadata", capsys)
    assert "No active trace found" in library_log.text
    assert stored_traces(mlflow) == []


def fake_openai(reply: str):
    """A stand-in ``openai`` module: ``openai.chat.completions.create`` answers ``reply``."""
    calls = []

    def create(model, messages):
        calls.append((model, messages))
        message = types.SimpleNamespace(role="assistant", content=reply)
        return types.SimpleNamespace(choices=[types.SimpleNamespace(message=message)])

    module = types.ModuleType("openai")
    module.chat = types.SimpleNamespace(completions=types.SimpleNamespace(create=create))
    module.calls = calls
    return module


def test_update_current_trace_request_preview(mlflow, store, capsys, monkeypatch):
    openai = fake_openai("I'm MLflow.")
    monkeypatch.setitem(sys.modules, "openai", openai)
    ns, _ = run_example(mlflow, "update_current_trace_request_preview", capsys)
    assert ns["_"] == "I'm MLflow."
    assert openai.calls == [("o4-mini", ns["messages"])]
    trace = the_trace(mlflow)
    # The example's closing comment says "Hi, how are you? ... Bye!", but its code keeps
    # the first 10 characters of each message: mlflow stores "Hi, how ar ... Bye!".
    assert trace.info.request_preview == "Hi, how ar ... Bye!"
    assert trace.info.response_preview == '"I\'m MLflow."'
    span = the_span(trace)
    assert span.name == "predict" and span.inputs == {"messages": ns["messages"]}


# --------------------------------------------------- reading, searching and tagging


def test_get_trace(mlflow, store, capsys, read_your_writes):
    ns, out = run_example(mlflow, "get_trace", capsys)
    trace = ns["trace"]
    assert out == f"Trace(trace_id='{trace.info.trace_id}')\n"
    assert trace.info.trace_id == ns["span"].trace_id
    span = the_span(trace)
    assert span.name == "span" and span.attributes["key"] == "value"


def test_search_traces_extract_fields(mlflow, store, capsys, read_your_writes):
    pytest.importorskip("pandas")
    with pytest.warns(FutureWarning, match="`extract_fields` parameter is deprecated"):
        ns, _ = run_example(mlflow, "search_traces_extract_fields", capsys)
    frame = ns["_"]
    assert len(frame) == 1
    assert list(frame.columns[-3:]) == ["span1.inputs", "span1.outputs", "span1.outputs.c"]
    row = frame.iloc[0]
    assert row["span1.inputs"] == {"a": 1, "b": 2}
    assert row["span1.outputs"] == {"c": 3, "d": 4}
    assert row["span1.outputs.c"] == 3
    assert row["trace_id"] == the_trace(mlflow).info.trace_id


def test_search_traces_extract_fields_of_non_dict_values(mlflow, store, capsys,
                                                         read_your_writes):
    pytest.importorskip("pandas")
    with pytest.warns(FutureWarning, match="`extract_fields` parameter is deprecated"):
        ns, _ = run_example(mlflow, "search_traces_non_dict", capsys)
    frame = ns["_"]  # return_type defaults to "pandas" when pandas is installed
    assert len(frame) == 1
    assert list(frame.columns[-2:]) == ["non_dict_span.inputs", "non_dict_span.outputs"]
    assert frame.iloc[0]["non_dict_span.inputs"] == ["a", "b"]
    assert frame.iloc[0]["non_dict_span.outputs"] == [1, 2, 3]


class _Assignments(dict):
    """A namespace that remembers every value assigned to each name."""

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}

    def __setitem__(self, key, value):
        self.history.setdefault(key, []).append(value)
        super().__setitem__(key, value)


def test_extract_fields_with_dots_in_names(mlflow, store, capsys, read_your_writes):
    pandas = pytest.importorskip("pandas")
    with mlflow.start_span(name="span.name") as span:
        span.set_inputs({"field": 1, "field.name": 2})
    with mlflow.start_span(name="span") as span:
        span.set_inputs({"field.name": 3})
    # the snippet only assigns extract_fields (three times): run it, then search with each
    namespace = _Assignments()
    exec(_compile("extract_fields_backticks", textwrap.dedent(
        EXAMPLES["extract_fields_backticks"][1:])), {}, namespace)
    found = []
    for fields in namespace.history["extract_fields"]:
        with pytest.warns(FutureWarning, match="`extract_fields` parameter is deprecated"):
            frame = mlflow.search_traces(extract_fields=fields)
        (column,) = frame.columns[-1:]
        found.append((column, [v for v in frame[column] if not pandas.isna(v)]))
    assert found == [("span.name.inputs.field", [1]), ("span.inputs.field.name", [3]),
                     ("span.name.inputs.field.name", [2])]


def test_malformed_extract_fields_are_refused(mlflow, store, read_your_writes):
    # The reference says a malformed field is silently left out; mlflow 3.17.2 refuses it
    # (INVALID_PARAMETER_VALUE), and so do we.  A field that matches nothing is a column
    # of None.  Fields are for DataFrames only.
    pytest.importorskip("pandas")
    with mlflow.start_span(name="s") as span:
        span.set_outputs({"k": 1})
    with pytest.warns(FutureWarning):
        for bad in ("bogus", "s.foo", "`s.outputs", "s.outputs.`k"):
            with pytest.raises(mlflow.MlflowException, match="Expected|Invalid field") as err:
                mlflow.search_traces(extract_fields=[bad])
            assert err.value.error_code == "INVALID_PARAMETER_VALUE"
        with pytest.raises(mlflow.MlflowException, match="only supported when return type"):
            mlflow.search_traces(extract_fields=["s.outputs"], return_type="list")
        frame = mlflow.search_traces(extract_fields=["s.outputs.k", "s.inputs.q", "t.outputs"])
    assert frame["s.outputs.k"].tolist() == [1]
    assert frame[["s.inputs.q", "t.outputs"]].isna().all().all()


def test_search_traces_by_run_id(mlflow, store, capsys, read_your_writes):
    ns, _ = run_example(mlflow, "search_traces_run_id", capsys)
    run_id = ns["run"].info.run_id
    (trace,) = ns["_"]
    assert trace.info.trace_metadata["mlflow.sourceRun"] == run_id
    span = the_span(trace)
    assert (span.name, span.inputs, span.outputs) == ("traced_func", {"x": 1}, 2)
    assert trace.info.trace_id == the_trace(mlflow).info.trace_id
    with mlflow.start_run():
        ns["traced_func"](2)
    assert [t.info.trace_id for t in mlflow.search_traces(
        run_id=run_id, return_type="list")] == [trace.info.trace_id]


def test_set_trace_tag(mlflow, store, capsys):
    run_example(mlflow, "set_trace_tag", capsys)
    trace = the_trace(mlflow)
    assert the_span(trace).name == "span"
    assert trace.info.tags["key"] == "value"


def test_delete_trace_tag(mlflow, store, capsys):
    run_example(mlflow, "delete_trace_tag", capsys)
    trace = the_trace(mlflow)
    assert the_span(trace).name == "my_span"
    assert "key" not in trace.info.tags
    assert trace.info.tags["mlflow.traceName"] == "my_span"


def test_flush_trace_async_logging(mlflow, store):
    # No example in the reference: a flush returns once the ended trace is stored.
    with mlflow.start_span("before"):
        pass
    mlflow.flush_trace_async_logging()
    assert [the_span(t).name for t in stored_traces(mlflow)] == ["before"]


@xfail_on_mlflow("after flush_trace_async_logging(terminate=True) mlflow drops later traces "
                 "('Processor is already shutdown') until tracing is reset; aiomlflow's one "
                 "worker keeps exporting them")
def test_traces_after_a_terminating_flush_are_stored(mlflow, store):
    with mlflow.start_span("before"):
        pass
    mlflow.flush_trace_async_logging(terminate=True)
    with mlflow.start_span("after"):
        pass
    mlflow.flush_trace_async_logging()
    assert [the_span(t).name for t in stored_traces(mlflow)] == ["before", "after"]


# ------------------------------------------------------------ mlflow.tracing settings


def log_login(mlflow, name: str = "login"):
    with mlflow.start_span(name) as span:
        span.set_inputs({"user": "ann", "password": "hunter2"})
        span.set_outputs({"client_secret": "s3cr3t", "ok": True})
        span.set_attribute("openai_api_key", "sk-123")
    mlflow.flush_trace_async_logging()
    return the_span(mlflow.get_trace(mlflow.get_last_active_trace_id()))


def test_configure_span_processors(mlflow, store, capsys):
    ns, out = run_example(mlflow, "configure", capsys)
    assert out == ""
    # the permanent change outlives the temporary one of the ``with`` block
    span = log_login(mlflow)
    assert span.inputs == {"user": "ann", "password": "[REDACTED]"}
    assert span.outputs == {"client_secret": "[REDACTED]", "ok": True}
    assert span.attributes["openai_api_key"] == "[REDACTED]"
    # the temporary change is undone when its block ends
    mlflow.tracing.configure(span_processors=[])
    with mlflow.tracing.configure(span_processors=[ns["pii_filter"]]):
        inside = log_login(mlflow, "inside")
    outside = log_login(mlflow, "outside")
    assert inside.inputs["password"] == "[REDACTED]"
    assert outside.inputs["password"] == "hunter2"
    assert outside.attributes["openai_api_key"] == "sk-123"


def test_disable(mlflow, store, capsys, read_your_writes):
    ns, out = run_example(mlflow, "disable", capsys)  # its asserts hold
    assert ns["f"]() == 0  # still disabled: the function runs, nothing is recorded
    assert [the_span(t).name for t in stored_traces(mlflow)] == ["f"]


def test_enable(mlflow, store, capsys, read_your_writes):
    ns, out = run_example(mlflow, "enable", capsys)  # its asserts hold
    assert [the_span(t).name for t in stored_traces(mlflow)] == ["f", "f"]


def test_notebook_display_switches(mlflow):
    # No example in the reference: outside a notebook the switches only record the choice.
    mlflow.tracing.disable_notebook_display()
    mlflow.tracing.enable_notebook_display()


def make_experiment(mlflow, request, store, experiment_id: str) -> str:
    """An experiment with this exact id, written into the store's database (ids are
    handed out in sequence; the reference's example uses "123")."""
    mlflow.search_experiments()  # a new database gets its schema
    if store.startswith("http"):
        path = request.getfixturevalue("rest_server").db_path
    else:
        path = store[len("sqlite:///"):]
    now = int(time.time() * 1000)
    db = sqlite3.connect(path, timeout=30)
    with db:
        db.execute("INSERT INTO experiments (experiment_id, name, artifact_location, "
                   "lifecycle_stage, creation_time, last_update_time) "
                   "VALUES (?, ?, ?, 'active', ?, ?)",
                   (int(experiment_id), f"destination-{experiment_id}",
                    f"mlruns/{experiment_id}", now, now))
    db.close()
    return experiment_id


def traced_f(mlflow):
    @mlflow.trace
    def f():
        return 0

    return f


def names_in(mlflow, experiment_id: str) -> list[str]:
    return [the_span(t).name for t in stored_traces(mlflow, [experiment_id])]


def test_set_destination_to_an_experiment_then_reset(mlflow, store, capsys, request):
    make_experiment(mlflow, request, store, "123")
    f = traced_f(mlflow)
    run_example(mlflow, "set_destination_experiment", capsys)
    f()
    with mlflow.start_span("block"):
        pass
    assert names_in(mlflow, "123") == ["f", "block"]
    assert names_in(mlflow, "0") == []
    run_example(mlflow, "reset_destination", capsys)
    f()
    assert names_in(mlflow, "0") == ["f"]
    assert len(names_in(mlflow, "123")) == 2


def test_set_destination_context_local(mlflow, store, capsys, request):
    make_experiment(mlflow, request, store, "123")
    f = traced_f(mlflow)
    # The snippet uses MlflowExperimentLocation imported by the first one on the page.
    ns, _ = run_example(mlflow, "set_destination_experiment", capsys)
    run_example(mlflow, "reset_destination", capsys)
    errors = []

    def tenant():
        try:
            run_example(mlflow, "set_destination_context_local", capsys, dict(ns))
            f()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=tenant)
    worker.start()
    worker.join()
    assert errors == []
    f()  # this thread keeps the default destination
    assert names_in(mlflow, "123") == ["f"]
    assert names_in(mlflow, "0") == ["f"]


def test_set_destination_takes_the_deprecated_destination_classes(mlflow, store, request):
    # The context_local example imports Databricks from mlflow.tracing.destination, the
    # classes MLflow 3.5 deprecated for trace locations; set_destination still takes them.
    make_experiment(mlflow, request, store, "123")
    with as_mlflow(mlflow):
        from mlflow.tracing.destination import Databricks
    with pytest.warns(FutureWarning, match="deprecated since 3.5.0"):
        destination = Databricks(experiment_id=123)
    assert destination.to_location().experiment_id == "123"
    mlflow.tracing.set_destination(destination)
    traced_f(mlflow)()
    assert names_in(mlflow, "123") == ["f"]


@skip_on_mlflow("mlflow accepts the location and fails to export each trace later "
                "(no Databricks workspace)")
def test_set_destination_to_unity_catalog_is_refused(mlflow, store, capsys):
    with pytest.raises(mlflow.MlflowException, match="Databricks|Unity Catalog"):
        run_example(mlflow, "set_destination_uc_schema", capsys)
    f = traced_f(mlflow)
    f()  # traces still go to the experiment
    assert names_in(mlflow, "0") == ["f"]


@skip_on_mlflow("needs a Databricks workspace (Unity Catalog schema, SQL warehouse)")
@pytest.mark.parametrize("name", ["set_experiment_trace_location",
                                  "unset_experiment_trace_location"])
def test_experiment_trace_locations_are_databricks_only(mlflow, store, capsys, name):
    with pytest.raises(mlflow.MlflowException, match="Databricks") as caught:
        run_example(mlflow, name, capsys)
    assert caught.value.error_code == "NOT_IMPLEMENTED"


def test_uc_schema_location_table_names(mlflow):
    # The location the two examples above build.  The reference's comment shows the
    # spans table as "my_catalog.my_schema.otel_spans_table"; mlflow 3.17.2 names it
    # mlflow_experiment_trace_otel_spans (and the server may choose its own).
    location = mlflow.entities.UCSchemaLocation(catalog_name="my_catalog",
                                                schema_name="my_schema")
    assert location.schema_location == "my_catalog.my_schema"
    assert location.full_otel_spans_table_name == (
        "my_catalog.my_schema.mlflow_experiment_trace_otel_spans")
    assert location.full_otel_logs_table_name == (
        "my_catalog.my_schema.mlflow_experiment_trace_otel_logs")
    assert location.to_dict() == {
        "catalog_name": "my_catalog", "schema_name": "my_schema",
        "otel_spans_table_name": "mlflow_experiment_trace_otel_spans",
        "otel_logs_table_name": "mlflow_experiment_trace_otel_logs"}
    assert type(location).from_dict(location.to_dict()) == location


def test_set_span_chat_tools(mlflow, store, capsys):
    ns, out = run_example(mlflow, "set_span_chat_tools", capsys)
    assert out == "" and ns["_"] == 0
    span = the_span(the_trace(mlflow))
    assert span.name == "f"
    assert span.attributes["mlflow.chat.tools"] == ns["tools"]


# ------------------------------------------------------------------- logged models


def test_traces_are_linked_to_the_active_model(mlflow, store, capsys, read_your_writes):
    ns, out = run_example(mlflow, "set_active_model", capsys)  # its assert holds
    assert re.fullmatch(r"m-[0-9a-f]{32}\n", out)
    (trace,) = ns["traces"]
    assert trace.info.trace_metadata["mlflow.modelId"] == mlflow.get_active_model_id()
    assert the_span(trace).name == "predict"
