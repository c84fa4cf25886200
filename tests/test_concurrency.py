"""Concurrency tests: several processes and threads logging to one SQLite database.

Each test runs child scripts with ``sys.executable`` in a temporary working directory,
with every ``MLFLOW_*`` variable removed from the environment, against
``sqlite:///<tmp>/mlflow.db``; the assertions read the database with plain ``sqlite3``.

``AIOMLFLOW_TESTS_TARGET=mlflow`` runs the same child scripts against real mlflow
(``import mlflow``) with the counts scaled down.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

TARGET = os.environ.get("AIOMLFLOW_TESTS_TARGET", "aiomlflow").strip().lower() or "aiomlflow"
IS_MLFLOW = TARGET == "mlflow"

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX process semantics"),
    pytest.mark.timeout(240),
]


def scaled(n_aiomlflow: int, n_mlflow: int) -> int:
    return n_mlflow if IS_MLFLOW else n_aiomlflow


# --------------------------------------------------------------------------- helpers

PRELUDE = textwrap.dedent(
    """\
    import importlib, json, os, sys, threading, time, traceback
    if os.environ.get("AIOMLFLOW_TESTS_TARGET", "aiomlflow").strip().lower() == "mlflow":
        import mlflow
    else:
        import aiomlflow as mlflow
    entities = importlib.import_module(mlflow.__name__ + ".entities")
    URI = os.environ["TEST_TRACKING_URI"]
    IS_MLFLOW = mlflow.__name__ == "mlflow"

    def emit(obj):
        os.write(1, (json.dumps(obj) + "\\n").encode())

    # Real mlflow 3.17.2 exhausts its SQLAlchemy pool ("QueuePool limit of size 5 overflow
    # 10 reached") when several threads mix synchronous and asynchronous calls on SQLite,
    # so for that target every call is synchronous (the rest of the scenario is the same).
    def sync_call(cond):
        return True if IS_MLFLOW else cond
    """
)


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["AIOMLFLOW_TESTS_TARGET"] = TARGET
    env["TEST_TRACKING_URI"] = f"sqlite:///{tmp_path / 'mlflow.db'}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONSTARTUP", None)
    if IS_MLFLOW:
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        env["DO_NOT_TRACK"] = "true"
    env.update(extra)
    return env


def write_script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(PRELUDE + textwrap.dedent(body))
    return path


def records(stdout: str) -> list:
    return [json.loads(s) for s in (l.strip() for l in stdout.splitlines()) if s.startswith("{")]


def describe(rc, out, err) -> str:
    return f"returncode={rc}\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-6000:]}"


# Lines a child may print on stderr: log records at INFO/WARNING/DEBUG level (mlflow's
# "2024/01/01 10:00:00 INFO ..." format, alembic's "INFO  [alembic...]", plain
# "WARNING ..." / "WARNING:name:..." formats) and Python warnings ("file:1: XWarning:
# ...") with their indented source line.  Anything else counts as an error.
_LOG_LINE = re.compile(
    r"^(\d{4}[/-]\d\d[/-]\d\d[ T]\d\d:\d\d:\d\d\S*\s+)?(\[?(INFO|WARNING|DEBUG)\b)"
)
_WARNING_LINE = re.compile(r"\w*Warning: ")


def unexpected_stderr(stderr: str) -> list[str]:
    bad = []
    prev_allowed = False
    for line in stderr.splitlines():
        if not line.strip():
            continue
        if _LOG_LINE.match(line) or _WARNING_LINE.search(line):
            prev_allowed = True
            continue
        if prev_allowed and line.startswith(" ") and "Traceback" not in line:
            continue  # the source line of a warning / a wrapped log message
        prev_allowed = False
        bad.append(line)
    return bad


def db_query(tmp_path: Path, sql: str, args=()) -> list[tuple]:
    con = sqlite3.connect(tmp_path / "mlflow.db", timeout=30)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# --------------------------------------------------------------------------- processes x threads

SETUP_CHILD = """
mlflow.set_tracking_uri(URI)
exp_id = mlflow.create_experiment("concurrency")
emit({"experiment_id": exp_id})
"""

WORKER_CHILD = """
proc_no = int(sys.argv[1])
n_threads = int(sys.argv[2])
n = int(sys.argv[3])
exp_id = sys.argv[4]
go_file = sys.argv[5]
mlflow.set_tracking_uri(URI)
Metric, Param, RunTag = entities.Metric, entities.Param, entities.RunTag

