"""Traces being recorded: the spans of one trace collected in memory until its root
span ends, then handed to the engine as one TRACE operation.

A trace is exported when its root span ends; spans of it still open then are exported
as they are (no end time), since a child that never ends must not hold the trace back
for good.  A span of an exported trace that ends later — one open at the root's end,
or one started under it afterwards — is exported on its own (``LateSpans``) and added
to the stored trace, as MLflow's store merges spans that arrive after their trace.
With MLFLOW_ENABLE_ASYNC_TRACE_LOGGING=false the root's ``end`` waits until the trace
is stored.
"""

from __future__ import annotations

import contextvars
import os
import threading

from ...batches import TRACE
from ...entities.span import LiveSpan
from ...entities.span_status import SpanStatusCode
from ...entities.trace import Trace
from ...entities.trace_data import TraceData
from ...entities.trace_info import TraceInfo
from ...entities.trace_location import TraceLocation
from ...entities.trace_state import TraceState
from . import config, ids

TRACE_NAME = "mlflow.traceName"
SOURCE_RUN = "mlflow.sourceRun"
SCHEMA_VERSION = "mlflow.trace_schema.version"

# Traces whose root span has not ended, by id (update_current_trace, set_trace_tag and
# log_assessment on an in-progress trace change it here).
live_traces: dict[str, "TraceBuilder"] = {}
# Guards every trace's span list (spans of one trace may start and end in several
# threads); held for an append or a snapshot only.
spans_lock = threading.Lock()
# The last TRACE operation submitted per engine: reads wait for it (read-your-writes).
submitted: dict = {}
_last_trace_local = contextvars.ContextVar("aiomlflow_last_active_trace_id", default=None)
_last_trace_global: str | None = None


def forget() -> None:
    """Drop in-progress traces and export bookkeeping: in a forked child (the parent
    exports its own traces, and the child's engine numbers operations anew) and in tests."""
    global _last_trace_global
    live_traces.clear()
    submitted.clear()
    _last_trace_global = None
    _last_trace_local.set(None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=forget)


def last_trace_id(thread_local: bool = False) -> str | None:
    """The id of the last trace whose root span ended, process-wide or in this
    thread / task."""
    return _last_trace_local.get() if thread_local else _last_trace_global


class TraceBuilder:
    """One trace in progress: its spans, and what the API set on its info."""

    __slots__ = ("trace_id", "quoted_id", "experiment_id", "engine", "spans", "root", "tags",
                 "base_metadata", "metadata", "client_request_id", "request_preview",
                 "response_preview", "state", "assessments", "exported", "_size")

    def __init__(self, experiment_id: str, engine, base_metadata: dict[str, str],
                 metadata: dict[str, str] | None = None):
        self.trace_id = trace_id = ids.new_trace_id()
        self.quoted_id = f'"{trace_id}"'  # as spans store it
        self.experiment_id = experiment_id
        self.engine = engine
        self.spans: list[LiveSpan] = []
        self.root: LiveSpan | None = None
        self.tags: dict[str, str] = {}
        # the process's metadata (shared, never changed) and this trace's own
        self.base_metadata = base_metadata
        self.metadata = {} if metadata is None else metadata
        self.client_request_id = None
        self.request_preview = None
        self.response_preview = None
        self.state: TraceState | None = None
        self.assessments: list = []
        self.exported = False
        self._size = None
        live_traces[trace_id] = self

    def new_span(self, name: str, span_type: str | None, parent: LiveSpan | None,
                 start_time_ns: int | None = None) -> LiveSpan:
        """Start a span of this trace (the root if ``parent`` is None)."""
        span = LiveSpan(self, ids.new_span_id(), None if parent is None else parent.span_id,
                        name, span_type, start_time_ns)
        with spans_lock:
            if parent is None and self.root is None:
                self.root = span
            if not self.exported:  # a late span is exported on its own when it ends
                self.spans.append(span)
        return span

    # called by LiveSpan.end
    def before_end(self, span: LiveSpan) -> None:
        """Run the configured span processors on an ending span."""
        for processor in config._span_processors:
            try:
                processor(span)
            except Exception as exc:
                import logging

                logging.getLogger("aiomlflow").warning(
                    "Span processor %r failed on span %r: %s", processor, span.name, exc)

    def span_ended(self, span: LiveSpan) -> None:
        """Export the trace once its root span has ended; a span ending after that is
        exported to join the stored trace."""
        if span is self.root:
            self.export()
        elif self.exported:
            seq = self.engine.submit(TRACE, None, LateSpans(self, [span]))
            submitted[self.engine] = seq

    def export(self):
        """Hand the finished trace to the engine; return the operation's sequence number.
        The builder itself is the TRACE payload: its Trace entity is built by
        ``to_trace`` on the writer's side, sparing the traced code the allocations."""
        global _last_trace_global
        with spans_lock:
            self.exported = True
        live_traces.pop(self.trace_id, None)
        _last_trace_global = self.trace_id
        _last_trace_local.set(self.trace_id)
        engine = self.engine
        seq = engine.submit(TRACE, None, self)
        submitted[engine] = seq
        if not config.async_export():
            engine.wait(seq)
        return seq

    def to_trace(self) -> Trace:
        """The Trace as the API left it (what only the stored spans tell — previews,
        token usage, sizes — the transport derives off the caller's thread)."""
        root = self.root
        with spans_lock:
            spans = [s if s._ended else s.to_immutable_span() for s in self.spans]
            self.spans = []  # no builder <-> span cycle left for the garbage collector
        metadata = dict(self.base_metadata)
        metadata.update(self.metadata)
        tags = {TRACE_NAME: root._name}
        tags.update(self.tags)
        if self.state is not None:
            state = self.state
        else:
            state = _ERROR if root._status.status_code is _ERROR_CODE else _OK
        end_ns = root._end_ns
        info = TraceInfo(
            self.trace_id, TraceLocation.from_experiment_id(self.experiment_id),
            root._start_ns // 1_000_000, state, self.request_preview, self.response_preview,
            self.client_request_id,
            None if end_ns is None else (end_ns - root._start_ns) // 1_000_000,
            metadata, tags, list(self.assessments))
        return Trace(info, TraceData(spans))

    late = False  # a whole trace (LateSpans adds spans to a stored one)

    def payload_size(self) -> int:
        """Rough bytes the finished trace holds (the engine queue's byte bound); fixed at
        the first call, so the queue releases what it reserved."""
        if self._size is None:
            self._size = 500 + sum(300 + sum(map(len, s._attributes.values()))
                                   for s in self.spans)
        return self._size


class LateSpans:
    """A TRACE payload adding spans to a trace already exported (see the module doc)."""

    __slots__ = ("trace_id", "experiment_id", "spans", "_size")
    late = True

    def __init__(self, trace: TraceBuilder, spans: list):
        self.trace_id = trace.trace_id
        self.experiment_id = trace.experiment_id
        self.spans = spans
        self._size = None

    def payload_size(self) -> int:
        """Rough bytes the spans hold (the engine queue's byte bound), fixed once."""
        if self._size is None:
            self._size = sum(300 + sum(map(len, s._attributes.values())) for s in self.spans)
        return self._size


_OK, _ERROR, _ERROR_CODE = TraceState.OK, TraceState.ERROR, SpanStatusCode.ERROR
