"""The awaitable tracking API for asyncio and trio services: ``aiomlflow.aio``.

The same functions, arguments, validation and errors as the fluent API, as coroutines
that never block the calling event loop:

- data calls (``log_metric``, ``log_params``, ``set_tag``, ...) validate in the
  caller's task and append to the engine's queue, as the synchronous API does; the
  ``await`` then resolves once the operation is durable (``synchronous=True``, or
  MLFLOW_ENABLE_ASYNC_LOGGING unset), or at once with the RunOperations
  (``synchronous=False``).  Waiting first lets a worker thread of the caller's loop
  write the head of the queue itself where the transport allows it (SQLite, see
  ``_durable``), else registers a completion callback (completions.py) that sets an
  event on the caller's loop through its thread-safe entry point; the asynchronous hot
  path registers nothing.  A full queue is waited for the same way,
  never by blocking the loop.
- calls that read or write with round trips (``start_run``, ``end_run``, ``get_run``,
  ``search_runs``, experiments, ``flush``) run the synchronous implementation in a
  worker thread (anyio.to_thread); changes to the active-run stack are carried back
  into the calling task's context.

The active-run stack is per task (a context variable): each asyncio or trio task has
its own, a task started inside a run inherits it, and only the task that started a
run ends it (ending an inherited run takes it off the calling task's stack only).
"""

from __future__ import annotations

import contextvars
import functools
import os
import sys
import threading
from time import time_ns as _time_ns

import anyio
import anyio.lowlevel
import anyio.to_thread

from ..batches import BATCH, PARAM, payload_bytes
from ..config import getenv, synchronous_mode
from ..entities import Experiment, Run
from ..exceptions import MlflowException
from ..utils.time import get_current_time_millis as now_ms
from ..workers import priority, registry
from ..workers.operations import RunOperations
from . import fluent, run_owner, tracking_uri, validation
from .client import MlflowClient
from .models import active as active_model
from .validation import KNOWN_KEYS

__all__ = [
    "active_run", "create_experiment", "delete_experiment", "delete_experiment_tag",
    "delete_run", "delete_tag", "end_run", "flush", "flush_async_logging", "get_experiment",
    "get_experiment_by_name", "get_parent_run", "get_run", "last_active_run", "log_input",
    "log_inputs", "log_metric", "log_metrics", "log_outputs", "log_param", "log_params",
    "search_experiments", "search_runs",
    "set_experiment", "set_experiment_tag", "set_experiment_tags", "set_tag", "set_tags",
    "start_run",
]

# How often a waiter looks whether the engine died (nothing would then complete it).
_ALIVE_CHECK_SECONDS = 1.0
# An asynchronous data call needs no suspension, so a task logging in a tight loop
# would hold its loop for the whole loop.  Every this many calls, one looks whether
# the loop has run anything since the last look, and yields if not (before appending,
# so a task cancelled there has not logged that call): a tight loop yields about every
# other look, while a service's requests, between which the loop runs, never wait.
_LOOK_EVERY = 128
_calls_since_look = 0
_looks = threading.local()  # this thread's loop at the last look; has it run since?
_STACK_VARS = (fluent._active_runs, fluent._active_target, fluent._last_active_run_id,
               fluent._metric_target, active_model._context, active_model._run_outputs,
               active_model.plain_metrics)


# ------------------------------------------------------------------ bridging
def _threadsafe_setter(event: anyio.Event):
    """A callable any thread may call (without blocking) to set ``event`` on the
    caller's event loop."""
    import sniffio

    if sniffio.current_async_library() == "trio":
        import trio

        token = trio.lowlevel.current_trio_token()

        def set_event() -> None:
            try:
                token.run_sync_soon(event.set)
            except trio.RunFinishedError:
                pass
    else:
        import asyncio

        loop = asyncio.get_running_loop()

        def set_event() -> None:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # the caller's loop closed
                pass
    return set_event


async def _until_complete(engine, seq: int) -> None:
    """Wait, without blocking the loop, until operation ``seq`` is complete."""
    completions = engine.completions
    if completions.completed(seq):
        return
    if engine.on_engine_thread():
        raise MlflowException("aiomlflow: cannot wait for an operation on the engine thread")
    event = anyio.Event()
    callback = _threadsafe_setter(event)
    if not completions.notify(seq, callback):
        return
    try:
        engine.wake()
        while not completions.completed(seq):
            watch = priority.may_starve()  # (see priority.wait_unstarved)
            with anyio.move_on_after(priority.STARVE_CHECK_SECONDS if watch
                                     else _ALIVE_CHECK_SECONDS):
                await event.wait()
            if not completions.completed(seq):
                if watch:
                    priority.leave_idle_if_starved()
                engine.check_alive()
                engine.wake()
    finally:
        completions.forget(seq, callback)