barrier = threading.Barrier(n_threads)
errors = []
results = []
lock = threading.Lock()


def base_value(t):
    return proc_no * 1_000_000 + t * 100_000


def fluent_worker(t):
    barrier.wait()
    run = mlflow.start_run(experiment_id=exp_id, run_name=f"p{proc_no}-t{t}")
    run_id = run.info.run_id
    mlflow.set_tag("worker", f"{proc_no}-{t}")
    mlflow.log_params({"p0": t, "p1": "fluent"}, synchronous=sync_call(False))
    mlflow.log_param("p2", proc_no)
    base = base_value(t)
    for i in range(n):
        mlflow.log_metric("m", base + i, step=i, synchronous=sync_call(i % 10 == 0))
        if i % 100 == 0:
            mlflow.log_metrics({"a": base + i, "b": base + i}, step=i, synchronous=sync_call(False))
        if i % 500 == 0:
            assert mlflow.active_run().info.run_id == run_id
    mlflow.set_tags({"t1": "x", "t2": "y"}, synchronous=sync_call(False))
    mlflow.set_tag("t3", "z", synchronous=True)
    mlflow.log_param("p3", "last", synchronous=sync_call(False))
    mlflow.end_run()  # operations on a run apply in order: the pending ones land first
    return run_id


def client_worker(t):
    client = mlflow.MlflowClient()
    barrier.wait()
    run = client.create_run(exp_id, run_name=f"p{proc_no}-t{t}", tags={"worker": f"{proc_no}-{t}"})
    run_id = run.info.run_id
    client.log_param(run_id, "p0", t)
    client.log_param(run_id, "p1", "client", synchronous=sync_call(False))
    client.log_param(run_id, "p2", proc_no, synchronous=sync_call(False))
    base = base_value(t)
    now = int(time.time() * 1000)
    for i in range(n):
        client.log_metric(run_id, "m", base + i, step=i, synchronous=sync_call(i % 10 == 0))
        if i % 100 == 0:
            client.log_batch(
                run_id,
                metrics=[Metric("a", base + i, now, i), Metric("b", base + i, now, i)],
                synchronous=sync_call(False),
            )
    client.log_batch(
        run_id,
        params=[Param("p3", "last")],
        tags=[RunTag("t1", "x"), RunTag("t2", "y")],
        synchronous=sync_call(False),
    )
    client.set_tag(run_id, "t3", "z", synchronous=sync_call(False))
    mlflow.flush_async_logging()
    client.set_terminated(run_id)
    return run_id


def target(t):
    try:
        fn = fluent_worker if t % 2 == 0 else client_worker
        run_id = fn(t)
        with lock:
            results.append({"thread": t, "run_id": run_id})
    except BaseException:
        with lock:
            errors.append(traceback.format_exc())
        barrier.abort()


emit({"ready": proc_no})
deadline = time.monotonic() + 120
while not os.path.exists(go_file):
    if time.monotonic() > deadline:
        sys.exit("no go signal")
    time.sleep(0.005)

threads = [threading.Thread(target=target, args=(t,)) for t in range(n_threads)]
for th in threads:
    th.start()
for th in threads:
    th.join()
mlflow.flush_async_logging()
emit({"proc": proc_no, "runs": results, "errors": errors})
if errors:
    for e in errors:
        sys.stderr.write(e)
    sys.exit(1)
