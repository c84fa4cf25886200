"""Traces over MLflow 3.17.2's REST API, as MLflow's own client sends and reads them.

Writing a finished trace (``write_traces``) takes two requests, spans first:

1. ``POST /v1/traces`` — the spans, OTLP/HTTP with the ``x-mlflow-experiment-id``
   header.  MLflow's client sends protobuf; the 3.17.2 server parses the OTLP **JSON**
   encoding too (``Content-Type: application/json``: camelCase names, hex span and
   trace ids, int64 as decimal strings, typed ``AnyValue`` attributes), and stores
   exactly what the protobuf path stores (verified against a real server, edge values
   included: empty strings, lists and dicts, null, NaN).  So no protobuf encoder is
   needed here.  A span's stored attributes are JSON texts; each is decoded and sent as
   the typed value MLflow's client would send, and the server re-encodes it with
   ``json.dumps``, giving back the same text.  Traces of one experiment share requests;
   a request the server refuses is re-sent trace by trace, so one bad trace never fails
   the others.
2. ``POST /api/3.0/mlflow/traces`` (StartTraceV3) — the trace info, with the size
   metadata of :func:`aiomlflow.traces.complete`.

Why spans first: the server tags a trace ``mlflow.trace.spansLocation=TRACKING_STORE``
when its spans arrive, and answers StartTraceV3 with the trace's tags.  With the spans
already stored the answer carries that tag, readers find every span in the database,
and nothing else is uploaded (MLflow's client, whose two uploads race in async mode,
sometimes uploads ``traces.json`` too).  When the answer lacks the tag — the spans were
refused (an old server without ``/v1/traces``, a store that cannot hold spans, a span
the server cannot parse) — the spans go where MLflow's readers then look for them:
``traces.json`` under the trace's ``mlflow.artifactLocation``, through the artifact
stores (transports/artifacts), as MLflow's client does.  Retrying either request is
harmless: spans are upserted and StartTraceV3 merges into an existing trace.

A request that still fails after the client's retries (server unreachable, 5xx) fails
that trace's operation with an MlflowException naming the trace and the server; traces
are not journaled (yet).  If StartTraceV3 fails after the spans were stored, the server
keeps the trace it built from the spans alone (state and previews from the root span,
no tags or metadata of ours); the operation fails all the same.

Reads: ``get_trace_info`` (GetTraceInfoV3), ``get_traces`` (``batchGetInfos`` to learn
where each trace's spans live, then ``batchGet`` for those in the database and
``traces.json`` for the others: the server answers ``batchGet`` for an artifact-backed
trace with a 500), ``search_traces`` (SearchTracesV3, one page).  Spans come back as
OTLP span JSON (snake_case, base64 ids, typed attribute values) and are turned into
Span entities the way MLflow's client turns them (``Span.from_otel_proto``): each
attribute re-encoded with ``json.dumps``, ``mlflow.traceRequestId`` derived from the
OTel trace id.

Assessment endpoints:
``POST /api/3.0/mlflow/traces/{trace_id}/assessments`` ``{"assessment": {...}}`` (no id;
the server assigns ``a-<hex>``); ``GET .../assessments/{aid}?trace_id=..&assessment_id=..``;
``PATCH .../assessments/{aid}`` ``{"assessment": {...}, "update_mask": "assessmentName,
feedback,rationale,metadata"}`` (camelCase FieldMask string); ``DELETE .../assessments/
{aid}`` with JSON body ``{"trace_id", "assessment_id"}`` (idempotent).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import math
import urllib.parse

import orjson

from ...entities.span import (TRACE_REQUEST_ID, Span, dump_attribute_value,
                              load_attribute_value)
from ...entities.assessment import Assessment
from ...entities.span_event import SpanEvent
from ...entities.span_status import SpanStatus, SpanStatusCode
from ...entities.trace import Trace
from ...entities.trace_data import TraceData
from ...entities.trace_info import TraceInfo, rfc3339_to_timestamp
from ...entities.trace_location import TraceLocation
from ...entities.trace_state import TraceState
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from ...traces import complete
from ...utils.time import duration_to_ms as duration_ms
from .client import is_transient

_logger = logging.getLogger("aiomlflow")

API3_PREFIX = "/api/3.0/mlflow/"
OTLP_PATH = "/v1/traces"
EXPERIMENT_ID_HEADER = "x-mlflow-experiment-id"
SPANS_LOCATION = "mlflow.trace.spansLocation"
ARTIFACT_LOCATION = "mlflow.artifactLocation"
TRACKING_STORE = "TRACKING_STORE"
ARCHIVE_REPO = "ARCHIVE_REPO"
TRACES_JSON = "traces.json"

# What one OTLP request carries at most (MLflow's client sends 5 spans a request; the
# server stores one request in one transaction, so keep them moderate).
MAX_OTLP_BYTES = 4 * 1024 * 1024
MAX_OTLP_SPANS = 500
# ids per batchGetInfos / batchGet / delete-traces request (MLflow's client: -, 10, 100)
INFO_BATCH = 100
TRACE_BATCH = 10
DELETE_BATCH = 100
# OTLP answers meaning "no OTLP here" (without MLflow's error JSON): no such endpoint or
# method (a server before 3.4), or a store that cannot hold spans
_OTLP_UNSUPPORTED_STATUSES = frozenset((404, 405, 501))

_INT64_MIN, _INT64_MAX = -(2 ** 63), 2 ** 63 - 1


# ---------------------------------------------------------------------------- encoding
def _text(value: str) -> str:
    # protobuf strings must be valid UTF-8 (MLflow's client replaces lone surrogates too)
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-8", errors="replace").decode("utf-8")


def any_value(value) -> dict:
    """A decoded value as an OTLP JSON ``AnyValue`` (what MLflow's client sends)."""
    if value is None:
        return {}
    if value is True or value is False:
        return {"boolValue": value}
    if isinstance(value, str):
        return {"stringValue": _text(value)}
    if isinstance(value, int):
        if _INT64_MIN <= value <= _INT64_MAX:
            return {"intValue": str(value)}
        # beyond int64 (MLflow's client cannot send it at all): keep the digits
        return {"stringValue": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return {"doubleValue": value}
        return {"doubleValue": "NaN" if math.isnan(value)
                else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": _text(str(k)), "value": any_value(v)}
                                           for k, v in value.items()]}}
    if isinstance(value, (bytes, bytearray)):
        return {"bytesValue": base64.b64encode(bytes(value)).decode("ascii")}
    return {"stringValue": _text(str(value))}


