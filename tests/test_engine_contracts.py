"""The engine's contracts under interruption and bad luck (aiomlflow only): sequence
numbers never leave a gap the watermark cannot pass, waits honour one deadline, an
idle engine still writes a lone asynchronous call, and metric links that cannot be
stored are refused at the call instead of dropped."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

import aiomlflow
from aiomlflow.workers.registry import get_engine
from aiomlflow.workers.operations import RunOperations
from aiomlflow.workers.queues import OperationQueue

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def engine(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIOMLFLOW_QUEUE_SIZE", "1000")
    aiomlflow.sdk.fluent._reset_for_tests()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    aiomlflow.set_tracking_uri(uri)
    run = aiomlflow.start_run()
    yield get_engine(uri), run.info.run_id
    aiomlflow.sdk.fluent._reset_for_tests()


def _metric_count(tmp_path, run_id) -> int:
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        return db.execute("SELECT COUNT(*) FROM metrics WHERE run_uuid = ?", (run_id,)).fetchone()[0]


def test_producer_interrupted_on_a_full_queue_leaves_no_gap(engine, tmp_path, monkeypatch):
    eng, run_id = engine
    real_wait = OperationQueue.wait_for_room
    interrupted = []

    def ctrl_c_once(queue, *args):
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        real_wait(queue, *args)

    monkeypatch.setattr(OperationQueue, "wait_for_room", ctrl_c_once)
    with pytest.raises(KeyboardInterrupt):
        for i in range(5_000):  # fills the 1,000-slot queue: the producer waits, is hit
            aiomlflow.log_metric("m", float(i), step=i, synchronous=False)
    for i in range(200_000):
        aiomlflow.log_metric("n", float(i), step=i, synchronous=False)
    aiomlflow.flush_async_logging()
    with eng.drain_lock:  # the drain that completed the flush has finished
        # completion stays bounded: nothing is parked above a hole in the numbering
        assert len(eng.completions.ahead) == 0
    assert aiomlflow.log_metric("n", 1.0, step=1, synchronous=True) is None
    assert _metric_count(tmp_path, run_id) >= 200_001


def test_a_number_taken_and_never_appended_does_not_hold_completion(engine, tmp_path):
    eng, run_id = engine
    lost = eng.next_seq()  # what a signal between taking a number and appending leaves
    for i in range(50_000):
        aiomlflow.log_metric("m", float(i), step=i, synchronous=False)
    aiomlflow.flush_async_logging()
    with eng.drain_lock:  # the drain that completed the flush has finished
        assert len(eng.completions.ahead) == 0
    assert not eng.completed(lost)  # never reported done, though the watermark moved on
    # the interrupted producer resumes after all: its operation completes normally
    eng.items.append((lost, 0, run_id, "late", 1.0, 1, 0))
    eng.wait(lost, timeout=30)
    assert eng.completed(lost)
    assert _metric_count(tmp_path, run_id) == 50_001


class _InterruptedOnceTaken:
    """The drain lock, as seen by a thread whose signal handler raises once the moment
    a non-blocking ``acquire`` has taken it (before the caller can note it)."""

    def __init__(self, lock, victim: threading.Thread):
        self._lock = lock
        self._victim = victim
        self.interrupted = False

    def acquire(self, blocking=True, timeout=-1):
        taken = self._lock.acquire(blocking, timeout)
        if taken and not blocking and not self.interrupted \
                and threading.current_thread() is self._victim:
            self.interrupted = True
            raise KeyboardInterrupt
        return taken

    def __getattr__(self, name):
        return getattr(self._lock, name)

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *exc):
        return self._lock.__exit__(*exc)


@pytest.mark.parametrize("call", ["write", "read"])
def test_a_handler_raising_as_the_caller_takes_the_drain_lock_leaves_it_free(
        engine, tmp_path, monkeypatch, call):
    # Ctrl-C (or a handler's sys.exit) just as a synchronous call took the lock to write
    # or read on its own thread: the lock must not stay held by a thread writing nothing,
    # or no other thread's call and no exit flush could ever complete.
    eng, run_id = engine
    aiomlflow.log_metric("before", 1.0, synchronous=True)  # the caller path is warm
    lock = _InterruptedOnceTaken(eng.drain_lock, threading.current_thread())
    monkeypatch.setattr(eng, "drain_lock", lock)
    with pytest.raises(KeyboardInterrupt):
        if call == "write":
            aiomlflow.log_metric("m", 1.0, step=0, synchronous=True)
        else:
            aiomlflow.search_registered_models()
    assert lock.interrupted

    def elsewhere():  # another thread's calls wait for the worker, which must drain
        aiomlflow.log_metric("m", 2.0, step=1, synchronous=False, run_id=run_id)
        aiomlflow.log_metric("m", 3.0, step=2, synchronous=True, run_id=run_id)

    other = threading.Thread(target=elsewhere, daemon=True)
    other.start()
    other.join(30)
    assert not other.is_alive(), "the drain lock stayed held by the interrupted thread"
    aiomlflow.flush_async_logging()
    steps = {m.step for m in aiomlflow.MlflowClient().get_metric_history(run_id, "m")}
    # the interrupted call's metric was queued before the interruption: it is not lost
    assert steps == ({0, 1, 2} if call == "write" else {1, 2})


def test_run_operations_wait_has_one_overall_deadline():
    class SlowEngine:
        def __init__(self):
            self.timeouts = []

        def wait(self, seq, timeout):
            self.timeouts.append(timeout)
            time.sleep(0.02)

    slow = SlowEngine()
    RunOperations(slow, (1, 2, 3, 4)).wait(timeout=10)
    # each operation gets what is left of the same deadline, not a fresh 10 s
    assert slow.timeouts[0] <= 10
    assert all(later < earlier for earlier, later in zip(slow.timeouts, slow.timeouts[1:]))
    assert slow.timeouts[-1] <= 10 - 3 * 0.02


def test_a_lone_async_call_is_written_by_an_idle_engine(engine, tmp_path):
    eng, run_id = engine
    aiomlflow.flush_async_logging()
    time.sleep(0.3)  # the worker went idle (no timer armed)
    aiomlflow.log_metric("m", 1.0, synchronous=False)
    deadline = time.monotonic() + 20
    while _metric_count(tmp_path, run_id) == 0:
        assert time.monotonic() < deadline, "a lone asynchronous call was never written"
        time.sleep(0.05)


def test_a_steady_trickle_is_written_long_before_the_flush_interval(tmp_path, monkeypatch):
    # A service logging per request never goes quiet, yet its data must not wait for
    # flush_interval: a few operations per tick are written at the next tick.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIOMLFLOW_FLUSH_INTERVAL", "600")
    aiomlflow.sdk.fluent._reset_for_tests()
    try:
        aiomlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
        run_id = aiomlflow.start_run().info.run_id
        aiomlflow.flush_async_logging()
        deadline = time.monotonic() + 30
        step = 0
        while _metric_count(tmp_path, run_id) == 0:
            assert time.monotonic() < deadline, "a steady trickle waited for flush_interval"
            step += 1
            aiomlflow.log_metric("latency", 1.0, step=step, synchronous=False)
            time.sleep(0.005)
    finally:
        aiomlflow.sdk.fluent._reset_for_tests()


@pytest.mark.parametrize("call", [
    lambda: aiomlflow.log_metric("m", 1.0, model_id="m-123"),
    lambda: aiomlflow.log_metric("m", 1.0, dataset=object()),
    lambda: aiomlflow.log_metrics({"m": 1.0}, model_id="m-123"),
    lambda: aiomlflow.log_metrics({"m": 1.0}, dataset=object()),
    lambda: aiomlflow.MlflowClient().log_metric(
        aiomlflow.active_run().info.run_id, "m", 1.0, model_id="m-123"),
    lambda: aiomlflow.MlflowClient().log_batch(
        aiomlflow.active_run().info.run_id,
        [aiomlflow.entities.Metric("m", 1.0, 0, 0, model_id="m-123")]),
], ids=["metric-model", "metric-dataset", "metrics-model", "metrics-dataset", "client-model",
        "client-batch-model"])
def test_metric_links_that_cannot_be_stored_are_refused_at_the_call(engine, tmp_path, call):
    # an unknown model (MLflow's foreign key refuses it) or something that is no dataset
    eng, run_id = engine
    with pytest.raises(aiomlflow.MlflowException) as info:
        call()
    assert info.value.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
    if info.value.error_code == "RESOURCE_DOES_NOT_EXIST":
        assert info.value.message == "Logged model with ID 'm-123' not found."
    aiomlflow.flush_async_logging()
    assert _metric_count(tmp_path, run_id) == 0


@pytest.mark.parametrize("synchronous", [True, False])
def test_metric_links_are_stored_in_order_with_the_runs_data(engine, tmp_path, synchronous):
    eng, run_id = engine
    model = aiomlflow.initialize_logged_model(name="linked")
    dataset = aiomlflow.entities.Dataset("train", "d1", "local", "train.csv")
    client = aiomlflow.MlflowClient()
    handles = [
        aiomlflow.log_metric("a", 1.0, step=1, model_id=model.model_id, dataset=dataset,
                             synchronous=synchronous),
        aiomlflow.log_metrics({"b": 2.0, "c": 3.0}, step=2, model_id=model.model_id,
                              synchronous=synchronous),
        client.log_metric(run_id, "d", 4.0, step=3, dataset_name="eval", dataset_digest="e1",
                          synchronous=synchronous),
        aiomlflow.log_metric("plain", 5.0, synchronous=synchronous),
    ]
    if not synchronous:
        for handle in handles:
            handle.wait()
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        rows = db.execute("SELECT key, value, step FROM metrics WHERE run_uuid = ? "
                          "ORDER BY key", (run_id,)).fetchall()
        linked = db.execute("SELECT metric_name, metric_value, metric_step, dataset_name, "
                            "dataset_digest FROM logged_model_metrics WHERE model_id = ? "
                            "ORDER BY metric_name", (model.model_id,)).fetchall()
    assert rows == [("a", 1.0, 1), ("b", 2.0, 2), ("c", 3.0, 2), ("d", 4.0, 3),
                    ("plain", 5.0, 0)]
    # only metrics naming a model are recorded on it (d names a dataset only)
    assert linked == [("a", 1.0, 1, "train", "d1"), ("b", 2.0, 2, None, None),
                      ("c", 3.0, 2, None, None)]


def test_system_metrics_sample_on_the_engine_loop(engine, tmp_path, monkeypatch):
    # no thread of its own: the sampler is a task on the engine's loop (a GPU's
    # driver calls would go to anyio's worker threads, which the loop owns)
    eng, _ = engine
    aiomlflow.end_run()
    monkeypatch.setenv("MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL", "0.05")
    before = {t.ident for t in threading.enumerate()}
    with aiomlflow.start_run(log_system_metrics=True) as run:
        time.sleep(0.4)
        started = [t.name for t in threading.enumerate()
                   if t.ident not in before and not t.name.startswith("AnyIO worker")]
        assert started == []
        assert eng.system_metrics.sampling(run.info.run_id)
    assert not eng.system_metrics.sampling(run.info.run_id)
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        steps = db.execute("SELECT COUNT(DISTINCT step) FROM metrics WHERE run_uuid = ? AND "
                           "key = 'system/cpu_utilization_percentage'",
                           (run.info.run_id,)).fetchone()[0]
    assert steps >= 2


def test_the_loop_side_producer_never_blocks_and_keeps_its_failures(engine, tmp_path):
    # Engine.offer (the system-metrics sampler's append) on a full queue returns None at
    # once instead of waiting on the loop thread, which alone could make room
    import anyio.from_thread

    from aiomlflow.batches import BATCH

    eng, run_id = engine
    rows = [("system/x", 1.0, 1, 0)]

    def offer(*args, **kwargs):
        return anyio.from_thread.run_sync(lambda: eng.offer(*args, **kwargs), token=eng._token)

    with eng.drain_lock:  # nothing drains meanwhile
        for i in range(eng.queue.maxsize - len(eng.items)):
            aiomlflow.log_metric("m", float(i), step=i, synchronous=False)
        assert len(eng.items) == eng.queue.maxsize
        assert offer(BATCH, run_id, rows, (), ()) is None
    aiomlflow.flush_async_logging()
    assert offer(BATCH, run_id, rows, (), ()) is not None
    # a failed offered operation goes to its producer, never to the user's flush
    failures = []
    offer(BATCH, "f" * 32, rows, (), (), on_failure=failures.append)
    aiomlflow.flush_async_logging()
    assert len(failures) == 1 and failures[0].error_code == "RESOURCE_DOES_NOT_EXIST"
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        assert db.execute("SELECT COUNT(*) FROM metrics WHERE key = 'system/x'").fetchone()[0] == 1


def test_the_queue_bound_counts_bytes(tmp_path, monkeypatch):
    from aiomlflow.batches import payload_bytes

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIOMLFLOW_QUEUE_MAX_BYTES", str(512 * 1024))
    aiomlflow.sdk.fluent._reset_for_tests()
    aiomlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        with aiomlflow.start_run() as run:
            eng = get_engine(aiomlflow.get_tracking_uri())
            value = "v" * 6000
            peak = 0
            for i in range(2_000):
                aiomlflow.log_param(f"p{i}", value, synchronous=False)
                peak = max(peak, sum(payload_bytes(op) for op in list(eng.items)))
            aiomlflow.flush_async_logging()
        # 2,000 params of 6 KB (12 MB) passed through a queue holding at most ~512 KB
        assert peak <= 512 * 1024 + 6_200
        with sqlite3.connect(tmp_path / "mlflow.db") as db:
            (n,) = db.execute("SELECT COUNT(*) FROM params WHERE run_uuid = ?",
                              (run.info.run_id,)).fetchone()
        assert n == 2_000
    finally:
        aiomlflow.sdk.fluent._reset_for_tests()


def test_filling_a_gap_never_hides_a_completed_number_from_a_waiter():
    # completed() runs without a lock beside the drainer: at every step of fill_gaps a
    # completed number must read as complete, or its waiter sleeps through it for good
    from aiomlflow.workers.completions import Completions

    done = Completions()
    done.complete([(2, 0)])  # number 1 was taken and never appended
    seen = []

    class Probe(set):
        def clear(self):
            super().clear()
            seen.append(done.completed(2))

    done.ahead = Probe(done.ahead)
    done.fill_gaps()
    assert seen == [True]
    assert done.completed(2) and not done.completed(1)


_PRIORITY_PROBE = """
import os, sys, threading, aiomlflow
from aiomlflow.workers import priority
# a machine busy with other work would (rightly) lift SCHED_IDLE off starved threads
# before the probe looks: that has its own test
priority.leave_idle_if_starved = lambda: None
aiomlflow.log_metric("m", 1.0)  # synchronous: the connection's thread has written it
def levels():
    return {t.name: (os.getpriority(os.PRIO_PROCESS, t.native_id),
                     os.sched_getscheduler(t.native_id)) for t in threading.enumerate()}
