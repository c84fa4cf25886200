"""The engine: one background event-loop thread per process and tracking URI.

Caller threads validate and append operations to a bounded queue; a batching worker on
the engine's loop drains it and writes through a transport.  Waiting (synchronous mode,
``RunOperations.wait``, flush) is a sequence-number watermark plus a condition
variable, so the hot path creates no Future and makes no event-loop hop.  A waiting
caller whose transport can write from any thread (SQLite) drains the head of the queue
itself when no drain is running (``_help``): one drain lock keeps a single drainer, and
so each run's order, whichever thread it is.
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
import signal
import sys
import threading
import time

from ..config import EngineSettings
from ..exceptions import MlflowException
from ..batches import (BATCH, CALL, LAST_DATA_KIND, METRIC, NOOP, PARAM, group_by_run,
                       payload_bytes)
from .queues import OperationQueue

_logger = logging.getLogger("aiomlflow")

_NEW, _RUNNING, _CLOSED = 0, 1, 2
# While data is queued, how often the worker looks whether producers went quiet.
_QUIET_SECONDS = 0.05
# At exit, once the transport gave up on the server: time to move the queue to its journal.
_SPILL_TIMEOUT = 30.0
# Failures kept for later wait()/flush(), per map: beyond either bound the oldest are
# dropped (and counted).  The byte bound matters when messages quote large values.
_MAX_KEPT_FAILURES = 100_000
_MAX_KEPT_FAILURE_BYTES = 32 * 1024 * 1024


class WriteInterrupted(MlflowException):
    """A wait from a signal handler that interrupted its own thread's write."""


def as_mlflow_exception(exc: BaseException) -> MlflowException:
    """Wrap any transport error so callers always see an MlflowException."""
    if isinstance(exc, MlflowException):
        return exc
    return MlflowException(f"{type(exc).__name__}: {exc}")


class _FailureMap(dict):
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
        while self and (len(self) > _MAX_KEPT_FAILURES or self.size > _MAX_KEPT_FAILURE_BYTES):
            # a chunk per step: deleting from a dict's front one by one rescans it
            for seq in list(itertools.islice(self, 1024)):
                self.size -= _cost(dict.pop(self, seq))
                self.evicted += 1
                if len(self) <= _MAX_KEPT_FAILURES and self.size <= _MAX_KEPT_FAILURE_BYTES:
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


