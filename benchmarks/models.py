"""Model logging side by side: aiomlflow and real mlflow 3.17.2 in one run.

Every (case, library) pair runs in a fresh subprocess and working directory with the
default local store (``sqlite:///mlflow.db``) and no ``MLFLOW_*`` variables.  Both
libraries get the same warm-up and the same number of timed calls inside one run; the
figure is the caller's time per ``log_model`` call (median and mean), and the ratio
aiomlflow / mlflow.

Cases (``CASES`` below; a case is the code that builds the model once, ``setup``, and the
call that logs it, ``call``; both see ``mlflow`` bound to the library under test):

* ``pyfunc``: ``mlflow.pyfunc.log_model(name="model", python_model=<a small
  PythonModel with list[str] type hints>)``.  Target: aiomlflow ≤ 1/5 of mlflow.

To add a case (sklearn, ...), add an entry to ``CASES``.

    python benchmarks/models.py [--n 20] [--warmup 3] [--only pyfunc]
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CASES: dict[str, dict[str, str]] = {
    "pyfunc": {
        "setup": textwrap.dedent("""
            class Echo(mlflow.pyfunc.PythonModel):
                def predict(self, context, model_input: list[str]) -> list[str]:
                    return model_input

            model = Echo()
        """),
        "call": 'mlflow.pyfunc.log_model(name="model", python_model=model)',
        "target": "aiomlflow <= 1/5 of mlflow",
    },
}

CHILD = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    import logging
    logging.disable(logging.WARNING)
    lib, n, warmup, setup, call = sys.argv[1:6]
    n, warmup = int(n), int(warmup)
    sys.path.insert(0, sys.argv[6])
    mlflow = __import__(lib)
    namespace = {"mlflow": mlflow, "__name__": "__main__"}
    exec(setup, namespace)
    code = compile(call, "<call>", "exec")
    times = []
    with mlflow.start_run():
        for i in range(warmup + n):
            t0 = time.perf_counter()
            exec(code, namespace)
            elapsed = time.perf_counter() - t0
            if i >= warmup:
                times.append(elapsed)
    print(json.dumps(times))
""")


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


def run_case(case: dict, lib: str, n: int, warmup: int) -> list[float]:
    with tempfile.TemporaryDirectory() as cwd:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, lib, str(n), str(warmup), case["setup"],
             case["call"], ROOT], env=_env(), cwd=cwd, capture_output=True, text=True,
            check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=20, help="timed calls per library")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first")
    parser.add_argument("--only", choices=sorted(CASES), action="append",
                        help="run only these cases")
    args = parser.parse_args()
    for name in args.only or sorted(CASES):
        case = CASES[name]
        results = {lib: run_case(case, lib, args.n, args.warmup)
                   for lib in ("mlflow", "aiomlflow")}
        print(f"{name}: log_model caller time per call ({args.n} calls, {args.warmup} "
              "warm-up)")
        for lib, times in results.items():
            print(f"  {lib:10s} median {statistics.median(times) * 1000:8.1f} ms   "
                  f"mean {statistics.mean(times) * 1000:8.1f} ms")
        ratio = statistics.median(results["aiomlflow"]) / statistics.median(results["mlflow"])
        print(f"  ratio aiomlflow/mlflow (median): {ratio:.3f}   "
              f"(1/{1 / ratio:.1f}; target: {case['target']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