def _key_values(items) -> list[dict]:
    return [{"key": _text(str(key)), "value": any_value(value)} for key, value in items]


def otlp_span(span: Span) -> dict:
    """A Span as an OTLP JSON span (ids in hex, as the OTLP JSON encoding wants them)."""
    out: dict = {
        "traceId": span.trace_id[3:] if span.trace_id.startswith("tr-") else span.trace_id,
        "spanId": span.span_id,
        "name": span.name,
        "startTimeUnixNano": str(span.start_time_ns),
    }
    if span.parent_id:
        out["parentSpanId"] = span.parent_id
    if span.end_time_ns is not None:
        out["endTimeUnixNano"] = str(span.end_time_ns)
    # stored values are JSON texts; the typed value goes on the wire
    out["attributes"] = _key_values(
        (key, load_attribute_value(raw)) for key, raw in span._attributes.items())
    if span._events:
        out["events"] = [{"timeUnixNano": str(event.timestamp), "name": event.name,
                          "attributes": _key_values(event.attributes.items())}
                         for event in span._events]
    links = [_otlp_link(link) for link in span._links]
    links = [link for link in links if link is not None]
    if links:
        out["links"] = links
    status = span.status
    out["status"] = {"code": status.status_code.to_otel_proto_status_code_name()}
    if status.description:
        out["status"]["message"] = status.description
    return out


