"""Tracing side by side: aiomlflow and real mlflow 3.17.2 in one run.

Every (case, library) pair runs in a fresh subprocess and working directory on the
default local store (``sqlite:///mlflow.db``), every ``MLFLOW_*`` variable removed; both
libraries get the same number of calls after the same warm-up.

* ``trace_noop``: a ``@trace``d function that does nothing, called in a loop.  The
  figure is the caller's time per call (the loop alone).  Target: aiomlflow's ≤ 1/100
  of mlflow's.
* ``trace_3span``: a traced function calling two traced children (3 spans a trace),
  in a loop, timed until ``flush_trace_async_logging()`` returns.  The stored traces and
  spans are then counted in the database (``discarded`` = calls whose trace is
  missing).  The figure is traces stored per second (measured calls minus the ones
  discarded, over the time until flushed), which is what a library sustains: mlflow
  drops traces when its export queue is full.  Calls per second are printed too.
  Target: aiomlflow ≥ 50x mlflow, with nothing discarded.

    python benchmarks/tracing.py [--n 1000] [--warmup 50] [--only trace_noop]
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

CHILD = textwrap.dedent("""
    import json, sqlite3, sys, time
    lib, case, n, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    mlflow = __import__(lib)

    @mlflow.trace
    def noop(x):
        return x

    @mlflow.trace
    def child(x):
        return x

    @mlflow.trace
    def parent(x):
        child(x)
        return child(x)

    fn = noop if case == "trace_noop" else parent
    for i in range(warmup):
        fn(i)
    mlflow.flush_trace_async_logging()
    t0 = time.perf_counter()
    for i in range(n):
        fn(i)
    loop = time.perf_counter() - t0
    mlflow.flush_trace_async_logging()
    total = time.perf_counter() - t0
    with sqlite3.connect("mlflow.db") as db:
        traces = db.execute("SELECT count(*) FROM trace_info").fetchone()[0]
        spans = db.execute("SELECT count(*) FROM spans").fetchone()[0]
    print(json.dumps({"loop": loop, "total": total, "traces": traces, "spans": spans}))
""")


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    # the children import this checkout's aiomlflow, not whichever one is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    return env


def _run(lib: str, case: str, n: int, warmup: int) -> dict:
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run([sys.executable, "-c", CHILD, lib, case, str(n), str(warmup)],
                             env=_env(), cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} {case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(case: str, n: int, warmup: int) -> bool:
    results = {}
    spans_per_trace = 1 if case == "trace_noop" else 3
    for lib in ("mlflow", "aiomlflow"):
        r = results[lib] = _run(lib, case, n, warmup)
        r["discarded"] = n + warmup - r["traces"]
        r["stored_rate"] = max(n - r["discarded"], 0) / r["total"]
        print(f"{case:11s} {lib:9s} n={n} (+{warmup} warm-up)  caller "
              f"{r['loop'] / n * 1e6:9.1f} us/call   until flushed {n / r['total']:8.0f} "
              f"calls/s, {r['stored_rate']:8.0f} traces stored/s   stored {r['traces']} "
              f"traces / {r['spans']} spans, discarded {r['discarded']}")
        assert r["spans"] <= r["traces"] * spans_per_trace, r
    ours, theirs = results["aiomlflow"], results["mlflow"]
    complete = ours["discarded"] == 0 and ours["spans"] == (n + warmup) * spans_per_trace
    if case == "trace_noop":
        ratio = theirs["loop"] / ours["loop"]
        ok = ratio >= 100 and complete
        print(f"{case}: aiomlflow caller time is 1/{ratio:.0f} of mlflow's "
              f"(target <= 1/100, nothing discarded): {'ok' if ok else 'BELOW TARGET'}")
    else:
        ratio = ours["stored_rate"] / max(theirs["stored_rate"], 1e-9)
        calls = theirs["total"] / ours["total"]
        ok = ratio >= 50 and complete
        print(f"{case}: aiomlflow stores {ratio:.0f}x the traces/s of mlflow ({calls:.0f}x "
              f"the calls/s until flushed) (target >= 50x, nothing discarded): "
              f"{'ok' if ok else 'BELOW TARGET'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--only", choices=("trace_noop", "trace_3span"))
    args = parser.parse_args()
    cases = [args.only] if args.only else ["trace_noop", "trace_3span"]
    return 0 if all([bench(case, args.n, args.warmup) for case in cases]) else 1


if __name__ == "__main__":
    sys.exit(main())
