#!/usr/bin/env python3
"""Search benchmarks: real mlflow 3.17.2 vs aiomlflow on the same SQLite store.

Usage:
    python benchmarks/search.py            # 20,000 runs, 1,000,000-point history
    python benchmarks/search.py --quick    # 2,000 runs, 100,000-point history
    python benchmarks/search.py --only dataframe filter --json out.json

The store holds runs with 10 params, 10 metrics and 2 tags each (plus one run with a
long metric history), written once with SQL straight into MLflow's schema, so building
it takes seconds.  Each (case, library) pair runs in a fresh subprocess that imports
the library, makes small warm-up searches (engine, connection, schema check, pandas), then
times the case; the best of ``--repeat`` runs counts (real mlflow's slowest case runs
once); the "first call" line gives each library's first run as well.  The machines
are shared and noisy: the ratios are the figures that matter.

Cases (the search issue's targets):
  dataframe  mlflow.search_runs([exp]) of every run to a DataFrame    (>= 20x)
  filter     3-clause filters over a metric, a param and a tag         (>= 10x)
             (each filter once after a same-shape warm-up; the identical-repeat
             figure is printed too)
  max1000    mlflow.search_runs([exp], max_results=1000)               (>= 10x)
  history    MlflowClient().get_metric_history of the long run        (>= 10x)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)

# 3-clause filters over a metric, a param and a tag: each is timed once, after a warm-up
# search of the same shape, as a user meets a new filter; FILTERS[0] is then repeated
# as well, to show what each library gains from running the identical query again.
FILTERS = (
    "metrics.m0 > 0.74 AND params.p0 = 'v3' AND tags.t0 = 'x'",
    "metrics.m1 > 0.5 AND params.p2 = 'v1' AND tags.t0 = 'y'",
    "metrics.m3 < 0.3 AND params.p5 = 'v4' AND tags.t0 = 'z'",
    "metrics.m6 >= 0.6 AND params.p7 = 'v0' AND tags.t0 = 'x'",
    "metrics.m8 <= 0.2 AND params.p4 = 'v2' AND tags.t0 = 'y'",
)
WARM_UP_FILTER = "metrics.m9 > 0.9 AND params.p9 = 'v1' AND tags.t0 = 'z'"
CASES = {
    "dataframe": ("all runs to a DataFrame", 20.0),
    "filter": (f"{len(FILTERS)} different 3-clause filters, e.g. {FILTERS[0]!r}; mean", 10.0),
    "max1000": ("search_runs(max_results=1000) to a DataFrame", 10.0),
    "history": ("get_metric_history of the long run", 10.0),
}


# --------------------------------------------------------------------------- the store

def build_store(directory: str, n_runs: int, n_points: int) -> dict:
    """A store created by aiomlflow (MLflow's schema), filled with SQL."""
    path = os.path.join(directory, "bench.db")
    uri = f"sqlite:///{path}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    code = ("import aiomlflow as m; c = m.MlflowClient(%r); print(c.create_experiment('bench'))"
            % uri)
    out = subprocess.run([sys.executable, "-c", code], cwd=directory, env=env, check=True,
                         capture_output=True, text=True)
    experiment_id = int(out.stdout.strip().splitlines()[-1])
    rng = random.Random(7)
    db = sqlite3.connect(path)
    base = 1_700_000_000_000
    runs, tags, params, metrics, latest = [], [], [], [], []
    artifact_root = os.path.join(directory, "mlruns", str(experiment_id))
    for i in range(n_runs):
        run_id = uuid.uuid4().hex
        start = base + i * 1000
        runs.append((run_id, f"run-{i}", "UNKNOWN", "", "", "bench", "FINISHED", start,
                     start + 500, "", "active", f"{artifact_root}/{run_id}/artifacts",
                     experiment_id))
        tags.append(("t0", rng.choice(["x", "y", "z"]), run_id))
        tags.append(("mlflow.runName", f"run-{i}", run_id))
        for p in range(10):
            params.append((f"p{p}", f"v{rng.randrange(5)}", run_id))
        for m in range(10):
            value = rng.random()
            metrics.append((f"m{m}", value, start, run_id, 0, 0))
            latest.append((f"m{m}", value, start, 0, 0, run_id))
    long_run = uuid.uuid4().hex
    start = base + n_runs * 1000
    runs.append((long_run, "long", "UNKNOWN", "", "", "bench", "FINISHED", start, start + 1,
                 "", "active", f"{artifact_root}/{long_run}/artifacts", experiment_id))
    with db:
        db.executemany("INSERT INTO runs (run_uuid, name, source_type, source_name, "
                       "entry_point_name, user_id, status, start_time, end_time, "
                       "source_version, lifecycle_stage, artifact_uri, experiment_id) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", runs)
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?,?,?)", tags)
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?,?,?)", params)
        db.executemany("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                       "VALUES (?,?,?,?,?,?)", metrics)
        db.executemany("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, "
                       "run_uuid) VALUES (?,?,?,?,?,?)", latest)
        db.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
            "VALUES ('loss', ?, ?, ?, ?, 0)",
            ((1.0 / (s + 1), start + s, long_run, s) for s in range(n_points)))
        db.execute("INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                   "VALUES ('loss', ?, ?, ?, 0, ?)",
                   (1.0 / n_points, start + n_points - 1, n_points - 1, long_run))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return {"uri": uri, "experiment_id": str(experiment_id), "long_run": long_run,
            "n_runs": n_runs, "n_points": n_points}


# --------------------------------------------------------------------------- one measurement

