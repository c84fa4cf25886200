"""The tracing functions of the ``mlflow`` module: spans, the current trace, and
reading, tagging and searching stored traces."""

from __future__ import annotations

import contextlib
import logging
import warnings

from ...entities.span import LiveSpan, NoOpSpan
from ...entities.trace_state import TraceState
from ...exceptions import MlflowException
from ...searches import TraceSearch
from ...workers.registry import get_engine
from .. import tracking_uri
from . import builder, extract, spans, store
from .decorator import trace  # noqa: F401  (re-exported)

_logger = logging.getLogger("aiomlflow")
_SEARCH_PAGE = 100
_MAX_SEARCH_RESULTS = 50_000

__all__ = [
    "add_trace", "delete_trace_tag", "flush_trace_async_logging", "get_active_trace_id",
    "get_current_active_span", "get_last_active_trace_id", "get_trace", "log_trace",
    "search_traces", "set_trace_tag", "start_span", "start_span_no_context", "trace",
    "update_current_trace",
]


# ---------------------------------------------------------------------------- spans
@contextlib.contextmanager
def start_span(name: str = "span", span_type: str | None = "UNKNOWN",
               attributes: dict | None = None, trace_destination=None, log_level=None,
               run_id: str | None = None, links=None, description: str | None = None):
    """A span for the ``with`` block, child of the current span (or a new trace's root);
    an exception in the block is recorded on it and propagates."""
    span = spans.open_span(name, span_type, spans.current_span.get(), attributes,
                           getattr(trace_destination, "experiment_id", None), None, log_level,
                           links, description, run_id)
    token = spans.current_span.set(span)
    try:
        yield span
    except BaseException as exc:
        spans.reset_current(token)
        spans.finish_span(span, exc)
        raise
    spans.reset_current(token)
    spans.finish_span(span)


def start_span_no_context(name: str, span_type: str = "UNKNOWN", parent_span=None,
                          inputs=None, attributes: dict | None = None,
                          tags: dict | None = None, metadata: dict | None = None,
                          experiment_id: str | None = None, start_time_ns: int | None = None,
                          log_level=None, links=None, description: str | None = None) -> LiveSpan:
    """Start a span that is not made current: end it yourself with ``span.end()``.
    Without ``parent_span`` it starts a new trace (in ``experiment_id`` if given), whose
    ``tags`` and ``metadata`` are set."""
    if parent_span is not None and not isinstance(parent_span, NoOpSpan):
        spans.require_live_span(parent_span)
    span = spans.open_span(name, span_type, parent_span, attributes, experiment_id,
                           start_time_ns, log_level, links, description)
    if isinstance(span, NoOpSpan):
        return span
    if inputs is not None:
        span.set_inputs(inputs)
    if parent_span is None:
        trace = span._trace
        if tags:
            trace.tags.update({str(k): str(v) for k, v in tags.items()})
        if metadata:
            trace.metadata.update({str(k): str(v) for k, v in metadata.items()})
    return span


def get_current_active_span() -> LiveSpan | None:
    """The span current in this thread / task, or None."""
    span = spans.current_span.get()
    return None if span is None or isinstance(span, NoOpSpan) else span


def get_active_trace_id() -> str | None:
    """The id of the trace the current span belongs to, or None."""
    span = get_current_active_span()
    return None if span is None else span.trace_id


def get_last_active_trace_id(thread_local: bool = False) -> str | None:
    """The id of the last trace that ended (in this thread/task with ``thread_local``)."""
    return builder.last_trace_id(thread_local)


def update_current_trace(tags: dict | None = None, metadata: dict | None = None,
                         client_request_id: str | None = None,
                         request_preview: str | None = None,
                         response_preview: str | None = None, state=None,
                         model_id: str | None = None, session_id: str | None = None,
                         user: str | None = None) -> None:
    """Change the trace the current span belongs to (before it is stored)."""
    span = get_current_active_span()
    trace = None if span is None else span._trace
    if trace is None or trace.trace_id not in builder.live_traces:
        _logger.warning(
            "No active trace found. Please create a span using `mlflow.start_span` or "
            "`@mlflow.trace` before calling `mlflow.update_current_trace`.")
        return
    for label, preview in (("request_preview", request_preview),
                           ("response_preview", response_preview)):
        if preview is not None and not isinstance(preview, str):
            raise MlflowException.invalid_parameter_value(
                f"The `{label}` parameter must be a string, but got {type(preview)}.")
    if state is not None:
        value = state.value if isinstance(state, TraceState) else state
        if value not in ("OK", "ERROR"):
            raise MlflowException.invalid_parameter_value(
                f"State must be either 'OK' or 'ERROR', but got '{value}'.")
        trace.state = TraceState(value)
    if tags:
        trace.tags.update({str(k): str(v) for k, v in tags.items()})
    if metadata:
        trace.metadata.update({str(k): str(v) for k, v in metadata.items()})
    if client_request_id is not None:
        trace.client_request_id = str(client_request_id)
    if request_preview is not None:
        trace.request_preview = request_preview
    if response_preview is not None:
        trace.response_preview = response_preview
    if model_id is not None:
        trace.metadata["mlflow.modelId"] = str(model_id)
    if session_id is not None:
        trace.metadata["mlflow.trace.session"] = str(session_id)
    if user is not None:
        trace.metadata["mlflow.trace.user"] = str(user)


