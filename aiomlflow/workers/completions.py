"""Which queued operations are done, how each one ended, and waiting for them.

Every operation carries a sequence number, taken by its producer just before it is
appended to the queue.  ``Completions`` keeps a watermark over those numbers:

- every number ``<= done`` is complete (durable or failed), except the numbers in
  ``lost``; a number completed above the watermark waits in ``ahead`` until the range
  below it is complete;
- ``complete`` is called only by the single drainer (whoever holds the engine's drain
  lock), once a write's operations are durable or failed;
- ``completed`` may be called from any thread without a lock;
- ``wait_for`` sleeps on a condition that every completion notifies (no polling);
- ``fill_gaps`` moves the watermark past numbers that were taken but never appended
  (a producer interrupted in between), so ``ahead`` stays bounded for the engine's life.

Failures are kept until somebody waits for them or a flush reports them, bounded by
count and by message bytes (beyond either, the oldest are dropped and counted).
"""

from __future__ import annotations

import itertools
import logging
import threading
import time

from ..exceptions import MlflowException
from . import priority

_logger = logging.getLogger("aiomlflow")

# Failures kept for later wait()/flush(), per map: beyond either bound the oldest are
# dropped (and counted).  The byte bound matters when messages quote large values.
MAX_KEPT_FAILURES = 100_000
MAX_KEPT_FAILURE_BYTES = 32 * 1024 * 1024


def as_mlflow_exception(exc: BaseException) -> MlflowException:
    """Wrap any transport error so callers always see an MlflowException."""
    if isinstance(exc, MlflowException):
        return exc
    return MlflowException(f"{type(exc).__name__}: {exc}")


class FailureMap(dict):
    """seq -> MlflowException in completion order, bounded by count and message bytes."""

    __slots__ = ("size", "evicted")

    def __init__(self):
        super().__init__()
        self.size = 0
        self.evicted = 0  # dropped to stay in bounds, not yet reported as such

    def add(self, failures: dict) -> None:
        """Keep ``failures``, dropping the oldest kept ones if over a bound."""
        for seq, exc in failures.items():
            old = dict.get(self, seq)
            if old is not None:
                self.size -= _cost(old)
            self[seq] = exc
            self.size += _cost(exc)
        while self and (len(self) > MAX_KEPT_FAILURES or self.size > MAX_KEPT_FAILURE_BYTES):
            # a chunk per step: deleting from a dict's front one by one rescans it
            for seq in list(itertools.islice(self, 1024)):
                self.size -= _cost(dict.pop(self, seq))
                self.evicted += 1
                if len(self) <= MAX_KEPT_FAILURES and self.size <= MAX_KEPT_FAILURE_BYTES:
                    break

    def pop(self, seq, default=None):
        """Remove and return the failure of ``seq`` (``default`` if none is kept)."""
        exc = dict.pop(self, seq, None)
        if exc is None:
            return default
        self.size -= _cost(exc)
        return exc


def _cost(exc: MlflowException) -> int:
    return len(exc.message) + 200  # the message plus the object and dict slot, roughly


