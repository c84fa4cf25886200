"""The caller-writes path: a waiting caller writes the head of the queue itself.

A synchronous call would otherwise cost three thread wake-ups (caller, loop, connection
thread) for one small transaction.  When no drain is running and the transport can
write from any thread (SQLite), the waiting caller takes the data at the head of the
queue, in order, up to and including its own operation, and writes it on its thread.

Contract with the engine:

- One drainer at a time: a helping caller holds the engine's drain lock for the whole
  help, and the worker's drain takes the same lock, so each run's operations are
  written in submission order whoever writes them.  The lock is reentrant: a signal
  handler landing between taking it and marking the write (or between unmarking and
  releasing) may flush, and so drain, on the same thread.
- ``writing`` names the thread inside a help.  Nothing may interrupt that write: a
  SIGTERM landing in it is deferred (``defer_if_writing``) and handled once the write
  is done, and a wait from a signal handler on that thread raises WriteInterrupted
  instead of reporting unwritten data as durable.
- Operations of an interrupted write go back to the head of the queue, for the worker
  or the exit flush.
- A handler that raises (``sys.exit``, KeyboardInterrupt) the moment the lock is taken,
  before the help knows it holds it, does not leave it held (``_release_if_taken``).
"""

from __future__ import annotations

import threading
import time

from ..batches import CALL, LAST_DATA_KIND, NOOP, group_by_run
from ..exceptions import MlflowException
from .completions import Durable


class WriteInterrupted(MlflowException):
    """A wait from a signal handler that interrupted its own thread's write."""


def helpable(op: tuple, calls: frozenset = frozenset()) -> bool:
    """Operations a caller may write itself: run data, flush markers, and the transport
    calls its transport can make on the caller's thread (``calls``)."""
    return op[1] <= LAST_DATA_KIND or op[1] == NOOP or (op[1] == CALL and op[3] in calls)


def _holds(lock) -> int:
    """How many times the calling thread holds the reentrant ``lock``."""
    count = getattr(lock, "_recursion_count", None)  # Python >= 3.11
    return count() if count is not None else int(lock._is_owned())


def _release_if_taken(lock, held: int) -> None:
    """Release the hold an interrupted ``lock.acquire`` took and never reported.

    A signal handler may run, and raise (``sys.exit``, KeyboardInterrupt), the moment
    ``acquire`` returns, before its result is stored: the lock would stay held by a
    thread that writes nothing, and the worker, which takes it to drain or to close
    the transport, would wait for it forever.
    """
    if _holds(lock) > held:
        lock.release()


