"""RunOperations: the handle asynchronous calls return (operation layouts: batches.py)."""

from __future__ import annotations

import time


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
        """Block until every covered operation is durable; raise the first failure.

        ``timeout`` (seconds) bounds the whole call, however many operations it covers.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        for seq in self._all():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._engine.wait(seq, remaining)

    def __add__(self, other: "RunOperations") -> "RunOperations":
        return RunOperations(self._engine or other._engine, self._all() + other._all())

    def __repr__(self) -> str:
        return f"<RunOperations: {len(self._all())} operation(s)>"