class Completions:
    """The completion watermark, kept outcomes, and the condition waiters sleep on."""

    def __init__(self):
        self.done = 0  # every seq <= done is complete, except those in lost
        self.ahead: set[int] = set()  # completed seqs above the watermark
        # Seqs the watermark passed without seeing them (a producer interrupted between
        # taking its number and appending): not complete until they turn up.
        self.lost: set[int] = set()
        self.failures = FailureMap()  # not yet raised to anybody
        # Failures already raised (by a wait or a flush): a RunOperations handle raises
        # its failure on every wait, as MLflow's does, but flush reports it only once.
        self.reported = FailureMap()
        self.results: dict[int, object] = {}
        # seq -> callback(exc) for operations whose failure goes to their producer
        # instead of being kept (the system-metrics sampler's own writes)
        self.watchers: dict[int, object] = {}
        self._cond = threading.Condition(threading.RLock())
        self._waiters = 0
        # seq -> callbacks run (on the completing thread) once seq is complete: how
        # awaiting coroutines on any event loop learn of it without blocking (sdk/aio.py)
        self.notifiers: dict[int, list] = {}

    def completed(self, seq: int) -> bool:
        """Whether operation ``seq`` is durable or failed (its outcome is known)."""
        if self.done < seq:
            return seq in self.ahead
        return not self.lost or seq not in self.lost

    def complete(self, ops, failures: dict | None = None, results: dict | None = None) -> None:
        """Record ``ops`` as complete, with the failures and results of some of them."""
        if self.watchers:
            failures = self._tell_watchers(ops, failures)
        if failures:
            self.failures.add(failures)
        if results:
            self.results.update(results)
        if self.lost:  # numbers the watermark passed, turning up after all
            ops = self._settle_late(ops)
        # Producers may append out of sequence order, so advance the watermark only
        # over a contiguous range of completed sequence numbers.
        done = self.done
        n = len(ops)
        # Sequence numbers are unique and all above the watermark, so the batch is
        # exactly the next range when its largest one is done + n.
        if not n:
            pass
        elif not self.ahead and max(ops)[0] == done + n:
            self.done = done + n
        else:
            ahead = self.ahead
            ahead.update(op[0] for op in ops)
            while done + 1 in ahead:
                done += 1
                ahead.remove(done)
            self.done = done
        if self._waiters:
            self.wake_all()
        if self.notifiers:
            self._notify_completed()

    def notify(self, seq: int, callback) -> bool:
        """Call ``callback()`` once ``seq`` is complete, from the completing thread (it
        must not block).  False, and nothing registered, when it is complete already."""
        with self._cond:
            if self.completed(seq):
                return False
            self.notifiers.setdefault(seq, []).append(callback)
            return True

    def forget(self, seq: int, callback) -> None:
        """Withdraw a ``notify`` callback (its waiter stopped waiting)."""
        with self._cond:
            callbacks = self.notifiers.get(seq)
            if callbacks and callback in callbacks:
                callbacks.remove(callback)
                if not callbacks:
                    del self.notifiers[seq]

    def _notify_completed(self) -> None:
        with self._cond:
            ready = [seq for seq in self.notifiers if self.completed(seq)]
            callbacks = [cb for seq in ready for cb in self.notifiers.pop(seq)]
        for callback in callbacks:
            try:
                callback()
            except Exception:  # pragma: no cover - a waiter never breaks completion
                _logger.exception("aiomlflow: completion callback error")

    def watch(self, seq: int, on_failure) -> None:
        """Hand the failure of operation ``seq`` (not yet appended) to ``on_failure``."""
        self.watchers[seq] = on_failure

    def _tell_watchers(self, ops, failures: dict | None) -> dict | None:
        watchers = self.watchers
        for op in ops:
            on_failure = watchers.pop(op[0], None)
            if on_failure is not None and failures and op[0] in failures:
                failures = dict(failures)
                try:
                    on_failure(failures.pop(op[0]))
                except Exception:  # pragma: no cover - a watcher never breaks completion
                    _logger.exception("aiomlflow: failure callback error")
        return failures

    def _settle_late(self, ops) -> list:
        lost, done = self.lost, self.done
        lost.difference_update(op[0] for op in ops if op[0] <= done)
        return [op for op in ops if op[0] > done]

    def fill_gaps(self) -> None:
        """Move the watermark past numbers that were taken but never appended.

        Only for the drain-lock holder, with the queue empty and nothing in flight: a
        completed number above a gap then means the gap's producer was interrupted (or
        is still between taking and appending).  Those numbers go to ``lost``, which
        keeps them incomplete until they turn up.
        """
        ahead = self.ahead
        if not ahead:
            return
        top = max(ahead)
        self.lost.update(seq for seq in range(self.done + 1, top) if seq not in ahead)
        # In this order, for lock-free readers: a completed number is always either
        # in ahead or at most done, never neither (a waiter that looked in between
        # would sleep through its completion).
        self.done = top
        ahead.clear()
        if self.notifiers:
            self._notify_completed()

    def wait_for(self, seq: int, deadline: float | None, timeout: float | None, alive) -> None:
        """Sleep until ``seq`` is complete; ``alive()`` raises if nothing can complete it.

        Raises DEADLINE_EXCEEDED at ``deadline`` (``timeout`` is for the message).
        """
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        if not priority.wait_unstarved(lambda seconds: self._wait(seq, seconds, alive),
                                       remaining):
            raise MlflowException(
                f"Timed out after {timeout}s waiting for logging operation {seq}",
                error_code="DEADLINE_EXCEEDED")

    def _wait(self, seq: int, seconds: float | None, alive) -> bool:
        """Sleep until ``seq`` is complete or ``seconds`` passed; whether it is complete."""
        until = None if seconds is None else time.monotonic() + seconds
        with self._cond:
            self._waiters += 1
            try:
                while not self.completed(seq):
                    alive()
                    remaining = None if until is None else until - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(remaining)  # woken by every completion and wake_all
                return True
            finally:
                self._waiters -= 1

    def wake_all(self) -> None:
        """Wake every waiter to look again (a completion, or the drainer stopped)."""
        with self._cond:
            self._cond.notify_all()

    def outcome(self, seq: int):
        """The result of complete operation ``seq``, or its failure raised (a copy)."""
        if self.failures or self.reported:
            failure = self.failures.pop(seq, None)
            if failure is not None:
                self.results.pop(seq, None)
                self.reported.add({seq: failure})
            else:
                failure = self.reported.get(seq)
            if failure is not None:
                import copy  # failures only: not part of `import aiomlflow`

                raise copy.copy(failure)
        return self.results.pop(seq, None) if self.results else None

    def report_failures(self, upto: int) -> None:
        """Raise the first unreported failure numbered ``<= upto`` (the count of the
        others, and of failures dropped to stay in bounds, in its message)."""
        failed = [seq for seq in list(self.failures) if seq <= upto]
        if not failed and not self.failures.evicted:
            return
        popped = {seq: self.failures.pop(seq) for seq in failed if seq in self.failures}
        self.reported.add(popped)
        errors = list(popped.values())
        dropped, self.failures.evicted = self.failures.evicted, 0
        total = len(errors) + dropped
        first = errors[0] if errors else MlflowException("asynchronous logging failed")
        note = f" ({total - 1} other asynchronous logging operation(s) also failed)" if total > 1 else ""
        raise MlflowException(first.message + note, error_code=first.error_code)

    def unreported(self) -> list[MlflowException]:
        """Failures not yet raised to anybody (reported at exit)."""
        return list(self.failures.values())


class Durable:
    """The ``durable`` callback handed to one transport write: completes its
    operations once, with the failures the transport names."""

    __slots__ = ("completions", "ops", "called")

    def __init__(self, completions: Completions, ops: list):
        self.completions, self.ops, self.called = completions, ops, False

    def __call__(self, failed: list) -> None:
        self.called = True
        self.completions.complete(
            self.ops, {seq: as_mlflow_exception(exc) for seq, exc in failed})

    def fail_all(self, data: list, exc: BaseException) -> None:
        """The write itself failed: every data operation fails with its error."""
        error = as_mlflow_exception(exc)
        _logger.warning("writing %d operation(s) failed: %s", len(data), error.message)
        self([(op[0], error) for op in data])
