"""Zero data loss when the tracking server goes down (the remote transport's journal).

A real ``mlflow server`` (127.0.0.1, free port, temporary SQLite store) is stopped in the
middle of an asynchronous logging loop and started again later; every metric must end up
on the server, in order, none twice.  A process killed while the server is down leaves a
journal that ``aiomlflow sync`` replays completely, and a process that exits while it is
down says on stderr what it left behind.

The outage lasts AIOMLFLOW_TEST_OUTAGE_SECONDS (default 30 s, as the issue asks; CI may
set less).  Retries are shortened through MLflow's own variables so a delivery gives up
after a few seconds instead of MLflow's default two minutes.
"""

from __future__ import annotations

import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import IS_MLFLOW, MlflowServer

pytestmark = [
    pytest.mark.skipif(IS_MLFLOW, reason="aiomlflow's journal; real mlflow has none"),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and file locks"),
    pytest.mark.timeout(240),
]

DOWNTIME = float(os.environ.get("AIOMLFLOW_TEST_OUTAGE_SECONDS", "30"))
REPO = pathlib.Path(__file__).resolve().parents[1]
BASE_TS = 1_700_000_000_000
# A delivery gives up after about three seconds: two quick retries, then the journal.
FAST_RETRIES = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0.2",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "10",
}


class OutageServer(MlflowServer):
    """A server of our own that the tests crash (SIGKILL) and start again on its port."""

    def start(self):
        began = time.monotonic()
        super().start()
        self.start_seconds = time.monotonic() - began
        return self

    def crash(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the server and its workers, at once
        self.proc.wait()
        self._log.close()
        self.proc = None

    def outage(self, seconds: float) -> float:
        """Crash, restart ``seconds`` later; return how long it was unreachable."""
        self.crash()
        down = time.monotonic()
        time.sleep(seconds)
        self.start()
        return time.monotonic() - down


@pytest.fixture(scope="module")
def outage_server(tmp_path_factory):
    """A server of our own (the tests stop and restart it), with its store path."""
    workdir = tmp_path_factory.mktemp("outage-server")
    server = OutageServer(f"sqlite:///{workdir}/server.db", workdir)
    server.db_path = workdir / "server.db"
    server.start()
    try:
        yield server
    finally:
        if server.proc is not None:
            server.crash()


def server_steps(server, run_id: str, key: str = "m") -> list:
    """The metric's steps as the server stored them, in insertion order."""
    db = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=30)
    try:
        rows = db.execute("SELECT step, value, timestamp FROM metrics WHERE run_uuid = ? AND key = ? "
                          "ORDER BY rowid", (run_id, key)).fetchall()
    finally:
        db.close()
    for step, value, ts in rows:
        assert value == step * 0.5 and ts == BASE_TS + step
    return [row[0] for row in rows]


def server_status(server, run_id: str) -> str:
    """The run's status as the server stored it."""
    db = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT status FROM runs WHERE run_uuid = ?", (run_id,)).fetchone()[0]
    finally:
        db.close()


def journal_files(spool: pathlib.Path) -> list:
    return sorted(p.name for p in spool.rglob("*.seg")) if spool.exists() else []


def test_server_outage_in_the_middle_of_async_logging(mlflow, outage_server, tmp_path, monkeypatch):
    server = outage_server
    spool = tmp_path / "spool"
    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(spool))
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    mlflow.set_tracking_uri(server.url)
    run_id = mlflow.start_run().info.run_id

    n = 100_000
    stop_at = n // 2
    # Pace the loop so that it keeps logging through the whole outage.
    rate = n / (DOWNTIME + 10)
    went_down = threading.Event()
    timeline: dict[str, float] = {}

    def outage():
        went_down.wait()
        timeline["down"] = time.monotonic()
        timeline["length"] = server.outage(DOWNTIME)

    thread = threading.Thread(target=outage, daemon=True)
    thread.start()
    started = time.monotonic()
    for step in range(n):
        mlflow.log_metric("m", step * 0.5, step=step, timestamp=BASE_TS + step, synchronous=False)
        if step == stop_at:
            went_down.set()
        if step % 500 == 0:
            ahead = started + step / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    logged = time.monotonic()
    thread.join(DOWNTIME + 120)
    assert not thread.is_alive()
    # The loop really ran through the outage, and the outage really happened.
    assert timeline["length"] >= DOWNTIME
    assert logged > timeline["down"] + min(DOWNTIME, 5)
    t = time.monotonic()
    mlflow.flush_async_logging()  # waits for the journal's replay
    print(f"outage {timeline['length']:.1f}s (loop ended {logged - timeline['down']:.1f}s into it); "
          f"flush after it took {time.monotonic() - t:.1f}s; server start {server.start_seconds:.1f}s",
          file=sys.stderr)
    mlflow.end_run()

    steps = server_steps(server, run_id)
    assert len(steps) == n
    assert steps == list(range(n))  # every metric, in order, none twice
    history = mlflow.MlflowClient().get_metric_history(run_id, "m")
    assert sorted(m.step for m in history) == list(range(n))
    assert journal_files(spool) == []  # replayed and deleted
    assert mlflow.get_run(run_id).info.status == "FINISHED"


_CHILD = """
    import os, sys, time
    import aiomlflow as mlflow

    mode, n = sys.argv[1], int(sys.argv[2])
    base = {base}
    run_id = mlflow.start_run().info.run_id
    for step in range(1000):
        mlflow.log_metric("m", step * 0.5, step=step, timestamp=base + step, synchronous=False)
    mlflow.flush_async_logging()
    print(run_id, flush=True)
    sys.stdin.readline()                     # the parent stops the server meanwhile
    for step in range(1000, n):
        mlflow.log_metric("m", step * 0.5, step=step, timestamp=base + step, synchronous=False)
    if mode in ("kill", "term"):
        mlflow.flush_async_logging()         # durable in the journal: the server is down
        print("journaled", flush=True)
        time.sleep(3600)                     # and SIGKILL or SIGTERM arrives
    # mode "exit": leave at once; the exit flush waits AIOMLFLOW_EXIT_FLUSH_TIMEOUT
""".format(base=BASE_TS)


