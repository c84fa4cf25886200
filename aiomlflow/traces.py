"""Finished traces as the engine hands them to transports (TRACE operations), and the
store-side facts every transport adds: the spans' stored JSON and the size metadata.
"""

from __future__ import annotations

import json

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