def _remaining(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class Engine:
    """Owns the loop thread, the operation queue and the transport for one tracking URI."""

    def __init__(self, tracking_uri: str, transport_factory):
        self.tracking_uri = tracking_uri
        self._transport_factory = transport_factory
        self.settings = EngineSettings()
        # per process: see fork
        self.queue = OperationQueue(self.settings.queue_size, self.settings.queue_max_bytes)
        self.items = self.queue.items
        self.slow_at = 0
        # Wake the worker early only when the queue is half full: below that, the timer
        # drains it, and a producer in a hot loop does not fight the writer for the GIL.
        self.wake_at = max(1, self.settings.queue_size // 2)
        self.next_seq = itertools.count(1).__next__
        self.transport = None
        self._state = _NEW
        self._pid = os.getpid()
        self._lifecycle = threading.Lock()
        self._done = 0  # every seq <= _done is durable or failed
        self._ahead: set[int] = set()  # completed seqs above the watermark
        # Seqs the watermark passed without seeing them (a producer interrupted between
        # taking its number and appending): not completed until they turn up.
        self._lost: set[int] = set()
        self._loop_exited = False
        self._held_for: int | None = None  # see hold_producers
        self._failures = _FailureMap()  # not yet raised to anybody
        # Failures already raised (by a wait or a flush): a RunOperations handle raises
        # its failure on every wait, as MLflow's does, but flush reports it only once.
        self._reported = _FailureMap()
        self._results: dict[int, object] = {}
        self._done_cond = threading.Condition(threading.RLock())
        self._waiters = 0
        # Held by whoever takes operations off the queue and writes them: the worker, or
        # a synchronous caller writing them itself (see _help).  One drainer at a time
        # keeps every run's operations in submission order.
        # Reentrant: a signal handler may flush on a thread that holds it between writes.
        self._drain_lock = threading.RLock()
        self._helper: int | None = None  # thread ident of the caller helping right now
        self._deferred_signal: tuple | None = None
        self._can_help = False
        self._wake_pending = False
        self._stopping = False
        self._fatal: BaseException | None = None
        self._loop = None
        self._token = None
        self._wake_event = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the loop thread and open the transport; raise its startup error."""
        with self._lifecycle:
            if self._state == _RUNNING:
                return
            if self._state == _CLOSED:
                raise MlflowException(f"The aiomlflow engine for {self.tracking_uri} is shut down.")
            ready = threading.Event()
            startup: list[BaseException] = []
            thread = threading.Thread(
                target=self._thread_main, args=(ready, startup),
                name="aiomlflow-engine", daemon=True,
            )
            thread.start()
            ready.wait()
            if startup:
                thread.join()
                raise startup[0]
            self._thread = thread
            self._state = _RUNNING
            self.slow_at = self.wake_at
        _install_process_hooks(self)

    def _thread_main(self, ready: threading.Event, startup: list) -> None:
        import anyio

        try:
            anyio.run(self._main, ready, startup, backend="asyncio")
        except BaseException as exc:  # pragma: no cover - the loop itself broke
            self._fatal = exc
            if not ready.is_set():
                startup.append(exc)
                ready.set()
            _logger.exception("aiomlflow engine loop stopped unexpectedly")
        finally:
            # Waiters sleep without polling: wake them to see that nothing drains now.
            self._loop_exited = True
            with self._done_cond:
                self._done_cond.notify_all()
            self.queue.wake_waiters()

    async def _main(self, ready: threading.Event, startup: list) -> None:
        import asyncio

        import anyio.lowlevel

        self._loop = asyncio.get_running_loop()
        self._token = anyio.lowlevel.current_token()
        self._wake_event = asyncio.Event()
        try:
            self.transport = self._transport_factory(self.tracking_uri)
            await self.transport.open()
        except BaseException as exc:
            startup.append(exc)
            ready.set()
            return
        self.transport.watch_backlog(self._backlog_full)
        self._can_help = self.transport.writes_in_caller
        ready.set()
        try:
            await self._worker()
        finally:
            self.slow_at = 0  # producers now take the slow path, which refuses
            self._can_help = False
            with self._drain_lock:  # a caller may be mid-write on the transport
                pass
            await self.transport.close()

    async def _worker(self) -> None:
        # Drain when asked (a synchronous call, a flush, a half-full queue), when the
        # producers have gone quiet for a tick, or when data has waited flush_interval.
        # Not draining while a producer is mid-burst matters under the GIL: a writer
        # running beside a hot loop slows both down.  While the queue is empty no timer
        # runs: slow_at drops to 0, so the next append takes the slow path and wakes us.
        import anyio

        max_wait = self.settings.flush_interval
        period = min(_QUIET_SECONDS, max_wait)
        event = self._wake_event
        queue = self.queue
        seen = 0
        idle_rounds = 0
        last_drain = time.monotonic()
        while True:
            if queue.items or self._state != _RUNNING:
                timeout = period
                idle_rounds = 0
            else:
                self.slow_at = 0
                # One short look after arming: a producer that read the old slow_at
                # just before, or woke us just before appending, appends unannounced.
                timeout = None if idle_rounds and not queue.items else period
                idle_rounds += 1
            with anyio.move_on_after(timeout):
                await event.wait()
                # a producer wakes us from its slow path just before it appends: the
                # next idle sleep is a short one again, so that append is not stranded
                idle_rounds = 0
            event.clear()
            if self._state == _RUNNING and self._held_for is None:
                self.slow_at = self.wake_at
            asked = self._wake_pending
            self._wake_pending = False
            pending = len(queue)
            now = time.monotonic()
            if pending and (asked or self._stopping or pending == seen
                            or now - last_drain >= max_wait):
                try:
                    await self._drain()
                    if not queue.items:
                        await self.transport.idle()
                except Exception:  # the worker never dies; _process already failed the ops
                    _logger.exception("aiomlflow worker error")
                last_drain = time.monotonic()
            elif not pending:
                last_drain = now
            seen = len(queue)
            if self._stopping and not queue.items:
                return

    # ------------------------------------------------------------------ producer side
    # The producer protocol (submit and submit_metric, the only two producers):
    #     if len(items) >= slow_at: before_append(); seq = next_seq(); items.append(op)
    # One length check guards everything unusual: ``slow_at`` is 0 while the engine is
    # not running (so every call takes the slow path, which starts it or refuses), and
    # half the bound while it runs (the slow path wakes the worker and, at the bound,
    # waits for room).  The number is taken only after the slow path, which may block
    # or raise: a number taken and never appended would hold the watermark back.
    def submit(self, kind: int, run_id, *payload) -> int:
        """Append one operation; return its sequence number (waits while the queue is full)."""
        items = self.items
        if len(items) >= self.slow_at:
            self.before_append()
        if kind == PARAM or kind == BATCH:
            self.queue.reserve(payload_bytes((None, kind, run_id, *payload)), self.wake,
                               self._check_alive)
        seq = self.next_seq()
        items.append((seq, kind, run_id, *payload))
        return seq

    def submit_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> int:
        """submit(METRIC, ...) without the argument packing: log_metric's hot path."""
        items = self.items
        if len(items) >= self.slow_at:
            self.before_append()
        seq = self.next_seq()
        items.append((seq, METRIC, run_id, key, value, timestamp, step))
        return seq

    def before_append(self) -> None:
        """The producer's slow path: start or refuse, wake the worker, wait for room."""
        if self._state != _RUNNING:
            self._check_usable()
        if self._held_for is not None and self._held_for != threading.get_ident():
            threading.Event().wait()  # the process is being killed: never acknowledge
        self.wake()
        if len(self.items) >= self.queue.maxsize:
            self.queue.wait_for_room(self.wake, self._check_alive)

    def wake(self) -> None:
        """Ask the worker to drain now instead of at its next interval."""
        if not self._wake_pending and self._loop is not None:
            self._wake_pending = True
            try:
                self._loop.call_soon_threadsafe(self._wake_event.set)
            except RuntimeError:  # loop already closed: the alive check reports it
                pass

    def completed(self, seq: int) -> bool:
        """Whether operation ``seq`` is durable or failed (its outcome is known)."""
        if self._done < seq:
            return seq in self._ahead
        return not self._lost or seq not in self._lost

    def wait(self, seq: int, timeout: float | None = None):
        """Block until operation ``seq`` is durable; raise its failure, return its result.

        Never reports success for an operation that is not written: from a signal
        handler that interrupted this thread's own write it raises instead of waiting
        (nothing can drain until the handler returns), and a timeout raises
        DEADLINE_EXCEEDED.
        """
        if not self.completed(seq):
            if threading.current_thread() is self._thread:
                raise MlflowException("aiomlflow: cannot wait for an operation on the engine thread")
            if self._helper == threading.get_ident():
                raise WriteInterrupted(
                    "aiomlflow: cannot wait for logging from a signal handler that interrupted "
                    "this thread's own write: the write resumes when the handler returns, "
                    "or the exit flush does it if the handler ends the process.",
                    error_code="INVALID_STATE")
            deadline = None if timeout is None else time.monotonic() + timeout
            if self._can_help and self._help(seq, deadline):
                return self._outcome(seq)
            self.wake()
            with self._done_cond:
                self._waiters += 1
                try:
                    while not self.completed(seq):
                        self._check_alive()
                        remaining = _remaining(deadline)
                        if remaining == 0:
                            raise MlflowException(
                                f"Timed out after {timeout}s waiting for logging operation {seq}",
                                error_code="DEADLINE_EXCEEDED",
                            )
                        # woken by every completion, and by the loop thread's end
                        self._done_cond.wait(remaining)
                finally:
                    self._waiters -= 1
        return self._outcome(seq)

    def _outcome(self, seq: int):
        """The result of completed operation ``seq``, or its failure raised."""
        if self._failures or self._reported:
            failure = self._failures.pop(seq, None)
            if failure is not None:
                self._results.pop(seq, None)
                self._keep_reported({seq: failure})
            else:
                failure = self._reported.get(seq)
            if failure is not None:
                raise copy.copy(failure)
        return self._results.pop(seq, None) if self._results else None

    def _settle_late(self, ops) -> list:
        """Complete operations whose numbers the watermark already passed (see
        _fill_gaps); return the others."""
        lost, done = self._lost, self._done
        lost.difference_update(op[0] for op in ops if op[0] <= done)
        return [op for op in ops if op[0] > done]

    def _keep_reported(self, failures: dict) -> None:
        self._reported.add(failures)

    def call(self, method: str, *args):
        """Run transport ``method(*args)`` as a queued write, in order with logged data."""
        return self.wait(self.submit(CALL, None, method, args))

    def read(self, method: str, *args):
        """Run transport ``method(*args)`` on the loop now (not queued) and return its result."""
        if self._state != _RUNNING:
            self._check_usable()
        if threading.current_thread() is self._thread:
            raise MlflowException("aiomlflow: blocking read called on the engine thread")
        import anyio.from_thread

        return anyio.from_thread.run(getattr(self.transport, method), *args, token=self._token)

    def flush(self, timeout: float | None = None, raise_errors: bool = True) -> None:
        """Return when everything submitted before the call is durable.

        With ``raise_errors``, failures of earlier operations that nobody waited for are
        raised here (the first one, with the count of the others in its message).
        """
        if self._state != _RUNNING:
            return
        deadline = None if timeout is None else time.monotonic() + timeout
        marker = self.submit(NOOP, None)
        self.wait(marker, timeout)
        self._settle(_remaining(deadline))
        if not raise_errors:
            return
        failed = [seq for seq in list(self._failures) if seq <= marker]
        if not failed and not self._failures.evicted:
            return
        popped = {seq: self._failures.pop(seq) for seq in failed if seq in self._failures}
        self._keep_reported(popped)
        errors = list(popped.values())
        dropped, self._failures.evicted = self._failures.evicted, 0
        total = len(errors) + dropped
        first = errors[0] if errors else MlflowException("asynchronous logging failed")
        note = f" ({total - 1} other asynchronous logging operation(s) also failed)" if total > 1 else ""
        raise MlflowException(first.message + note, error_code=first.error_code)

    def pending_failures(self) -> list[MlflowException]:
        """Failures not yet raised to anybody (reported at exit)."""
        return list(self._failures.values())

    def close(self, timeout: float | None = None, reason: str = "close") -> None:
        """Flush within ``timeout``, stop the worker and close the transport (idempotent)."""
        with self._lifecycle:
            if self._state != _RUNNING or os.getpid() != self._pid:
                self._state = _CLOSED
                return
            self.flush_for_exit(timeout, reason)
            lost = self.pending_failures()
            if lost:
                print(f"aiomlflow: {len(lost)} asynchronous logging operation(s) failed and were "
                      f"never waited for; first error: {lost[0].message}", file=sys.stderr)
            self._stopping = True
            self._state = _CLOSED
            self.slow_at = 0
            self.wake()
            if self._thread is not None:
                self._thread.join(timeout if timeout is not None else 10)

    def flush_for_exit(self, timeout: float | None, reason: str) -> None:
        """Flush within ``timeout``; what a remote server did not take by then stays in
        its journal (rest/journal.py), and stderr says how much, where, and how to send it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        error = None
        try:
            self.wait(self.submit(NOOP, None), timeout)
        except MlflowException as exc:
            error = exc
        transport = self.transport
        if self._state == _RUNNING:
            try:
                self._settle(_remaining(deadline), final=True)
                if transport.gave_up:  # the worker now hands the rest over at once
                    self.wait(self.submit(NOOP, None), _SPILL_TIMEOUT)
                    error = None
            except Exception as exc:
                error = error or as_mlflow_exception(exc)
            note = transport.handoff_note()
            if note:
                print(note, file=sys.stderr)
        if error is not None:
            print(f"aiomlflow: at {reason}, {len(self.queue)} logging operation(s) could not be "
                  f"written to {self.tracking_uri}: {error.message}", file=sys.stderr)

    def hold_producers(self) -> None:
        """Block every producer thread but this one for good: the process is about to
        be killed, and a call that returned after the last flush would be lost."""
        self._held_for = threading.get_ident()
        self.slow_at = 0

    def _backlog_full(self) -> bool:
        return len(self.items) >= self.queue.maxsize

    def _settle(self, timeout: float | None, final: bool = False) -> bool:
        """Wait for data a remote transport journaled during an outage to reach the server."""
        transport = self.transport
        if transport is None or not (transport.undelivered or final) or self._token is None:
            return True
        if threading.current_thread() is self._thread:
            return False
        import anyio.from_thread

        return anyio.from_thread.run(transport.settle, timeout, final, token=self._token)

    def _check_usable(self) -> None:
        if self._state == _NEW:
            self.start()
        elif self._state == _CLOSED:
            raise MlflowException(
                f"The aiomlflow engine for {self.tracking_uri} is shut down; no more logging "
                "is possible in this process after interpreter exit began.")

    def _check_alive(self) -> None:
        thread = self._thread
        if self._fatal is not None or self._loop_exited or (
                thread is not None and not thread.is_alive()):
            raise MlflowException(
                f"The aiomlflow engine thread for {self.tracking_uri} is not running "
                f"({self._fatal!r})")

    # ------------------------------------------------------------------ consumer side
    def _help(self, seq: int, deadline: float | None = None) -> bool:
        """Write the queue's head on this (waiting) thread; True once ``seq`` is done.

        A synchronous call would otherwise cost three thread wake-ups (caller, loop,
        connection thread) for one small transaction.  When no drain is running and the
        transport can write from any thread, the waiting caller drains the data at the
        head of the queue itself, in order, up to and including its own operation, one
        batch at a time while ``deadline`` allows.  The drain lock is reentrant, so a
        signal handler that flushes on a thread holding it between writes drains too;
        ``_helper`` marks a write in progress, which nothing may interrupt.
        """
        if not self._drain_lock.acquire(blocking=False):
            return False
        outer = self._helper
        try:
            self._helper = threading.get_ident()
            # _can_help again, under the lock: the loop turns it off before closing the
            # transport, and takes this lock to let a write in progress finish first
            while (not self.completed(seq) and self._can_help and self._state == _RUNNING
                   and _remaining(deadline) != 0):
                ops = self.queue.take_leading(self.settings.batch_size, _helpable)
                if not ops:
                    break
                self._write_here(ops)
            self._fill_gaps()
        finally:
            self._helper = outer
            self._drain_lock.release()
            if self.items:  # what we could not write (a transport call) is the worker's
                self.wake()
            if outer is None:
                deferred, self._deferred_signal = self._deferred_signal, None
                if deferred is not None:
                    _on_sigterm(*deferred)
        return self.completed(seq)

    def _fill_gaps(self) -> None:
        """Move the watermark past numbers that were taken but never appended.

        Called by the drain-lock holder with nothing in flight: once the queue is
        empty, a completed number above a gap means the gap's producer was interrupted
        (or is still between taking and appending).  Those numbers go to ``_lost``,
        which keeps them incomplete, so ``_ahead`` does not grow for the engine's life.
        """
        ahead = self._ahead
        if not ahead or self.queue.items:
            return
        top = max(ahead)
        self._lost.update(seq for seq in range(self._done + 1, top) if seq not in ahead)
        ahead.clear()
        self._done = top

    def _write_here(self, ops: list) -> None:
        data = [op for op in ops if op[1] <= LAST_DATA_KIND]
        durable = _Completion(self, ops)
        try:
            if data:
                self.transport.write_in_caller(group_by_run(data), durable)
            if not durable.called:
                durable([])
        except WriteInterrupted:
            # raised by a signal handler's wait inside this very write: the write did
            # not fail, it was cut short; keep its operations for a later drain
            if not durable.called:
                self.items.extendleft(reversed(ops))
            raise
        except Exception as exc:
            if not durable.called:
                durable.fail_all(data, exc)
        except BaseException:
            # Interrupted (KeyboardInterrupt, SystemExit from a signal handler): the
            # operations go back to the head of the queue for the exit flush.
            if not durable.called:
                self.items.extendleft(reversed(ops))
            raise

    async def _drain(self) -> None:
        if not self._drain_lock.acquire(blocking=False):
            return  # a caller is writing; it wakes us when it is done
        try:
            queue = self.queue
            limit = self.settings.batch_size
            while queue.items:
                await self._process(queue.take(limit))
            self._fill_gaps()
        finally:
            self._drain_lock.release()

    async def _process(self, ops: list) -> None:
        # Each segment completes as soon as it is durable, so a synchronous caller
        # never waits for work queued after its own operation.
        data: list = []
        for op in ops:
            kind = op[1]
            if kind <= LAST_DATA_KIND:
                data.append(op)
                continue
            if data:
                await self._write_data(data)
                data = []
            if kind == CALL:
                try:
                    result = await getattr(self.transport, op[3])(*op[4])
                except Exception as exc:
                    self._complete((op,), {op[0]: as_mlflow_exception(exc)}, None)
                else:
                    self._complete((op,), None, {op[0]: result})
            else:
                self._complete((op,), None, None)
        if data:
            await self._write_data(data)

    async def _write_data(self, data: list) -> None:
        # The transport may complete the operations from its own thread the moment they
        # are committed, sparing synchronous callers the hop back through the loop.
        durable = _Completion(self, data)
        try:
            failed = await self.transport.write_runs(group_by_run(data), durable)
        except Exception as exc:
            if not durable.called:
                durable.fail_all(data, exc)
            return
        if not durable.called:
            durable(failed)

    def _complete(self, ops, failures: dict | None, results: dict | None) -> None:
        if failures:
            self._failures.add(failures)
        if results:
            self._results.update(results)
        if self._lost:  # numbers the watermark passed, turning up after all
            ops = self._settle_late(ops)
        # Producers may append out of sequence order, so advance the watermark only
        # over a contiguous range of completed sequence numbers.
        done = self._done
        n = len(ops)
        # Sequence numbers are unique and all above the watermark, so the batch is
        # exactly the next range when its largest one is done + n.
        if not n:
            pass
        elif not self._ahead and max(ops)[0] == done + n:
            self._done = done + n
        else:
            ahead = self._ahead
            ahead.update(op[0] for op in ops)
            while done + 1 in ahead:
                done += 1
                ahead.remove(done)
            self._done = done
        if self._waiters:
            with self._done_cond:
                self._done_cond.notify_all()


class _Completion:
    """The ``durable`` callback of one write: completes its operations, once."""

    __slots__ = ("engine", "ops", "called")

    def __init__(self, engine: Engine, ops: list):
        self.engine, self.ops, self.called = engine, ops, False

    def __call__(self, failed: list) -> None:
        self.called = True
        self.engine._complete(self.ops, {seq: as_mlflow_exception(exc) for seq, exc in failed},
                              None)

    def fail_all(self, data: list, exc: BaseException) -> None:
        """The write itself failed: every data operation fails with its error."""
        error = as_mlflow_exception(exc)
        _logger.warning("writing %d operation(s) failed: %s", len(data), error.message)
        self([(op[0], error) for op in data])


# ---------------------------------------------------------------------- registry
_engines: dict[str, Engine] = {}
_registry_lock = threading.Lock()


def get_engine(tracking_uri: str, transport_factory=None) -> Engine:
    """The running engine for ``tracking_uri`` in this process, started on first use."""
    if transport_factory is None:
        from ..transports import create_transport as transport_factory
    if not _sigterm_installed:
        _install_sigterm_handler()  # at the first call from the main thread
    engine = _engines.get(tracking_uri)
    if engine is not None and engine._state == _RUNNING and engine._pid == os.getpid():
        return engine
    with _registry_lock:
        engine = _engines.get(tracking_uri)
        if engine is None or engine._state == _CLOSED:
            engine = Engine(tracking_uri, transport_factory)
        engine.start()
        _engines[tracking_uri] = engine
        return engine


def running_engines() -> list[Engine]:
    """Engines of this process that are running."""
    return [e for e in list(_engines.values()) if e._state == _RUNNING and e._pid == os.getpid()]


def flush_all(timeout: float | None = None, raise_errors: bool = True) -> None:
    """Flush every running engine of this process."""
    for engine in running_engines():
        engine.flush(timeout, raise_errors)


def close_all(timeout: float | None = None) -> None:
    """Flush and stop every engine of this process (a later call starts new ones)."""
    for engine in running_engines():
        engine.close(timeout)
    _engines.clear()


# ---------------------------------------------------------------------- exit, signals, fork
_hooks_installed_pid = None
_hooks_lock = threading.Lock()
_previous_sigterm = None
_sigterm_installed = False


def _install_process_hooks(engine: Engine) -> None:
    """Flush at interpreter exit and on SIGTERM; run once per process."""
    global _hooks_installed_pid
    with _hooks_lock:
        if _hooks_installed_pid == os.getpid():
            return
        _hooks_installed_pid = os.getpid()
    # threading's exit hooks run before non-daemon threads are joined, which is when
    # the transport's own threads must still be usable.  They run in reverse order, and
    # concurrent.futures registers the one that refuses new executor work (which
    # aiohttp's DNS lookups need) when first imported: import it now so ours runs first.
    import concurrent.futures.thread  # noqa: F401

    try:
        threading._register_atexit(_shutdown_all)
    except (AttributeError, RuntimeError):  # pragma: no cover - very old/odd runtimes
        import atexit

        atexit.register(_shutdown_all)
    if "multiprocessing" in sys.modules:
        # A fork-started multiprocessing child ends with os._exit(): flush in its finalizers.
        from multiprocessing import util

        util.Finalize(None, _shutdown_all, exitpriority=100)
    _install_sigterm_handler()


def _install_sigterm_handler() -> None:
    """Flush on SIGTERM, chaining to the handler in place (only Python's main thread
    may install one: at import, else at the first engine call from the main thread)."""
    global _previous_sigterm, _sigterm_installed
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if previous is not _on_sigterm and previous is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, _on_sigterm)
            _previous_sigterm = previous
    except (ValueError, OSError):  # pragma: no cover - embedded interpreters
        pass
    _sigterm_installed = True


def _helpable(op: tuple) -> bool:
    """Operations a caller may write itself: run data and flush markers."""
    return op[1] <= LAST_DATA_KIND or op[1] == NOOP


def _on_sigterm(signum, frame) -> None:
    me = threading.get_ident()
    for engine in running_engines():
        if engine._helper == me:
            # This thread was interrupted mid-write: finish that write first (_help
            # runs the handler when it is done).
            engine._deferred_signal = (signum, frame)
            return
    timeout = EngineSettings().exit_flush_timeout
    previous = _previous_sigterm
    dying = not callable(previous)
    if dying:
        # the default disposition follows: the process dies here, its runs with it
        _run_before_exit("SIGTERM")
        for engine in running_engines():
            engine.hold_producers()
    for engine in running_engines():
        try:
            if dying:  # a producer past its slow-path check before the hold appends now
                engine.flush(timeout, raise_errors=False)
            engine.flush_for_exit(timeout, "SIGTERM")
        except Exception as exc:
            print(f"aiomlflow: flush on SIGTERM failed: {exc}", file=sys.stderr)
    if callable(previous):
        previous(signum, frame)
    elif previous in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


_before_exit: list = []
_uncaught_exception = False


def register_before_exit(callback) -> None:
    """Run ``callback(reason)`` before the engines flush at the end of the process;
    ``reason`` is "exit", "exception" (an uncaught exception ends the program) or
    "SIGTERM" (e.g. to end the active runs with a matching status)."""
    _before_exit.append(callback)


def _run_before_exit(reason: str) -> None:
    if not running_engines():
        return
    for callback in _before_exit:
        try:
            callback(reason)
        except Exception as exc:
            print(f"aiomlflow: at {reason}: {exc}", file=sys.stderr)


def _shutdown_all() -> None:
    timeout = EngineSettings().exit_flush_timeout
    _run_before_exit("exception" if _uncaught_exception else "exit")
    for engine in running_engines():
        engine.close(timeout, reason="exit")


def _install_excepthook() -> None:
    """Note an uncaught exception in the main program (then run the hook in place)."""
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        global _uncaught_exception
        _uncaught_exception = True
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


_inherited_transports: list = []


def _after_fork_in_child() -> None:
    # The parent's loop thread does not exist here.  Each engine starts over empty (the
    # queued operations belong to the parent, which writes them) and restarts lazily,
    # so runs inherited from the parent keep working; locks a parent thread may have
    # held are rebuilt.
    global _registry_lock, _hooks_lock, _hooks_installed_pid
    for engine in _engines.values():
        # Keep the parent's transport alive, unused: closing its SQLite connections
        # from here could checkpoint or release locks under the parent's feet.
        _inherited_transports.append(engine.transport)
        engine.__init__(engine.tracking_uri, engine._transport_factory)
    _registry_lock = threading.Lock()
    _hooks_lock = threading.Lock()
    _hooks_installed_pid = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
_install_sigterm_handler()
_install_excepthook()
