"""The system-metrics worker: one sampling task per run, on the engine's loop.

``start(run_id, sampler, ...)`` (any thread) launches a task in the engine's task
group.  Every ``interval`` seconds it reads a sample (the host on the loop: psutil's
/proc reads do not block; GPUs, whose driver calls may, in a worker thread); every
``samples_before_logging`` samples it appends one BATCH of the averaged metrics for the
run to the engine's queue, as ``log_metrics`` does, at the next step.  The loop is
never blocked: the append is ``Engine.offer``, which waits for room asynchronously.

Contract:
- ``stop(run_id)`` (called when the run is ended, from whichever thread, and at exit
  and SIGTERM for every run still sampled) has the task read a last sample and
  append the step holding it, and returns once that step is queued: the run's end,
  queued after, lands after it.  It waits at most ``STOP_TIMEOUT`` seconds.
- A failed write of system metrics (the run was deleted meanwhile) is logged as a
  warning and stops that run's sampling; it is never raised to the user's calls or
  flushes (MLflow's monitor does the same).
- When the engine stops, remaining tasks are cancelled and waiters released.
"""

from __future__ import annotations

import logging
import threading
import time

from ..batches import BATCH
from ..exceptions import MlflowException
from ..utils.time import get_current_time_millis as now_ms

_logger = logging.getLogger("aiomlflow")

# The longest stop() waits for a run's last sample to be queued.
STOP_TIMEOUT = 10.0
# While the operation queue is full, how often the task looks for room.
_ROOM_POLL = 0.05


class _Sampling:
    """One run's sampling task: its settings, step, and the stop handshake."""

    __slots__ = ("run_id", "sampler", "interval", "samples", "step", "stopping", "error",
                 "event", "scope", "finished")

    def __init__(self, run_id, sampler, interval, samples, first_step):
        self.run_id = run_id
        self.sampler = sampler
        self.interval = interval
        self.samples = samples
        self.step = first_step
        self.stopping = False  # loop side: stop requested
        self.error = None  # a write of ours failed: stop without a last sample
        self.event = None  # asyncio.Event on the loop, set to wake the task early
        self.scope = None  # the task's cancel scope
        self.finished = threading.Event()  # set when the task is over (last step queued)

    def request_stop(self) -> None:  # on the loop
        self.stopping = True
        if self.event is not None:
            self.event.set()

    def failed(self, exc: MlflowException) -> None:  # on whichever thread wrote
        if self.error is None:
            self.error = exc
            _logger.warning("Failed to log system metrics for run %s: %s. System metrics "
                            "logging for this run stops.", self.run_id, exc.message)


