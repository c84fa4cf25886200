#!/usr/bin/env python3
"""Side-by-side benchmarks: real mlflow 3.17.2 vs aiomlflow vs raw baselines.

Usage:
    python benchmarks/run.py                    # full suite (about 3 minutes)
    python benchmarks/run.py --quick            # smoke run (about 30 seconds)
    python benchmarks/run.py --only log_metric_sync import
    python benchmarks/run.py --n log_metric_sync=20000 --n-mlflow 100
    python benchmarks/run.py --libs aiomlflow,baseline   # skip real mlflow
    python benchmarks/run.py --json results.json

Every (case, library) pair runs in a fresh subprocess, in a fresh temporary working
directory, with the default tracking URI (``sqlite:///mlflow.db`` in that directory)
and every ``MLFLOW_*`` environment variable removed.  Shared machines are noisy, so
the figures that matter are the ratios measured in the same run, not the absolute
numbers.

Real mlflow's database-creation step (alembic migrations, ~1.5 s) is not part of any
measurement, so by default mlflow's working directory receives a copy of an empty
store that mlflow itself created once at the start of the run (``--no-template`` makes
every mlflow process create its own).  aiomlflow always creates its own database.

The script is also its own worker: ``run.py --child CASE --lib LIB ...`` runs one
measurement and writes a JSON result; that mode is internal.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
THIS_FILE = os.path.abspath(__file__)

LIBS = ("mlflow", "aiomlflow", "baseline")

# ---------------------------------------------------------------------------
# Case registry.
#   counts: lib -> (full, quick); None = the library does not run this case.
#   target: (kind, op, threshold, text)
#     kind "base"   -> compare aiomlflow with the baseline
#          "mlflow" -> compare aiomlflow with mlflow
#          "abs"    -> compare aiomlflow's own figure with the threshold
# ---------------------------------------------------------------------------
CASES: dict[str, dict] = {
    "log_metric_async_enqueue": dict(
        title="log_metric(synchronous=False), enqueue only",
        unit="calls/s",
        higher=True,
        counts={"mlflow": (300, 60), "aiomlflow": (100_000, 50_000), "baseline": (100_000, 50_000)},
        baseline="bare validate+append loop in Python",
        target=("base", ">=", 0.5, ">= 50% of baseline"),
    ),
    "log_metric_async_flushed": dict(
        title="log_metric(synchronous=False) until flush_async_logging() returns",
        unit="calls/s",
        higher=True,
        counts={"mlflow": (300, 60), "aiomlflow": (100_000, 50_000), "baseline": (100_000, 50_000)},
        baseline="sqlite3 executemany into MLflow's metrics table, one transaction",
        target=("base", ">=", 0.7, ">= 70% of baseline"),
    ),
    "log_metric_sync": dict(
        title="log_metric, synchronous",
        unit="calls/s",
        higher=True,
        counts={"mlflow": (300, 60), "aiomlflow": (5_000, 2_000), "baseline": (5_000, 2_000)},
        baseline="sqlite3 single-row INSERT + COMMIT, WAL, synchronous=NORMAL (informational)",
        target=("mlflow", ">=", 25.0, ">= 25x mlflow"),
    ),
    "log_metric_sync_full": dict(
        title="log_metric, synchronous, power-loss durable (AIOMLFLOW_SQLITE_SYNCHRONOUS=full)",
        unit="calls/s",
        higher=True,
        counts={"mlflow": (300, 60), "aiomlflow": (3_000, 1_000), "baseline": (3_000, 1_000)},
        baseline="sqlite3 single-row INSERT + COMMIT, WAL, synchronous=FULL (informational)",
        target=("mlflow", "info", None, "informational: mlflow's store syncs every commit too"),
    ),
    "log_param": dict(
        title='log_param(f"p{i}", i)',
        unit="calls/s",
        higher=True,
        counts={"mlflow": (300, 60), "aiomlflow": (5_000, 2_000), "baseline": None},
        baseline=None,
        target=("mlflow", ">=", 25.0, ">= 25x mlflow"),
    ),
    "log_metrics_100": dict(
        title="log_metrics of a 100-key dict",
        unit="metrics/s",
        higher=True,
        counts={"mlflow": (20, 5), "aiomlflow": (500, 200), "baseline": None},
        baseline=None,
        target=("mlflow", "info", None, "informational"),
    ),
    "client_log_batch_1000": dict(
        title="MlflowClient.log_batch of 1,000 Metric entities, synchronous=False, "
              "enqueue only",
        unit="metrics/s",
        higher=True,
        counts={"mlflow": (20, 5), "aiomlflow": (300, 100), "baseline": None},
        baseline=None,
        target=("mlflow", "info", None, "informational"),
    ),
    "import": dict(
        title='python -c "import <lib>" wall time, median',
        unit="ms",
        higher=False,
        counts={"mlflow": (5, 2), "aiomlflow": (5, 3), "baseline": (5, 3)},
        baseline='python -c "pass"',
        target=("mlflow", "<=", 0.1, "<= 1/10 of mlflow"),
    ),
    "start_end_run": dict(
        title="start_run() + end_run() pair, median",
        unit="ms",
        higher=False,
        counts={"mlflow": (10, 5), "aiomlflow": (50, 20), "baseline": None},
        baseline=None,
        target=("mlflow", "<=", 0.1, "<= 1/10 of mlflow"),
    ),
    "memory_10m": dict(
        title="peak RSS increase over idle for N async log_metric calls + flush",
        unit="MB",
        higher=False,
        counts={"mlflow": (300, None), "aiomlflow": (10_000_000, 1_000_000), "baseline": None},
        baseline=None,
        target=("abs", "<=", 100.0, "<= 100 MB (aiomlflow)"),
        compare_mlflow=False,  # mlflow runs a far smaller count: no meaningful ratio
    ),
}

# Which rows the parent counts in the child's mlflow.db afterwards (sanity check that
# everything that was timed really landed): (table, where, multiplier of n).
ROW_CHECKS = {
    "log_metric_async_enqueue": ("metrics", "key GLOB 'loss[0-9]'", 3),
    "log_metric_async_flushed": ("metrics", "key GLOB 'loss[0-9]'", 3),
    "log_metric_sync": ("metrics", "key = 'loss'", 1),
    "log_metric_sync_full": ("metrics", "key = 'loss'", 1),
    "log_param": ("params", "key GLOB 'p[0-9]*'", 1),
    "log_metrics_100": ("metrics", "key GLOB 'm[0-9]*'", 100),
    "client_log_batch_1000": ("metrics", "key GLOB 'b[0-9]*'", 1000),
    "memory_10m": ("metrics", "key = 'loss'", 1),
}


# ===========================================================================
# Child side: one measurement per process.
# ===========================================================================

def _rss_kb() -> int:
    """Current resident set size in kB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak_kb() -> int:
    """Peak RSS (VmHWM) in kB since the last reset, or the process lifetime peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0). Returns False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _warm(n: int) -> int:
    return max(5, min(2_000, n // 20))


def child_lib(case: str, lib: str, n: int) -> dict:
    import importlib

    if case == "log_metric_sync_full":
        os.environ["AIOMLFLOW_SQLITE_SYNCHRONOUS"] = "full"  # mlflow ignores it
    mlflow = importlib.import_module(lib)
    perf = time.perf_counter

    if case == "start_end_run":
        start_run, end_run = mlflow.start_run, mlflow.end_run
        start_run()
        end_run()  # warm-up pair
        pairs, starts = [], []
        for _ in range(n):
            t0 = perf()
            start_run()
            t1 = perf()
            end_run()
            t2 = perf()
            pairs.append(t2 - t0)
            starts.append(t1 - t0)
        return dict(
            value=statistics.median(pairs) * 1e3,
            n=n,
            start_run_ms=statistics.median(starts) * 1e3,
            min_ms=min(pairs) * 1e3,
            max_ms=max(pairs) * 1e3,
        )

    run = mlflow.start_run()
    run_id = run.info.run_id
    log_metric = mlflow.log_metric
    flush = mlflow.flush_async_logging
    out: dict = dict(n=n, run_id=run_id)

    if case in ("log_metric_async_enqueue", "log_metric_async_flushed"):
        for i in range(_warm(n)):
            log_metric("warmup", float(i), step=i, synchronous=False)
        flush()
        enqueue, flushed = [], []
        for key in ASYNC_ROUND_KEYS:  # the median of three rounds, as for the baselines
            t0 = perf()
            for i in range(n):
                log_metric(key, float(i), step=i, synchronous=False)
            t1 = perf()
            flush()
            t2 = perf()
            enqueue.append(t1 - t0)
            flushed.append(t2 - t0)
        out.update(enqueue_per_s=n / statistics.median(enqueue),
                   flushed_per_s=n / statistics.median(flushed),
                   enqueue_s=statistics.median(enqueue), flushed_s=statistics.median(flushed),
                   enqueue_rounds_per_s=[round(n / r) for r in enqueue],
                   flushed_rounds_per_s=[round(n / r) for r in flushed])
        _pick_async(case, out)

    elif case in ("log_metric_sync", "log_metric_sync_full"):
        for i in range(5):
            log_metric("warmup", float(i), step=i)
        t0 = perf()
        for i in range(n):
            log_metric("loss", float(i), step=i)
        dt = perf() - t0
        out["value"], out["seconds"] = n / dt, dt

    elif case == "log_param":
        log_param = mlflow.log_param
        log_param("warmup", 1)
        t0 = perf()
        for i in range(n):
            log_param(f"p{i}", i)
        dt = perf() - t0
        out["value"], out["seconds"] = n / dt, dt

    elif case == "log_metrics_100":
        log_metrics = mlflow.log_metrics
        keys = [f"m{k}" for k in range(100)]
        batches = [{k: float(i) + j * 1e-3 for j, k in enumerate(keys)} for i in range(n)]
        log_metrics({"warmup": 1.0}, step=0)
        t0 = perf()
        for i, d in enumerate(batches):
            log_metrics(d, step=i)
        dt = perf() - t0
        out["value"], out["seconds"] = n * 100 / dt, dt

    elif case == "client_log_batch_1000":
        Metric = mlflow.entities.Metric
        client = mlflow.MlflowClient()
        keys = [f"b{k}" for k in range(1000)]
        stamp = int(time.time() * 1000)
        batches = [[Metric(k, float(i) + j * 1e-3, stamp, i) for j, k in enumerate(keys)]
                   for i in range(n)]
        client.log_batch(run_id, [Metric("warmup", 1.0, stamp, 0)], synchronous=False)
        flush()
        t0 = perf()
        for batch in batches:
            client.log_batch(run_id, batch, synchronous=False)
        dt = perf() - t0
        flush()
        out["value"], out["seconds"] = n * 1000 / dt, dt

    elif case == "memory_10m":
        import gc

        for i in range(_warm(n)):
            log_metric("warmup", float(i), step=i, synchronous=False)
        flush()
        gc.collect()
        idle = _rss_kb()
        exact = _reset_peak()
        if not exact:
            idle = _peak_kb()  # conservative: lifetime peak so far
        t0 = perf()
        for i in range(n):
            log_metric("loss", float(i), step=i, synchronous=False)
        t1 = perf()
        flush()
        t2 = perf()
        peak = _peak_kb()
        out.update(
            value=max(0, peak - idle) / 1024.0,
            idle_rss_mb=idle / 1024.0,
            peak_rss_mb=peak / 1024.0,
            peak_is_exact=exact,
            enqueue_per_s=n / (t1 - t0),
            flushed_per_s=n / (t2 - t0),
            seconds=t2 - t0,
        )
    else:
        raise SystemExit(f"unknown case {case!r}")

    mlflow.end_run()
    return out


ASYNC_CASES = ("log_metric_async_enqueue", "log_metric_async_flushed")
# Each async round logs its own key, so rows of different rounds never collide.
ASYNC_ROUND_KEYS = ("loss1", "loss2", "loss3")


def _pick_async(case: str, out: dict) -> dict:
    """The two async cases are one experiment seen at two moments."""
    if case == "log_metric_async_enqueue":
        out["value"], out["seconds"] = out["enqueue_per_s"], out["enqueue_s"]
    else:
        out["value"], out["seconds"] = out["flushed_per_s"], out["flushed_s"]
    return out


def child_baseline(case: str, n: int, run_id: str) -> dict:
    perf = time.perf_counter
    if case == "log_metric_async_enqueue":
        key_re = re.compile(r"^[/\w.\- :]*$")
        now = time.time
        rounds = []
        for _ in range(3):  # the median of three rounds, as for the libraries
            buf: list = []
            append = buf.append
            t0 = perf()
            for i in range(n):
                key, value, step = "loss", float(i), i
                if not isinstance(key, str) or key_re.match(key) is None:
                    raise ValueError(key)
                v = float(value)
                ts = int(now() * 1000)
                append((key, v, ts, step))
            rounds.append(perf() - t0)
            assert len(buf) == n
            del buf, append
        dt = statistics.median(rounds)
        return dict(value=n / dt, seconds=dt, n=n, rounds_per_s=[round(n / r) for r in rounds])

    if case in ("log_metric_async_flushed", "log_metric_sync", "log_metric_sync_full"):
        # mlflow.db in cwd is a copy of an empty MLflow 3.17.2 store (same schema,
        # same indexes, same journal mode).  SQLite does not enforce the run_uuid
        # foreign key unless asked to, so no runs row is needed.
        conn = sqlite3.connect("mlflow.db", isolation_level=None)
        if case != "log_metric_async_flushed":
            # the per-commit ceiling of a WAL store (what aiomlflow uses); in MLflow's
            # own rollback-journal mode every commit is an fsync and ~20x slower
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=" + ("FULL" if case.endswith("_full") else "NORMAL"))
        sql = "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)"
        now = time.time
        if case == "log_metric_async_flushed":
            rounds = []
            for key in ASYNC_ROUND_KEYS:
                t0 = perf()
                conn.execute("BEGIN")
                conn.executemany(
                    sql, ((key, float(i), int(now() * 1000), run_id, i, 0) for i in range(n))
                )
                conn.execute("COMMIT")
                rounds.append(perf() - t0)
            dt = statistics.median(rounds)
            n_rows = n * len(ASYNC_ROUND_KEYS)
        else:
            t0 = perf()
            for i in range(n):
                conn.execute("BEGIN")
                conn.execute(sql, ("loss", float(i), int(now() * 1000), run_id, i, 0))
                conn.execute("COMMIT")
            dt = perf() - t0
            n_rows = n
        rows = conn.execute("SELECT count(*) FROM metrics WHERE key GLOB 'loss*'").fetchone()[0]
        conn.close()
        assert rows == n_rows, (rows, n_rows)
        return dict(value=n / dt, seconds=dt, n=n)

    raise SystemExit(f"no baseline for {case!r}")


def child_main(args) -> int:
    try:
        if args.lib == "baseline":
            res = child_baseline(args.child, args.count, args.run_id)
        else:
            res = child_lib(args.child, args.lib, args.count)
        code = 0
    except BaseException as e:  # report anything, including SystemExit from the lib
        import traceback

        traceback.print_exc()
        res = dict(error=f"{type(e).__name__}: {e}"[:300])
        code = 1
    with open(args.out, "w") as f:
        json.dump(res, f)
    sys.stdout.flush()
    # Let the library's own exit path (atexit flush, thread joins) run normally.
    return code


# ===========================================================================
# Parent side.
# ===========================================================================

def child_env(lib: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    pp = env.get("PYTHONPATH")
    env["PYTHONPATH"] = REPO_ROOT + (os.pathsep + pp if pp else "")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _last_error_line(text: str) -> str:
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line and not line.startswith("^") and not line.startswith("~"):
            return line[:200]
    return "no output"


class Runner:
    def __init__(self, args):
        self.args = args
        self.python = args.python
        self.template: str | None = None
        self.template_error: str | None = None
        self.template_run_id = "0" * 32
        self.shared_async: dict = {}
        self._tmp_root = tempfile.mkdtemp(prefix="aiomlflow-bench-")

    def cleanup(self):
        if not self.args.keep:
            shutil.rmtree(self._tmp_root, ignore_errors=True)
        else:
            print(f"kept working directories under {self._tmp_root}", file=sys.stderr)

    def fresh_dir(self, tag: str) -> str:
        return tempfile.mkdtemp(prefix=tag + "-", dir=self._tmp_root)

    def drop_dir(self, d: str):
        if not self.args.keep:
            shutil.rmtree(d, ignore_errors=True)

    # -- an empty MLflow 3.17.2 store, created once by real mlflow ------------
    def ensure_template(self) -> str | None:
        if self.template or self.template_error:
            return self.template
        d = self.fresh_dir("template")
        code = (
            "import mlflow\n"
            "from mlflow.tracking import MlflowClient\n"
            "MlflowClient().get_experiment('0')\n"
        )
        for lib, c in (("mlflow", code), ("aiomlflow", code.replace("mlflow", "aiomlflow"))):
            try:
                p = subprocess.run(
                    [self.python, "-c", c], cwd=d, env=child_env(lib),
                    capture_output=True, text=True, timeout=120,
                )
            except subprocess.TimeoutExpired:
                continue
            db = os.path.join(d, "mlflow.db")
            if p.returncode == 0 and os.path.exists(db):
                conn = sqlite3.connect(db)
                try:
                    rev = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                finally:
                    conn.close()
                self.template = db
                self.template_source = f"{lib} (alembic {rev[0] if rev else '?'})"
                return db
            if os.path.exists(db):
                os.remove(db)
        self.template_error = "could not create an MLflow-schema database"
        return None

    def seed_store(self, cwd: str):
        """Copy the empty template store into cwd, pointing experiment 0 at cwd."""
        dst = os.path.join(cwd, "mlflow.db")
        shutil.copyfile(self.template, dst)
        conn = sqlite3.connect(dst)
        try:
            conn.execute(
                "UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0",
                (os.path.join(cwd, "mlruns", "0"),),
            )
            conn.commit()
        finally:
            conn.close()

    # -- one (case, lib) measurement -------------------------------------------
    def run_child(self, case: str, lib: str, n: int) -> dict:
        # log_metric_async_enqueue and _flushed time the same loop (the loop alone, and
        # the loop plus flush_async_logging()); one process serves both when counts agree.
        if case in ASYNC_CASES and lib != "baseline":
            key = (lib, n)
            if key in self.shared_async:
                res = dict(self.shared_async[key])
                if "error" not in res:
                    _pick_async(case, res)
                    res["shared_process"] = True
                return res
            res = self._run_child(case, lib, n)
            self.shared_async[key] = dict(res)
            return res
        return self._run_child(case, lib, n)

    def _run_child(self, case: str, lib: str, n: int) -> dict:
        cwd = self.fresh_dir(f"{case}-{lib}")
        try:
            if lib == "baseline" or (lib == "mlflow" and not self.args.no_template):
                if self.ensure_template():
                    self.seed_store(cwd)
                elif lib == "baseline":
                    return dict(error=self.template_error)
            out = os.path.join(cwd, "_result.json")
            cmd = [self.python, THIS_FILE, "--child", case, "--lib", lib,
                   "--count", str(n), "--out", out, "--run-id", self.template_run_id]
            t0 = time.perf_counter()
            try:
                p = subprocess.run(cmd, cwd=cwd, env=child_env(lib), capture_output=True,
                                   text=True, timeout=self.args.timeout)
            except subprocess.TimeoutExpired:
                if os.path.exists(out):  # measured, then hung on the way out
                    with open(out) as f:
                        res = json.load(f)
                    res.setdefault("error", f"process did not exit within {self.args.timeout:.0f}s "
                                            "after measuring (exit flush hung?)")
                    return res
                return dict(error=f"timeout after {self.args.timeout:.0f}s", n=n)
            wall = time.perf_counter() - t0
            res: dict
            if os.path.exists(out):
                with open(out) as f:
                    res = json.load(f)
            else:
                res = dict(error=f"exit {p.returncode}: {_last_error_line(p.stderr)}")
            if p.returncode != 0 and "error" not in res:
                res["error"] = f"exit {p.returncode}: {_last_error_line(p.stderr)}"
            if "error" in res and self.args.verbose:
                print(_tail(p.stderr, 20), file=sys.stderr)
            res["process_s"] = wall
            res.setdefault("n", n)
            if "error" not in res and lib != "baseline" and case in ROW_CHECKS:
                res.update(self.check_rows(cwd, case, n))
            return res
        finally:
            self.drop_dir(cwd)

    def check_rows(self, cwd: str, case: str, n: int) -> dict:
        table, where, mult = ROW_CHECKS[case]
        db = os.path.join(cwd, "mlflow.db")
        if not os.path.exists(db):
            return dict(rows_error="no mlflow.db in the working directory")
        try:
            conn = sqlite3.connect(db)
            try:
                rows = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
            finally:
                conn.close()
        except sqlite3.Error as e:
            return dict(rows_error=f"{type(e).__name__}: {e}")
        d = dict(rows=rows)
        if rows != n * mult:
            d["rows_error"] = f"{rows} rows in {table}, expected {n * mult}"
        return d

    # -- the import case: plain interpreter processes ----------------------------
    def run_import(self, reps: dict[str, int]) -> dict[str, dict]:
        mods = {"mlflow": "mlflow", "aiomlflow": "aiomlflow", "baseline": None}
        libs = [lib for lib in self.args.libs if reps.get(lib)]
        cwd = self.fresh_dir("import")
        times: dict[str, list] = {lib: [] for lib in libs}
        rss: dict[str, list] = {lib: [] for lib in libs}
        errors: dict[str, str] = {}
        try:
            def once(lib):
                mod = mods[lib]
                code = (f"import {mod}\n" if mod else "") + (
                    "v = 0\n"
                    "try:\n"
                    "    for l in open('/proc/self/status'):\n"
                    "        if l.startswith('VmRSS:'): v = int(l.split()[1])\n"
                    "except OSError:\n"
                    "    import resource; v = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                    "print('RSS', v)\n"
                )
                t0 = time.perf_counter()
                p = subprocess.run([self.python, "-c", code], cwd=cwd, env=child_env(lib),
                                   capture_output=True, text=True, timeout=120)
                dt = time.perf_counter() - t0
                if p.returncode != 0:
                    errors[lib] = f"exit {p.returncode}: {_last_error_line(p.stderr)}"
                    return
                m = re.search(r"^RSS (\d+)$", p.stdout, re.M)
                times[lib].append(dt * 1e3)
                rss[lib].append(int(m.group(1)) / 1024.0 if m else float("nan"))

            if "aiomlflow" in libs:
                # Both sides import from bytecode, as an installed package does (pip
                # compiles at install; mlflow's was).  Without this, with
                # PYTHONDONTWRITEBYTECODE set, every run would time aiomlflow's compiler.
                subprocess.run([self.python, "-m", "compileall", "-q",
                                os.path.join(REPO_ROOT, "aiomlflow")],
                               env=child_env("aiomlflow"), capture_output=True, timeout=300)
            for lib in libs:  # untimed: warm the page cache
                if lib == "mlflow" and self.args.quick:
                    continue  # ~1.3 s saved; mlflow's bytecode is compiled at install
                once(lib)
                times[lib].clear()
                rss[lib].clear()
            for i in range(max(reps.values())):  # interleave to spread the noise
                for lib in libs:
                    if lib not in errors and i < reps[lib]:
                        once(lib)
        finally:
            self.drop_dir(cwd)
        res = {}
        for lib in libs:
            if lib in errors:
                res[lib] = dict(error=errors[lib])
            elif times[lib]:
                res[lib] = dict(value=statistics.median(times[lib]), n=len(times[lib]),
                                rss_mb=statistics.median(rss[lib]),
                                runs_ms=[round(t, 1) for t in times[lib]])
        return res


# ---------------------------------------------------------------------------
# Verdicts and the table.
# ---------------------------------------------------------------------------

def _ok(r: dict | None) -> bool:
    return bool(r) and "error" not in r and r.get("value") is not None


def judge(case: str, res: dict) -> tuple[str, str, dict]:
    """Return (ratios text, verdict, numeric ratios)."""
    spec = CASES[case]
    kind, op, thr, _ = spec["target"]
    a, m, b = res.get("aiomlflow"), res.get("mlflow"), res.get("baseline")
    parts = []
    ratio_vs = {}
    if _ok(a) and _ok(b):
        ratio_vs["base"] = a["value"] / b["value"]
        parts.append(f"aio/base {ratio_vs['base']:.2f}")
    if _ok(a) and _ok(m) and spec.get("compare_mlflow", True):
        r = a["value"] / m["value"] if m["value"] else float("inf")
        ratio_vs["mlflow"] = r
        if spec["higher"]:
            parts.append(f"aio/mlflow {r:,.1f}x")
        else:
            parts.append(f"aio/mlflow {r:.3f}" + (f" (1/{1 / r:,.0f})" if 0 < r < 1 else ""))
    text = "; ".join(parts) or "-"

    if not _ok(a):
        verdict = "ERROR" if a is not None else "skipped"
    elif op == "info":
        verdict = "info"
    else:
        x = a["value"] if kind == "abs" else ratio_vs.get(kind)
        if x is None:
            verdict = "n/a"
        else:
            verdict = "PASS" if (x >= thr if op == ">=" else x <= thr) else "FAIL"
    if _ok(a) and a.get("rows_error"):
        verdict = "FAIL(rows)"
    return text, verdict, {f"aiomlflow_over_{k}": v for k, v in ratio_vs.items()}


def fmt_value(r: dict | None, unit: str) -> str:
    if r is None:
        return "-"
    if "error" in r:
        return "error: " + str(r["error"])[:36]
    v = r.get("value")
    if v is None:
        return "?"
    if unit == "ms":
        s = f"{v:,.1f} ms" if v < 1000 else f"{v / 1000:,.2f} s"
    elif unit == "MB":
        s = f"{v:,.1f} MB"
    else:
        s = f"{v:,.0f}/s"
    return s


def fmt_count(case: str, r: dict | None) -> str:
    if not r or "n" not in r:
        return ""
    word = {"import": "runs", "start_end_run": "pairs"}.get(case, "calls")
    return f"n={r['n']:,} {word}"


def print_table(results: dict, file=sys.stdout):
    headers = ["case", "mlflow", "aiomlflow", "baseline", "ratio(s)", "target", "result"]
    rows = []
    for case, res in results.items():
        spec = CASES[case]
        ratios, verdict, _ = res["_judge"]
        rows.append([case,
                     fmt_value(res.get("mlflow"), spec["unit"]),
                     fmt_value(res.get("aiomlflow"), spec["unit"]),
                     fmt_value(res.get("baseline"), spec["unit"]),
                     ratios, spec["target"][3], verdict])
        counts = [fmt_count(case, res.get(lib)) for lib in LIBS]
        rows.append(["", *counts, "", "", ""])
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line, file=file)
    print("-" * len(line), file=file)
    for r in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip(), file=file)


def print_notes(results: dict, file=sys.stdout):
    notes = []
    for case, res in results.items():
        spec = CASES[case]
        if spec.get("baseline") and res.get("baseline") is not None:
            notes.append(f"{case}: baseline = {spec['baseline']}")
        for lib in ("mlflow", "aiomlflow", "baseline"):
            r = res.get(lib)
            if r is not None and "error" in r:
                notes.append(f"{case} [{lib}]: ERROR {r['error']}")
            if not _ok(r) or lib == "baseline":
                continue
            if r.get("rows_error"):
                notes.append(f"{case} [{lib}]: ROW CHECK FAILED: {r['rows_error']}")
            if case == "import":
                notes.append(f"import [{lib}]: RSS after import {r['rss_mb']:.0f} MB; runs {r['runs_ms']} ms")
            if case == "start_end_run":
                notes.append(f"start_end_run [{lib}]: start_run alone {r['start_run_ms']:.1f} ms (median)")
            if case in ASYNC_CASES:
                if r.get("shared_process"):
                    notes.append(f"{case} [{lib}]: same process as the other async case")
                else:
                    notes.append(f"{case} [{lib}]: {r['n']:,} calls: loop {r['enqueue_s']:.3f} s "
                                 f"({r['enqueue_per_s']:,.0f}/s), until flushed {r['flushed_s']:.3f} s "
                                 f"({r['flushed_per_s']:,.0f}/s)")
            if case == "memory_10m":
                notes.append(
                    f"memory_10m [{lib}]: {r['n']:,} calls, idle RSS {r['idle_rss_mb']:.0f} MB, "
                    f"peak {r['peak_rss_mb']:.0f} MB ({'VmHWM reset' if r['peak_is_exact'] else 'lifetime peak'}), "
                    f"enqueue {r['enqueue_per_s']:,.0f}/s, until flushed {r['flushed_per_s']:,.0f}/s"
                    + ("  (informational: mlflow is too slow for 10M calls)" if lib == "mlflow" else ""))
        r = res.get("baseline")
        if case == "import" and _ok(r):
            notes.append(f"import [bare python]: RSS {r['rss_mb']:.0f} MB")
        if case == "import":
            notes.append("import: both libraries load compiled bytecode (aiomlflow is "
                         "byte-compiled before the runs, as pip does at install)")
    if notes:
        print("\nnotes:", file=file)
        for n in notes:
            print("  " + n, file=file)


# ---------------------------------------------------------------------------

def parse_counts(items: list[str], selected: list[str], flag: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items or []:
        if "=" in item:
            case, _, num = item.partition("=")
            if case not in CASES:
                raise SystemExit(f"{flag}: unknown case {case!r}")
            out[case] = int(float(num))
        else:
            for case in selected:
                out[case] = int(float(item))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="cases: " + ", ".join(CASES))
    ap.add_argument("--quick", action="store_true", help="small counts: a ~30 s smoke run")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these cases")
    ap.add_argument("--libs", default="mlflow,aiomlflow,baseline",
                    help="comma-separated subset of mlflow,aiomlflow,baseline")
    ap.add_argument("--n", action="append", metavar="[CASE=]N",
                    help="count for aiomlflow and the baseline (calls, pairs or runs); "
                         "without CASE= it applies to every selected case; repeatable")
    ap.add_argument("--n-mlflow", action="append", metavar="[CASE=]N",
                    help="count for real mlflow, same syntax as --n")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter for the subprocesses (must have mlflow and aiomlflow)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="per-subprocess timeout, s (default 600, 120 with --quick)")
    ap.add_argument("--no-template", action="store_true",
                    help="let every mlflow process create its own database")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    ap.add_argument("-v", "--verbose", action="store_true", help="print subprocess stderr on errors")
    # internal: child mode
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--lib", help=argparse.SUPPRESS)
    ap.add_argument("--count", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--run-id", default="0" * 32, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        return child_main(args)
    if args.timeout is None:
        args.timeout = 120.0 if args.quick else 600.0

    selected = args.only or list(CASES)
    for c in selected:
        if c not in CASES:
            ap.error(f"unknown case {c!r}; choose from: {', '.join(CASES)}")
    args.libs = [x.strip() for x in args.libs.split(",") if x.strip()]
    for lib in args.libs:
        if lib not in LIBS:
            ap.error(f"unknown lib {lib!r}")
    n_aio = parse_counts(args.n, selected, "--n")
    n_ml = parse_counts(args.n_mlflow, selected, "--n-mlflow")

    def count(case, lib):
        spec = CASES[case]["counts"].get(lib)
        if spec is None or lib not in args.libs:
            return None
        if lib == "mlflow" and case in n_ml:
            return n_ml[case]
        if lib != "mlflow" and case in n_aio:
            return n_aio[case]
        return spec[1] if args.quick else spec[0]

    versions = subprocess.run(
        [args.python, "-c",
         "import sys, importlib.metadata as m\n"
         "def v(p):\n"
         "    try: return m.version(p)\n"
         "    except Exception: return None\n"
         "print(sys.version.split()[0], v('mlflow'), v('aiomlflow'), sqlite_v())\n"
         .replace("sqlite_v()", "__import__('sqlite3').sqlite_version")],
        capture_output=True, text=True).stdout.split()
    meta = dict(
        python=versions[0] if versions else None,
        mlflow=versions[1] if len(versions) > 1 else None,
        aiomlflow=versions[2] if len(versions) > 2 else None,
        sqlite=versions[3] if len(versions) > 3 else None,
        cpus=os.cpu_count(), platform=platform.platform(), quick=args.quick,
        started=time.strftime("%Y-%m-%d %H:%M:%S"),
    )
    print(f"# aiomlflow benchmarks  python {meta['python']}  mlflow {meta['mlflow']}  "
          f"aiomlflow {meta['aiomlflow']}  sqlite {meta['sqlite']}  cpus {meta['cpus']}"
          f"{'  (quick)' if args.quick else ''}", file=sys.stderr)

    runner = Runner(args)
    results: dict[str, dict] = {}
    t_start = time.perf_counter()
    try:
        for case in selected:
            spec = CASES[case]
            res: dict = {}
            if case == "import":
                reps = {lib: count(case, lib) for lib in LIBS if count(case, lib)}
                print(f"[{case}] {reps}", file=sys.stderr, flush=True)
                res.update(runner.run_import(reps))
            else:
                for lib in LIBS:
                    n = count(case, lib)
                    if not n:
                        continue
                    print(f"[{case}] {lib} n={n:,} ...", end=" ", file=sys.stderr, flush=True)
                    r = runner.run_child(case, lib, n)
                    res[lib] = r
                    print(fmt_value(r, spec["unit"]) + f"  ({r.get('process_s', 0):.1f}s)",
                          file=sys.stderr, flush=True)
            res["_judge"] = judge(case, res)
            results[case] = res
    except KeyboardInterrupt:
        print("\ninterrupted; partial results:", file=sys.stderr)
    finally:
        runner.cleanup()
    meta["elapsed_s"] = round(time.perf_counter() - t_start, 1)
    if runner.template:
        meta["mlflow_store_template"] = (
            "none" if args.no_template else getattr(runner, "template_source", "?"))

    print()
    print_table(results)
    print_notes(results)
    print(f"\ntotal {meta['elapsed_s']} s.  Ratios are measured in this run; absolute "
          f"figures on a shared machine are noisy.")

    if args.json:
        payload = dict(meta=meta, cases={})
        for case, res in results.items():
            ratios, verdict, numeric = res["_judge"]
            payload["cases"][case] = dict(
                title=CASES[case]["title"], unit=CASES[case]["unit"],
                baseline_desc=CASES[case].get("baseline"),
                target=CASES[case]["target"][3], ratios=ratios, verdict=verdict, **numeric,
                **{lib: res[lib] for lib in LIBS if lib in res})
        with open(args.json, "w") as f:
            json.dump(payload, f, indent=2, default=str)
        print(f"wrote {args.json}", file=sys.stderr)

    verdicts = [r["_judge"][1] for r in results.values()]
    return 1 if any(v.startswith("FAIL") or v == "ERROR" for v in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