def child(case: str, lib: str, store: dict, repeat: int) -> dict:
    t0 = time.perf_counter()
    mlflow = __import__(lib)
    import_s = time.perf_counter() - t0
    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    exp = store["experiment_id"]
    # warm-up: engine / connection / schema check, pandas import and first DataFrame,
    # outside the measurement (a different search from every case's)
    client.search_runs([exp], max_results=1)
    mlflow.search_runs([exp], max_results=1)

    if case == "filter":
        return filter_child(mlflow, exp, repeat, import_s)

    def once():
        if case == "dataframe":
            return len(mlflow.search_runs([exp]))
        if case == "max1000":
            return len(mlflow.search_runs([exp], max_results=1000))
        if case == "history":
            return len(client.get_metric_history(store["long_run"], "loss"))
        raise ValueError(case)

    times, count = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        count = once()
        times.append(time.perf_counter() - t)
    return {"case": case, "lib": lib, "seconds": min(times), "all": times, "rows": count,
            "import_s": import_s}


def filter_child(mlflow, exp: str, repeat: int, import_s: float) -> dict:
    """Each of FILTERS once (mean time), then FILTERS[0] ``repeat`` more times (best)."""
    mlflow.search_runs([exp], filter_string=WARM_UP_FILTER)
    times, rows = [], 0
    for filter_string in FILTERS:
        t = time.perf_counter()
        rows += len(mlflow.search_runs([exp], filter_string=filter_string))
        times.append(time.perf_counter() - t)
    repeats = []
    for _ in range(repeat):
        t = time.perf_counter()
        mlflow.search_runs([exp], filter_string=FILTERS[0])
        repeats.append(time.perf_counter() - t)
    return {"case": "filter", "lib": mlflow.__name__, "seconds": sum(times) / len(times),
            "all": times, "rows": rows, "repeat_seconds": min(repeats), "import_s": import_s}


def run_child(case: str, lib: str, store: dict, repeat: int, python: str, cwd: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out_path = os.path.join(cwd, f"{case}-{lib}.json")
    proc = subprocess.run(
        [python, os.path.abspath(__file__), "--child", case, "--lib", lib,
         "--store", json.dumps(store), "--repeat", str(repeat), "--out", out_path],
        cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"case": case, "lib": lib, "error": (proc.stderr or proc.stdout)[-2000:]}
    with open(out_path) as f:
        return json.load(f)


# --------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="search benchmarks: mlflow vs aiomlflow")
    ap.add_argument("--quick", action="store_true", help="2,000 runs, 100,000 points")
    ap.add_argument("--runs", type=int, help="number of runs (default 20,000)")
    ap.add_argument("--points", type=int, help="length of the long history (default 1e6)")
    ap.add_argument("--only", nargs="+", choices=list(CASES), help="run only these cases")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per measurement")
    ap.add_argument("--libs", default="mlflow,aiomlflow")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--lib", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        result = child(args.child, args.lib, json.loads(args.store), args.repeat)
        with open(args.out, "w") as f:
            json.dump(result, f)
        return 0

    n_runs = args.runs or (2_000 if args.quick else 20_000)
    n_points = args.points or (100_000 if args.quick else 1_000_000)
    libs = args.libs.split(",")
    cases = args.only or list(CASES)
    work = tempfile.mkdtemp(prefix="aiomlflow-search-bench-")
    try:
        t = time.perf_counter()
        store = build_store(work, n_runs, n_points)
        print(f"store: {n_runs:,} runs x (10 params, 10 metrics, 2 tags) + a {n_points:,}-point "
              f"history, built in {time.perf_counter() - t:.1f} s")
        results = []
        for case in cases:
            row = {}
            for lib in libs:
                # mlflow's full-store DataFrame takes tens of seconds: once is enough
                repeat = 1 if (lib == "mlflow" and case in ("dataframe", "history")
                               and not args.quick) else args.repeat
                row[lib] = run_child(case, lib, store, repeat, args.python, work)
                results.append(row[lib])
            title, target = CASES[case]
            cells = []
            for lib in libs:
                r = row[lib]
                cells.append(f"{lib} " + (f"{r['seconds']:.3f} s ({r['rows']} rows)"
                                          if "error" not in r else "ERROR"))
            ratio = first = ""
            if all("error" not in row.get(lib, {"error": 1}) for lib in ("mlflow", "aiomlflow")):
                x = row["mlflow"]["seconds"] / row["aiomlflow"]["seconds"]
                verdict = "ok" if x >= target else "BELOW TARGET"
                ratio = f"  -> {x:.1f}x faster (target >= {target:.0f}x: {verdict})"
            if all("error" not in row.get(lib, {"error": 1}) for lib in libs):
                # the first call of each process, before any warm caches of SQLite's own
                first = "\n           first call: " + " | ".join(
                    f"{lib} {row[lib]['all'][0]:.3f} s" for lib in libs)
                if "mlflow" in row and "aiomlflow" in row:
                    first += (f"  -> {row['mlflow']['all'][0] / row['aiomlflow']['all'][0]:.1f}x"
                              " faster")
            again = ""
            if all("repeat_seconds" in row.get(lib, {}) for lib in ("mlflow", "aiomlflow")):
                a, b = row["mlflow"]["repeat_seconds"], row["aiomlflow"]["repeat_seconds"]
                again = (f"\n           identical query repeated, best: mlflow {a:.3f} s | "
                         f"aiomlflow {b:.3f} s  -> {a / b:.1f}x faster")
            print(f"{case:10s} {title}\n           " + " | ".join(cells) + ratio + first + again,
                  flush=True)
            for lib in libs:
                if "error" in row[lib]:
                    print(f"           {lib} error:\n{row[lib]['error']}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"n_runs": n_runs, "n_points": n_points, "results": results}, f,
                          indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
