#!/usr/bin/env python3
"""Search benchmarks: real mlflow 3.17.2 vs aiomlflow on the same SQLite store.

Usage:
    python benchmarks/search.py            # 20,000 runs, 1,000,000-point history
    python benchmarks/search.py --quick    # 2,000 runs, 100,000-point history
    python benchmarks/search.py --only dataframe filter --json out.json

The store holds runs with 10 params, 10 metrics and 2 tags each (plus one run with a
long metric history), written once with SQL straight into MLflow's schema, so building
it takes seconds.  Each (case, library) pair runs in a fresh subprocess that imports
the library and makes the same small warm-up searches (engine, connection, schema
check, pandas and a first DataFrame), then times ``--repeat`` rounds of the case; every
library gets the same rounds.  Two figures per library: the first round ("first call":
cold caches, a filter never run before) and the best of the later rounds ("warm").
The machines are shared and noisy: the ratios are the figures that matter; targets are
judged on the warm figures.

Cases (the search issue's targets):
  dataframe  mlflow.search_runs([exp]) of every run to a DataFrame    (>= 20x mlflow,
             and no slower than the "pivot" baseline: plain sqlite3 reads of runs,
             latest_metrics, params and tags pivoted by pandas into the same frame)
  filter     5 different 3-clause filters over a metric, a param and a tag, after a
             warm-up filter of the same shape; a round is their mean  (>= 10x mlflow)
  max1000    mlflow.search_runs([exp], max_results=1000)               (>= 10x mlflow)
  history    MlflowClient().get_metric_history of the long run        (>= 10x mlflow)
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
# case -> (title, target vs mlflow, libraries that run it besides mlflow and aiomlflow)
CASES = {
    "dataframe": ("all runs to a DataFrame", 20.0, ("pivot",)),
    "filter": (f"{len(FILTERS)} different 3-clause filters, e.g. {FILTERS[0]!r}; mean", 10.0,
               ()),
    "max1000": ("search_runs(max_results=1000) to a DataFrame", 10.0, ()),
    "history": ("get_metric_history of the long run", 10.0, ()),
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
    module = __import__("pandas" if lib == "pivot" else lib)
    import_s = time.perf_counter() - t0
    once = pivot_case(case, store) if lib == "pivot" else library_case(case, module, store)
    # a filter round runs every filter once: its figure is the mean per search
    searches = len(FILTERS) if case == "filter" else 1
    times, count = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        count = once()
        times.append((time.perf_counter() - t) / searches)
    return {"case": case, "lib": lib, "first": times[0],
            "warm": min(times[1:]) if len(times) > 1 else None, "all": times, "rows": count,
            "import_s": import_s}


def library_case(case: str, mlflow, store: dict):
    """One round of ``case`` with mlflow or aiomlflow, after the shared warm-up."""
    mlflow.set_tracking_uri(store["uri"])
    client = mlflow.MlflowClient()
    exp = store["experiment_id"]
    # warm-up: engine / connection / schema check, pandas import and first DataFrame,
    # outside the measurement (a different search from every case's)
    client.search_runs([exp], max_results=1)
    mlflow.search_runs([exp], max_results=1)
    if case == "dataframe":
        return lambda: len(mlflow.search_runs([exp]))
    if case == "max1000":
        return lambda: len(mlflow.search_runs([exp], max_results=1000))
    if case == "history":
        return lambda: len(client.get_metric_history(store["long_run"], "loss"))
    if case == "filter":
        mlflow.search_runs([exp], filter_string=WARM_UP_FILTER)
        return lambda: sum(len(mlflow.search_runs([exp], filter_string=f))
                           for f in FILTERS) / len(FILTERS)
    raise ValueError(case)


def pivot_case(case: str, store: dict):
    """The baseline: plain sqlite3 reads pivoted by pandas into search_runs' frame."""
    if case != "dataframe":
        raise ValueError(case)
    path = store["uri"][len("sqlite:///"):]
    exp = int(store["experiment_id"])
    db = sqlite3.connect(path)
    pivot_frame(db, exp, limit=1)  # the same warm-up: connection, pandas, a first frame
    return lambda: len(pivot_frame(db, exp))