class CallerWriter:
    """Writes the queue's head on waiting callers' threads for one engine."""

    def __init__(self, engine):
        # The engine's queue, completions, drain lock, transport and settings are used;
        # ``engine.caller_may_write()`` says whether the transport is open for it.
        self._engine = engine
        self.writing: int | None = None  # ident of the thread helping right now
        self._deferred: tuple | None = None  # (handler, *args) of a deferred signal

    def help(self, seq: int, deadline: float | None) -> bool:
        """Write the head of the queue up to ``seq`` here; True once ``seq`` is complete.

        Gives up (False) when another drain is running, when the transport closes, or at
        ``deadline``; whatever is left is the worker's, which is woken for it.
        """
        engine = self._engine
        lock = engine.drain_lock
        completions = engine.completions
        outer = self.writing
        held = _holds(lock)
        taken = False
        try:
            taken = lock.acquire(blocking=False)
            if not taken:
                return False
            self.writing = threading.get_ident()
            # caller_may_write again, under the lock: the loop turns it off before closing
            # the transport, and takes this lock to let a write in progress finish first
            calls = engine.transport.caller_calls
            accept = helpable if not calls else (lambda op: helpable(op, calls))
            while (not completions.completed(seq) and engine.caller_may_write()
                   and (deadline is None or time.monotonic() < deadline)):
                ops = engine.queue.take_leading(engine.settings.batch_size, accept)
                if not ops:
                    break
                self._write_in_order(ops)
            if not engine.items:
                completions.fill_gaps()
        finally:
            # inline, not a helper (help and read share it): a call before the release
            # is one more point where a signal handler may raise and skip it
            if not taken:
                _release_if_taken(lock, held)
            else:
                self.writing = outer
                lock.release()
                if engine.items:  # what we could not write (a transport call) is the worker's
                    engine.wake()
                if outer is None:
                    self._run_deferred()
        return completions.completed(seq)

    def read(self, method: str, args: tuple) -> tuple[bool, object]:
        """Run the transport read ``method(*args)`` here, through the caller connection:
        ``(True, result)``; ``(False, None)`` when that connection is busy (a drain or
        another caller's read or write) or this thread is already inside a help (a
        signal handler), for the caller to read through the loop instead."""
        engine = self._engine
        lock = engine.drain_lock
        outer = self.writing
        held = _holds(lock)
        taken = False
        try:
            taken = lock.acquire(blocking=False)
            if not taken or outer is not None or not engine.caller_may_write():
                return False, None
            # marked as a help: a SIGTERM landing in the read waits for its end, as it
            # waits for a write's
            self.writing = threading.get_ident()
            return True, engine.transport.read_in_caller(method, args)
        finally:
            if not taken:
                _release_if_taken(lock, held)
            else:
                self.writing = outer
                lock.release()
                if outer is None:
                    self._run_deferred()

    def _run_deferred(self) -> None:
        deferred, self._deferred = self._deferred, None
        if deferred is not None:
            handler, *args = deferred
            handler(*args)

    def interrupted_here(self) -> bool:
        """Whether the calling thread is inside a help (so: in a signal handler)."""
        return self.writing == threading.get_ident()

    def defer_if_writing(self, handler, *args) -> bool:
        """Run ``handler(*args)`` once this thread's help is done, if it is in one."""
        if not self.interrupted_here():
            return False
        self._deferred = (handler, *args)
        return True

    def _write_in_order(self, ops: list) -> None:
        # run data and markers in runs written together; a transport call alone, in its
        # place in the queue
        start = 0
        for n, op in enumerate(ops):
            if op[1] == CALL:
                if start < n:
                    self._write(ops[start:n], ops[n:])
                self._call(op, ops[n + 1:])
                start = n + 1
        if start < len(ops):
            self._write(ops[start:])

    def _call(self, op: tuple, rest: list) -> None:
        engine = self._engine
        try:
            result = engine.transport.call_in_caller(op[3], op[4])
        except BaseException as exc:
            if isinstance(exc, Exception) and not isinstance(exc, WriteInterrupted):
                from .completions import as_mlflow_exception

                engine.completions.complete((op,), {op[0]: as_mlflow_exception(exc)})
                return
            engine.items.extendleft(reversed([op, *rest]))  # cut short: see _write
            raise
        engine.completions.complete((op,), None, {op[0]: result})

    def _write(self, ops: list, rest: list = ()) -> None:
        engine = self._engine
        data = [op for op in ops if op[1] <= LAST_DATA_KIND]
        durable = Durable(engine.completions, ops)
        try:
            if data:
                engine.transport.write_in_caller(group_by_run(data), durable)
            if not durable.called:
                durable([])
        except BaseException as exc:
            if isinstance(exc, Exception) and not isinstance(exc, WriteInterrupted):
                if not durable.called:
                    durable.fail_all(data, exc)
                return
            # Cut short, not failed (a signal handler's wait inside this very write,
            # KeyboardInterrupt, SystemExit from a handler): the operations go back to
            # the head of the queue for a later drain or the exit flush.
            if not durable.called:
                engine.items.extendleft(reversed([*ops, *rest]))
            elif rest:
                engine.items.extendleft(reversed(rest))
            raise
