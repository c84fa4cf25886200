"""The engine: one background event-loop thread per process and tracking URI.

Caller threads validate and append operations to a bounded queue (queues.py); a
batching worker on the engine's loop drains it and writes through a transport.
Waiting (synchronous mode, ``RunOperations.wait``, flush) is a sequence-number
watermark plus a condition variable (completions.py), so the hot path creates no
Future and makes no event-loop hop.  A waiting caller whose transport can write from
any thread (SQLite) writes the head of the queue itself (caller_writes.py).  Exit,
SIGTERM and fork handling are in process_hooks.py and registry.py.

Contract: operations are written in submission order per run; each completes once,
as durable or failed; nothing a producer appended is dropped while the engine runs,
and ``flush``/``close`` return only when everything appended before them is complete
(or their timeout passed, which they report).
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import threading
import time

from ..batches import (BATCH, CALL, LAST_DATA_KIND, LINKED, METRIC, NOOP, PARAM, TRACE,
                       group_by_run, payload_bytes)
from ..config import EngineSettings
from ..exceptions import MlflowException
from . import priority, process_hooks
from .artifacts import ArtifactWorker
from .caller_writes import CallerWriter, WriteInterrupted
from .completions import Completions, Durable, as_mlflow_exception
from .operations import RunOperations
from .queues import OperationQueue
from .system_metrics import SystemMetricsWorker

__all__ = ["Engine", "WriteInterrupted", "as_mlflow_exception"]

_logger = logging.getLogger("aiomlflow")

_NEW, _RUNNING, _CLOSED = 0, 1, 2
# While data is queued, how often the worker looks whether producers went quiet.
_QUIET_SECONDS = 0.02
# Producers that queued fewer operations than this in one such tick trickle (a service
# logging per request): what they queued is written at once, in small transactions that
# hold the GIL only briefly and free the operations young, instead of piling up for
# flush_interval.  Faster producers (a training loop) are batched as before.
_TRICKLE_OPS = 1000
# After this long with nothing logged, the worker sleeps with no timer at all.
_IDLE_SECONDS = 1.0
# At exit, once the transport gave up on the server: time to move the queue to its journal.
_SPILL_TIMEOUT = 30.0

# This process's id, refreshed in a forked child: running() is on every data call's path,
# and os.getpid() is a system call.
_this_pid = os.getpid()


def _after_fork_in_child() -> None:
    global _this_pid
    _this_pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _callback_context():
    """A context for loop callbacks in which anyio finds the asyncio backend: with
    sniffio installed, anyio asks it, and outside a task only its context variable
    answers."""
    import contextvars

    context = contextvars.copy_context()
    try:
        import sniffio
    except ImportError:  # anyio then looks for a running asyncio loop, which it finds
        return context
    context.run(sniffio.current_async_library_cvar.set, "asyncio")
    return context


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
        self.completions = Completions()
        self._loop_exited = False
        self._held_for: int | None = None  # see hold_producers
        # Held by whoever takes operations off the queue and writes them: the worker, or
        # a synchronous caller writing them itself (caller_writes.py).  One drainer at a
        # time keeps every run's operations in submission order.  Reentrant: a signal
        # handler may flush on a thread that holds it between writes.
        self.drain_lock = threading.RLock()
        self.writer = CallerWriter(self)
        self.artifacts = ArtifactWorker(self)
        self.system_metrics = SystemMetricsWorker(self)
        self._can_help = False
        self._wake_pending = False
        self._stopping = False
        self._fatal: BaseException | None = None
        self._loop = None
        self._token = None
        self._callbacks = None
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
            # Imported and made here, at the caller's priority: importing the loop's
            # backend (asyncio itself) and the transport is most of an engine's start,
            # which the caller waits for anyway, and the loop thread's priority is low.
            import importlib

            importlib.import_module("anyio._backends._asyncio")  # what anyio.run imports

            transport = self._transport_factory(self.tracking_uri)
            ready = threading.Event()
            startup: list[BaseException] = []
            thread = threading.Thread(
                target=self._thread_main, args=(transport, ready, startup),
                name="aiomlflow-engine", daemon=True,
            )
            thread.start()
            priority.wait_unstarved(ready.wait)
            if startup:
                thread.join()
                raise startup[0]
            self._thread = thread
            self._state = _RUNNING
            self.slow_at = self.wake_at
        process_hooks.install_exit_hooks()

    def running(self) -> bool:
        """Whether this engine runs in this process (a forked child's copy does not)."""
        return self._state == _RUNNING and self._pid == _this_pid

    def closed(self) -> bool:
        """Whether this engine was shut down (a new one must replace it)."""
        return self._state == _CLOSED

    def start_over(self):
        """In a forked child: forget the parent's queue and loop thread (the parent
        writes them) so the engine restarts lazily; return the parent's transport,
        which must stay open and unused here."""
        transport = self.transport
        self.__init__(self.tracking_uri, self._transport_factory)
        return transport

    def _thread_main(self, transport, ready: threading.Event, startup: list) -> None:
        import anyio

        priority.lower(self.settings.nice, self.settings.idle)
        try:
            anyio.run(self._main, transport, ready, startup, backend="asyncio")
        except BaseException as exc:  # pragma: no cover - the loop itself broke
            self._fatal = exc
            if not ready.is_set():
                startup.append(exc)
                ready.set()
            _logger.exception("aiomlflow engine loop stopped unexpectedly")
        finally:
            # Waiters sleep without polling: wake them to see that nothing drains now.
            self._loop_exited = True
            self.completions.wake_all()
            self.queue.wake_waiters()
            self.artifacts.abandon("the aiomlflow engine loop stopped")
            self.system_metrics.abandon()

    async def _main(self, transport, ready: threading.Event, startup: list) -> None:
        import asyncio

        import anyio
        import anyio.lowlevel

        self._loop = asyncio.get_running_loop()
        self._token = anyio.lowlevel.current_token()
        self._callbacks = _callback_context()
        self._wake_event = asyncio.Event()
        self.transport = transport
        try:
            await transport.open()
        except BaseException as exc:
            startup.append(exc)
            ready.set()
            return
        self.transport.watch_backlog(self._backlog_full)
        self._can_help = self.transport.writes_in_caller
        from ..transports.artifacts import ArtifactStores

        try:
            async with anyio.create_task_group() as task_group:
                await self.artifacts.serve(ArtifactStores(self.tracking_uri), task_group)
                await self.system_metrics.serve(task_group)
                ready.set()
                await self._worker()
                # leaving the task group waits for the artifact jobs still running;
                # sampling tasks still running (close() stopped the others) end now
                self.system_metrics.cancel_all()
        finally:
            self.slow_at = 0  # producers now take the slow path, which refuses
            self._can_help = False
            with self.drain_lock:  # a caller may be mid-write on the transport
                pass
            await self.artifacts.close()
            await self.transport.close()

    async def _worker(self) -> None:
        # Drain when asked (a synchronous call, a flush, a half-full queue), when the
        # producers have gone quiet for a tick or queued fewer than _TRICKLE_OPS in it,
        # or when data has waited flush_interval.  Not draining while a producer is
        # mid-burst matters under the GIL: a writer running beside a hot loop slows
        # both down.  A trickle (a service logging per request) is written every tick
        # instead: a large batch would hold the GIL for milliseconds at a time and keep
        # thousands of operations alive across the service's garbage collections.
        # Once nothing has been logged for _IDLE_SECONDS no timer runs: slow_at drops
        # to 0, so the next append takes the slow path and wakes us.  Until then the
        # timer keeps slow_at up, so callers that write their own operations
        # (synchronous logging) never wake this loop.
        import anyio

        max_wait = self.settings.flush_interval
        period = min(_QUIET_SECONDS, max_wait)
        event = self._wake_event
        queue = self.queue
        completions = self.completions
        seen = 0
        idle_rounds = 0
        last_drain = last_activity = time.monotonic()
        last_done = completions.done
        while True:
            if queue.items or self._state != _RUNNING or completions.done != last_done:
                last_done = completions.done
                last_activity = time.monotonic()
                timeout = period
                idle_rounds = 0
            elif time.monotonic() - last_activity < _IDLE_SECONDS:
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
            if pending and (asked or self._stopping or pending - seen < _TRICKLE_OPS
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
    # The producer protocol (submit, and submit_metric: its METRIC case unrolled):
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
        if kind == PARAM or kind == BATCH or kind == TRACE or kind == LINKED:
            self.queue.reserve(payload_bytes((None, kind, run_id, *payload)), self.wake,
                               self._check_alive)
        seq = self.next_seq()
        items.append((seq, kind, run_id, *payload))
        return seq

    def submit_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int,
                      synchronous: bool):
        """submit(METRIC, ...) then finish, without the argument packing: the call a
        training loop makes millions of times."""
        items = self.items
        if len(items) >= self.slow_at:
            self.before_append()
        seq = self.next_seq()
        items.append((seq, METRIC, run_id, key, value, timestamp, step))
        if synchronous:
            self.wait(seq)
            return None
        return RunOperations(self, seq)

    def offer(self, kind: int, run_id, *payload, on_failure=None) -> int | None:
        """Append one operation from the engine's own loop, never blocking it: its
        sequence number, or None while the queue has no room (the caller awaits and
        offers again).  ``on_failure(exc)`` is called, on the drainer's thread, if the
        operation fails; its failure is then not kept for waits and flushes.  Raises
        MlflowException once the engine takes no more operations."""
        if self._state != _RUNNING or self._stopping or self._held_for is not None:
            raise MlflowException(f"The aiomlflow engine for {self.tracking_uri} takes no "
                                  "more operations.")
        items = self.items
        queue = self.queue
        if len(items) >= queue.maxsize:
            self.wake()
            return None
        if kind == PARAM or kind == BATCH or kind == TRACE or kind == LINKED:
            if not queue.try_reserve(payload_bytes((None, kind, run_id, *payload))):
                self.wake()
                return None
        if len(items) >= self.slow_at:
            self.wake()  # the producer protocol's slow path, minus its waits
            if len(items) >= self.wake_at:
                priority.leave_idle()
        seq = self.next_seq()
        if on_failure is not None:
            self.completions.watch(seq, on_failure)
        items.append((seq, kind, run_id, *payload))
        return seq

    def finish(self, seq: int, synchronous: bool):
        """Synchronous: wait until ``seq`` is durable (raising its failure) and return
        None; otherwise return a RunOperations handle on it."""
        if synchronous:
            self.wait(seq)
            return None
        return RunOperations(self, seq)

    def before_append(self) -> None:
        """The producer's slow path: start or refuse, wake the worker, wait for room."""
        if self._state != _RUNNING:
            self._check_usable()
        if self._held_for is not None and self._held_for != threading.get_ident():
            threading.Event().wait()  # the process is being killed: never acknowledge
        self.wake()
        if len(self.items) >= self.wake_at:
            priority.leave_idle()  # falling behind: the writes must not be starved
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
        return self.completions.completed(seq)

    def ensure_running(self) -> None:
        """Start the engine if it is new; raise if it is shut down."""
        if self._state != _RUNNING:
            self._check_usable()

    def on_engine_thread(self) -> bool:
        """Whether the calling thread is the engine's loop thread (which must not wait)."""
        return threading.current_thread() is self._thread

    def check_alive(self) -> None:
        """Raise if the loop thread is gone (nothing would ever complete)."""
        self._check_alive()

    def call_soon(self, callback, *args) -> None:
        """Run ``callback(*args)`` on the loop, from any thread.  The callback may use
        anyio (start tasks in a task group): it runs in a context that names the loop's
        async library, which a plain loop callback (no current task) would not."""
        try:
            self._loop.call_soon_threadsafe(callback, *args, context=self._callbacks.copy())
        except RuntimeError:  # the loop closed under us
            self._check_alive()
            raise

    def caller_may_write(self) -> bool:
        """Whether a waiting caller may write through the transport on its own thread."""
        return self._can_help and self._state == _RUNNING

    def wait(self, seq: int, timeout: float | None = None):
        """Block until operation ``seq`` is durable; raise its failure, return its result.

        Never reports success for an operation that is not written: from a signal
        handler that interrupted this thread's own write it raises instead of waiting
        (nothing can drain until the handler returns), and a timeout raises
        DEADLINE_EXCEEDED.
        """
        completions = self.completions
        if not completions.completed(seq):
            if threading.current_thread() is self._thread:
                raise MlflowException("aiomlflow: cannot wait for an operation on the engine thread")
            if self.writer.interrupted_here():
                raise WriteInterrupted(
                    "aiomlflow: cannot wait for logging from a signal handler that interrupted "
                    "this thread's own write: the write resumes when the handler returns, "
                    "or the exit flush does it if the handler ends the process.",
                    error_code="INVALID_STATE")
            deadline = None if timeout is None else time.monotonic() + timeout
            if not (self._can_help and self.writer.help(seq, deadline)):
                self.wake()
                completions.wait_for(seq, deadline, timeout, self._check_alive)
        return completions.outcome(seq)

    def call(self, method: str, *args):
        """Run transport ``method(*args)`` as a queued write, in order with logged data."""
        return self.wait(self.submit(CALL, None, method, args))

    def read(self, method: str, *args):
        """Run transport ``method(*args)`` on the loop now (not queued) and return its result."""
        if self._state != _RUNNING:
            self._check_usable()
        if threading.current_thread() is self._thread:
            raise MlflowException("aiomlflow: blocking read called on the engine thread")
        if method in self.transport.caller_reads:
            done, result = self.writer.read(method, args)
            if done:
                return result
        return self._run_on_loop(getattr(self.transport, method), *args)

    def _run_on_loop(self, async_fn, *args):
        """``await async_fn(*args)`` on the loop, from a caller's thread; its result."""
        import asyncio

        # started in the loop's own context (see call_soon), not the caller's, which
        # may name another async library
        future = self._callbacks.copy().run(asyncio.run_coroutine_threadsafe,
                                            async_fn(*args), self._loop)
        priority.wait_future(future)
        return future.result()

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
        self.completions.report_failures(marker)

    def pending_failures(self) -> list[MlflowException]:
        """Failures not yet raised to anybody (reported at exit)."""
        return self.completions.unreported()

    def close(self, timeout: float | None = None, reason: str = "close") -> None:
        """Flush within ``timeout``, stop the worker and close the transport (idempotent)."""
        with self._lifecycle:
            if self._state != _RUNNING or os.getpid() != self._pid:
                self._state = _CLOSED
                return
            # each sampled run's last system metrics go before the final flush
            self.system_metrics.stop_all(min(timeout, 10.0) if timeout is not None else 10.0)
            self.flush_for_exit(timeout, reason)
            lost = self.pending_failures() + self.artifacts.unreported()
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
        if reason != "close":
            priority.leave_idle()  # exiting: what is pending must not be starved
        if self.artifacts.pending() and not self.artifacts.flush(None, timeout,
                                                                 raise_errors=False):
            print(f"aiomlflow: at {reason}, {self.artifacts.pending()} artifact operation(s) "
                  f"for {self.tracking_uri} were still running when the exit timeout "
                  "(AIOMLFLOW_EXIT_FLUSH_TIMEOUT) passed.", file=sys.stderr)
        error = None
        try:
            self.wait(self.submit(NOOP, None), _remaining(deadline))
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
        return self._run_on_loop(transport.settle, timeout, final)

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
    async def _drain(self) -> None:
        if not self.drain_lock.acquire(blocking=False):
            return  # a caller is writing; it wakes us when it is done
        try:
            queue = self.queue
            limit = self.settings.batch_size
            while queue.items:
                await self._process(queue.take(limit))
            self.completions.fill_gaps()
        finally:
            self.drain_lock.release()

    async def _process(self, ops: list) -> None:
        # Consecutive run data is written as one segment, consecutive traces as another;
        # each segment completes as soon as it is durable, so a synchronous caller never
        # waits for work queued after its own operation.
        segment: list = []
        segment_kind = None
        for op in ops:
            kind = op[1]
            grouped = LAST_DATA_KIND if kind <= LAST_DATA_KIND else kind
            if segment and grouped != segment_kind:
                await self._write_segment(segment_kind, segment)
                segment = []
            if grouped == LAST_DATA_KIND or grouped == TRACE:
                segment.append(op)
                segment_kind = grouped
            elif kind == CALL:
                try:
                    result = await getattr(self.transport, op[3])(*op[4])
                except Exception as exc:
                    self.completions.complete((op,), {op[0]: as_mlflow_exception(exc)})
                else:
                    self.completions.complete((op,), None, {op[0]: result})
            else:
                self.completions.complete((op,))
        if segment:
            await self._write_segment(segment_kind, segment)

    async def _write_segment(self, kind: int, ops: list) -> None:
        if kind != TRACE:
            await self._write_data(ops)
            return
        try:
            failed = await self.transport.write_traces(ops)
        except Exception as exc:
            failed = [(op[0], exc) for op in ops]
        self.completions.complete(ops, {seq: as_mlflow_exception(exc) for seq, exc in failed}
                                  if failed else None)

    async def _write_data(self, data: list) -> None:
        # The transport may complete the operations from its own thread the moment they
        # are committed, sparing synchronous callers the hop back through the loop.
        durable = Durable(self.completions, data)
        try:
            failed = await self.transport.write_runs(group_by_run(data), durable)
        except Exception as exc:
            if not durable.called:
                durable.fail_all(data, exc)
            return
        if not durable.called:
            durable(failed)
