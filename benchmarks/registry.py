#!/usr/bin/env python3
"""Registry benchmark: search_model_versions, real mlflow 3.17.2 vs aiomlflow, on one
SQLite store holding 10,000 model versions.

Usage:
    python benchmarks/registry.py                  # 10,000 versions, 5 rounds
    python benchmarks/registry.py --versions 2000 --repeat 3
    python benchmarks/registry.py --clock cpu      # CPU time of the process, all threads

The store (100 registered models x 100 versions, 2 tags per version, 1 alias per model)
is created by aiomlflow (MLflow's schema) and filled with SQL, so building it takes a
second.  Each library runs in a fresh subprocess that imports it, points the tracking
URI at the store and makes the same warm-up search (engine, connection, schema check);
then every case is timed over the same ``--repeat`` rounds, the two processes taking
turns round by round (which goes first alternates), so a change in the shared machine's
speed during the run reaches both alike.  A round is the search AND
the reading of every field of every version it returned (``read_all``, the same code for
both libraries): a search is done for its results, and a library may not win by leaving
the work of building them until they are read.  Figures are the best round and the mean;
the machines are shared and noisy, so the ratios are what matter.  ``--clock cpu``
times the CPU the process used (all its threads) instead of the wall clock: steadier
on a busy machine, and still fair, as each library's work is counted wherever it runs.

Cases (target: >= 10x mlflow):
  all      mlflow.search_model_versions(): every one of the 10,000 versions
  name     search_model_versions("name = 'model-042'"): one model's 100 versions
  filter   search_model_versions("tags.env = 'prod' AND version_number > 50"
           " AND name LIKE 'model-0%'"): a tag, a number and a pattern
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
CASES = {
    "all": None,
    "name": "name = 'model-042'",
    "filter": "tags.env = 'prod' AND version_number > 50 AND name LIKE 'model-0%'",
}
WARM_UP = "name = 'model-001'"
TARGET = 10.0


def build_store(directory: str, n_versions: int) -> str:
    """A store created by aiomlflow and filled with registered models and versions."""
    path = os.path.join(directory, "registry.db")
    uri = f"sqlite:///{path}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    code = f"import aiomlflow as m; m.MlflowClient({uri!r}).search_experiments()"
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, check=True)
    rng = random.Random(7)
    per_model = 100
    n_models = max(1, n_versions // per_model)
    now = int(time.time() * 1000)
    db = sqlite3.connect(path)
    with db:
        for m in range(n_models):
            name = f"model-{m:03d}"
            db.execute("INSERT INTO registered_models (name, creation_time, last_updated_time, "
                       "description, workspace) VALUES (?, ?, ?, ?, 'default')",
                       (name, now + m, now + m, f"model {m}"))
            db.execute("INSERT INTO registered_model_tags (key, value, name, workspace) "
                       "VALUES ('owner', ?, ?, 'default')", (f"team-{m % 7}", name))
            rows, tags = [], []
            for v in range(1, per_model + 1):
                t = now + m * per_model + v
                run_id = "%032x" % rng.getrandbits(128)
                rows.append((name, v, t, t, None, None, "None", f"s3://bucket/{name}/{v}",
                             run_id, "READY", None, "", f"s3://bucket/{name}/{v}"))
                tags.append(("env", rng.choice(("prod", "dev", "test")), name, v))
                tags.append(("score", f"{rng.random():.4f}", name, v))
            db.executemany(
                "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
                "description, user_id, current_stage, source, run_id, status, status_message, "
                "run_link, storage_location, workspace) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'default')", rows)
            db.executemany("INSERT INTO model_version_tags (key, value, name, version, "
                           "workspace) VALUES (?, ?, ?, ?, 'default')", tags)
            db.execute("INSERT INTO registered_model_aliases (alias, version, name, workspace) "
                       "VALUES ('champion', ?, ?, 'default')", (per_model, name))
    db.close()
    return uri


def read_all(versions) -> int:
    """Read every field of every ModelVersion, as a caller using the results would;
    returns a checksum so the reads cannot be skipped."""
    total = 0
    for mv in versions:
        fields = (mv.name, mv.version, mv.creation_timestamp, mv.last_updated_timestamp,
                  mv.description, mv.user_id, mv.current_stage, mv.source, mv.run_id,
                  mv.run_link, mv.status, mv.status_message, mv.model_id, mv.params,
                  mv.metrics, mv.deployment_job_state, mv.workspace)
        total += len(fields)
        for key, value in mv.tags.items():
            total += len(key) + len(value)
        for alias in mv.aliases:
            total += len(alias)
    return total


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def child(lib: str, uri: str, clock: str = "wall") -> None:
    """Run in a fresh interpreter: warm up, say "ready", then time one round of the case
    each input line names and answer with its time, result count and checksum."""
    if lib == "aiomlflow":
        sys.path.insert(0, REPO_ROOT)
        import aiomlflow as mlflow
    else:
        import mlflow
    mlflow.set_tracking_uri(uri)
    mlflow.search_model_versions(filter_string=WARM_UP)
    now = CLOCKS[clock]
    print("ready", flush=True)
    for line in sys.stdin:
        filter_string = CASES[line.strip()]
        start = now()
        found = mlflow.search_model_versions(filter_string=filter_string)
        checksum = read_all(found)
        elapsed = now() - start
        count = len(found)
        del found  # freeing a round's results is not timed (nor left to the next round)
        print(json.dumps([elapsed, count, checksum]), flush=True)


class _Child:
    """One library's benchmark process, kept between rounds."""

    def __init__(self, lib: str, uri: str, clock: str):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        self.lib = lib
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--child", lib, "--uri", uri,
             "--clock", clock], env=env, cwd=tempfile.gettempdir(), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self._expect("ready")

    def _expect(self, what: str) -> str:
        line = self.proc.stdout.readline()
        if not line or (what and line.strip() != what):
            self.proc.kill()
            raise SystemExit(f"{self.lib} failed (said {line!r})")
        return line

    def round(self, case: str) -> list:
        self.proc.stdin.write(case + "\n")
        self.proc.stdin.flush()
        return json.loads(self._expect(""))

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(60)


