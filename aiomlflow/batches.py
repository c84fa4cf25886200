"""Run-data operations: the tuple layout callers enqueue and the per-run batches
transports receive — the contract between the engine (workers/) and the transports.

An operation is a plain tuple whose first item is its sequence number and second its
kind; tuples keep the hot path allocation-light (no Future per call).
"""

from __future__ import annotations

# Operation kinds.  Layouts (after seq, kind, run_id):
METRIC = 0      # key, value, timestamp, step
PARAM = 1       # key, value (log_param: MLflow words its conflict error differently)
BATCH = 2       # metrics [(key, value, ts, step)], params [(key, value)], tags [(key, value)]
DELETE_TAG = 3  # key
TERMINATE = 4   # status, end_time: end the run (set_terminated), in order with its data
LINKED = 5      # as BATCH, but metric rows are (key, value, ts, step, model_id, dataset_name,
                # dataset_digest): metrics linked to a logged model and/or a dataset
CALL = 6        # transport method name, args: awaited in order; the result is kept
NOOP = 7        # a marker that lets flush wait for everything queued before it
TRACE = 8       # a finished trace (to_trace() gives the Trace entity), or with ``late`` set,
                # spans (trace_id, experiment_id, spans) joining a trace already stored

LAST_DATA_KIND = LINKED  # kinds up to this one are run data, written in batches

# MLflow's log-batch limits (mlflow/utils/validation.py in 3.17.2): what one call may
# carry (checked at the call site) and what one runs/log-batch request may (REST).
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000


class _TagDeleted:
    """The value of a ``tag_ops`` row that deletes its tag (a logged value may be None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "TAG_DELETED"


TAG_DELETED = _TagDeleted()


class RunBatch:
    """The data operations for one run from one drain, in submission order.

    ``metrics`` holds metric rows shaped like METRIC operations
    ``(seq, kind, run_id, key, value, timestamp, step)`` so a transport can bind them
    as they are; ``latest`` the newest row per key within the batch (highest step,
    then timestamp, then value, NaN counting as 0 as MLflow stores it).  ``params``
    rows are ``(key, value, seq, single)`` and ``tag_ops`` rows ``(key, value, seq)``
    (value ``TAG_DELETED`` deletes; a logged value may be None, which MLflow's SQL store
    keeps as NULL), so a store-level conflict fails only its operation.
    ``terminations`` rows are ``(status, end_time, seq)``; a store applies them after the
    data (status and end time do not affect what data may be logged), the last one
    winning.  ``model_metrics`` rows are ``(seq, model_id, key, value, timestamp, step,
    dataset_name, dataset_digest)``: the LINKED metrics that name a logged model, which a
    store also records on the model (MLflow's ``logged_model_metrics``).
    """

    __slots__ = ("run_id", "ops", "metrics", "latest", "params", "tag_ops", "terminations",
                 "model_metrics")

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.ops: list[tuple] = []
        self.metrics: list[tuple] = []
        self.latest: dict[str, tuple] = {}
        self.params: list[tuple] = []
        self.tag_ops: list[tuple] = []
        self.terminations: list[tuple] = []
        self.model_metrics: list[tuple] = []

    @property
    def seqs(self) -> list[int]:
        """Sequence numbers of every operation in the batch."""
        return [op[0] for op in self.ops]

    def without(self, seqs: set[int]) -> "RunBatch":
        """The same batch minus the given operations."""
        kept = [op for op in self.ops if op[0] not in seqs]
        return group_by_run(kept)[0] if kept else RunBatch(self.run_id)

    def __repr__(self) -> str:
        return (f"<RunBatch {self.run_id}: {len(self.metrics)} metrics, "
                f"{len(self.params)} params, {len(self.tag_ops)} tag ops, "
                f"{len(self.terminations)} terminations>")


def _newer(row: tuple, best: tuple) -> bool:
    # MLflow's order: (step, timestamp, stored value); NaN is stored as 0.
    value, best_value = row[4], best[4]
    return (row[6], row[5], value if value == value else 0.0) > (
        best[6], best[5], best_value if best_value == best_value else 0.0)


def group_by_run(ops: list) -> list[RunBatch]:
    """Split a run of data operations into one RunBatch per run id (one pass)."""
    batches: dict[str, RunBatch] = {}
    current = None
    for op in ops:
        run_id = op[2]
        if run_id != current:  # consecutive operations mostly share a run
            batch = batches.get(run_id)
            if batch is None:
                batch = batches[run_id] = RunBatch(run_id)
            current = run_id
            add_op, add_metric, latest = batch.ops.append, batch.metrics.append, batch.latest
        add_op(op)
        kind = op[1]
        if kind == METRIC:
            rows = (op,)
        elif kind == PARAM:
            batch.params.append((op[3], op[4], op[0], True))
            continue
        elif kind == BATCH:
            seq = op[0]
            rows = [(seq, BATCH, run_id, key, value, ts, step) for key, value, ts, step in op[3]]
            batch.params.extend((key, value, seq, False) for key, value in op[4])
            batch.tag_ops.extend((key, value, seq) for key, value in op[5])
        elif kind == LINKED:
            seq = op[0]
            rows = [(seq, LINKED, run_id, m[0], m[1], m[2], m[3]) for m in op[3]]
            batch.model_metrics.extend(
                (seq, m[4], m[0], m[1], m[2], m[3], m[5], m[6]) for m in op[3]
                if m[4] is not None)
            batch.params.extend((key, value, seq, False) for key, value in op[4])
            batch.tag_ops.extend((key, value, seq) for key, value in op[5])
        elif kind == DELETE_TAG:
            batch.tag_ops.append((op[3], TAG_DELETED, op[0]))
            continue
        elif kind == TERMINATE:
            batch.terminations.append((op[3], op[4], op[0]))
            continue
        else:
            continue
        for row in rows:
            add_metric(row)
            best = latest.get(row[3])
            # a higher step settles it without the full comparison
            if best is None or (row[6] > best[6] if row[6] != best[6] else _newer(row, best)):
                latest[row[3]] = row
    return list(batches.values())


def payload_bytes(op: tuple) -> int:
    """Rough memory a queued PARAM, BATCH, LINKED or TRACE operation holds (0 for other
    kinds): what the queue's byte bound counts, so large values cannot pile up unbounded."""
    kind = op[1]
    if kind == TRACE:
        return op[3].payload_size()
    if kind == PARAM:
        return 100 + len(op[3]) + len(op[4])
    if kind != BATCH and kind != LINKED:
        return 0
    size = 100 + (100 if kind == BATCH else 250) * len(op[3])
    for rows in (op[4], op[5]):
        for key, value in rows:
            size += 100 + len(key) + (len(value) if value.__class__ is str else 0)
    return size