def _otlp_link(link) -> dict | None:
    # Link ids inside OTLP JSON are parsed as protobuf bytes (base64), unlike span ids.
    try:
        trace_hex = str(link["trace_id"]).removeprefix("tr-")
        out = {"traceId": base64.b64encode(bytes.fromhex(trace_hex)).decode("ascii"),
               "spanId": base64.b64encode(bytes.fromhex(link["span_id"])).decode("ascii")}
    except (KeyError, TypeError, ValueError):
        return None  # MLflow's client drops links it cannot encode, too
    if link.get("attributes"):
        out["attributes"] = _key_values(link["attributes"].items())
    return out


def _resource() -> dict:
    from ... import __version__

    return {"attributes": _key_values((("telemetry.sdk.language", "python"),
                                       ("telemetry.sdk.name", "aiomlflow"),
                                       ("telemetry.sdk.version", __version__)))}


def otlp_body(encoded_span_lists: list[bytes]) -> bytes:
    """An ExportTraceServiceRequest (JSON) around already-encoded span lists, each the
    inside of a JSON array (``{...},{...}``)."""
    head = orjson.dumps({"resource": _resource()})[:-1]  # '{"resource":{...}'
    spans = b",".join(part for part in encoded_span_lists if part)
    return (b'{"resourceSpans":[' + head + b',"scopeSpans":[{"spans":[' + spans
            + b']}]}]}')


def encode_spans(trace: Trace) -> bytes:
    """A trace's spans as OTLP JSON, the inside of the request's ``spans`` array."""
    return orjson.dumps([otlp_span(span) for span in trace.data.spans])[1:-1]


def duration_text(ms: int) -> str:
    """Milliseconds as protobuf's JSON Duration (``"0.027s"``, ``"5s"``)."""
    sign = "-" if ms < 0 else ""
    seconds, millis = divmod(abs(int(ms)), 1000)
    return f"{sign}{seconds}.{millis:03d}s" if millis else f"{sign}{seconds}s"


def trace_info_json(info: TraceInfo) -> dict:
    """A TraceInfo as the TraceInfoV3 proto JSON StartTraceV3 takes (MLflow's dict form,
    whose truncations the wire form shares, with the proto's Duration)."""
    out = info.to_dict()
    ms = out.pop("execution_duration_ms", None)
    if ms is not None:
        out["execution_duration"] = duration_text(ms)
    return out


# ---------------------------------------------------------------------------- decoding
def _field(obj: dict, snake: str, camel: str):
    value = obj.get(snake)
    return obj.get(camel) if value is None else value


def decode_any(value: dict | None):
    """An OTLP JSON ``AnyValue`` (snake_case or camelCase) as a Python value."""
    if not value:
        return None
    for key, item in value.items():
        if key in ("string_value", "stringValue"):
            return item
        if key in ("bool_value", "boolValue"):
            return bool(item)
        if key in ("int_value", "intValue"):
            return int(item)
        if key in ("double_value", "doubleValue"):
            return float(item)  # "NaN", "Infinity" and "-Infinity" included
        if key in ("array_value", "arrayValue"):
            return [decode_any(v) for v in (item or {}).get("values") or ()]
        if key in ("kvlist_value", "kvlistValue"):
            return {kv.get("key", ""): decode_any(kv.get("value"))
                    for kv in (item or {}).get("values") or ()}
        if key in ("bytes_value", "bytesValue"):
            return item  # base64 text, as MLflow keeps bytes it has to show
    return None


def _b64_hex(value, nbytes: int) -> str | None:
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raw = b""
    if len(raw) == nbytes:
        return raw.hex()
    # a hex id (OTLP JSON's own encoding)
    text = str(value).lower()
    if len(text) == 2 * nbytes and all(c in "0123456789abcdef" for c in text):
        return text
    raise MlflowException(f"Invalid OTLP id {value!r} in the server's answer.")