def pivot_frame(db, experiment_id: int, limit: int = -1):
    """search_runs' DataFrame of the experiment's active runs, built the plain way:
    one read per table, ``DataFrame.pivot`` for metrics, params and tags."""
    import pandas as pd

    runs_sql = ("SELECT run_uuid FROM runs WHERE experiment_id = ? AND lifecycle_stage = "
                "'active' ORDER BY start_time DESC, run_uuid LIMIT ?")
    frame = pd.read_sql_query(
        "SELECT run_uuid AS run_id, experiment_id, status, artifact_uri, start_time, "
        f"end_time FROM runs WHERE run_uuid IN ({runs_sql}) ORDER BY start_time DESC, "
        "run_uuid", db, params=(experiment_id, limit))
    frame["experiment_id"] = frame["experiment_id"].astype(str)
    for column in ("start_time", "end_time"):
        frame[column] = pd.to_datetime(frame[column], unit="ms", utc=True)
    for table, prefix, value in (
            ("latest_metrics", "metrics.", "CASE WHEN is_nan THEN NULL ELSE value END"),
            ("params", "params.", "value"), ("tags", "tags.", "value")):
        long = pd.read_sql_query(
            f"SELECT run_uuid, key, {value} AS value FROM {table} "
            f"WHERE run_uuid IN ({runs_sql})", db, params=(experiment_id, limit))
        wide = long.pivot(index="run_uuid", columns="key", values="value")
        frame = frame.join(wide.add_prefix(prefix), on="run_id")
    return frame


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


# --------------------------------------------------------------------------- report

def _seconds(r: dict, figure: str) -> str:
    if "error" in r:
        return "ERROR"
    return "-" if r.get(figure) is None else f"{r[figure]:.3f} s"


def _ratio(row: dict, slow: str, fast: str, figure: str) -> float | None:
    a, b = row.get(slow, {}), row.get(fast, {})
    if a.get(figure) is None or b.get(figure) is None:
        return None
    return a[figure] / b[figure]


def report(case: str, title: str, target: float, row: dict) -> str:
    """The case's figures (first call and warm, per library) and its ratios."""
    lines = [f"{case:10s} {title}"]
    rows = next((r["rows"] for r in row.values() if "rows" in r), None)
    for figure, label in (("first", "first call"), ("warm", "warm (best of the rest)")):
        lines.append(f"           {label:24s} " + " | ".join(
            f"{lib} {_seconds(r, figure)}" for lib, r in row.items()))
    if rows is not None:  # the filter case's is a mean over its filters
        lines[0] += f"  ({rows:,.1f} rows)" if rows % 1 else f"  ({int(rows):,} rows)"
    checks = [("mlflow", target)] + [(lib, 1.0) for lib in row if lib not in
                                     ("mlflow", "aiomlflow")]
    for other, wanted in checks:
        first = _ratio(row, other, "aiomlflow", "first")
        warm = _ratio(row, other, "aiomlflow", "warm")
        if first is None and warm is None:
            continue
        verdict = ("ok" if warm is not None and warm >= wanted else
                   "BELOW TARGET" if warm is not None else "no warm figure")
        lines.append(
            f"           aiomlflow vs {other}: "
            + (f"{first:.1f}x" if first is not None else "-") + " first call, "
            + (f"{warm:.1f}x" if warm is not None else "-") + " warm  "
            + f"(target: warm >= {wanted:g}x: {verdict})")
    for lib, r in row.items():
        if "error" in r:
            lines.append(f"           {lib} error:\n{r['error']}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="search benchmarks: mlflow vs aiomlflow")
    ap.add_argument("--quick", action="store_true", help="2,000 runs, 100,000 points")
    ap.add_argument("--runs", type=int, help="number of runs (default 20,000)")
    ap.add_argument("--points", type=int, help="length of the long history (default 1e6)")
    ap.add_argument("--only", nargs="+", choices=list(CASES), help="run only these cases")
    ap.add_argument("--repeat", type=int, default=3,
                    help="rounds per measurement, the same for every library (>= 2: the "
                         "first call, then warm rounds)")
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
            title, target, extra = CASES[case]
            row = {lib: run_child(case, lib, store, args.repeat, args.python, work)
                   for lib in [*libs, *extra]}
            results += row.values()
            print(report(case, title, target, row), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"n_runs": n_runs, "n_points": n_points, "results": results}, f,
                          indent=2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