def log_trace(name: str = "Task", request=None, response=None,
              intermediate_outputs: dict | None = None, attributes: dict | None = None,
              tags: dict | None = None, start_time_ms: int | None = None,
              execution_time_ms: int | None = None) -> str:
    """Record a one-span trace from a request and response; return its id.

    Deprecated since MLflow 3.6.0 (a FutureWarning, as in MLflow)."""
    warnings.warn("``mlflow.tracing.fluent.log_trace`` is deprecated since 3.6.0. This method "
                  "will be removed in a future release.", FutureWarning, stacklevel=2)
    if intermediate_outputs:
        attributes = dict(attributes or {})
        attributes["mlflow.trace.intermediate_outputs"] = intermediate_outputs
    span = start_span_no_context(name=name, inputs=request, attributes=attributes, tags=tags,
                                 start_time_ns=start_time_ms * 1_000_000 if start_time_ms
                                 else None)
    end_ns = ((start_time_ms + execution_time_ms) * 1_000_000
              if start_time_ms and execution_time_ms else None)
    span.end(outputs=response, end_time_ns=end_ns)
    return span.trace_id


def add_trace(trace, target: LiveSpan | None = None) -> None:
    """Add a complete trace (a Trace or its dict) as a subtree of ``target`` (default:
    the current span), e.g. one returned by a remote service."""
    from ...entities.trace import Trace

    if isinstance(trace, dict):
        try:
            trace = Trace.from_dict(trace)
        except Exception as exc:
            raise MlflowException.invalid_parameter_value(
                "Failed to load a trace object from the given dictionary. Please ensure the "
                f"dictionary is in the correct MLflow Trace format. Error: {exc}") from None
    elif not isinstance(trace, Trace):
        raise MlflowException.invalid_parameter_value(
            f"Invalid trace object: {type(trace)}. Please provide a valid MLflow Trace object "
            "to add it to the current active trace. If you want to log the trace to the "
            "tracking server, use `mlflow.log_trace()` instead.")
    if trace.info.state != TraceState.OK and trace.info.state != TraceState.ERROR:
        raise MlflowException.invalid_parameter_value(
            "The trace must be ended before adding it to another trace. Current trace "
            f"state: {trace.info.state}.")
    parent = target if target is not None else get_current_active_span()
    if parent is None:
        # a new trace whose root stands for the added one
        roots = [s for s in trace.data.spans if s.parent_id is None]
        root = roots[0] if roots else None
        with start_span(name="Remote Trace <" + (root.name if root else "") + ">") as parent:
            _graft(trace, parent)
        return
    _graft(trace, spans.require_live_span(parent))


def _graft(trace, parent: LiveSpan) -> None:
    # Copy every span under ``parent`` with new ids in the parent's trace, keeping their
    # times, attributes, events and status.
    from ...entities.span import TRACE_REQUEST_ID

    if isinstance(parent, NoOpSpan):
        return
    owner = parent._trace
    new_ids: dict[str, str] = {}
    for span in sorted(trace.data.spans, key=lambda s: (s.parent_id is not None,
                                                         s.start_time_ns)):
        new_parent_id = new_ids.get(span.parent_id, parent.span_id)
        copy = LiveSpan(owner, builder.ids.new_span_id(), new_parent_id, span.name,
                        None, span.start_time_ns)
        new_ids[span.span_id] = copy.span_id
        copy._attributes.update(span._attributes)
        copy._attributes[TRACE_REQUEST_ID] = f'"{owner.trace_id}"'
        copy._events = list(span._events)
        copy._status = span.status
        copy._end_ns = span.end_time_ns
        copy._ended = True
        with builder.spans_lock:
            owner.spans.append(copy)


