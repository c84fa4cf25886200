"""Process-wide tracing settings: on/off, span processors and the trace destination."""

from __future__ import annotations

import contextvars
import logging
import os

from ...entities.trace_location import MlflowExperimentLocation, TraceLocationBase
from ...exceptions import MlflowException
from .destination import TraceDestination

_logger = logging.getLogger("aiomlflow")

_enabled = True
_span_processors: tuple = ()
_destination: TraceLocationBase | None = None
_local_destination: contextvars.ContextVar = contextvars.ContextVar(
    "aiomlflow_trace_destination", default=None)
# Environment settings, read when first needed (as MLflow reads them when its tracer
# starts) and again after reset().
_env: dict = {}


def _env_setting(name: str, parse, default):
    if name not in _env:
        text = os.environ.get(name)
        try:
            _env[name] = default if text is None or not text.strip() else parse(text.strip())
        except ValueError:
            _logger.warning("Ignoring %s=%r: not a valid value.", name, text)
            _env[name] = default
    return _env[name]


def async_export() -> bool:
    """MLFLOW_ENABLE_ASYNC_TRACE_LOGGING (default true): whether the end of a root span
    returns before its trace is stored (false: it waits until it is)."""
    return _env_setting("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING",
                        lambda t: t.lower() not in ("false", "0", "no"), True)


def sampling_ratio() -> float:
    """MLFLOW_TRACE_SAMPLING_RATIO (default 1.0): the share of new traces recorded."""
    return _env_setting("MLFLOW_TRACE_SAMPLING_RATIO", float, 1.0)


def is_enabled() -> bool:
    """Whether new spans are recorded (``disable`` turns it off)."""
    return _enabled


def enable() -> None:
    """Record traces again after ``disable``."""
    global _enabled
    _enabled = True


def disable() -> None:
    """Stop recording traces: traced functions run untraced, spans are no-ops."""
    global _enabled
    _enabled = False


def reset() -> None:
    """Back to the defaults: tracing on, no span processors, no destination."""
    global _destination, _span_processors
    enable()
    _env.clear()
    _destination = None
    _local_destination.set(None)
    _span_processors = ()


def span_processors() -> tuple:
    """The functions applied to every span as it ends."""
    return _span_processors


def _validate_processors(processors) -> tuple:
    for processor in processors or ():
        if not callable(processor):
            raise MlflowException.invalid_parameter_value(
                "Span processor must be a callable function.")
        code = getattr(processor, "__code__", None)
        if code is not None and code.co_argcount != 1:
            raise MlflowException.invalid_parameter_value(
                "Span processor must take exactly one argument that accepts a LiveSpan object.")
    return tuple(processors or ())


class TracingConfigContext:
    """What ``configure`` returns: the change is already applied; used as a context
    manager, the previous configuration comes back on exit."""

    def __init__(self, previous: tuple):
        self._previous = previous

    def __enter__(self) -> "TracingConfigContext":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        global _span_processors
        _span_processors = self._previous


def configure(span_processors: list | None = None) -> TracingConfigContext:
    """Set the span processors (functions taking a LiveSpan, run as each span ends,
    before it is exported); as a context manager, only for the ``with`` block."""
    global _span_processors
    previous = _span_processors
    if span_processors is not None:
        _span_processors = _validate_processors(span_processors)
    return TracingConfigContext(previous)


def set_destination(destination: TraceLocationBase, *, context_local: bool = False) -> None:
    """Send new traces to ``destination`` (an experiment location, or one of the
    deprecated ``mlflow.tracing.destination`` classes); ``context_local`` limits it to the
    current thread / async task."""
    global _destination
    if isinstance(destination, TraceDestination):  # MLflow's deprecated destination classes
        destination = destination.to_location()
    if not isinstance(destination, MlflowExperimentLocation):
        raise MlflowException.invalid_parameter_value(
            f"Unsupported trace destination {destination!r}: aiomlflow stores traces in "
            "MLflow experiments; use MlflowExperimentLocation(experiment_id=...). "
            "Databricks and Unity Catalog destinations are not supported.")
    if context_local:
        _local_destination.set(destination)
    else:
        _destination = destination


def destination_experiment_id() -> str | None:
    """The experiment set by ``set_destination`` (context-local first), if any."""
    destination = _local_destination.get() or _destination
    return None if destination is None else destination.experiment_id