class SystemMetricsWorker:
    """The sampling tasks of one engine, keyed by run id."""

    def __init__(self, engine):
        self._engine = engine
        self._lock = threading.Lock()
        self._runs: dict[str, _Sampling] = {}  # runs sampled and not asked to stop
        self._tasks: set[_Sampling] = set()  # loop side: tasks still running
        self._task_group = None

    # ------------------------------------------------------------------ caller side
    def start(self, run_id: str, sampler, interval: float, samples_before_logging: int,
              first_step: int = 0) -> bool:
        """Sample ``run_id`` with ``sampler`` until stop(run_id); False (and nothing
        started) if that run is already sampled."""
        engine = self._engine
        engine.ensure_running()
        sampling = _Sampling(run_id, sampler, interval, samples_before_logging, first_step)
        with self._lock:
            if run_id in self._runs:
                return False
            self._runs[run_id] = sampling
        try:
            engine.call_soon(self._launch, sampling)
        except Exception:
            with self._lock:
                self._runs.pop(run_id, None)
            raise
        return True

    def sampling(self, run_id: str) -> bool:
        """Whether ``run_id`` is sampled (and not asked to stop)."""
        return run_id in self._runs

    def stop(self, run_id: str, timeout: float | None = STOP_TIMEOUT) -> None:
        """Stop sampling ``run_id`` (if it is): its last sample is queued on return."""
        if not self._runs:  # the common case: one dict check
            return
        with self._lock:
            sampling = self._runs.pop(run_id, None)
        if sampling is not None:
            self._stop((sampling,), timeout)

    def stop_all(self, timeout: float | None = STOP_TIMEOUT) -> None:
        """Stop every run's sampling (at exit and SIGTERM), each with its last sample."""
        with self._lock:
            stopping = tuple(self._runs.values())
            self._runs.clear()
        if stopping:
            self._stop(stopping, timeout)

    def _stop(self, stopping, timeout) -> None:
        engine = self._engine
        for sampling in stopping:
            try:
                engine.call_soon(sampling.request_stop)
            except Exception:  # the loop is gone: nothing samples any more
                sampling.finished.set()
        if engine.on_engine_thread():
            return  # the loop cannot wait for itself; the steps follow shortly
        deadline = None if timeout is None else time.monotonic() + timeout
        for sampling in stopping:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if sampling.finished.wait(remaining):
                _logger.info("Stopped monitoring system metrics.")
            else:
                _logger.warning("System metrics for run %s: the last sample was not logged "
                                "within %ss.", sampling.run_id, timeout)

    def abandon(self) -> None:
        """The loop stopped for good: release every stop() waiter."""
        with self._lock:
            left = list(self._runs.values()) + list(self._tasks)
            self._runs.clear()
        for sampling in left:
            sampling.finished.set()

    # ------------------------------------------------------------------ loop side
    async def serve(self, task_group) -> None:
        """Accept sampling tasks (called on the loop by the engine, in its task group)."""
        self._task_group = task_group

    def cancel_all(self) -> None:
        """Cancel the tasks still running and launch no more (the engine is stopping)."""
        self._task_group = None
        for sampling in list(self._tasks):
            if sampling.scope is not None:
                sampling.scope.cancel()

    def _launch(self, sampling: _Sampling) -> None:
        import asyncio

        sampling.event = asyncio.Event()
        try:
            self._task_group.start_soon(self._sample, sampling,
                                        name=f"aiomlflow-system-metrics-{sampling.run_id}")
        except Exception:  # the engine stopped serving: nothing to sample on
            with self._lock:
                if self._runs.get(sampling.run_id) is sampling:
                    del self._runs[sampling.run_id]
            sampling.finished.set()
            return
        self._tasks.add(sampling)

    async def _sample(self, sampling: _Sampling) -> None:
        import anyio
        import anyio.to_thread

        sampler = sampling.sampler
        try:
            with anyio.CancelScope() as scope:
                sampling.scope = scope
                await anyio.to_thread.run_sync(sampler.open)
                next_at = anyio.current_time() + sampling.interval
                while not sampling.stopping and sampling.error is None:
                    with anyio.CancelScope(deadline=next_at):
                        await sampling.event.wait()
                    if sampling.stopping or sampling.error is not None:
                        break
                    # the next sample is due one interval later; a late one does not
                    # make the following ones come in a burst
                    next_at = max(next_at + sampling.interval, anyio.current_time())
                    await self._read(sampler)
                    if sampler.samples >= sampling.samples:
                        await self._log_step(sampling)
                if sampling.error is None:
                    await self._read(sampler)  # the last sample, at the run's end
                    await self._log_step(sampling)
        except Exception as exc:
            _logger.warning("System metrics sampling for run %s stopped: %s: %s",
                            sampling.run_id, type(exc).__name__, exc)
        finally:
            self._tasks.discard(sampling)
            with self._lock:
                if self._runs.get(sampling.run_id) is sampling:
                    del self._runs[sampling.run_id]
            try:
                sampler.close()
            except Exception:  # pragma: no cover - NVML shutdown
                pass
            sampling.finished.set()

    @staticmethod
    async def _read(sampler) -> None:
        import anyio.to_thread

        sampler.read()
        if sampler.read_devices is not None:
            await anyio.to_thread.run_sync(sampler.read_devices)

    async def _log_step(self, sampling: _Sampling) -> None:
        import anyio

        rows = sampling.sampler.take(sampling.step, now_ms())
        sampling.step += 1
        if not rows:
            return
        engine = self._engine
        while engine.offer(BATCH, sampling.run_id, rows, (), (),
                           on_failure=sampling.failed) is None:
            await anyio.sleep(_ROOM_POLL)  # the queue is full: wait without blocking the loop