async def _durable(engine, seq: int):
    """Wait until ``seq`` is durable; raise its failure or return its result.

    Where the transport lets a caller write (SQLite), a worker thread of the caller's
    own loop writes the head of the queue up to ``seq`` (as a synchronous caller does
    on its thread): one hop there and back, instead of waking the engine's loop, which
    hops to its connection thread, which wakes this loop.  One such helper per engine
    at a time; other waiters, and every case the helper cannot cover (another drain
    running, a queued transport call at the head), wait for the engine as before.
    The write is not abandoned on cancellation: it is one transaction, never half done.
    """
    if (engine not in _helping and engine.caller_may_write()
            and not engine.completions.completed(seq) and not engine.on_engine_thread()):
        _helping.add(engine)
        try:
            await anyio.to_thread.run_sync(engine.writer.help, seq, None)
        finally:
            _helping.discard(engine)
    await _until_complete(engine, seq)
    return engine.completions.outcome(seq)


# Engines with a durable-write helper thread in flight (see _durable).
_helping: set = set()


async def _finish(engine, seq: int, synchronous: bool | None):
    if synchronous_mode(synchronous):
        await _durable(engine, seq)
        return None
    return RunOperations(engine, seq)


async def _room(engine, size: int = 0) -> None:
    """Wait (without blocking the loop) until an append would not block: the engine
    runs and its queue is below its bounds."""
    if not engine.running():
        await _in_thread(engine.ensure_running)
    queue = engine.queue
    while len(queue.items) >= queue.maxsize or (
            size and queue.bytes and queue.bytes + size > queue.max_bytes):
        try:
            head = queue.items[0][0]
        except IndexError:
            break
        await _until_complete(engine, head)


async def _in_thread(fn, *args, **kwargs):
    """Run blocking ``fn`` in a worker thread, in a copy of the caller's context."""
    context = contextvars.copy_context()
    return await anyio.to_thread.run_sync(functools.partial(context.run, fn, *args, **kwargs))


async def _in_thread_adopting(fn, *args, **kwargs):
    """_in_thread, then make the active-run stack ``fn`` left the calling task's own.
    Shielded: a cancelled caller still adopts what the thread did (a run it started)."""
    context = contextvars.copy_context()
    with anyio.CancelScope(shield=True):
        try:
            return await anyio.to_thread.run_sync(
                functools.partial(context.run, fn, *args, **kwargs))
        finally:
            for var in _STACK_VARS:
                if var in context:  # (unset there means unset here too)
                    var.set(context[var])


# ------------------------------------------------------------------ runs
class _StartRun:
    """What ``start_run`` returns: ``async with`` it (ends the run on exit: FAILED on
    an exception, KILLED on cancellation), or ``await`` it for the ActiveRun."""

    __slots__ = ("_kwargs", "_run")

    def __init__(self, kwargs: dict):
        self._kwargs = kwargs
        self._run = None

    async def _start(self) -> fluent.ActiveRun:
        run = await _in_thread_adopting(fluent.start_run, **self._kwargs)
        run._owner = run_owner.current_task()
        self._run = run
        return run

    def __await__(self):
        return self._start().__await__()

    async def __aenter__(self) -> fluent.ActiveRun:
        return await self._start()

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> bool:
        run = self._run
        if run is not None and any(r._run_id == run._run_id for r in fluent._active_runs.get()):
            if exc_type is None:
                status = "FINISHED"
            elif issubclass(exc_type, anyio.get_cancelled_exc_class()):
                status = "KILLED"
            else:
                status = "FAILED"
            with anyio.CancelScope(shield=True):
                await end_run(status)
        return False


def start_run(run_id: str | None = None, experiment_id: str | None = None,
              run_name: str | None = None, nested: bool = False,
              parent_run_id: str | None = None, tags: dict | None = None,
              description: str | None = None,
              log_system_metrics: bool | None = None) -> _StartRun:
    """Start (or resume) a run as the calling task's active run: ``async with
    aio.start_run(...) as run`` or ``run = await aio.start_run(...)``."""
    return _StartRun(dict(run_id=run_id, experiment_id=experiment_id, run_name=run_name,
                          nested=nested, parent_run_id=parent_run_id, tags=tags,
                          description=description, log_system_metrics=log_system_metrics))


