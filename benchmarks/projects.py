#!/usr/bin/env python3
"""``mlflow.run`` overhead: aiomlflow against real mlflow 3.17.2, side by side.

Usage:
    python benchmarks/projects.py            # 20 rounds each, after 2 warm-up runs
    python benchmarks/projects.py --rounds 50

Each library runs in its own fresh process and temporary directory, on its default
kind of store (a SQLite file), the same project: an MLproject entry point with three
parameters (one defaulted, one extra) whose command is ``true``, so what is measured
is ``mlflow.run`` itself: reading the project, creating the run, logging its params
and tags, starting the command, waiting and ending the run.  Prints ms per run for
each and the ratio.  Shared machines are noisy: the ratio matters.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = textwrap.dedent("""\
    import json, logging, os, sys, time
    module, project, rounds, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    t0 = time.perf_counter()
    mlflow = __import__(module)
    import_s = time.perf_counter() - t0
    logging.getLogger(module).setLevel(logging.WARNING)
    mlflow.set_tracking_uri("sqlite:///" + os.path.join(os.getcwd(), "mlflow.db"))
    params = {"name": "a b", "extra": 1}
    for _ in range(warmup):
        mlflow.run(project, parameters=params, env_manager="local")
    t0 = time.perf_counter()
    for _ in range(rounds):
        mlflow.run(project, parameters=params, env_manager="local")
    per_run = (time.perf_counter() - t0) / rounds
    print(json.dumps({"per_run_ms": per_run * 1000, "import_s": import_s}))
    """)

MLPROJECT = textwrap.dedent("""\
    name: bench
    entry_points:
      main:
        parameters:
          alpha: {type: float, default: 0.1}
          name: string
        command: "true {alpha} {name}"
    """)


def measure(module: str, rounds: int, warmup: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        project = os.path.join(tmp, "project")
        os.mkdir(project)
        with open(os.path.join(project, "MLproject"), "w") as f:
            f.write(MLPROJECT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env.update(PYTHONPATH=ROOT, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
        done = subprocess.run([sys.executable, "-c", CHILD, module, project, str(rounds),
                               str(warmup)], cwd=tmp, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{module} failed:\n{done.stderr}")
        return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    ours = measure("aiomlflow", args.rounds, args.warmup)
    theirs = measure("mlflow", args.rounds, args.warmup)
    print(f"mlflow.run of a `true` project, {args.rounds} rounds after {args.warmup} "
          "warm-up runs")
    print(f"  aiomlflow: {ours['per_run_ms']:8.1f} ms/run   (import {ours['import_s']:.2f} s)")
    print(f"  mlflow:    {theirs['per_run_ms']:8.1f} ms/run   (import {theirs['import_s']:.2f} s)")
    print(f"  ratio mlflow/aiomlflow: {theirs['per_run_ms'] / ours['per_run_ms']:.1f}x")


if __name__ == "__main__":
    main()