# ---------------------------------------------------------------------------- stored traces
def _engine():
    return get_engine(tracking_uri.get_tracking_uri())


def get_trace(trace_id: str, silent: bool = False, flush: bool = False):
    """The trace with this id, or None with a warning (none if ``silent``) when it
    cannot be read.  This process's pending trace writes are always waited for first,
    which is what ``flush=True`` asks of MLflow."""
    return store.read_trace(_engine(), trace_id, silent)


def set_trace_tag(trace_id: str, key: str, value: str) -> None:
    """Set a tag on a trace (in progress or stored)."""
    store.set_tag(_engine(), trace_id, key, value)


def delete_trace_tag(trace_id: str, key: str) -> None:
    """Delete a tag of a trace (in progress or stored)."""
    store.delete_tag(_engine(), trace_id, key)


def search_traces(experiment_ids: list[str] | None = None, filter_string: str | None = None,
                  max_results: int | None = None, order_by: list[str] | None = None,
                  extract_fields: list[str] | None = None, run_id: str | None = None,
                  return_type: str | None = None, model_id: str | None = None,
                  sql_warehouse_id: str | None = None, include_spans: bool = True,
                  locations: list[str] | None = None, flush: bool = False):
    """Traces of the given experiments (default: the current one) matching the filter,
    as a pandas DataFrame (``return_type="pandas"``, the default) or a list of Trace.
    ``extract_fields`` (deprecated, pandas only) adds a column per span input / output
    field, e.g. ``"predict.outputs.result"``.  This process's pending trace writes are
    always waited for first (what ``flush=True`` asks of MLflow)."""
    if sql_warehouse_id is not None:
        raise MlflowException(
            "search_traces(sql_warehouse_id=...) is Databricks-only and not supported by "
            "aiomlflow.", "NOT_IMPLEMENTED")
    if return_type is None:
        return_type = "pandas"
    if return_type not in ("pandas", "list"):
        raise MlflowException.invalid_parameter_value(
            f"Invalid return type: {return_type}. Return type must be either 'pandas' or 'list'.")
    if extract_fields is not None:
        warnings.warn("The `extract_fields` parameter is deprecated and will be removed in a "
                      "future version.", FutureWarning, stacklevel=2)
        if return_type != "pandas":
            raise MlflowException.invalid_parameter_value(
                "The `extract_fields` parameter is only supported when return type is set to "
                "'pandas'.")
        for field in extract_fields:  # a malformed field fails before the search
            extract.parse_field(field)
    ids = store.locations_of(experiment_ids, locations)
    if not ids:
        from .. import fluent

        active = fluent.active_run()
        ids = [active.info.experiment_id if active is not None
               else spans._default_experiment_id(_engine())]
    combined = store.search_filter(filter_string, run_id, model_id)
    if max_results is not None and (not isinstance(max_results, int) or max_results < 1):
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for 'max_results': {max_results}. It must be a positive integer.")
    engine = _engine()
    traces: list = []
    token = None
    while max_results is None or len(traces) < max_results:
        want = _SEARCH_PAGE if max_results is None else min(max_results - len(traces),
                                                            _MAX_SEARCH_RESULTS)
        page, token = store.search_page(engine, TraceSearch(
            experiment_ids=tuple(ids), filter_string=combined, max_results=want,
            order_by=tuple(order_by or ()), page_token=token), include_spans)
        traces.extend(page)
        if not token:
            break
    if return_type == "list":
        return traces
    frame = _frame(traces)
    return frame if not extract_fields else extract.add_columns(frame, traces, extract_fields)


def _frame(traces: list):
    from ...utils.optional import require

    pandas = require("pandas", "search_traces(return_type='pandas')")
    from ...entities.trace import Trace

    rows = [t.to_pandas_dataframe_row() for t in traces]
    return pandas.DataFrame(rows, columns=Trace.pandas_dataframe_columns())


def flush_trace_async_logging(terminate: bool = False) -> None:
    """Return when every trace that ended before the call is stored.

    ``terminate`` stops MLflow's trace-export threads after the flush (they restart on
    the next trace).  Here traces are exported by the engine's one worker, which also
    serves the runs' logging and so keeps running: after the flush there is nothing
    left to stop, and the next trace is exported the same way (what ``terminate``
    gives in MLflow)."""
    from ...workers.registry import running_engines

    for engine in running_engines():
        store.written(engine, raise_errors=True)