async def end_run(status: str = "FINISHED") -> None:
    """End the calling task's active run with ``status`` once its data is durable.  A
    run inherited from another task only leaves this task's stack."""
    stack = fluent._active_runs.get()
    if not stack:
        return
    status = validation.validate_run_status(status)
    run = stack[-1]
    fluent._set_active_runs(stack[:-1])
    os.environ.pop("MLFLOW_RUN_ID", None)
    fluent._last_active_run_id.set(run._run_id)
    if run_owner.owned_elsewhere(run):
        fluent._running[run._run_id] = run._engine
        return
    client = MlflowClient(run._engine.tracking_uri)
    await _in_thread(client._terminate, run._run_id, status, None, True)


def active_run() -> fluent.ActiveRun | None:
    """The calling task's active run, or None (not a coroutine: it does no I/O)."""
    return fluent.active_run()


async def last_active_run() -> Run | None:
    """The active run, else the last run this task ended, else None."""
    return await _in_thread(fluent.last_active_run)


async def get_run(run_id: str) -> Run:
    """Fetch a run by id."""
    validation.validate_run_id(run_id)
    return await _in_thread(fluent.get_run, run_id)


async def get_parent_run(run_id: str) -> Run | None:
    """The parent run of a nested run, or None."""
    return await _in_thread(fluent.get_parent_run, run_id)


async def delete_run(run_id: str) -> None:
    """Mark a run deleted."""
    await _in_thread(fluent.delete_run, run_id)


def _known_target(run_id: str | None):
    """(run id, engine) for a data call when knowing them needs no I/O (the task's
    active run, or ``run_id`` on a running engine), else None."""
    if run_id is None:
        return fluent._active_target.get()
    global _run_engines_env
    engine = _run_engines.get(run_id)
    env = getenv(_URI_ENV)
    if engine is not None and engine.running() and env == _run_engines_env:
        return run_id, engine
    validation.validate_run_id(run_id)
    engine = registry._engines.get(tracking_uri.get_tracking_uri())
    if engine is None or not engine.running():
        return None
    if env != _run_engines_env or len(_run_engines) >= 1024:
        _run_engines.clear()
        _run_engines_env = env
    _run_engines[run_id] = engine
    return run_id, engine


# The engine a run id was last logged to: a service logging per request with run_id
# would otherwise resolve the tracking URI per call, a getcwd() system call when it is
# the default.  Forgotten when set_tracking_uri or MLFLOW_TRACKING_URI changes (a
# process that changes its working directory under the default URI keeps logging a run
# it already logged to in the store it found it in).
_URI_ENV = "MLFLOW_TRACKING_URI"
_run_engines: dict = {}
_run_engines_env: str | None = None  # MLFLOW_TRACKING_URI when they were found
tracking_uri.on_tracking_uri_change(_run_engines.clear)


async def _target(run_id: str | None):
    """(run id, engine) for a data call: ``run_id``, else the active run (started if
    there is none, as the fluent API does)."""
    target = _known_target(run_id)
    if target is not None:
        return target
    if run_id is None:
        await start_run()
        return fluent._active_target.get()
    return run_id, await _in_thread(registry.get_engine, tracking_uri.get_tracking_uri())


# ------------------------------------------------------------------ run data
async def log_metric(key: str, value: float, step: int | None = None,
                     synchronous: bool | None = None, timestamp: int | None = None,
                     run_id: str | None = None, model_id: str | None = None,
                     dataset=None) -> RunOperations | None:
    """Log a metric to the task's active run (started if needed) or ``run_id``; linked to
    the logged model ``model_id`` (default: the active model) and/or ``dataset``."""
    if model_id is not None or dataset is not None or not _plain_metrics():
        from .models import links

        return await _in_thread_adopting(links.log_metric, key, value, step, synchronous,
                                         timestamp, run_id, model_id, dataset)
    if (type(value) is float and type(step) is int and not timestamp
            and type(key) is str and key in KNOWN_KEYS
            and -9223372036854775808 <= step <= 9223372036854775807):
        timestamp = _time_ns() // 1_000_000  # a key validate_metric already passed
    else:
        key, value, timestamp, step = validation.validate_metric(
            key, value, timestamp or None, step or None)
    run_id, engine = _known_target(run_id) or await _target(run_id)
    if _yield_due():
        await anyio.lowlevel.checkpoint()
    if len(engine.items) >= engine.slow_at:
        await _room(engine)
    operations = engine.submit_metric(run_id, key, value, timestamp, step, False)
    if synchronous is None:
        synchronous = synchronous_mode(None)
    if synchronous:
        await _durable(engine, operations._seqs)
        return None
    return operations


