"""What every transport derives from a finished trace before storing it.

The engine hands transports traces as the API left them (TRACE operations, see
batches.py); :func:`complete` adds what MLflow's client and store derive from the spans:
request/response previews, ``mlflow.traceInputs``/``Outputs``, the token usage of LLM
spans, and the size metadata — ``num_spans`` is how readers tell a complete trace from
one whose spans are still on their way.  It returns the spans' JSON texts, which the
SQLite transport stores as they are and the REST transport uploads.
"""

from __future__ import annotations

import json

from .entities.span import CHAT_USAGE, SPAN_INPUTS, SPAN_OUTPUTS
from .entities.trace_info import TOKEN_USAGE_KEY
from .trace_previews import METADATA_MAX_CHARS, preview, truncate

TRACE_INPUTS = "mlflow.traceInputs"
TRACE_OUTPUTS = "mlflow.traceOutputs"
_TOKEN_KEYS = ("input_tokens", "output_tokens", "total_tokens", "cache_read_input_tokens",
               "cache_creation_input_tokens", "cache_creation_input_tokens_above_1hr")
SIZE_BYTES = "mlflow.trace.sizeBytes"
SIZE_STATS = "mlflow.trace.sizeStats"

# Python's default separators (", ", ": ") with non-ASCII kept: MLflow's stored span text,
# which search filters (``span.attributes.x LIKE``, ``trace.text``) match substrings of.
_encode = json.JSONEncoder(ensure_ascii=False).encode


def span_json(span) -> str:
    """A span's stored JSON text (its ``to_dict()``)."""
    return _encode(span.to_dict())


def _percentile(sorted_sizes: list[int], fraction: float) -> int:
    """Linear interpolation between the two nearest ranks, truncated to an int."""
    position = fraction * (len(sorted_sizes) - 1)
    low = int(position)
    if low + 1 >= len(sorted_sizes):
        return int(sorted_sizes[-1])
    weight = position - low
    return int(sorted_sizes[low] * (1 - weight) + sorted_sizes[low + 1] * weight)


def add_size_stats(trace) -> list[str]:
    """Set the size metadata of ``trace`` (a Trace entity) and return its spans' JSON texts.

    Each span's size is the UTF-8 length of its JSON text; the total adds the trace
    without spans (``{"info": ..., "data": {"spans": []}}``) and the ``", "`` between
    spans.  ``num_spans`` is exact; the percentiles interpolate linearly.  A trace with
    no spans gets no size metadata (as in MLflow, whose computation needs a span).
    """
    texts = [span_json(span) for span in trace.data.spans]
    metadata = trace.info.trace_metadata
    metadata.pop(SIZE_BYTES, None)  # a trace sent again is measured afresh
    metadata.pop(SIZE_STATS, None)
    if not texts:
        return texts
    sizes = sorted(len(text.encode("utf-8")) for text in texts)
    envelope = _encode({"info": trace.info.to_dict(), "data": {"spans": []}})
    total = sum(sizes) + len(envelope.encode("utf-8")) + 2 * (len(sizes) - 1)
    stats = {
        "total_size_bytes": total,
        "num_spans": len(sizes),
        "max": sizes[-1],
        "p25": _percentile(sizes, 0.25),
        "p50": _percentile(sizes, 0.50),
        "p75": _percentile(sizes, 0.75),
    }
    metadata[SIZE_STATS] = json.dumps(stats)
    metadata[SIZE_BYTES] = str(total)
    return texts


def complete(trace) -> list[str]:
    """Fill in what a store derives from a finished trace's spans — request/response
    previews the API left unset, ``mlflow.traceInputs``/``Outputs``, the token usage of
    its LLM spans, the size metadata — and return its spans' JSON texts."""
    info = trace.info
    root = next((s for s in trace.data.spans if s.parent_id is None), None)
    metadata = info.trace_metadata
    if root is not None:
        inputs = root._raw_attribute(SPAN_INPUTS)
        outputs = root._raw_attribute(SPAN_OUTPUTS)
        metadata.setdefault(TRACE_INPUTS, truncate(inputs or "", METADATA_MAX_CHARS))
        metadata.setdefault(TRACE_OUTPUTS, truncate(outputs or "", METADATA_MAX_CHARS))
        if info.request_preview is None:
            info.request_preview = preview(inputs, "user")
        if info.response_preview is None:
            info.response_preview = preview(outputs, "assistant")
    if TOKEN_USAGE_KEY not in metadata:
        usage = token_usage(trace.data.spans)
        if usage is not None:
            metadata[TOKEN_USAGE_KEY] = json.dumps(usage)
    return add_size_stats(trace)


def token_usage(spans: list) -> dict | None:
    """The token usage of every span that has it and no ancestor that has it (an
    autologger may roll its children's usage up into a parent span), added up."""
    with_usage = {s.span_id: s for s in spans if CHAT_USAGE in s._attributes}
    if not with_usage:
        return None
    parents = {s.span_id: s.parent_id for s in spans}
    total = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    for span_id, span in with_usage.items():
        ancestor = parents.get(span_id)
        while ancestor is not None and ancestor not in with_usage:
            ancestor = parents.get(ancestor)
        if ancestor is not None:
            continue
        usage = span.get_attribute(CHAT_USAGE)
        if not isinstance(usage, dict):
            continue
        for key in _TOKEN_KEYS:
            value = usage.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total[key] = total.get(key, 0) + int(value)
    return {key: total[key] for key in _TOKEN_KEYS if key in total}
