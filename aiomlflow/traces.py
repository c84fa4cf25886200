"""Finished traces as the engine hands them to transports (TRACE operations), and the
store-side facts every transport adds: the spans' stored JSON and the size metadata.
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

_dumps = json.JSONEncoder(ensure_ascii=False).encode


def span_json(span) -> str:
    """A span's stored JSON text: its dict form with Python's separators and non-ASCII
    kept, as MLflow writes it (search filters match substrings of this text)."""
    return _dumps(span.to_dict())


def _percentile(sorted_sizes: list[int], fraction: float) -> int:
    # linear interpolation between the closest ranks
    position = (len(sorted_sizes) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(sorted_sizes) - 1)
    return int(sorted_sizes[low] + (sorted_sizes[high] - sorted_sizes[low]) * (position - low))


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


def add_size_stats(trace) -> list[str]:
    """Set ``mlflow.trace.sizeBytes`` / ``mlflow.trace.sizeStats`` on the trace's
    metadata and return its spans' JSON texts.  ``num_spans`` is exact: readers use it
    to tell a complete trace from one whose spans are still being written."""
    texts = [span_json(span) for span in trace.data.spans]
    sizes = sorted(len(text.encode("utf-8")) for text in texts)
    info_size = len(_dumps(trace.info.to_dict()).encode("utf-8"))
    total = info_size + sum(sizes) + 2 * max(len(sizes) - 1, 0) + len('{"info": , "data": {"spans": []}}')
    metadata = trace.info.trace_metadata
    metadata[SIZE_BYTES] = str(total)
    stats = {"total_size_bytes": total, "num_spans": len(sizes)}
    if sizes:
        stats.update(max=sizes[-1], p25=_percentile(sizes, 0.25), p50=_percentile(sizes, 0.5),
                     p75=_percentile(sizes, 0.75))
    metadata[SIZE_STATS] = json.dumps(stats)
    return texts