"""


def _launch_workers(tmp_path, n_procs, n_threads, n, exp_id):
    script = write_script(tmp_path, "worker.py", WORKER_CHILD)
    go_file = tmp_path / "go"
    procs = []
    for p in range(n_procs):
        out = open(tmp_path / f"out{p}.txt", "w+")
        err = open(tmp_path / f"err{p}.txt", "w+")
        procs.append(
            (
                subprocess.Popen(
                    [sys.executable, str(script), str(p), str(n_threads), str(n), exp_id, str(go_file)],
                    cwd=tmp_path,
                    env=child_env(tmp_path),
                    stdout=out,
                    stderr=err,
                ),
                out,
                err,
            )
        )
    # start all workers at once, once every interpreter has imported the library
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            ready = sum(
                '"ready"' in (tmp_path / f"out{p}.txt").read_text() for p in range(n_procs)
            )
            if ready == n_procs or any(pr.poll() is not None for pr, _, _ in procs):
                break
            time.sleep(0.02)
        go_file.write_text("go")
        outputs = []
        for pr, out, err in procs:
            rc = pr.wait(timeout=180)
            out.seek(0)
            err.seek(0)
            outputs.append((rc, out.read(), err.read()))
    finally:
        for pr, out, err in procs:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
            out.close()
            err.close()
    return outputs


def test_processes_and_threads_log_to_one_database(tmp_path):
    n_procs, n_threads = 4, 4
    n = scaled(2_000, 60)
    setup = subprocess.run(
        [sys.executable, str(write_script(tmp_path, "setup.py", SETUP_CHILD))],
        cwd=tmp_path,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert setup.returncode == 0, describe(setup.returncode, setup.stdout, setup.stderr)
    exp_id = records(setup.stdout)[0]["experiment_id"]

    outputs = _launch_workers(tmp_path, n_procs, n_threads, n, exp_id)

    for rc, out, err in outputs:
        assert "database is locked" not in out + err, describe(rc, out, err)
        assert rc == 0, describe(rc, out, err)
        assert not unexpected_stderr(err), describe(rc, out, err)
    reported = {}
    for p, (rc, out, err) in enumerate(outputs):
        (summary,) = [r for r in records(out) if "runs" in r]
        assert summary["errors"] == []
        assert len(summary["runs"]) == n_threads
        for r in summary["runs"]:
            reported[(p, r["thread"])] = r["run_id"]
    assert len(set(reported.values())) == n_procs * n_threads

    runs = db_query(
        tmp_path,
        "SELECT r.run_uuid, r.status, r.end_time, t.value FROM runs r "
        "JOIN tags t ON t.run_uuid = r.run_uuid AND t.key = 'worker' WHERE r.experiment_id = ?",
        (int(exp_id),),
    )
    assert len(runs) == n_procs * n_threads
    by_worker = {w: (rid, status, end) for rid, status, end, w in runs}
    n_batches = len(range(0, n, 100))
    for (p, t), run_id in reported.items():
        rid, status, end_time = by_worker[f"{p}-{t}"]
        assert rid == run_id
        assert status == "FINISHED" and end_time is not None, (p, t, status)
        base = p * 1_000_000 + t * 100_000
        for key, expected in (("m", n), ("a", n_batches), ("b", n_batches)):
            count, distinct, lo, hi = db_query(
                tmp_path,
                "SELECT COUNT(*), COUNT(DISTINCT step), MIN(value), MAX(value) "
                "FROM metrics WHERE run_uuid = ? AND key = ?",
                (run_id, key),
            )[0]
            assert (count, distinct) == (expected, expected), (p, t, key, count, distinct)
            assert lo == base and hi == base + (n - 1 if key == "m" else (n_batches - 1) * 100), (
                p, t, key, lo, hi,
            )
        params = dict(db_query(tmp_path, "SELECT key, value FROM params WHERE run_uuid = ?", (run_id,)))
        assert params == {
            "p0": str(t),
            "p1": "fluent" if t % 2 == 0 else "client",
            "p2": str(p),
            "p3": "last",
        }, (p, t, params)
        tags = dict(db_query(tmp_path, "SELECT key, value FROM tags WHERE run_uuid = ?", (run_id,)))
        assert {k: tags.get(k) for k in ("t1", "t2", "t3")} == {"t1": "x", "t2": "y", "t3": "z"}
        assert tags.get("mlflow.runName") == f"p{p}-t{t}"

    total_metrics = db_query(tmp_path, "SELECT COUNT(*) FROM metrics")[0][0]
    assert total_metrics == n_procs * n_threads * (n + 2 * n_batches)
    assert db_query(tmp_path, "SELECT COUNT(*) FROM params")[0][0] == n_procs * n_threads * 4


FRESH_CHILD = """
go_file = sys.argv[1]
proc_no = int(sys.argv[2])
emit({"ready": proc_no})
while not os.path.exists(go_file):
    time.sleep(0.002)
