"""What every transport adds to a finished trace before storing it: the size metadata.

MLflow's client computes ``mlflow.trace.sizeBytes`` and ``mlflow.trace.sizeStats`` just
before it hands a trace to the store; readers use ``num_spans`` to tell a complete trace
from one whose spans are still on their way (a trace with fewer stored spans is "not
fully exported yet").  The engine hands transports traces without these two keys;
:func:`add_size_stats` sets them and returns the spans' JSON texts, which the SQLite
transport stores as they are and the REST transport uploads as ``traces.json`` when a
server has no other place for the spans.

A leaf module: it imports nothing of aiomlflow.
"""

from __future__ import annotations

import json

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


__all__ = ["SIZE_BYTES", "SIZE_STATS", "add_size_stats", "span_json"]