def _plain_metrics() -> bool:
    """Whether a metric logged by this task links to no logged model (the task's active
    model is read here, once, from the environment if it set none)."""
    if fluent._plain_metrics() or active_model.plain_everywhere():
        return True
    active_model.current_context()  # no I/O
    return fluent._plain_metrics()


def _yield_due() -> bool:
    """Whether this data call yields to the loop (see ``_LOOK_EVERY``)."""
    global _calls_since_look
    _calls_since_look += 1
    if _calls_since_look < _LOOK_EVERY:
        return False
    _calls_since_look = 0
    return _loop_held()


def _loop_held() -> bool:
    """Whether this thread's loop has run none of its callbacks since the last look;
    if it has, a marker is queued on it for the next look."""
    loop, soon = _running_loop()
    last = getattr(_looks, "last", None)
    if last is not None and last[0] == id(loop) and not last[1]:
        return True  # the marker still waits: the caller yields, letting it run
    marker = _looks.last = [id(loop), False]  # (an id: a finished loop is not kept)
    soon(marker.__setitem__, 1, True)
    return False


def _running_loop():
    """This thread's running loop (an asyncio loop or a trio run's token) and its
    function that queues a callback."""
    asyncio = sys.modules.get("asyncio")
    loop = asyncio._get_running_loop() if asyncio is not None else None
    if loop is not None:
        return loop, loop.call_soon
    token = sys.modules["trio"].lowlevel.current_trio_token()
    return token, token.run_sync_soon


async def _submit(engine, kind: int, run_id: str, *payload) -> int:
    if _yield_due():
        await anyio.lowlevel.checkpoint()
    size = payload_bytes((None, kind, run_id, *payload))
    if len(engine.items) >= engine.slow_at or engine.queue.bytes + size > engine.queue.max_bytes:
        await _room(engine, size)
    return engine.submit(kind, run_id, *payload)


async def log_metrics(metrics: dict, step: int | None = None,
                      synchronous: bool | None = None, run_id: str | None = None,
                      timestamp: int | None = None, model_id: str | None = None,
                      dataset=None) -> RunOperations | None:
    """Log several metrics at one step and timestamp, as one batch (linked as
    log_metric's)."""
    if model_id is not None or dataset is not None or not _plain_metrics():
        from .models import links

        return await _in_thread_adopting(links.log_metrics, metrics, step, synchronous,
                                         run_id, timestamp, model_id, dataset)
    timestamp = timestamp or now_ms()
    step = step or 0
    if run_id is not None:
        validation.validate_run_id(run_id)
    rows = validation.log_metrics_rows(run_id or "0" * 32, metrics, timestamp, step)
    if not rows:
        return None
    run_id, engine = _known_target(run_id) or await _target(run_id)
    return await _finish(engine, await _submit(engine, BATCH, run_id, rows, (), ()), synchronous)


async def log_param(key: str, value, synchronous: bool | None = None):
    """Log a param to the task's active run; returns the value (or a RunOperations)."""
    try:
        checked_key, text = validation.validate_param(key, value)
    except MlflowException as exc:
        raise validation.with_param_hint(exc) from None
    run_id, engine = await _target(None)
    operations = await _finish(engine, await _submit(engine, PARAM, run_id, checked_key, text),
                               synchronous)
    return value if operations is None else operations


async def log_params(params: dict, synchronous: bool | None = None,
                     run_id: str | None = None) -> RunOperations | None:
    """Log several params, as one batch."""
    if run_id is not None:
        validation.validate_run_id(run_id)
    _, rows, _ = validation.validate_log_batch(run_id or "0" * 32, params=list(params.items()))
    if not rows:
        return None
    run_id, engine = await _target(run_id)
    return await _finish(engine, await _submit(engine, BATCH, run_id, (), rows, ()), synchronous)


