"""Spans: the immutable ``Span`` read back from a store, the ``LiveSpan`` being recorded,
and the ``NoOpSpan`` handed out while tracing is disabled.

A span keeps its attributes as MLflow stores them — every value a JSON document in a
string — so writing one costs no re-encoding, and reads decode on access.  Ids are hex
strings (``tr-<32 hex>`` for the trace, 16 hex for spans); the stored dict form carries
them base64-encoded, as OpenTelemetry's JSON does.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from enum import IntEnum
from typing import Any

from aiomlflow.entities.span_event import SpanEvent
from aiomlflow.entities.span_status import SpanStatus, SpanStatusCode
from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

# attribute keys MLflow reserves
TRACE_REQUEST_ID = "mlflow.traceRequestId"
SPAN_TYPE = "mlflow.spanType"
SPAN_INPUTS = "mlflow.spanInputs"
SPAN_OUTPUTS = "mlflow.spanOutputs"
FUNCTION_NAME = "mlflow.spanFunctionName"
LOG_LEVEL = "mlflow.spanLogLevel"
DESCRIPTION = "mlflow.spanDescription"
CHAT_TOOLS = "mlflow.chat.tools"
CHAT_USAGE = "mlflow.chat.tokenUsage"
LLM_COST = "mlflow.llm.cost"
LLM_MODEL = "mlflow.llm.model"
LLM_PROVIDER = "mlflow.llm.provider"

NO_OP_SPAN_TRACE_ID = "MLFLOW_NO_OP_SPAN_TRACE_ID"


class SpanType:
    """MLflow's predefined span types (any other string is allowed too)."""

    LLM = "LLM"
    CHAIN = "CHAIN"
    AGENT = "AGENT"
    TOOL = "TOOL"
    CHAT_MODEL = "CHAT_MODEL"
    RETRIEVER = "RETRIEVER"
    PARSER = "PARSER"
    EMBEDDING = "EMBEDDING"
    RERANKER = "RERANKER"
    MEMORY = "MEMORY"
    UNKNOWN = "UNKNOWN"
    WORKFLOW = "WORKFLOW"
    TASK = "TASK"
    GUARDRAIL = "GUARDRAIL"
    EVALUATOR = "EVALUATOR"