def test_killed_and_exited_processes_leave_a_journal_that_sync_replays(outage_server, tmp_path):
    server = outage_server
    spool = tmp_path / "spool"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "AIOMLFLOW_"))}
    env.update(FAST_RETRIES, MLFLOW_TRACKING_URI=server.url, AIOMLFLOW_SPOOL_DIR=str(spool),
               AIOMLFLOW_EXIT_FLUSH_TIMEOUT="3", AIOMLFLOW_QUEUE_SIZE="5000",
               PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""))
    n = 10_000
    children = {
        mode: subprocess.Popen([sys.executable, "-c", textwrap.dedent(_CHILD), mode, str(n)],
                               cwd=tmp_path, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        for mode in ("kill", "term", "exit")
    }
    try:
        run_ids = {mode: child.stdout.readline().strip() for mode, child in children.items()}
        assert all(len(r) == 32 for r in run_ids.values()), run_ids
        server.crash()
        for child in children.values():
            child.stdin.write("go\n")
            child.stdin.flush()
        killed = children["kill"]
        assert killed.stdout.readline().strip() == "journaled"
        killed.send_signal(signal.SIGKILL)
        assert killed.wait(30) == -signal.SIGKILL
        termed = children["term"]
        assert termed.stdout.readline().strip() == "journaled"
        termed.send_signal(signal.SIGTERM)
        _, term_err = termed.communicate(timeout=120)
        assert termed.returncode == -signal.SIGTERM, term_err
        exited = children["exit"]
        _, err = exited.communicate(timeout=120)
        assert exited.returncode == 0, err
    finally:
        for child in children.values():
            if child.poll() is None:
                child.kill()
                child.wait()
    print(f"stderr of the process that exited during the outage:\n{err}", file=sys.stderr)
    # The process that exited said what it left, where, and how to send it: its metrics
    # and the end of its run (ended at exit, as MLflow does).
    key_dir = next(spool.iterdir())
    assert f"{n - 1000 + 1} logging operation(s) are kept in the journal at {key_dir}" in err, err
    assert f"aiomlflow sync --tracking-uri {server.url}" in err, err
    # So did the one stopped by SIGTERM (the exit flush runs in the signal handler), with
    # the end of its run as KILLED.
    assert f"{n - 1000 + 1} logging operation(s) are kept in the journal at {key_dir}" in term_err
    assert len(journal_files(spool)) == 3
    for run_id in run_ids.values():
        assert server_steps(server, run_id) == list(range(1000))

    server.start()
    t = time.monotonic()
    sync = subprocess.run(
        [sys.executable, "-m", "aiomlflow.cli", "sync", "--tracking-uri", server.url,
         "--spool-dir", str(spool)],
        env={k: v for k, v in env.items() if k != "AIOMLFLOW_SPOOL_DIR"},
        capture_output=True, text=True, timeout=180)
    assert sync.returncode == 0, sync.stderr
    print(f"aiomlflow sync took {time.monotonic() - t:.1f}s:\n{sync.stderr}", file=sys.stderr)
    total = 3 * (n - 1000) + 2
    assert f"{total:,}/{total:,} operations replayed (100%)" in sync.stderr, sync.stderr
    for run_id in run_ids.values():
        assert server_steps(server, run_id) == list(range(n))  # complete, in order, once
    assert journal_files(spool) == []
    # The run that ended during the outage is ended on the server, the one stopped by
    # SIGTERM is KILLED; SIGKILL leaves no chance (its run stays RUNNING, as with MLflow).
    assert {mode: server_status(server, run_id) for mode, run_id in run_ids.items()} == {
        "exit": "FINISHED", "kill": "RUNNING", "term": "KILLED"}


def server_lifecycle(server, run_id: str) -> str:
    db = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT lifecycle_stage FROM runs WHERE run_uuid = ?",
                          (run_id,)).fetchone()[0]
    finally:
        db.close()


def test_calls_after_an_outage_do_not_overtake_the_journal(mlflow, outage_server, tmp_path,
                                                           monkeypatch):
    """delete_run / update_run after an outage reach the server after the data journaled
    during it: the deleted run keeps its metrics, the status set last is the one kept."""
    server = outage_server
    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(tmp_path / "spool"))
    for name, value in FAST_RETRIES.items():
        monkeypatch.setenv(name, value)
    mlflow.set_tracking_uri(server.url)
    client = mlflow.MlflowClient()
    deleted = client.create_run("0").info.run_id
    killed = client.create_run("0").info.run_id
    server.crash()
    for run_id in (deleted, killed):
        for step in range(50):
            mlflow.log_metric("m", step * 0.5, step=step, timestamp=BASE_TS + step,
                              synchronous=False, run_id=run_id)
    mlflow.flush_async_logging()  # journaled: the server is down
    client.set_terminated(killed, "FINISHED")  # run data: journaled after its metrics
    server.start()
    # The replayer has not seen the server yet; these must wait for it.
    client.delete_run(deleted)
    client.update_run(killed, status="KILLED")
    assert server_steps(server, deleted) == list(range(50))
    assert server_lifecycle(server, deleted) == "deleted"
    assert server_steps(server, killed) == list(range(50))
    assert server_status(server, killed) == "KILLED"
