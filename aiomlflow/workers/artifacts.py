"""The artifact worker: uploads and reads of run artifacts on the engine's loop.

Callers hand it jobs from any thread.  A job is a coroutine function ``job(store)``
run on the loop against the ArtifactStore of one artifact root (transports/artifacts).
Jobs with the same key (an artifact root and a path) run one after another in
submission order — log_table's read-append-write, an image after its earlier step —
and the others concurrently, at most ``AIOMLFLOW_ARTIFACT_CONCURRENCY`` at a time.

Contract:
- Backpressure: the jobs submitted and not finished are bounded in number and in the
  bytes they hold in memory; a producer waits for room, nothing is dropped.  One job
  larger than the byte bound is let through alone.
- Each job completes once, as done or failed.  ``submit(..., wait=True)`` returns the
  job's result or raises its failure; the failures of jobs nobody waited for are kept
  (the first ones, and a count) and raised by the next ``flush``.
- ``flush(root)`` returns when every job submitted before it (for that root, or all)
  is finished; the engine flushes this worker before it stops, at exit and on SIGTERM.
"""

from __future__ import annotations

import collections
import threading
import time

from ..config import env_number
from ..exceptions import MlflowException
from . import priority
from .completions import as_mlflow_exception

_KEPT_FAILURES = 100

# concurrent.futures loads with the first artifact job, not with `import aiomlflow`
TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurrent.futures import Future


class ArtifactWorker:
    """Runs artifact jobs for one engine; created with it, serving on its loop."""

    def __init__(self, engine):
        self._engine = engine
        self.concurrency = env_number("AIOMLFLOW_ARTIFACT_CONCURRENCY", 4, int, 1)
        self.max_jobs = env_number("AIOMLFLOW_ARTIFACT_QUEUE_SIZE", 1000, int, 1)
        self.max_bytes = env_number("AIOMLFLOW_ARTIFACT_QUEUE_MAX_BYTES", 256 * 1024 * 1024,
                                    int, 1)
        self._room = threading.Condition()
        self._jobs = 0
        self._bytes = 0
        self._pending: dict[Future, str] = {}  # unfinished job → its artifact root
        self._failures: collections.deque = collections.deque(maxlen=_KEPT_FAILURES)
        self._failed_count = 0
        # loop side
        self._stores = None
        self._task_group = None
        self._limiter = None
        self._chains: dict = {}

    # ------------------------------------------------------------------ caller side
    def submit(self, root_uri: str, key: str, job, nbytes: int = 0, wait: bool = True):
        """Run ``await job(store)`` on the loop; with ``wait`` block for and return its
        result (raising its failure), otherwise return at once."""
        engine = self._engine
        engine.ensure_running()
        if wait and engine.on_engine_thread():
            raise MlflowException("aiomlflow: cannot wait for an artifact on the engine thread")
        from concurrent.futures import Future

        future: Future = Future()
        with self._room:
            while self._jobs >= self.max_jobs or (
                    self._jobs and self._bytes + nbytes > self.max_bytes):
                engine.check_alive()
                self._room.wait()
            self._jobs += 1
            self._bytes += nbytes
            self._pending[future] = root_uri
        if not wait:
            future.add_done_callback(self._keep_failure)
        engine.call_soon(self._accept, (future, root_uri, (root_uri, key), job, nbytes))
        if not wait:
            return None
        return self._result(future, None)

    def flush(self, root_uri: str | None = None, timeout: float | None = None,
              raise_errors: bool = True) -> bool:
        """Wait until every job submitted before (under ``root_uri``, or all) finished;
        with ``raise_errors`` raise the first failure nobody waited for.  False if the
        timeout passed first."""
        with self._room:
            futures = [f for f, root in self._pending.items()
                       if root_uri is None or root == root_uri]
        deadline = None if timeout is None else time.monotonic() + timeout
        for future in futures:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not priority.wait_future(future, remaining):
                return False
        if raise_errors:
            self.raise_failures()
        return True

    def raise_failures(self) -> None:
        """Raise (and forget) the first kept failure of a job nobody waited for."""
        with self._room:
            if not self._failures:
                return
            first, others = self._failures[0], self._failed_count - 1
            self._failures.clear()
            self._failed_count = 0
        if others:
            raise MlflowException(f"{first.message} (and {others} more failed artifact "
                                  "operation(s))", error_code=first.error_code)
        raise first

    def unreported(self) -> list[MlflowException]:
        """Failures of jobs nobody waited for and no flush raised (reported at exit)."""
        with self._room:
            return list(self._failures)

    def pending(self) -> int:
        """How many jobs are submitted and not finished."""
        return self._jobs

    def abandon(self, reason: str) -> None:
        """The loop stopped for good: fail every unfinished job (waking its waiters)
        and wake producers waiting for room to see it."""
        with self._room:
            futures = list(self._pending)
            self._pending.clear()
            self._room.notify_all()
        error = MlflowException(f"aiomlflow: artifact operation not done: {reason}")
        for future in futures:
            if not future.done():
                future.set_exception(error)

    @staticmethod
    def _result(future: Future, timeout):
        if not priority.wait_future(future, timeout):
            raise MlflowException("aiomlflow: timed out waiting for an artifact operation",
                                  error_code="DEADLINE_EXCEEDED")
        return future.result()

    def _keep_failure(self, future: Future) -> None:
        error = future.exception()
        if error is not None:
            with self._room:
                self._failed_count += 1
                self._failures.append(error)

    # ------------------------------------------------------------------ loop side
    async def serve(self, stores, task_group) -> None:
        """Start accepting jobs (called on the loop by the engine, inside its task group)."""
        import anyio

        self._stores = stores
        self._task_group = task_group
        self._limiter = anyio.CapacityLimiter(self.concurrency)

    async def close(self) -> None:
        """Close the stores once the engine's task group has finished every job."""
        stores, self._stores = self._stores, None
        if stores is not None:
            await stores.close()

    def _accept(self, op) -> None:
        key = op[2]
        chain = self._chains.get(key)
        if chain is not None:
            chain.append(op)
            return
        self._chains[key] = collections.deque((op,))
        self._task_group.start_soon(self._run_chain, key)

    async def _run_chain(self, key) -> None:
        chain = self._chains[key]
        try:
            while chain:
                async with self._limiter:
                    await self._run(chain[0])
                chain.popleft()
        finally:
            del self._chains[key]

    async def _run(self, op) -> None:
        future, root_uri, _, job, nbytes = op
        try:
            result = await job(self._stores.get(root_uri))
        except Exception as exc:
            outcome = (None, as_mlflow_exception(exc))
        else:
            outcome = (result, None)
        with self._room:
            self._jobs -= 1
            self._bytes -= nbytes
            self._pending.pop(future, None)
            self._room.notify_all()
        if future.done():  # abandoned meanwhile
            return
        if outcome[1] is None:
            future.set_result(outcome[0])
        else:
            future.set_exception(outcome[1])
