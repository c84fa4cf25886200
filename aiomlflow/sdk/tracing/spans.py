"""Span creation and the current-span context.

The current span lives in a context variable: each thread and each asyncio or trio task
sees its own, a task started inside a span inherits it, and a span started in one thread
never becomes another thread's parent.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import random

from ...entities.span import SPAN_INPUTS, LiveSpan, NoOpSpan, dump_attribute_value
from ...exceptions import MlflowException
from ...workers.registry import get_engine
from .. import fluent, run_context, tracking_uri
from ..client import MlflowClient
from ..models import active as active_model
from . import builder, config

_logger = logging.getLogger("aiomlflow")

current_span: contextvars.ContextVar = contextvars.ContextVar(
    "aiomlflow_current_span", default=None)
_base_metadata: dict | None = None
MODEL_ID = "mlflow.modelId"  # trace metadata: the logged model a trace belongs to
_experiment_cache: dict = {}


def _process_metadata() -> dict[str, str]:
    global _base_metadata
    if _base_metadata is None:  # user, source and git facts do not change in a process
        _base_metadata = {builder.SCHEMA_VERSION: "3", **run_context.default_run_tags()}
    return _base_metadata


def _default_experiment_id(engine) -> str:
    # The fluent API's experiment (set_experiment, MLFLOW_EXPERIMENT_NAME/_ID, Default);
    # resolving the environment's name costs a store lookup, so it is cached per setting.
    environ = os.environ
    key = (engine.tracking_uri, fluent._active_experiment_id,
           environ.get("MLFLOW_EXPERIMENT_NAME"), environ.get("MLFLOW_EXPERIMENT_ID"))
    found = _experiment_cache.get(key)
    if found is None:
        found = fluent._resolve_experiment_id(MlflowClient(engine.tracking_uri))
        _experiment_cache.clear()
        _experiment_cache[key] = found
    return found


def _new_trace(experiment_id: str | None, run_id: str | None,
               engine=None) -> builder.TraceBuilder:
    if engine is None:
        engine = get_engine(tracking_uri.get_tracking_uri())
    active = fluent.active_run()
    if experiment_id is None:
        experiment_id = config.destination_experiment_id()
    if experiment_id is None:
        experiment_id = (active.info.experiment_id if active is not None
                         else _default_experiment_id(engine))
    if run_id is None and active is not None:
        run_id = active.info.run_id
    metadata = None if run_id is None else {builder.SOURCE_RUN: run_id}
    model_id = active_model.get_active_model_id_global()
    if model_id:  # traces made while a model is active are linked to it, as in MLflow
        metadata = {**(metadata or {}), MODEL_ID: model_id}
    return builder.TraceBuilder(str(experiment_id), engine, _process_metadata(), metadata)


def sampled(ratio: float | None) -> bool:
    """Whether a new trace is recorded under ``ratio`` (or MLFLOW_TRACE_SAMPLING_RATIO)."""
    if ratio is None:
        ratio = config.sampling_ratio()
    return ratio >= 1.0 or random.random() < ratio


def open_span(name: str, span_type: str | None = "UNKNOWN", parent=None,
              attributes: dict | None = None, experiment_id: str | None = None,
              start_time_ns: int | None = None, log_level=None, links=None,
              description: str | None = None, run_id: str | None = None,
              sampling_ratio: float | None = None, engine=None) -> LiveSpan:
    """Start a span under ``parent`` (a new trace's root when None); a NoOpSpan while
    tracing is disabled, under a NoOpSpan, or when the trace is not sampled."""
    if not config.is_enabled() or isinstance(parent, NoOpSpan):
        return NoOpSpan()
    if parent is None:
        if not sampled(sampling_ratio):
            return NoOpSpan()
        trace = _new_trace(experiment_id, run_id, engine)
    else:
        if experiment_id is not None:
            _logger.warning(
                "The `experiment_id` parameter can only be used for root spans, but the span "
                "`%s` is not a root span. The specified value `%s` will be ignored.",
                name, experiment_id)
        trace = parent._trace
    span = trace.new_span(name, span_type, parent, start_time_ns)
    if attributes:
        span.set_attributes(attributes)
    if description is not None:
        span.set_description(description)
    if log_level is not None:
        span.set_log_level(log_level)
    for link in links or ():
        span.add_link(link)
    return span


def set_inputs_fast(span: LiveSpan, inputs) -> None:
    """``span.set_inputs`` for a span known to be live (the decorator's path)."""
    span._attributes[SPAN_INPUTS] = dump_attribute_value(inputs)


def finish_span(span: LiveSpan, error: BaseException | None = None) -> None:
    """End a span as the context managers and decorators do: an exception is recorded
    (ERROR status, ``exception`` event) before the end."""
    if error is not None and isinstance(error, Exception):
        span.record_exception(error)
    span.end()


def reset_current(token) -> None:
    """Restore the current span a ``current_span.set`` replaced."""
    try:
        current_span.reset(token)
    except ValueError:  # reset from another context (a generator moved between tasks)
        current_span.set(None)


@contextlib.contextmanager
def use_span(span: LiveSpan):
    """Make ``span`` the current span for the block."""
    token = current_span.set(span)
    try:
        yield span
    finally:
        reset_current(token)


def find_live_span(trace_id: str, span_id: str | None) -> LiveSpan:
    """A span (the root when ``span_id`` is None) of a trace in progress in this
    process; MLflow's error if there is none."""
    trace = builder.live_traces.get(trace_id)
    if trace is None:
        raise MlflowException(
            f"Trace with ID {trace_id} not found or already ended.",
            "RESOURCE_DOES_NOT_EXIST")
    with builder.spans_lock:
        for span in trace.spans:
            if (span.parent_id is None) if span_id is None else span.span_id == span_id:
                return span
    raise MlflowException(f"Span with ID {span_id} is not found in trace {trace_id}.",
                          "RESOURCE_DOES_NOT_EXIST")


def require_live_span(span) -> LiveSpan:
    """``span`` if it is a LiveSpan of this process, else MLflow's error."""
    if not isinstance(span, LiveSpan):
        raise MlflowException.invalid_parameter_value(
            f"The parent span must be a LiveSpan object, but got {type(span)}.")
    return span
