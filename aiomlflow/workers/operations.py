"""Operation records and the RunOperations handle returned by asynchronous calls.

An operation is a plain tuple whose first item is its sequence number and second its
kind; tuples keep the hot path allocation-light (no Future per call).
"""

from __future__ import annotations

# Operation kinds.  Layouts (after seq, kind, run_id):
METRIC = 0      # key, value, timestamp, step
PARAM = 1       # key, value (log_param: MLflow words its conflict error differently)
BATCH = 2       # metrics [(key, value, ts, step)], params [(key, value)], tags [(key, value)]
DELETE_TAG = 3  # key
CALL = 4        # transport method name, args: awaited in order; the result is kept
NOOP = 5        # a marker that lets flush wait for everything queued before it

LAST_DATA_KIND = DELETE_TAG  # kinds up to this one are run data, written in batches


class RunOperations:
    """A handle on asynchronously submitted operations; ``wait()`` blocks until durable.

    ``wait()`` raises the MlflowException of the first covered operation that failed.
    ``seqs`` is one sequence number (the common case, kept unboxed) or a tuple of them.
    """

    __slots__ = ("_engine", "_seqs")

    def __init__(self, engine, seqs):
        self._engine = engine
        self._seqs = seqs

    def _all(self) -> tuple:
        return (self._seqs,) if type(self._seqs) is int else tuple(self._seqs)

    def wait(self, timeout: float | None = None) -> None:
        """Block until every covered operation is durable; raise the first failure."""
        for seq in self._all():
            self._engine.wait(seq, timeout)

    def __add__(self, other: "RunOperations") -> "RunOperations":
        return RunOperations(self._engine or other._engine, self._all() + other._all())

    def __repr__(self) -> str:
        return f"<RunOperations: {len(self._all())} operation(s)>"