async def set_tag(key: str, value, synchronous: bool | None = None) -> RunOperations | None:
    """Set a tag on the task's active run (value stringified)."""
    key, value = validation.validate_tag(key, value)
    run_id, engine = await _target(None)
    return await _finish(engine, await _submit(engine, BATCH, run_id, (), (), ((key, value),)),
                         synchronous)


async def set_tags(tags: dict, synchronous: bool | None = None) -> RunOperations | None:
    """Set several tags on the task's active run."""
    _, _, rows = validation.validate_log_batch("0" * 32, tags=list(tags.items()))
    if not rows:
        return None
    run_id, engine = await _target(None)
    return await _finish(engine, await _submit(engine, BATCH, run_id, (), (), rows), synchronous)


async def delete_tag(key: str) -> None:
    """Delete a tag from the task's active run (in order with its pending data)."""
    validation.validate_delete_tag_key(key)
    run_id, engine = await _target(None)
    await _in_thread(MlflowClient(engine.tracking_uri).delete_tag, run_id, key)


# ------------------------------------------------------------------ run inputs / outputs
async def log_input(dataset=None, context: str | None = None, tags: dict | None = None,
                    model=None) -> None:
    """Record a dataset (and/or a LoggedModelInput) as an input of the task's active run."""
    from .data import fluent as data

    await _in_thread_adopting(data.log_input, dataset, context, tags, model)


async def log_inputs(datasets: list | None = None, contexts: list | None = None,
                     tags_list: list | None = None, models: list | None = None) -> None:
    """Record several datasets as inputs of the task's active run (as ``log_inputs``)."""
    from .data import fluent as data

    await _in_thread_adopting(data.log_inputs, datasets, contexts, tags_list, models)


async def log_outputs(models: list | None = None) -> None:
    """Record LoggedModelOutputs as outputs of the task's active run."""
    from .data import fluent as data

    await _in_thread_adopting(data.log_outputs, models)


# ------------------------------------------------------------------ experiments
async def create_experiment(name: str, artifact_location: str | None = None,
                            tags: dict | None = None) -> str:
    """Create an experiment; return its id."""
    return await _in_thread(fluent.create_experiment, name, artifact_location, tags)


async def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id."""
    return await _in_thread(fluent.get_experiment, experiment_id)


async def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return await _in_thread(fluent.get_experiment_by_name, name)


async def delete_experiment(experiment_id: str) -> None:
    """Mark an experiment and its runs deleted."""
    await _in_thread(fluent.delete_experiment, experiment_id)


async def set_experiment(experiment_name: str | None = None,
                         experiment_id: str | None = None) -> Experiment:
    """Make an experiment active (process-wide, as in MLflow)."""
    return await _in_thread(fluent.set_experiment, experiment_name, experiment_id)


async def set_experiment_tag(key: str, value) -> None:
    """Set a tag on the current experiment."""
    await _in_thread(fluent.set_experiment_tag, key, value)


async def set_experiment_tags(tags: dict) -> None:
    """Set several tags on the current experiment."""
    await _in_thread(fluent.set_experiment_tags, tags)


async def delete_experiment_tag(key: str) -> None:
    """Delete a tag from the current experiment."""
    await _in_thread(fluent.delete_experiment_tag, key)


async def search_experiments(view_type: int = 1, max_results: int | None = None,
                             filter_string: str | None = None,
                             order_by: list[str] | None = None) -> list[Experiment]:
    """As ``aiomlflow.search_experiments``."""
    return await _in_thread(fluent.search_experiments, view_type, max_results, filter_string,
                            order_by)


async def search_runs(experiment_ids: list[str] | None = None, filter_string: str = "",
                      run_view_type: int = 1, max_results: int = 100000,
                      order_by: list[str] | None = None, output_format: str = "pandas",
                      search_all_experiments: bool = False,
                      experiment_names: list[str] | None = None):
    """As ``aiomlflow.search_runs``."""
    return await _in_thread(fluent.search_runs, experiment_ids, filter_string, run_view_type,
                            max_results, order_by, output_format, search_all_experiments,
                            experiment_names)


# ------------------------------------------------------------------ engine
async def flush() -> None:
    """Return once everything logged before the call is durable; raise if any of it
    failed (each failure once)."""
    from ..batches import NOOP

    for engine in registry.running_engines():
        marker = await _submit(engine, NOOP, None)
        await _until_complete(engine, marker)
    await _in_thread(registry.flush_all)  # settles remote journals, reports failures


flush_async_logging = flush