class SpanLogLevel(IntEnum):
    """A span's severity, for the UI's verbosity filter."""

    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50

    @classmethod
    def from_value(cls, value) -> "SpanLogLevel":
        """A member, from itself or its name (``"INFO"``)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            try:
                return cls[value.strip().upper()]
            except KeyError:
                raise MlflowException(
                    f"Invalid SpanLogLevel name {value!r}. Expected one of "
                    f"{[m.name for m in cls]}.", INVALID_PARAMETER_VALUE) from None
        raise MlflowException(
            f"SpanLogLevel must be a SpanLogLevel or str, got {type(value).__name__}.",
            INVALID_PARAMETER_VALUE)


_INFO_SPAN_TYPES = frozenset({"LLM", "CHAT_MODEL", "TOOL", "RETRIEVER", "AGENT", "EMBEDDING"})
_INFO_TYPES_RAW = frozenset(f'"{t}"' for t in _INFO_SPAN_TYPES)  # as stored


def default_log_level(span_type: str | None) -> SpanLogLevel:
    """INFO for model, tool and retrieval spans; DEBUG for the rest (MLflow's defaults)."""
    return SpanLogLevel.INFO if span_type in _INFO_SPAN_TYPES else SpanLogLevel.DEBUG


# ---------------------------------------------------------------------------- values
def _encode_default(obj):
    dump = getattr(obj, "model_dump", None)  # pydantic v2 models
    if callable(dump):
        return dump()
    fields = getattr(obj, "__dataclass_fields__", None)
    if fields is not None and not isinstance(obj, type):
        try:
            return {name: getattr(obj, name) for name in fields}
        except Exception:
            pass
    return str(obj)


_dumps = json.JSONEncoder(ensure_ascii=False, default=_encode_default).encode


_encode_str = json.encoder.encode_basestring  # JSON string, non-ASCII kept (C)


def dump_attribute_value(value: Any) -> str:
    """A value as MLflow stores a span attribute: JSON (Python's separators, non-ASCII
    kept); objects JSON cannot hold as their pydantic or dataclass fields, else ``str``;
    a value that still fails (a cycle, odd keys) as the JSON string of its repr."""
    cls = value.__class__
    if cls is str:  # the common scalars without the encoder's set-up (same text)
        return _encode_str(value)
    if cls is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if cls is bool:
        return "true" if value else "false"
    try:
        return _dumps(value)
    except (ValueError, TypeError, RecursionError):
        return _dumps(repr(value))


def load_attribute_value(text):
    """A stored attribute decoded; a value that is not JSON comes back as it is."""
    try:
        return json.loads(text)
    except (ValueError, TypeError):
        return text


def hex_to_b64(hex_id: str | None) -> str | None:
    """A hex id as the base64 of its big-endian bytes (the stored JSON form)."""
    if hex_id is None:
        return None
    return base64.b64encode(bytes.fromhex(hex_id)).decode("ascii")


def _b64_to_hex(value: str, nbytes: int) -> str | None:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    return raw.hex() if len(raw) == nbytes else None


# ---------------------------------------------------------------------------- spans
class Span:
    """A finished (or stored) span: read-only."""

    __slots__ = ("_trace_id", "_span_id", "_parent_id", "_name", "_start_ns", "_end_ns",
                 "_status", "_attributes", "_events", "_links")

    def __init__(self, trace_id: str, span_id: str, parent_id: str | None, name: str,
                 start_time_ns: int, end_time_ns: int | None, status: SpanStatus,
                 attributes: dict[str, str], events: list | None = None,
                 links: list | None = None):
        self._trace_id = trace_id
        self._span_id = span_id
        self._parent_id = parent_id
        self._name = name
        self._start_ns = start_time_ns
        self._end_ns = end_time_ns
        self._status = status
        self._attributes = attributes
        self._events = events or ()  # a tuple until a live span adds one
        self._links = links or ()

    @property
    def trace_id(self) -> str:
        """The id of the trace (``tr-<32 hex>``)."""
        return self._trace_id

    @property
    def request_id(self) -> str:
        """The trace id (MLflow 2's name)."""
        return self._trace_id

    @property
    def span_id(self) -> str:
        """16 hex characters."""
        return self._span_id

    @property
    def parent_id(self) -> str | None:
        """The parent span's id, None for the root span."""
        return self._parent_id

    @property
    def name(self) -> str:
        """The span's name."""
        return self._name

    @property
    def start_time_ns(self) -> int:
        """Start time, nanoseconds since the epoch."""
        return self._start_ns

    @property
    def end_time_ns(self) -> int | None:
        """End time, nanoseconds since the epoch (None while running)."""
        return self._end_ns

    @property
    def status(self) -> SpanStatus:
        """The span's SpanStatus."""
        return self._status

    @property
    def inputs(self) -> Any:
        """The recorded inputs."""
        return self.get_attribute(SPAN_INPUTS)

    @property
    def outputs(self) -> Any:
        """The recorded outputs."""
        return self.get_attribute(SPAN_OUTPUTS)

    @property
    def span_type(self) -> str | None:
        """The span type (SpanType or a custom string)."""
        return self.get_attribute(SPAN_TYPE)

    @property
    def log_level(self) -> SpanLogLevel | None:
        """The severity level, if the span has one."""
        raw = self.get_attribute(LOG_LEVEL)
        try:
            return None if raw is None else SpanLogLevel(raw)
        except ValueError:
            return None

    @property
    def description(self) -> str | None:
        """The description given at creation, if any."""
        return self.get_attribute(DESCRIPTION)

    @property
    def model_name(self) -> str | None:
        """The LLM model name recorded on the span, if any."""
        return self.get_attribute(LLM_MODEL)

    @property
    def llm_cost(self) -> dict | None:
        """The LLM cost recorded on the span, if any."""
        return self.get_attribute(LLM_COST)

    @property
    def attributes(self) -> dict[str, Any]:
        """Every attribute, decoded."""
        return {key: load_attribute_value(value) for key, value in self._attributes.items()}

    @property
    def events(self) -> list[SpanEvent]:
        """The span's events in the order they were added."""
        return list(self._events)

    @property
    def links(self) -> list:
        """Links to spans of other traces (as dicts)."""
        return list(self._links)

    def get_attribute(self, key: str) -> Any | None:
        """One attribute, decoded; None if absent."""
        raw = self._attributes.get(key)
        return None if raw is None else load_attribute_value(raw)

    def _raw_attribute(self, key: str) -> str | None:
        return self._attributes.get(key)

    def to_dict(self) -> dict[str, Any]:
        """The span as MLflow stores it (OpenTelemetry's JSON shape, base64 ids)."""
        return {
            "trace_id": hex_to_b64(self._trace_id[3:]) if self._trace_id.startswith("tr-")
            else self._trace_id,
            "span_id": hex_to_b64(self._span_id),
            "parent_span_id": hex_to_b64(self._parent_id),
            "name": self._name,
            "start_time_unix_nano": self._start_ns,
            "end_time_unix_nano": self._end_ns,
            "events": [event.to_dict() for event in self._events],
            "status": {"code": self._status.status_code.to_otel_proto_status_code_name(),
                       "message": self._status.description},
            "attributes": dict(self._attributes),
            "links": list(self._links),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Span":
        """Parse the stored form (and MLflow 3.5's hex-id variant)."""
        attributes = data.get("attributes") or {}
        trace_id_attr = attributes.get(TRACE_REQUEST_ID)
        if not trace_id_attr:
            raise MlflowException(
                f"Failed to create a Span object from the given dictionary: the attribute "
                f"{TRACE_REQUEST_ID!r} is missing.", INVALID_PARAMETER_VALUE)
        try:
            trace_id = load_attribute_value(trace_id_attr)
            status = data.get("status") or {}
            span_id = _b64_to_hex(data["span_id"], 8)
            parent = data.get("parent_span_id")
            if span_id is None:  # legacy: hex ids
                span_id = data["span_id"]
                parent_id = parent or None
            else:
                parent_id = _b64_to_hex(parent, 8) if parent else None
            return cls(
                trace_id=trace_id, span_id=span_id, parent_id=parent_id, name=data["name"],
                start_time_ns=int(data["start_time_unix_nano"]),
                end_time_ns=None if data.get("end_time_unix_nano") is None
                else int(data["end_time_unix_nano"]),
                status=SpanStatus(SpanStatusCode.from_otel_proto_status_code_name(
                    status.get("code", "STATUS_CODE_UNSET")), status.get("message", "")),
                attributes={k: v if isinstance(v, str) else json.dumps(v)
                            for k, v in attributes.items()},
                events=[SpanEvent.from_dict(e) for e in data.get("events") or ()],
                links=list(data.get("links") or ()))
        except MlflowException:
            raise
        except Exception as exc:
            raise MlflowException(
                f"Failed to create a Span object from the given dictionary: {exc!r}",
                INVALID_PARAMETER_VALUE) from exc

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(name={self._name!r}, trace_id={self._trace_id!r}, "
                f"span_id={self._span_id!r}, parent_id={self._parent_id!r})")

    def __eq__(self, other) -> bool:
        return isinstance(other, Span) and self.to_dict() == other.to_dict()

    __hash__ = object.__hash__


class LiveSpan(Span):
    """A span being recorded: returned by ``start_span`` and ``start_span_no_context``."""

    __slots__ = ("_trace", "_ended", "__weakref__")

    def __init__(self, trace, span_id: str, parent_id: str | None, name: str,
                 span_type: str | None, start_time_ns: int | None = None):
        attributes = {TRACE_REQUEST_ID: trace.quoted_id}
        if span_type is not None:
            attributes[SPAN_TYPE] = (_QUOTED_TYPES.get(span_type)
                                     or dump_attribute_value(span_type))
        self._trace_id = trace.trace_id
        self._span_id = span_id
        self._parent_id = parent_id
        self._name = name
        self._start_ns = time.time_ns() if start_time_ns is None else start_time_ns
        self._end_ns = None
        self._status = _UNSET
        self._attributes = attributes
        self._events = self._links = ()
        self._trace = trace  # the TraceBuilder collecting this trace's spans
        self._ended = False

    def set_span_type(self, span_type: str) -> None:
        """Set the span type."""
        self.set_attribute(SPAN_TYPE, span_type)

    def set_description(self, description: str) -> None:
        """Set a human-readable description."""
        self.set_attribute(DESCRIPTION, description)

    def set_log_level(self, level: SpanLogLevel | str) -> None:
        """Set the severity level (a SpanLogLevel or its name)."""
        self.set_attribute(LOG_LEVEL, int(SpanLogLevel.from_value(level)))

    def set_inputs(self, inputs: Any) -> None:
        """Record the span's inputs (serialised now: later changes to them are not seen)."""
        self.set_attribute(SPAN_INPUTS, inputs)

    def set_outputs(self, outputs: Any) -> None:
        """Record the span's outputs."""
        self.set_attribute(SPAN_OUTPUTS, outputs)

    def set_attributes(self, attributes: dict[str, Any]) -> None:
        """Set several attributes."""
        if not isinstance(attributes, dict):
            import logging

            logging.getLogger("aiomlflow").warning(
                "Attributes must be a dictionary, but got %s. Skipping.", type(attributes))
            return
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute (any JSON-serialisable value; others as MLflow records them)."""
        if self._ended:
            return  # OpenTelemetry ignores changes to an ended span
        if not isinstance(key, str):
            import logging

            logging.getLogger("aiomlflow").warning(
                "Attribute key must be a string, but got %s. Skipping.", type(key))
            return
        self._attributes[key] = dump_attribute_value(value)

    def set_status(self, status: SpanStatus | SpanStatusCode | str) -> None:
        """Set the status; OK is final, and a description is kept only for ERROR."""
        if isinstance(status, str):
            status = SpanStatus(status)
        elif not isinstance(status, SpanStatus):
            raise MlflowException(
                f"The status must be a SpanStatus or a string, got {type(status).__name__}.",
                INVALID_PARAMETER_VALUE)
        if self._ended or self._status.status_code == SpanStatusCode.OK:
            return
        if status.status_code != SpanStatusCode.ERROR and status.description:
            status = SpanStatus(status.status_code, "")
        self._status = status

    def add_event(self, event: SpanEvent) -> None:
        """Add an event; an ``exception`` event raises the level to ERROR."""
        if self._ended:
            return
        if self._events.__class__ is tuple:
            self._events = list(self._events)
        self._events.append(event)
        if event.name == "exception":
            level = self.get_attribute(LOG_LEVEL)
            if level is None or int(level) < SpanLogLevel.ERROR:
                self._attributes[LOG_LEVEL] = str(int(SpanLogLevel.ERROR))

    def add_link(self, link) -> None:
        """Link this span to a span of another trace (``trace_id``, ``span_id``)."""
        if self._ended:
            return
        if self._links.__class__ is tuple:
            self._links = list(self._links)
        self._links.append({"trace_id": link.trace_id, "span_id": link.span_id,
                            "attributes": getattr(link, "attributes", None)})

    def record_exception(self, exception: str | Exception) -> None:
        """Add an ``exception`` event and set the status to ERROR."""
        if isinstance(exception, str):
            exception = Exception(exception)
        if not isinstance(exception, BaseException):
            raise MlflowException(
                "The `exception` parameter must be an Exception instance or a string.",
                INVALID_PARAMETER_VALUE)
        self.add_event(SpanEvent.from_exception(exception))
        self.set_status(SpanStatus(SpanStatusCode.ERROR,
                                   f"{type(exception).__name__}: {exception}"))

    def end(self, outputs: Any | None = None, attributes: dict[str, Any] | None = None,
            status: SpanStatus | str | None = None, end_time_ns: int | None = None) -> None:
        """End the span: outputs, attributes and status given here are set first; a
        status left unset becomes OK.  Ending twice does nothing."""
        if self._ended:
            return
        if attributes:
            self.set_attributes(attributes)
        if outputs is not None:
            self.set_outputs(outputs)
        if status is not None:
            self.set_status(status)
        if self._status.status_code is not SpanStatusCode.ERROR:
            self._status = _OK
        attributes = self._attributes
        if LOG_LEVEL not in attributes:
            attributes[LOG_LEVEL] = "20" if attributes.get(SPAN_TYPE) in _INFO_TYPES_RAW else "10"
        trace = self._trace
        trace.before_end(self)
        self._end_ns = time.time_ns() if end_time_ns is None else end_time_ns
        self._ended = True
        trace.span_ended(self)

    def to_immutable_span(self) -> Span:
        """A read-only copy of the span as it is now."""
        return Span(self._trace_id, self._span_id, self._parent_id, self._name,
                    self._start_ns, self._end_ns, self._status, dict(self._attributes),
                    list(self._events), list(self._links))

    def __reduce__(self):
        raise MlflowException(
            "LiveSpan cannot be pickled; use to_immutable_span() for a copy.",
            INVALID_PARAMETER_VALUE)


# statuses every new / successfully ended span starts from (replaced, never mutated)
_UNSET = SpanStatus(SpanStatusCode.UNSET)
_OK = SpanStatus(SpanStatusCode.OK)


# span types as stored (JSON strings), for the common ones
_QUOTED_TYPES = {value: f'"{value}"' for name, value in vars(SpanType).items()
                 if not name.startswith("_")}


class _NoTrace:
    trace_id = NO_OP_SPAN_TRACE_ID
    quoted_id = None

    def before_end(self, span) -> None:
        pass

    def span_ended(self, span) -> None:
        pass


class NoOpSpan(LiveSpan):
    """What span-creating calls return while tracing is disabled: every call does nothing."""

    __slots__ = ()

    def __init__(self, *args, **kwargs):
        super().__init__(_NoTrace(), None, None, None, None, 0)
        self._ended = True
        self._start_ns = None

    @property
    def trace_id(self) -> str:
        return NO_OP_SPAN_TRACE_ID

    @property
    def status(self):
        return None

    def end(self, *args, **kwargs) -> None:
        pass

    def record_exception(self, exception) -> None:
        pass