def _decoded_attributes(items) -> dict:
    return {kv.get("key", ""): decode_any(kv.get("value")) for kv in items or ()}


def span_from_otlp(data: dict) -> Span:
    """An OTLP JSON span (as GetTrace / BatchGetTraces answer) as a Span entity, with
    the attributes and ids MLflow's client gives it."""
    trace_hex = _b64_hex(_field(data, "trace_id", "traceId"), 16)
    span_id = _b64_hex(_field(data, "span_id", "spanId"), 8)
    parent_id = _b64_hex(_field(data, "parent_span_id", "parentSpanId"), 8)
    trace_id = f"tr-{trace_hex}"
    attributes = {key: dump_attribute_value(value) for key, value in
                  _decoded_attributes(data.get("attributes")).items()}
    attributes[TRACE_REQUEST_ID] = dump_attribute_value(trace_id)
    status = data.get("status") or {}
    code = SpanStatusCode.from_otel_proto_status_code_name(
        status.get("code") or "STATUS_CODE_UNSET")
    message = status.get("message") or ""
    if code != SpanStatusCode.ERROR:
        message = ""  # OpenTelemetry keeps a description only for ERROR
    events = [SpanEvent(event.get("name", ""),
                        int(_field(event, "time_unix_nano", "timeUnixNano") or 0),
                        _decoded_attributes(event.get("attributes")))
              for event in data.get("events") or ()]
    links = []
    for link in data.get("links") or ():
        link_trace = _b64_hex(_field(link, "trace_id", "traceId"), 16)
        link_span = _b64_hex(_field(link, "span_id", "spanId"), 8)
        links.append({"trace_id": f"tr-{link_trace}", "span_id": link_span,
                      "attributes": _decoded_attributes(link.get("attributes")) or None})
    end = _field(data, "end_time_unix_nano", "endTimeUnixNano")
    return Span(trace_id=trace_id, span_id=span_id, parent_id=parent_id,
                name=data.get("name", ""),
                start_time_ns=int(_field(data, "start_time_unix_nano",
                                         "startTimeUnixNano") or 0),
                end_time_ns=None if end is None else int(end),
                status=SpanStatus(code, message), attributes=attributes, events=events,
                links=links)


_SERVER_MAX_RESULTS = 500


def _assessments(items) -> list:
    return [Assessment.from_dictionary(item) for item in items or ()]


def trace_info_from_json(data: dict) -> TraceInfo:
    """A TraceInfoV3 proto JSON (a server's answer) as a TraceInfo entity."""
    request_time = data.get("request_time")
    duration = data.get("execution_duration")
    return TraceInfo(
        trace_id=data["trace_id"],
        trace_location=TraceLocation.from_dict(data.get("trace_location") or {}),
        request_time=rfc3339_to_timestamp(request_time) if request_time else 0,
        state=TraceState(data.get("state") or "STATE_UNSPECIFIED"),
        request_preview=data.get("request_preview"),
        response_preview=data.get("response_preview"),
        client_request_id=data.get("client_request_id"),
        execution_duration=None if duration is None else duration_ms(duration),
        trace_metadata=dict(data.get("trace_metadata") or {}),
        tags=dict(data.get("tags") or {}),
        assessments=_assessments(data.get("assessments")),
    )


def trace_from_json(data: dict) -> Trace:
    """A Trace proto JSON (``{"trace_info": ..., "spans": [...]}``) as a Trace."""
    return Trace(trace_info_from_json(data.get("trace_info") or {}),
                 TraceData([span_from_otlp(span) for span in data.get("spans") or ()]))


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _location(experiment_id) -> dict:
    return {"type": "MLFLOW_EXPERIMENT",
            "mlflow_experiment": {"experiment_id": str(experiment_id)}}