before = levels()
if sys.argv[1] == "behind":  # a producer fills half the queue (AIOMLFLOW_QUEUE_SIZE=100)
    for i in range(60):
        aiomlflow.log_metric("m", float(i), step=i, synchronous=False)
    aiomlflow.flush_async_logging()
after = levels()
print(repr({name: (before[name], after[name])
            for name in ("MainThread", "aiomlflow-engine", "AnyIO worker thread")}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
@pytest.mark.parametrize("nice, idle, engine_nice, engine_idle", [
    (None, None, 10, True), ("0", None, 0, True), ("3", "false", 3, False),
    ("30", "true", 19, True)])
def test_the_engines_threads_run_at_a_lower_cpu_priority(tmp_path, nice, idle, engine_nice,
                                                          engine_idle):
    # The application's own threads keep their priority; the engine's loop and the
    # threads it starts (the SQLite connection's) give way to them: a higher nice value,
    # and by default the SCHED_IDLE policy.
    env = _env_without_engine_settings()
    env.update({k: v for k, v in (("AIOMLFLOW_ENGINE_NICE", nice),
                                  ("AIOMLFLOW_ENGINE_IDLE", idle)) if v is not None})
    levels = _priority_probe(tmp_path, env, "keeping up")
    base = (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0))
    engine = (min(19, base[0] + engine_nice), os.SCHED_IDLE if engine_idle else base[1])
    assert levels == {"MainThread": (base, base), "aiomlflow-engine": (engine, engine),
                      "AnyIO worker thread": (engine, engine)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
def test_an_engine_falling_behind_leaves_the_idle_policy(tmp_path):
    # SCHED_IDLE would starve the writes on a machine busy with other work: once the
    # queue is half full the engine's threads go back to the normal policy (nice kept).
    env = _env_without_engine_settings()
    env["AIOMLFLOW_QUEUE_SIZE"] = "100"
    levels = _priority_probe(tmp_path, env, "behind")
    base = (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0))
    idle, normal = (min(19, base[0] + 10), os.SCHED_IDLE), (min(19, base[0] + 10), base[1])
    assert levels == {"MainThread": (base, base), "aiomlflow-engine": (idle, normal),
                      "AnyIO worker thread": (idle, normal)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
def test_exiting_leaves_the_idle_policy(tmp_path):
    # At exit what is pending (queued, or being written) must be written whatever else
    # the machine runs.
    code = """
import atexit, sqlite3, sys
atexit.register(lambda: print("left idle:", priority._left_idle))  # runs after the flush
import aiomlflow
from aiomlflow.workers import priority
aiomlflow.start_run()
for i in range(1000):
    aiomlflow.log_metric("m", float(i), step=i, synchronous=False)
"""
    env = _env_without_engine_settings()
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip().splitlines()[-1] == "left idle: True"
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        assert db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 1000


_STARVED_PROBE = """
import hashlib, os, subprocess, sys, threading, time
from aiomlflow.workers import priority

cpu = min(os.sched_getaffinity(0))
HOG = "import os, sys\\nos.sched_setaffinity(0, {int(sys.argv[1])})\\nprint(flush=True)\\n" \\
      "while True: pass"
DATA = bytes(4_000_000)

def idle_thread(spin, lowered, stop):
    os.sched_setaffinity(0, {cpu})  # (0: this thread)
    priority.lower(0, True)
    lowered.set()
    while not stop.is_set():
        if spin:
            hashlib.sha256(DATA)  # busy without the GIL, as a SQLite write is
        else:
            stop.wait()

def policy_after_looks(spin, competing):
    hog = None
    if competing:  # another process's work on the same CPU
        hog = subprocess.Popen([sys.executable, "-c", HOG, str(cpu)], stdout=subprocess.PIPE)
        hog.stdout.readline()
    lowered, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=idle_thread, args=(spin, lowered, stop))
    thread.start()
    lowered.wait()
    clock = time.pthread_getcpuclockid(thread.ident)
    cpu_before, began = time.clock_gettime(clock), time.monotonic()
    for _ in range(3):  # a waiting caller's looks, STARVE_CHECK_SECONDS apart
        time.sleep(priority.STARVE_CHECK_SECONDS)
        priority.leave_idle_if_starved()
    share = (time.clock_gettime(clock) - cpu_before) / (time.monotonic() - began)
    policy = os.sched_getscheduler(thread.native_id)
    if hog:
        hog.kill()
        hog.wait()
    stop.set()
    thread.join()
    if spin and not competing and share < 0.5:
        return "busy"  # other processes took this CPU: the thread was starved after all
    return "idle" if policy == os.SCHED_IDLE else "normal"

print(policy_after_looks(spin=False, competing=True),  # asleep: not starved
      policy_after_looks(spin=True, competing=False),  # running: not starved
      priority._left_idle,
      policy_after_looks(spin=True, competing=True),   # ready, given no CPU: starved
      priority._left_idle)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
def test_a_waiting_caller_lifts_the_idle_policy_only_off_a_starved_thread(tmp_path):
    # A caller that waits on the engine looks at its SCHED_IDLE threads: one ready to
    # run yet given almost no CPU between two looks is starved by other work, and the
    # process leaves SCHED_IDLE; one asleep (waiting for I/O, for work) or one running
    # is not.
    out = subprocess.run([sys.executable, "-c", _STARVED_PROBE], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    asleep, running, left_by_then, starved, left = out.split()
    assert (asleep, starved, left) == ("idle", "normal", "True")
    if running != "busy":  # (a machine busy with other work starves it too)
        assert (running, left_by_then) == ("idle", "False")


_BUSY_MACHINE_CHILD = """
import sqlite3, aiomlflow
run = aiomlflow.start_run()
for i in range(100):
    aiomlflow.log_metric("sync", float(i), step=i)
for i in range(1000):
    aiomlflow.log_metric("async", float(i), step=i, synchronous=False)
aiomlflow.log_param("p", "v")
print(aiomlflow.get_run(run.info.run_id).data.params)
aiomlflow.end_run()
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priority: Linux")
def test_a_machine_kept_busy_by_other_processes_does_not_stall_the_callers(tmp_path):
    # Every core busy with other work (a parameter sweep, data loaders): the engine's
    # low-priority threads get no CPU, yet a caller waiting on them (the engine's start,
    # a synchronous call, a read) must not wait for the machine to go idle: before the
    # waits lifted SCHED_IDLE this child took 30-40 s here, where it takes under 1 s.
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(os.cpu_count() or 1)]
    try:
        env = _env_without_engine_settings()
        try:
            out = subprocess.run([sys.executable, "-c", _BUSY_MACHINE_CHILD], cwd=tmp_path,
                                 env=env, capture_output=True, text=True, timeout=20,
                                 check=True).stdout
        except subprocess.TimeoutExpired:
            pytest.fail("the child stalled behind its own engine's starved threads")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert out.strip() == "{'p': 'v'}"
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        assert db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == 1100


def _env_without_engine_settings() -> dict:
    """This process's environment minus MLflow's and the engine's own settings."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "AIOMLFLOW_ENGINE_"))}


def _priority_probe(tmp_path, env, case) -> dict:
    import ast

    out = subprocess.run([sys.executable, "-c", _PRIORITY_PROBE, case], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    return ast.literal_eval(out.strip().splitlines()[-1])