mlflow.set_tracking_uri(URI)
with mlflow.start_run(run_name=f"fresh-{proc_no}") as run:
    for i in range(200):
        mlflow.log_metric("m", i, step=i, synchronous=(i % 50 == 0))
emit({"run_id": run.info.run_id})
"""


@pytest.mark.xfail(
    IS_MLFLOW,
    strict=False,
    reason="real mlflow 3.17.2 races creating the schema of a new database from several processes",
)
def test_processes_create_a_new_database_at_once(tmp_path):
    """Four processes start at the same instant against a database that does not exist
    yet (e.g. distributed workers launched together): all of them log, no error."""
    script = write_script(tmp_path, "fresh.py", FRESH_CHILD)
    go_file = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(go_file), str(p)],
            cwd=tmp_path,
            env=child_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(4)
    ]
    try:
        # the children signal readiness on stdout; reading one line each is enough
        for pr in procs:
            pr.stdout.readline()
        go_file.write_text("go")
        outputs = [(pr.wait(timeout=120), pr.stdout.read(), pr.stderr.read()) for pr in procs]
    finally:
        for pr in procs:
            if pr.poll() is None:
                pr.kill()
                pr.wait()
    for rc, out, err in outputs:
        assert rc == 0, describe(rc, out, err)
        assert "database is locked" not in out + err, describe(rc, out, err)
        assert not unexpected_stderr(err), describe(rc, out, err)
    run_ids = [records(out)[0]["run_id"] for _, out, _ in outputs]
    for run_id in run_ids:
        assert db_query(
            tmp_path, "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND key = 'm'", (run_id,)
        )[0][0] == 200
        assert db_query(tmp_path, "SELECT status FROM runs WHERE run_uuid = ?", (run_id,)) == [
            ("FINISHED",)
        ]
    assert db_query(tmp_path, "SELECT COUNT(*) FROM runs")[0][0] == 4


# --------------------------------------------------------------------------- threads in one process

THREADS_CHILD = """
n_threads = int(sys.argv[1])
n = int(sys.argv[2])
mlflow.set_tracking_uri(URI)
barrier = threading.Barrier(n_threads)
lock = threading.Lock()
results, errors = [], []
main_seen = []


def worker(t):
    try:
        assert mlflow.active_run() is None, "a new thread starts without an active run"
        barrier.wait()
        with mlflow.start_run(run_name=f"thread-{t}") as run:
            run_id = run.info.run_id
            barrier.wait()  # every thread has its run active at the same time
            mlflow.log_param("thread", t)
            mlflow.set_tag("thread", str(t))
            mismatches = 0
            for i in range(n):
                mlflow.log_metric("m", t * 1_000_000 + i, step=i, synchronous=sync_call(i % 7 == 0))
                if i % 100 == 0:
                    active = mlflow.active_run()
                    if active is None or active.info.run_id != run_id:
                        mismatches += 1
            with mlflow.start_run(nested=True, run_name=f"thread-{t}-child") as child:
                child_id = child.info.run_id
                mlflow.log_metric("child_m", t, synchronous=sync_call(False))
                nested_active = mlflow.active_run().info.run_id
            after_nested = mlflow.active_run().info.run_id
        after_end = mlflow.active_run()
        with lock:
            results.append({
                "thread": t, "run_id": run_id, "child_id": child_id,
                "mismatches": mismatches, "nested_active": nested_active,
                "after_nested": after_nested,
                "after_end": after_end.info.run_id if after_end else None,
            })
    except BaseException:
        with lock:
            errors.append(traceback.format_exc())
        barrier.abort()