# ---------------------------------------------------------------------------- transport
class _Pending:
    """One trace on its way: its op's seq, the spans' stored texts and OTLP JSON."""

    __slots__ = ("seq", "trace", "texts", "spans", "span_error", "error")

    def __init__(self, seq, trace, texts, spans):
        self.seq = seq
        self.trace = trace
        self.texts = texts
        self.spans = spans
        self.span_error: MlflowException | None = None  # spans refused (not transient)
        self.error: MlflowException | None = None  # the operation fails with this


class RestTraceMethods:
    """The trace methods of the REST transport (mixed into RestTransport, whose
    ``_http``, ``uri``, ``settings`` and ``_caught_up`` they use)."""

    #: Traces whose requests are in flight at once in one ``write_traces`` call.
    max_traces_in_flight = 8
    #: Whether the server took OTLP spans so far (False after a 404/405/501).
    _otlp_supported = True
    _trace_artifacts = None

    # ------------------------------------------------------------------ plumbing
    async def _call3(self, method: str, endpoint: str, body=None, params=None):
        return await self._http.call(method, endpoint, body, params, prefix=API3_PREFIX)

    def _artifact_stores(self):
        if self._trace_artifacts is None:
            from ..artifacts import ArtifactStores

            self._trace_artifacts = ArtifactStores(self.uri)
        return self._trace_artifacts

    async def _close_trace_artifacts(self) -> None:
        stores, self._trace_artifacts = self._trace_artifacts, None
        if stores is not None:
            await stores.close()

    def _trace_failure(self, trace_id: str, what: str, exc: BaseException) -> MlflowException:
        code = getattr(exc, "error_code", "INTERNAL_ERROR")
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        after = (f" after {self.settings.max_retries} retries" if is_transient(exc)
                 and self.settings.max_retries else "")
        return MlflowException(
            f"Trace {trace_id} could not be logged to {self.uri}: {what} failed{after}: "
            f"{message}", error_code=code)

    # ------------------------------------------------------------------ writes
    async def write_traces(self, ops: list) -> list[tuple[int, Exception]]:
        failures: list = []
        pending: list[_Pending] = []
        for op in ops:
            if op[3].late:
                failures.extend(await self._send_late_spans(op[0], op[3]))
                continue
            seq, trace = op[0], op[3].to_trace()
            try:
                if trace.info.experiment_id is None:
                    raise MlflowException(
                        f"Trace {trace.info.trace_id} has no experiment to be logged to.",
                        INVALID_PARAMETER_VALUE)
                texts = complete(trace)
                pending.append(_Pending(seq, trace, texts, encode_spans(trace)))
            except Exception as exc:
                trace_id = getattr(getattr(trace, "info", None), "trace_id", "?")
                failures.append((seq, exc if isinstance(exc, MlflowException) else
                                 self._trace_failure(trace_id, "preparing it", exc)))
        if not pending:
            return failures
        await self._send_spans(pending)
        limit = asyncio.Semaphore(self.max_traces_in_flight)

        async def finish(item: _Pending):
            if item.error is None:
                async with limit:
                    await self._send_trace_info(item)
            return item

        for item in await asyncio.gather(*(finish(item) for item in pending)):
            if item.error is not None:
                failures.append((item.seq, item.error))
        return failures

    async def _send_late_spans(self, seq: int, late) -> list:
        # spans joining a stored trace: the server merges them into it (as it merges
        # the spans real mlflow's client sends as they end)
        try:
            body = orjson.dumps([otlp_span(span) for span in late.spans])[1:-1]
            await self._otlp(late.experiment_id, [body])
        except Exception as exc:
            return [(seq, self._trace_failure(late.trace_id, "adding its late spans", exc))]
        return []

    async def _send_spans(self, pending: list[_Pending]) -> None:
        """OTLP upload of every pending trace's spans, grouped by experiment."""
        if not self._otlp_supported:
            for item in pending:
                item.span_error = MlflowException("the server takes no OTLP spans")
            return
        by_experiment: dict[str, list[_Pending]] = {}
        for item in pending:
            if item.spans:
                by_experiment.setdefault(item.trace.info.experiment_id, []).append(item)
        requests = []
        for experiment_id, items in by_experiment.items():
            chunk, size, count = [], 0, 0
            for item in items:
                spans = len(item.trace.data.spans)
                if chunk and (size + len(item.spans) > MAX_OTLP_BYTES
                              or count + spans > MAX_OTLP_SPANS):
                    requests.append((experiment_id, chunk))
                    chunk, size, count = [], 0, 0
                chunk.append(item)
                size += len(item.spans)
                count += spans
            requests.append((experiment_id, chunk))
        limit = asyncio.Semaphore(self.max_traces_in_flight)

        async def one(experiment_id, chunk):
            async with limit:
                await self._send_span_chunk(experiment_id, chunk)

        await asyncio.gather(*(one(e, c) for e, c in requests))

    async def _send_span_chunk(self, experiment_id: str, chunk: list[_Pending]) -> None:
        try:
            await self._otlp(experiment_id, [item.spans for item in chunk])
            return
        except MlflowException as exc:
            error = exc
        if is_transient(error) or len(chunk) == 1 or not self._otlp_supported:
            # unreachable: every trace of the request fails; refused: try elsewhere
            for item in chunk:
                if is_transient(error):
                    item.error = self._trace_failure(item.trace.info.trace_id,
                                                     "uploading its spans", error)
                else:
                    item.span_error = error
            return
        for item in chunk:  # find which trace the server refuses
            try:
                await self._otlp(experiment_id, [item.spans])
            except MlflowException as exc:
                if is_transient(exc):
                    item.error = self._trace_failure(item.trace.info.trace_id,
                                                     "uploading its spans", exc)
                else:
                    item.span_error = exc

    async def _otlp(self, experiment_id: str, span_lists: list[bytes]) -> None:
        try:
            await self._http.call("POST", OTLP_PATH, otlp_body(span_lists), prefix="",
                                  headers={EXPERIMENT_ID_HEADER: str(experiment_id)})
        except MlflowException as exc:
            # a 404 with MLflow's error JSON is about the data (an unknown experiment);
            # without it, the server has no OTLP endpoint (FastAPI's 501 says "not
            # supported by <store>")
            if (getattr(exc, "http_status", None) in _OTLP_UNSUPPORTED_STATUSES
                    and getattr(exc, "json", None) is None):
                self._otlp_supported = False
                _logger.debug("%s takes no OTLP spans (%s); spans go to traces.json",
                              self.uri, exc.message)
            raise

    async def _send_trace_info(self, item: _Pending) -> None:
        trace_id = item.trace.info.trace_id
        body = {"trace": {"trace_info": trace_info_json(item.trace.info)}}
        try:
            answer = await self._call3("POST", "traces", body)
        except MlflowException as exc:
            item.error = self._trace_failure(trace_id, "storing its trace info", exc)
            return
        stored = (answer.get("trace") or {}).get("trace_info") or {}
        tags = stored.get("tags") or {}
        if tags.get(SPANS_LOCATION) == TRACKING_STORE or not item.trace.data.spans:
            return
        # The server has no spans of this trace: traces.json, where readers look next.
        if item.span_error is not None:
            _logger.debug("spans of trace %s refused by %s (%s); uploading %s", trace_id,
                          self.uri, item.span_error.message, TRACES_JSON)
        location = tags.get(ARTIFACT_LOCATION)
        try:
            if not location:
                raise MlflowException(f"the server gave the trace no {ARTIFACT_LOCATION} tag")
            data = ('{"spans": [' + ", ".join(item.texts) + "]}").encode("utf-8")
            await self._artifact_stores().get(location).upload_bytes(data, TRACES_JSON)
        except Exception as exc:
            what = "uploading its spans"
            if item.span_error is not None:
                what += f" (OTLP: {item.span_error.message}; then {TRACES_JSON})"
            item.error = self._trace_failure(trace_id, what, exc)

    # ------------------------------------------------------------------ reads
    async def get_trace_info(self, trace_id: str):
        await self._caught_up()
        answer = await self._call3("GET", "traces/" + urllib.parse.quote(trace_id, safe=""),
                                   params={"trace_id": trace_id})
        return trace_info_from_json((answer.get("trace") or {}).get("trace_info") or {})

    async def get_traces(self, trace_ids: list[str]) -> list:
        ids = list(dict.fromkeys(trace_ids))
        if not ids:
            return []
        await self._caught_up()
        infos: dict[str, TraceInfo] = {}
        for chunk in _chunks(ids, INFO_BATCH):
            answer = await self._call3("POST", "traces/batchGetInfos", {"trace_ids": chunk})
            for item in answer.get("trace_infos") or ():
                info = trace_info_from_json(item)
                infos[info.trace_id] = info
        in_store = [i for i in ids if i in infos
                    and infos[i].tags.get(SPANS_LOCATION) in (TRACKING_STORE, ARCHIVE_REPO)]
        stored = set(in_store)
        elsewhere = [i for i in ids if i in infos and i not in stored]
        found: dict[str, Trace] = {}
        limit = asyncio.Semaphore(self.max_traces_in_flight)

        async def batch(chunk):
            async with limit:
                params = [("trace_ids", trace_id) for trace_id in chunk]
                answer = await self._call3("GET", "traces/batchGet", params=params)
            for item in answer.get("traces") or ():
                trace = trace_from_json(item)
                found[trace.info.trace_id] = trace

        async def from_artifacts(trace_id):
            async with limit:
                trace = await self._trace_from_artifacts(infos[trace_id])
            if trace is not None:
                found[trace_id] = trace

        await asyncio.gather(*(batch(chunk) for chunk in _chunks(in_store, TRACE_BATCH)),
                             *(from_artifacts(trace_id) for trace_id in elsewhere))
        return [found[trace_id] for trace_id in ids if trace_id in found]

    async def _trace_from_artifacts(self, info: TraceInfo) -> Trace | None:
        """A trace whose spans are in ``traces.json`` (None, with a warning, if they
        cannot be read: MLflow's search leaves such traces out too)."""
        location = info.tags.get(ARTIFACT_LOCATION)
        try:
            if not location:
                raise MlflowException(f"it has no {ARTIFACT_LOCATION} tag")
            raw = await self._artifact_stores().get(location).read_bytes(TRACES_JSON)
            data = TraceData.from_dict(orjson.loads(raw))
        except Exception as exc:
            _logger.warning("Trace %s cannot be loaded because its span data is missing or "
                            "corrupted: %s", info.trace_id, getattr(exc, "message", exc))
            return None
        return Trace(info, data)

    async def search_traces(self, query):
        # a server answers at most 500 traces a request: a larger page comes short, with
        # a token for the rest
        body: dict = {"locations": [_location(e) for e in query.experiment_ids],
                      "max_results": min(query.max_results, _SERVER_MAX_RESULTS)}
        if query.filter_string:
            body["filter"] = query.filter_string
        if query.order_by:
            body["order_by"] = list(query.order_by)
        token = query.page_token
        if isinstance(token, (bytes, bytearray)):
            token = token.decode("ascii")
        if token:
            body["page_token"] = token
        await self._caught_up()
        answer = await self._call3("POST", "traces/search", body)
        infos = [trace_info_from_json(item) for item in answer.get("traces") or ()]
        return infos, answer.get("next_page_token") or None

    # ------------------------------------------------------------------ tags, deletes
    async def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        await self._http.call("PATCH", f"traces/{urllib.parse.quote(trace_id, safe='')}/tags",
                              {"key": key, "value": value})

    async def delete_trace_tag(self, trace_id: str, key: str) -> None:
        await self._http.call("DELETE",
                              f"traces/{urllib.parse.quote(trace_id, safe='')}/tags",
                              {"key": key})

    async def delete_traces(self, experiment_id: str, max_timestamp_millis: int | None,
                            max_traces: int | None, trace_ids: list[str] | None) -> int:
        body: dict = {"experiment_id": str(experiment_id)}
        if max_timestamp_millis is not None:
            body["max_timestamp_millis"] = int(max_timestamp_millis)
        if max_traces is not None:
            body["max_traces"] = int(max_traces)
        if not trace_ids:
            answer = await self._http.call("POST", "traces/delete-traces", body)
            return int(answer.get("traces_deleted") or 0)
        deleted = 0
        for chunk in _chunks(list(trace_ids), DELETE_BATCH):
            answer = await self._http.call("POST", "traces/delete-traces",
                                           {**body, "request_ids": chunk})
            deleted += int(answer.get("traces_deleted") or 0)
        return deleted

    async def link_traces_to_run(self, trace_ids: list[str], run_id: str) -> None:
        # only under /api/2.0 (the 3.0 path is taken by GET traces/{trace_id}: 405)
        await self._http.call("POST", "traces/link-to-run",
                              {"trace_ids": list(trace_ids), "run_id": run_id})


    # ------------------------------------------------------------------ assessments
    def _assessment_path(self, trace_id: str, assessment_id: str | None = None) -> str:
        path = f"traces/{urllib.parse.quote(trace_id, safe='')}/assessments"
        if assessment_id is not None:
            path += "/" + urllib.parse.quote(assessment_id, safe="")
        return path

    async def create_assessment(self, assessment):
        body = assessment.to_dictionary()
        body.pop("assessment_id", None)  # the server assigns it
        await self._caught_up()
        answer = await self._call3("POST", self._assessment_path(assessment.trace_id),
                                   {"assessment": body})
        return Assessment.from_dictionary(answer["assessment"])

    async def get_assessment(self, trace_id: str, assessment_id: str):
        await self._caught_up()
        answer = await self._call3("GET", self._assessment_path(trace_id, assessment_id),
                                   params={"trace_id": trace_id,
                                           "assessment_id": assessment_id})
        return Assessment.from_dictionary(answer["assessment"])

    async def update_assessment(self, trace_id: str, assessment_id: str, changes: dict):
        # the server applies the fields named in the mask (protobuf FieldMask, camelCase)
        body: dict = {"assessment_id": assessment_id, "trace_id": trace_id}
        mask = []
        if "name" in changes:
            body["assessment_name"] = changes["name"]
            mask.append("assessmentName")
        for key in ("feedback", "expectation"):
            if changes.get(key) is not None:
                body[key] = changes[key].to_dictionary()
                mask.append(key)
        if "rationale" in changes:
            body["rationale"] = changes["rationale"]
            mask.append("rationale")
        if "metadata" in changes:
            body["metadata"] = {k: str(v) for k, v in (changes["metadata"] or {}).items()}
            mask.append("metadata")
        await self._caught_up()
        answer = await self._call3("PATCH", self._assessment_path(trace_id, assessment_id),
                                   {"assessment": body, "update_mask": ",".join(mask)})
        return Assessment.from_dictionary(answer["assessment"])

    async def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        await self._caught_up()
        await self._call3("DELETE", self._assessment_path(trace_id, assessment_id),
                          {"trace_id": trace_id, "assessment_id": assessment_id})


__all__ = ["RestTraceMethods", "any_value", "decode_any", "otlp_span", "span_from_otlp",
           "trace_info_from_json", "trace_info_json", "trace_from_json"]
