"""Groups queued run-data operations into per-run batches, keeping each run's order."""

from __future__ import annotations

from .operations import BATCH, DELETE_TAG, METRIC, PARAM


class RunBatch:
    """The data operations for one run from one drain, in submission order.

    ``metrics`` rows are ``(key, value, timestamp, step)``.  ``params`` rows are
    ``(key, value, seq, single)`` and ``tag_ops`` rows ``(key, value, seq)`` (value
    ``None`` deletes), carrying the operation's sequence number so a store-level
    conflict fails only that operation.
    """

    __slots__ = ("run_id", "ops", "metrics", "params", "tag_ops")

    def __init__(self, run_id: str):
        self.run_id = run_id
        self.ops: list[tuple] = []
        self.metrics: list[tuple] = []
        self.params: list[tuple] = []
        self.tag_ops: list[tuple] = []

    @property
    def seqs(self) -> list[int]:
        """Sequence numbers of every operation in the batch."""
        return [op[0] for op in self.ops]

    def without(self, seqs: set[int]) -> "RunBatch":
        """The same batch minus the given operations."""
        return group_by_run([op for op in self.ops if op[0] not in seqs])[0] if len(seqs) < len(
            self.ops) else RunBatch(self.run_id)

    def __repr__(self) -> str:
        return (f"<RunBatch {self.run_id}: {len(self.metrics)} metrics, "
                f"{len(self.params)} params, {len(self.tag_ops)} tag ops>")


def group_by_run(ops: list) -> list[RunBatch]:
    """Split a run of data operations into one RunBatch per run id."""
    batches: dict[str, RunBatch] = {}
    for op in ops:
        run_id = op[2]
        batch = batches.get(run_id)
        if batch is None:
            batch = batches[run_id] = RunBatch(run_id)
        batch.ops.append(op)
        kind = op[1]
        if kind == METRIC:
            batch.metrics.append(op[3:7])
        elif kind == PARAM:
            batch.params.append((op[3], op[4], op[0], True))
        elif kind == BATCH:
            seq = op[0]
            batch.metrics.extend(op[3])
            batch.params.extend((key, value, seq, False) for key, value in op[4])
            batch.tag_ops.extend((key, value, seq) for key, value in op[5])
        elif kind == DELETE_TAG:
            batch.tag_ops.append((op[3], None, op[0]))
    return list(batches.values())
