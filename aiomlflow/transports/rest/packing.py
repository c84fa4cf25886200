"""Pack one run's queued data operations into MLflow REST requests, in order.

``runs/log-batch`` takes at most 1,000 metrics, 100 params and 100 tags (1,000 entities
in all) and MLflow's request-size limit of 1 MB; a request may not name a param key
twice.  ``pack`` walks the operations in submission order and starts a new request when
the next entry would break a limit; a DELETE_TAG operation is a ``runs/delete-tag``
request of its own, so a tag set before it lands before it and one set after it lands
after it, and a TERMINATE one a ``runs/update`` request.  One operation may span several requests (a 2,500-metric ``log_batch``), and
one request may carry several operations: every request records which operations (by
index into the packed list) it carries, so a failure maps back to them.

Metric values that JSON cannot spell (NaN, ±inf) are sent as protobuf's JSON mapping
spells them, "NaN", "Infinity" and "-Infinity", as MLflow's client does.
"""

from __future__ import annotations

import orjson

from ...batches import (
    BATCH,
    DELETE_TAG,
    LINKED,
    MAX_BATCH_LOG_REQUEST_SIZE as MAX_REQUEST_BYTES,
    MAX_ENTITIES_PER_BATCH as MAX_ENTITIES,
    MAX_METRICS_PER_BATCH as MAX_METRICS,
    MAX_PARAMS_TAGS_PER_BATCH as MAX_PARAMS,
    METRIC,
    PARAM,
    TERMINATE,
)

MAX_TAGS = MAX_PARAMS
# the link fields of a LINKED metric row, in row order after (key, value, ts, step)
_LINKS = ("model_id", "dataset_name", "dataset_digest")
# Running estimate budget; the encoded body is checked against MAX_REQUEST_BYTES.
_BUDGET = 900_000
_OVERHEAD = 64  # run id, braces, field names


class Request:
    """One HTTP request: ``endpoint``, encoded ``body`` and the indexes of the operations
    (into the packed list) it carries, in order."""

    __slots__ = ("endpoint", "body", "ops", "counts")

    def __init__(self, endpoint: str, body: bytes, ops: list[int], counts=(0, 0, 0)):
        self.endpoint = endpoint
        self.body = body
        self.ops = ops
        self.counts = counts  # (metrics, params, tags) for log-batch

    def __repr__(self) -> str:
        m, p, t = self.counts
        return (f"<Request {self.endpoint} ops={self.ops[0]}..{self.ops[-1]} "
                f"metrics={m} params={p} tags={t} bytes={len(self.body)}>")


def metric_value(value):
    """A metric value as MLflow's client puts it in JSON."""
    if value - value:  # NaN or ±inf (finite values give 0.0)
        if value != value:
            return "NaN"
        return "Infinity" if value > 0 else "-Infinity"
    return value


class _Chunk:
    __slots__ = ("metrics", "params", "tags", "param_keys", "owners", "size")

    def __init__(self):
        self.metrics: list = []
        self.params: list = []
        self.tags: list = []
        self.param_keys: set = set()
        # (op index, "m"/"p"/"t") per entry, in entry order of each list
        self.owners: list = []
        self.size = _OVERHEAD

    def __len__(self):
        return len(self.metrics) + len(self.params) + len(self.tags)


def _encode(run_id: str, chunk: _Chunk) -> list[Request]:
    body: dict = {"run_id": run_id}
    if chunk.metrics:
        body["metrics"] = chunk.metrics
    if chunk.params:
        body["params"] = chunk.params
    if chunk.tags:
        body["tags"] = chunk.tags
    data = orjson.dumps(body)
    if len(data) > MAX_REQUEST_BYTES and len(chunk) > 1:
        # The estimate missed escapes or multi-byte text: split the entries in two.
        return [r for half in _halves(chunk) for r in _encode(run_id, half)]
    ops: list[int] = []
    last = -1
    for index, _ in chunk.owners:  # entries are appended in operation order
        if index != last:
            ops.append(index)
            last = index
    return [Request("runs/log-batch", data, ops,
                    (len(chunk.metrics), len(chunk.params), len(chunk.tags)))]