threads = [threading.Thread(target=worker, args=(t,)) for t in range(n_threads)]
for th in threads:
    th.start()
for th in threads:
    th.join()
main_active = mlflow.active_run()
mlflow.flush_async_logging()
emit({"results": results, "errors": errors,
      "main_active": main_active.info.run_id if main_active else None})
if errors:
    sys.stderr.write("".join(errors))
    sys.exit(1)
"""


def test_threads_have_their_own_active_runs(tmp_path):
    n_threads = 8
    n = scaled(3_000, 60)
    script = write_script(tmp_path, "threads.py", THREADS_CHILD)
    proc = subprocess.run(
        [sys.executable, str(script), str(n_threads), str(n)],
        cwd=tmp_path,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
    )
    info = describe(proc.returncode, proc.stdout, proc.stderr)
    assert proc.returncode == 0, info
    assert "database is locked" not in proc.stdout + proc.stderr, info
    assert not unexpected_stderr(proc.stderr), info
    (summary,) = records(proc.stdout)
    assert summary["errors"] == []
    assert summary["main_active"] is None, "threads' runs leaked into the main thread"
    results = sorted(summary["results"], key=lambda r: r["thread"])
    assert [r["thread"] for r in results] == list(range(n_threads))
    assert len({r["run_id"] for r in results}) == n_threads

    for r in results:
        t, run_id, child_id = r["thread"], r["run_id"], r["child_id"]
        assert r["mismatches"] == 0, r
        assert r["nested_active"] == child_id, r
        assert r["after_nested"] == run_id, r
        assert r["after_end"] is None, r
        count, distinct, lo, hi = db_query(
            tmp_path,
            "SELECT COUNT(*), COUNT(DISTINCT step), MIN(value), MAX(value) "
            "FROM metrics WHERE run_uuid = ? AND key = 'm'",
            (run_id,),
        )[0]
        assert (count, distinct) == (n, n), (t, count, distinct)
        assert (lo, hi) == (t * 1_000_000, t * 1_000_000 + n - 1), (t, lo, hi)
        assert db_query(
            tmp_path, "SELECT COUNT(*) FROM metrics WHERE run_uuid = ? AND key != 'm'", (run_id,)
        )[0][0] == 0
        assert db_query(
            tmp_path, "SELECT value FROM params WHERE run_uuid = ? AND key = 'thread'", (run_id,)
        ) == [(str(t),)]
        assert db_query(
            tmp_path, "SELECT value FROM tags WHERE run_uuid = ? AND key = 'thread'", (run_id,)
        ) == [(str(t),)]
        assert db_query(
            tmp_path,
            "SELECT key, value FROM metrics WHERE run_uuid = ?",
            (child_id,),
        ) == [("child_m", float(t))]
        assert db_query(
            tmp_path,
            "SELECT value FROM tags WHERE run_uuid = ? AND key = 'mlflow.parentRunId'",
            (child_id,),
        ) == [(run_id,)]
        for rid in (run_id, child_id):
            assert db_query(tmp_path, "SELECT status FROM runs WHERE run_uuid = ?", (rid,)) == [
                ("FINISHED",)
            ]
    assert db_query(tmp_path, "SELECT COUNT(*) FROM runs")[0][0] == 2 * n_threads
    assert db_query(tmp_path, "SELECT COUNT(*) FROM metrics")[0][0] == n_threads * (n + 1)
