"""The remote transport's delivery policy on top of the on-disk journal (journal.py).

``Spooler`` is the policy the REST transport runs on top of the journal: deliver
directly while the server answers; divert to the journal when a delivery outlives the
retry window (or the engine's queue is full while the server is unreachable); replay
in the background once the server is back, and keep diverting until the journal is
empty, so each run's operations still reach the server in the order they were logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import os
import time

import anyio.to_thread

from ...exceptions import MlflowException
from ...batches import group_by_run
from .journal import Journal, redact_uri

_logger = logging.getLogger("aiomlflow")

# Set in the replayer's task: an undeliverable operation then stops the replay instead
# of going back into the journal.
_REPLAYING: contextvars.ContextVar[bool] = contextvars.ContextVar("aiomlflow_replaying",
                                                                  default=False)


class _Undelivered(Exception):
    pass


class Spooler:
    """Deliver run data directly while the server answers, through the journal while not.

    The REST transport makes one in ``open()``, exposes it to the engine through the
    Transport delivery hooks (settle, undelivered, gave_up, handoff_note) and plugs it
    into its undeliverable-operations seam::

        self.spool = Spooler(self.uri, self._send_runs, self.ping)
        self.undeliverable_handler = self.spool.undeliverable
        await self.spool.open()        # adopts journals of dead processes, replays them
        ...
        return await self.spool.write_runs(batches)      # write_runs
        await self.spool.close()                         # close

    ``await send(batches)`` is the transport's direct write: it returns ``[(seq, error)]``
    for the operations the server rejected, and hands those it could not deliver after
    its retries to ``await undeliverable(run_id, ops, error)`` (every operation of the
    run from the first undelivered one, in order; nothing more is sent for that run).
    ``await probe()`` tells whether the server answers now (one request, no retries).

    Policy: while the journal holds anything, every write goes to it (``diverting``),
    so each run's operations reach the server in the order they were logged; a replayer
    task probes the server (0.5 s, doubling to 5 s) and replays the journal, then
    switches back to direct delivery.  A direct write is also diverted when the engine's
    queue is full (``backlog``, set by the engine) and the probe fails, instead of
    blocking the producers for the whole retry window.  The engine calls ``settle`` in
    flush and at exit, and prints ``note()`` at exit.
    """

    def __init__(self, server_uri: str, send, probe=None, *, journal: Journal | None = None,
                 spool_dir: str | None = None, probe_interval: float = 0.5,
                 max_probe_interval: float = 5.0, probe_timeout: float = 5.0):
        self.uri = redact_uri(server_uri)
        self.journal = journal if journal is not None else Journal(server_uri, spool_dir)
        self._spool_dir = spool_dir
        self._send_direct = send
        self._probe = probe
        self.probe_interval = probe_interval
        self.max_probe_interval = max_probe_interval
        self.probe_timeout = probe_timeout
        self.backlog = None  # set by the engine: () -> bool, its queue is full
        self.replay_ops = 2_000  # operations per replayed group (and progress step)
        self.diverting = False
        self.final = False  # gave up at exit: journal everything, replay nothing more
        self.rejected = 0  # replayed operations the server refused (kept in rejects.jsonl)
        self.replayed = 0  # operations replayed (delivered or rejected) by this process
        self.failed_attempts = 0
        self._attempts = 0  # replay attempts started
        self._last_failed = 0  # number of the last attempt that failed
        self.last_error: str | None = None
        self._handled: set[str] = set()  # runs journaled by the seam in the current write
        self._inflight: set = set()
        self._replayer: asyncio.Task | None = None
        self._changed: asyncio.Event | None = None
        self._poked: asyncio.Event | None = None  # see poke()
        self._warned = False
        self._append_warned = False  # logged that the journal could not take data

    # ----------------------------------------------------------------- lifecycle
    async def open(self) -> None:
        """Adopt journals left by dead processes and start replaying them."""
        self._changed = asyncio.Event()
        self._poked = asyncio.Event()
        try:
            # Adopting reads whole segments: off the loop.
            pending = await anyio.to_thread.run_sync(self.journal.pending)
        except OSError as exc:
            _logger.warning("cannot read the journal at %s: %s", self.journal.directory, exc)
            return
        if pending:
            _logger.info("%d logging operation(s) journaled earlier for %s will be replayed",
                         self.journal.pending_ops(), self.uri)
            self._divert()

    async def close(self) -> None:
        """Stop replaying; unreplayed data stays on disk for the next process."""
        self.final = True
        await self._stop_replayer()
        tasks = list(self._inflight)
        for task in tasks:
            task.cancel()
        if tasks:  # a cancelled delivery may be journaling what it could not send
            await asyncio.wait(tasks, timeout=5)
        await self.journal.wait_appends()  # so close() does not block the loop on one
        self.journal.close()

    # ----------------------------------------------------------------- writing
    async def write_runs(self, batches: list) -> list:
        """Deliver ``batches`` (or journal them); return ``[(seq, error)]`` of rejects."""
        if self.diverting or self.final:
            return await self._spool(batches)
        self._handled = set()
        task = asyncio.ensure_future(self._send_direct(batches))
        try:
            return await self._await_delivery(task)
        except _Undelivered as exc:
            # Runs the seam already journaled are complete; the others go whole (an
            # operation the server did take is harmless to send again).
            self._outage(str(exc))
            return await self._spool([b for b in batches if b.run_id not in self._handled])

    async def undeliverable(self, run_id: str, ops: list, error) -> list:
        """The transport's seam: ``ops`` of ``run_id`` outlived the retry window."""
        if _REPLAYING.get():
            raise _Undelivered(getattr(error, "message", None) or str(error))
        self._handled.add(run_id)
        self._outage(getattr(error, "message", None) or str(error))
        return await self._journal(run_id, ops)

    def _outage(self, reason: str) -> None:
        self.last_error = reason
        if not self._warned:
            self._warned = True
            _logger.warning("tracking server %s unreachable (%s); keeping logged data in "
                            "the journal at %s until it answers again", self.uri, reason,
                            self.journal.directory)
        self._divert()

    async def _await_delivery(self, task: asyncio.Future):
        self._inflight.add(task)
        started = time.monotonic()
        next_probe = 0.0
        try:
            while True:
                try:
                    done, _ = await asyncio.wait({task}, timeout=0.25)
                except asyncio.CancelledError:
                    task.cancel()
                    raise
                if done:
                    if task.cancelled():  # by settle(final=True) or close()
                        raise _Undelivered("gave up at exit")
                    return task.result()
                if self.final:
                    await self._cancel(task)
                    raise _Undelivered("gave up at exit")
                backlog = self.backlog
                now = time.monotonic()
                if backlog is None or now - started < 1.0 or now < next_probe or not backlog():
                    continue
                # The engine's queue is full and this delivery is slow: keep waiting only
                # if the server is there at all.
                next_probe = now + 1.0
                if not await self._reachable():
                    await self._cancel(task)
                    raise _Undelivered("no answer while the logging queue was full")
        finally:
            self._inflight.discard(task)

    @staticmethod
    async def _cancel(task) -> None:
        task.cancel()
        with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(asyncio.wait({task})), 5)

    async def _reachable(self) -> bool:
        if self._probe is None:
            return False
        try:
            return bool(await asyncio.wait_for(self._probe(), self.probe_timeout))
        except Exception:
            return False

    async def _journal(self, run_id: str, ops: list) -> list:
        try:
            await self.journal.append_async(run_id, ops)
        except Exception as exc:
            if isinstance(exc, MlflowException):  # the journal's own words (full, closed)
                error = exc
            else:
                error = MlflowException(
                    f"The tracking server {self.uri} is unreachable and the logged data could "
                    f"not be saved to the journal at {self.journal.directory}: {exc}")
            if not self._append_warned:  # once per outage; each caller still gets the error
                self._append_warned = True
                _logger.warning("%s", error.message)
            return [(op[0], error) for op in ops]
        finally:
            self._pulse()
        return []

    async def _spool(self, batches: list) -> list:
        failures = []
        for batch in batches:
            if batch.ops:
                failures += await self._journal(batch.run_id, batch.ops)
        return failures

    # ----------------------------------------------------------------- replaying
    def _divert(self) -> None:
        self.diverting = True
        if not self.final and (self._replayer is None or self._replayer.done()):
            self._replayer = asyncio.get_running_loop().create_task(self._replay_loop())

    async def _replay_loop(self) -> None:
        _REPLAYING.set(True)
        delay = self.probe_interval
        while not self.final:
            self._attempts += 1
            attempt = self._attempts
            try:
                if self._probe is not None and not await self._reachable():
                    raise _Undelivered(self.last_error or "no answer")
                sent = await self.journal.replay(self._send, max_ops=self.replay_ops)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failed_attempts += 1
                self._last_failed = attempt
                self.last_error = str(exc) if isinstance(exc, _Undelivered) else (
                    f"{type(exc).__name__}: {exc}")
                self._pulse()
                with contextlib.suppress(asyncio.TimeoutError):  # a poke cuts the wait short
                    await asyncio.wait_for(self._poked.wait(), delay)
                self._poked.clear()
                delay = min(delay * 2, self.max_probe_interval)
                continue
            delay = self.probe_interval
            # No await between this check and the switch: no append can slip in.
            if self.journal.pending_ops() == 0:
                self.diverting = False
                self._warned = self._append_warned = False
                _logger.info("the journal for %s is replayed; logging directly again",
                             self.uri)
                self._pulse()
                return
            if not sent:  # held back by something else: do not spin
                if self.journal.appends_in_flight():
                    await self.journal.wait_appends()  # then replay what they wrote
                else:
                    await asyncio.sleep(delay)

    async def _send(self, run_id: str, ops: list) -> None:
        failures = await self._send_direct(group_by_run(ops))
        self.replayed += len(ops)
        if failures:
            # Kept on disk before replay() acknowledges the group: nothing silently lost.
            by_seq = {op[0]: op for op in ops}
            await anyio.to_thread.run_sync(
                self.journal.record_rejects, run_id,
                [(by_seq[seq], error) for seq, error in failures if seq in by_seq])
            self.rejected += len(failures)
            _logger.warning("the tracking server rejected %d replayed operation(s) of run "
                            "%s; first error: %s", len(failures), run_id, failures[0][1])
        self._pulse()

    async def _stop_replayer(self) -> None:
        task, self._replayer = self._replayer, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _pulse(self) -> None:
        event = self._changed
        if event is not None:
            event.set()
            self._changed = asyncio.Event()

    # ----------------------------------------------------------------- settling
    async def settle(self, timeout: float | None = None, final: bool = False,
                     warn: bool = True) -> bool:
        """Wait until the journal holds nothing logged before this call; True if so.

        Not ``final`` (a flush): give up at the first failed replay attempt, so a flush
        during an outage returns (the data is safe on disk) instead of hanging.
        ``final`` (exit): keep waiting for the server until ``timeout``, then stop
        retrying: deliveries in flight and everything written afterwards go to the
        journal, and this process replays nothing more.
        ``warn``: log that the journal keeps data when it does (a flush warns; a read
        that catches up first does not).
        """
        if self._changed is None:  # never opened
            return True
        self._poked.set()  # somebody waits: probe the server now, not at the next interval
        target = self.journal.appended_records
        attempts_at_start = self._attempts
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.diverting and self.journal.done_records < target and not self.final:
            if not final and self._last_failed > attempts_at_start:  # one begun since failed
                break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                break
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        drained = not self.diverting or self.journal.done_records >= target
        if final and (not drained or self._inflight):
            self.final = True
            await self._stop_replayer()
            for task in list(self._inflight):
                task.cancel()
        elif not drained and not self.final and warn:
            _logger.warning("%s is unreachable (%s); %d logging operation(s) are kept in "
                            "the journal at %s and will be sent when it answers", self.uri,
                            self.last_error, self.journal.pending_ops(), self.journal.directory)
        return drained

    def note(self) -> str | None:
        """What to tell the user at exit about operations left in the journal, if any."""
        left = self.journal.pending_ops()
        if not left:
            return None
        command = f"aiomlflow sync --tracking-uri {self.uri}"
        if self._spool_dir or os.environ.get("AIOMLFLOW_SPOOL_DIR"):
            command += f" --spool-dir {os.path.dirname(self.journal.directory)}"
        reason = f" ({self.last_error})" if self.last_error else ""
        return (f"aiomlflow: the tracking server {self.uri} could not be reached{reason}; "
                f"{left} logging operation(s) are kept in the journal at {self.journal.directory}. "
                f"The next aiomlflow process logging to this server sends them, or run now: {command}")