def _halves(chunk: _Chunk) -> tuple[_Chunk, _Chunk]:
    entries = []
    lists = {"m": iter(chunk.metrics), "p": iter(chunk.params), "t": iter(chunk.tags)}
    for index, kind in chunk.owners:
        entries.append((index, kind, next(lists[kind])))
    middle = len(entries) // 2
    out = []
    for part in (entries[:middle], entries[middle:]):
        half = _Chunk()
        for index, kind, entry in part:
            {"m": half.metrics, "p": half.params, "t": half.tags}[kind].append(entry)
            half.owners.append((index, kind))
        out.append(half)
    return out[0], out[1]


def pack(run_id: str, ops: list, single_param_endpoint: bool = False) -> list[Request]:
    """Requests carrying ``ops`` (one run's data operations) in order.

    With ``single_param_endpoint``, a lone PARAM operation goes to ``runs/log-parameter``
    (MLflow's log_param endpoint, whose conflict error is worded for one param).
    """
    if single_param_endpoint and len(ops) == 1 and ops[0][1] == PARAM:
        op = ops[0]
        return [Request("runs/log-parameter",
                        orjson.dumps({"run_id": run_id, "key": op[3], "value": op[4]}), [0])]
    out: list[Request] = []
    chunk = _Chunk()

    def flush() -> None:
        nonlocal chunk
        if len(chunk):
            out.extend(_encode(run_id, chunk))
            chunk = _Chunk()

    for index, op in enumerate(ops):
        kind = op[1]
        if kind == METRIC:
            if (len(chunk.metrics) >= MAX_METRICS or len(chunk) >= MAX_ENTITIES
                    or chunk.size >= _BUDGET):
                flush()
            chunk.metrics.append({"key": op[3], "value": metric_value(op[4]),
                                  "timestamp": op[5], "step": op[6]})
            chunk.owners.append((index, "m"))
            chunk.size += 60 + len(op[3])
            continue
        if kind == DELETE_TAG:
            flush()
            out.append(Request("runs/delete-tag",
                               orjson.dumps({"run_id": run_id, "key": op[3]}), [index]))
            continue
        if kind == TERMINATE:
            flush()
            out.append(Request("runs/update", orjson.dumps(
                {"run_id": run_id, "status": op[3], "end_time": op[4]}), [index]))
            continue
        if kind == PARAM:
            metrics, params, tags = (), ((op[3], op[4]),), ()
        elif kind == BATCH or kind == LINKED:
            metrics, params, tags = op[3], op[4], op[5]
        else:  # pragma: no cover - the batcher hands over data kinds only
            continue
        for row in metrics:
            if (len(chunk.metrics) >= MAX_METRICS or len(chunk) >= MAX_ENTITIES
                    or chunk.size >= _BUDGET):
                flush()
            key = row[0]
            entry = {"key": key, "value": metric_value(row[1]), "timestamp": row[2],
                     "step": row[3]}
            if kind == LINKED:
                # the server records a metric naming a model on the model too
                for field, value in zip(_LINKS, row[4:]):
                    if value is not None:
                        entry[field] = value
                        chunk.size += 20 + len(value)
            chunk.metrics.append(entry)
            chunk.owners.append((index, "m"))
            chunk.size += 60 + len(key)
        for key, value in params:
            size = 32 + len(key) + len(value or "")
            if (len(chunk.params) >= MAX_PARAMS or len(chunk) >= MAX_ENTITIES
                    or chunk.size + size > _BUDGET or key in chunk.param_keys):
                flush()
            chunk.params.append({"key": key, "value": value})
            chunk.param_keys.add(key)
            chunk.owners.append((index, "p"))
            chunk.size += size
        for key, value in tags:
            size = 32 + len(key) + len(value or "")
            if (len(chunk.tags) >= MAX_TAGS or len(chunk) >= MAX_ENTITIES
                    or chunk.size + size > _BUDGET):
                flush()
            chunk.tags.append({"key": key, "value": value})
            chunk.owners.append((index, "t"))
            chunk.size += size
    flush()
    return out
