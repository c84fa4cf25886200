"""Datasets, aiomlflow and real mlflow 3.17.2 side by side.

Each library runs in a fresh subprocess and working directory on the default local
store (``sqlite:///mlflow.db``, created before anything is measured), every ``MLFLOW_*``
variable removed, with the same rounds and warm-up; aiomlflow is the one of this
checkout (the path each side imported is printed):

* ``log_inputs``: one ``log_inputs`` call recording 100 datasets (each with a context
  and an input tag) in a new run, per round, timed in the caller until it returns (both
  libraries write the inputs before returning).  The datasets of every round are new
  ones, built by ``from_numpy`` (their digests) before the clock starts, on both sides;
  what ``log_inputs`` derives from them (schema, profile, source JSON, the stored
  entity) is inside the timed region, on both sides.  Target: aiomlflow >= 10x mlflow.
* ``from_numpy`` / ``from_pandas``: building a dataset (digest, and with ``to_dict``
  its schema and profile) of a 1,000 x 10 array / DataFrame (informational).

    python benchmarks/datasets.py [--rounds 20] [--warmup 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap

CHILD = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    import numpy as np, pandas as pd
    lib, rounds, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mlflow = __import__(lib)
    mlflow.search_experiments()  # the store exists before anything is timed
    total = rounds + warmup
    rng = np.random.default_rng(0)
    batches = [[mlflow.data.from_numpy(rng.random((4, 3)), source=f"s3://bucket/{r}/{i}.npy",
                                       name=f"ds-{r}-{i}") for i in range(100)]
               for r in range(total)]
    contexts = ["training"] * 100
    tags_list = [{"split": str(i)} for i in range(100)]
    log_inputs = []
    for r in range(total):
        with mlflow.start_run():
            t0 = time.perf_counter()
            mlflow.log_inputs(batches[r], contexts, tags_list)
            log_inputs.append(time.perf_counter() - t0)
    array = rng.random((1000, 10))
    frame = pd.DataFrame(array, columns=[f"c{i}" for i in range(10)])
    build = {"from_numpy": [], "from_pandas": []}
    for r in range(total):
        t0 = time.perf_counter()
        mlflow.data.from_numpy(array, source="x.npy").to_dict()
        build["from_numpy"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        mlflow.data.from_pandas(frame, source="x.csv").to_dict()
        build["from_pandas"].append(time.perf_counter() - t0)
    out = {"log_inputs": log_inputs[warmup:], "path": mlflow.__file__}
    out.update({k: v[warmup:] for k, v in build.items()})
    print(json.dumps(out))
""")

LIBS = ("mlflow", "aiomlflow")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = 10.0


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    # this checkout's aiomlflow, not whichever one the interpreter has installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (REPO_ROOT, env.get("PYTHONPATH"))))
    return env


def _measure(lib: str, rounds: int, warmup: int) -> dict:
    with tempfile.TemporaryDirectory() as cwd:
        proc = subprocess.run([sys.executable, "-c", CHILD, lib, str(rounds), str(warmup)],
                              env=_env(), cwd=cwd, capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"{lib} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args(argv)
    results = {lib: _measure(lib, args.rounds, args.warmup) for lib in LIBS}
    figures = {}
    for lib in LIBS:
        print(f"{lib}: {results[lib]['path']}")
    print(f"{args.rounds} rounds after {args.warmup} warm-up, medians; log_inputs timed "
          "in the caller, datasets built (from_numpy) before the clock starts on both sides")
    print(f"  {'case':<34} {'mlflow':>12} {'aiomlflow':>12} {'ratio':>8}")
    for case, title in (("log_inputs", "log_inputs of 100 datasets"),
                        ("from_numpy", "from_numpy 1000x10 + to_dict"),
                        ("from_pandas", "from_pandas 1000x10 + to_dict")):
        theirs = statistics.median(results["mlflow"][case])
        ours = statistics.median(results["aiomlflow"][case])
        figures[case] = {"mlflow_ms": theirs * 1e3, "aiomlflow_ms": ours * 1e3,
                         "ratio": theirs / ours}
        print(f"  {title:<34} {theirs * 1e3:>9.2f} ms {ours * 1e3:>9.2f} ms "
              f"{theirs / ours:>7.1f}x")
    ratio = figures["log_inputs"]["ratio"]
    print(f"\nlog_inputs of 100 datasets: {ratio:.1f}x mlflow; target >= {TARGET:g}x: "
          f"{'met' if ratio >= TARGET else 'MISSED'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