def run_rounds(uri: str, repeat: int, clock: str) -> dict:
    """Both libraries, warmed up in their own processes, take turns round by round (which
    goes first alternates), so a change in the machine's speed during the run reaches both
    alike; per library and case: best and mean time, result count and checksum."""
    children = [_Child(lib, uri, clock) for lib in ("mlflow", "aiomlflow")]
    times = {(child.lib, case): [] for child in children for case in CASES}
    seen = {}
    try:
        for case in CASES:
            for i in range(repeat):
                for child in (children if i % 2 == 0 else children[::-1]):
                    elapsed, count, checksum = child.round(case)
                    times[child.lib, case].append(elapsed)
                    seen[child.lib, case] = (count, checksum)
    finally:
        for child in children:
            child.close()
    return {lib: {case: {"best": min(times[lib, case]), "mean": statistics.mean(times[lib, case]),
                         "count": seen[lib, case][0], "checksum": seen[lib, case][1]}
                  for case in CASES}
            for lib in ("mlflow", "aiomlflow")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="registry benchmark: mlflow vs aiomlflow")
    ap.add_argument("--versions", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                    help="wall: elapsed time (default); cpu: the process's CPU time")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--uri", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.uri, args.clock)
        return 0
    with tempfile.TemporaryDirectory() as directory:
        uri = build_store(directory, args.versions)
        rows = run_rounds(uri, args.repeat, args.clock)
    print(f"search_model_versions over {args.versions:,} versions, then every field of every "
          f"result read; best / mean of {args.repeat} rounds after one warm-up search, the "
          f"libraries taking turns ({args.clock} clock)")
    print(f"{'case':8} {'results':>8} {'mlflow best':>12} {'aiomlflow best':>15} "
          f"{'ratio best':>11} {'ratio mean':>11}  target")
    ok = True
    for case in CASES:
        theirs, ours = rows["mlflow"][case], rows["aiomlflow"][case]
        if (theirs["count"], theirs["checksum"]) != (ours["count"], ours["checksum"]):
            print(f"{case}: results differ: mlflow {theirs['count']} versions (checksum "
                  f"{theirs['checksum']}), aiomlflow {ours['count']} ({ours['checksum']})")
            ok = False
        ratio = theirs["best"] / ours["best"]
        ratio_mean = theirs["mean"] / ours["mean"]
        met = "met" if ratio >= TARGET else "NOT met"
        ok = ok and ratio >= TARGET
        print(f"{case:8} {ours['count']:>8} {theirs['best'] * 1000:>10.1f}ms "
              f"{ours['best'] * 1000:>13.1f}ms {ratio:>10.1f}x {ratio_mean:>10.1f}x  "
              f">= {TARGET:.0f}x {met}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
