"""Model logging and scikit-learn autologging side by side: aiomlflow and real mlflow 3.17.2.

Every (case, library) pair runs in a fresh subprocess and working directory with the
default local store (``sqlite:///mlflow.db``) and no ``MLFLOW_*`` variables.  Both
libraries get the same warm-up and the same number of timed calls (or steps, in the same
rounds) inside one run, and the ratio aiomlflow / mlflow is printed beside the target.

A case (``CASES`` below) is code: ``setup`` runs once, with ``mlflow`` bound to the
library under test; then, by its ``kind``:

* ``call``: ``call`` runs ``warmup`` times untimed, then ``n`` times timed, inside one
  run (``i`` is the call's index).  Figure: the caller's time per call (median; the mean
  too).
* ``added``: ``step`` runs in ``rounds`` rounds of ``n // rounds`` (after ``warmup``
  untimed steps), without tracking and then again after ``enable`` (turning autolog on),
  the best round each.  Figure: the time autolog adds per step, (with) - (without).
  ``check`` then asserts on what was logged (``steps``: how many steps ran with autolog).

Cases:

* ``pyfunc``: ``mlflow.pyfunc.log_model(name="model", python_model=<a small PythonModel
  with list[str] type hints>)``.  Target: aiomlflow <= 1/5 of mlflow.
* ``pyfunc_pinned``: the same with ``pip_requirements`` given (mlflow then skips its
  requirement inference), for information.
* ``sklearn_log_model``: ``mlflow.sklearn.log_model`` of a fitted LogisticRegression
  (30x3 training data), default serialization format.  Target: <= 1/5 of mlflow.
* ``autolog_fit``: ``mlflow.sklearn.autolog(log_models=False)`` around ``fit`` of a tiny
  LinearRegression (20x3), each fit creating and ending its autologging run.  Target:
  added time <= 1/10 of mlflow's.
* ``autolog_fit_models``: the same with autolog's defaults (the model is logged on each
  fit), fewer fits (mlflow's model logging costs seconds each).  Target: <= 1/10.
* ``predict_untracked``: ``predict`` of a LinearRegression (20x3) trained before autolog
  was enabled.  For information: one attribute lookup in the patched method, not
  measurable against the predict itself.
* ``post_training_metric``: a model trained under autolog, then ``predict(X_test)`` and
  ``mean_squared_error(y_test, y_pred)`` (one post-training metric and a
  metric_info.json rewrite each).  Target: added time <= 1/10 of mlflow's.

To add a case, add an entry to ``CASES``.

    python benchmarks/models.py [--n [CASE=]N ...] [--warmup 3] [--only CASE ...]
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

_ECHO_MODEL = textwrap.dedent("""
    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input: list[str]) -> list[str]:
            return model_input

    model = Echo()
""")
_REGRESSION = textwrap.dedent("""
    import numpy as np
    from sklearn import metrics
    from sklearn.linear_model import LinearRegression

    rng = np.random.RandomState(0)
    X = rng.rand(20, 3)
    y = X @ [1.0, 2.0, 3.0]
    X_test = rng.rand(20, 3)
    y_test = X_test @ [1.0, 2.0, 3.0]
    model = LinearRegression().fit(X, y)
""")
_RUNS_PER_FIT = "assert len(mlflow.search_runs(output_format='list')) == steps"

CASES: dict[str, dict] = {
    "pyfunc": dict(
        kind="call", n=20, setup=_ECHO_MODEL,
        call='mlflow.pyfunc.log_model(name="model", python_model=model)',
        target=1 / 5),
    # the same with pip_requirements given, so mlflow skips its requirement inference
    # (a subprocess that imports the model): what is left is the logging itself
    "pyfunc_pinned": dict(
        kind="call", n=20, setup=_ECHO_MODEL,
        call=('mlflow.pyfunc.log_model(name="model", python_model=model, '
              'pip_requirements=["cloudpickle"])'),
        target=None),
    "sklearn_log_model": dict(
        kind="call", n=10,
        setup=textwrap.dedent("""
            import numpy as np
            from sklearn.linear_model import LogisticRegression

            X = np.random.RandomState(0).rand(30, 3)
            model = LogisticRegression().fit(X, (X.sum(axis=1) > 1.5).astype(int))
        """),
        call='mlflow.sklearn.log_model(model, name=f"m{i}")',
        target=1 / 5),
    "autolog_fit": dict(
        kind="added", n=100, rounds=1, setup=_REGRESSION,
        step="LinearRegression().fit(X, y)",
        enable="mlflow.sklearn.autolog(log_models=False, silent=True)",
        check=_RUNS_PER_FIT, target=1 / 10),
    "autolog_fit_models": dict(
        kind="added", n=10, rounds=1, setup=_REGRESSION,
        step="LinearRegression().fit(X, y)",
        enable="mlflow.sklearn.autolog(silent=True)",
        check=_RUNS_PER_FIT, target=1 / 10),
    # the best of 5 rounds: a predict takes ~0.1 ms
    "predict_untracked": dict(
        kind="added", n=20000, rounds=5, setup=_REGRESSION,
        step="model.predict(X_test)",
        enable="mlflow.sklearn.autolog(log_models=False, silent=True)",
        check="", target=None),
    "post_training_metric": dict(
        kind="added", n=100, rounds=5, setup=_REGRESSION,
        step="metrics.mean_squared_error(y_test, model.predict(X_test))",
        enable=("mlflow.sklearn.autolog(log_models=False, silent=True)\n"
                "model = LinearRegression().fit(X, y)"),
        check=textwrap.dedent("""
            mlflow.flush_async_logging()
            run = mlflow.last_active_run()
            keys = [k for k in run.data.metrics if k.startswith("mean_squared_error")]
            assert len(keys) == steps, (len(keys), steps)
        """),
        target=1 / 10),
}

CHILD = textwrap.dedent("""
    import json, logging, sys, time, warnings
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    lib, n, warmup, case = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
    mlflow = __import__(lib)
    ns = {"mlflow": mlflow, "time": time, "__name__": "__main__"}
    exec(case["setup"], ns)
    if case["kind"] == "call":
        code = compile(case["call"], "<call>", "exec")
        times = []
        with mlflow.start_run():
            for i in range(warmup + n):
                ns["i"] = i
                t0 = time.perf_counter()
                exec(code, ns)
                elapsed = time.perf_counter() - t0
                if i >= warmup:
                    times.append(elapsed)
        print("RESULT " + json.dumps({"times": times}))
    else:
        # the step inlined in a loop, as a user's code would run it
        exec("def _per_step(count):\\n"
             "    t0 = time.perf_counter()\\n"
             "    for _ in range(count):\\n"
             + "".join(f"        {line}\\n" for line in case["step"].splitlines())
             + "    return (time.perf_counter() - t0) / count\\n", ns)
        per_step, rounds = ns["_per_step"], case["rounds"]
        size = max(1, n // rounds)

        def best():
            if warmup:
                per_step(warmup)
            return min(per_step(size) for _ in range(rounds))

        plain = best()
        exec(case["enable"], ns)
        tracked = best()
        ns["steps"] = warmup + rounds * size
        exec(case["check"], ns)
        print("RESULT " + json.dumps({"plain": plain, "tracked": tracked}))
""")


def run_case(case: dict, lib: str, n: int, warmup: int) -> dict:
    """Run ``case`` for ``lib`` in a fresh subprocess and working directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix=f"bench-models-{lib}-") as cwd:
        out = subprocess.run([sys.executable, "-c", CHILD, lib, str(n), str(warmup),
                              json.dumps(case)], env=env, cwd=cwd, capture_output=True,
                             text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} failed:\n{out.stderr[-3000:]}")
    line = next(x for x in reversed(out.stdout.splitlines()) if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def _duration(seconds: float) -> str:
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:9.2f} us"
    return f"{seconds * 1e3:9.2f} ms"


def _verdict(ratio: float, target: float | None) -> str:
    if target is None:
        return "for information"
    return f"target <= 1/{1 / target:.0f}: {'PASS' if ratio <= target else 'FAIL'}"


def report(name: str, case: dict, n: int, warmup: int, results: dict) -> None:
    """Print one case's figures and its ratio."""
    if case["kind"] == "call":
        print(f"{name}: caller time per call ({n} calls, {warmup} warm-up)")
        medians = {}
        for lib, r in results.items():
            medians[lib] = statistics.median(r["times"])
            print(f"  {lib:10s} median {_duration(medians[lib])}   "
                  f"mean {_duration(statistics.mean(r['times']))}")
        ratio = medians["aiomlflow"] / medians["mlflow"]
    else:
        rounds = case["rounds"]
        print(f"{name}: time autolog adds per step ({max(1, n // rounds)} steps x {rounds} "
              f"round(s), best round, {warmup} warm-up)")
        for lib, r in results.items():
            print(f"  {lib:10s} added {_duration(r['tracked'] - r['plain'])}   "
                  f"(untracked step {_duration(r['plain']).strip()})")
        ours, theirs = (results[lib]["tracked"] - results[lib]["plain"]
                        for lib in ("aiomlflow", "mlflow"))
        ratio = ours / theirs if theirs > 0 else float("nan")
    print(f"  ratio aiomlflow/mlflow: {ratio:.4f} (1/{1 / ratio:.1f})   "
          f"{_verdict(ratio, case['target'])}")


def _counts(items: list[str], selected: list[str]) -> dict[str, int]:
    counts = {name: CASES[name]["n"] for name in selected}
    for item in items:
        name, _, value = item.rpartition("=")
        if name and name not in CASES:
            raise SystemExit(f"--n {item}: no case {name!r} (cases: {', '.join(CASES)})")
        for case in [name] if name else selected:
            counts[case] = int(value)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", metavar="[CASE=]N", action="append", default=[],
                        help="timed calls (or steps) per library; without CASE= for every "
                             "selected case; repeatable (defaults: "
                             + ", ".join(f"{k} {v['n']}" for k, v in CASES.items()) + ")")
    parser.add_argument("--warmup", type=int, default=3,
                        help="untimed calls (or steps) first, both libraries (default 3)")
    parser.add_argument("--only", choices=list(CASES), nargs="+", action="extend",
                        metavar="CASE", help="run only these cases: " + ", ".join(CASES))
    args = parser.parse_args()
    selected = args.only or list(CASES)
    counts = _counts(args.n, selected)
    for name in selected:
        case, n = CASES[name], counts[name]
        results = {lib: run_case(case, lib, n, args.warmup) for lib in ("aiomlflow", "mlflow")}
        report(name, case, n, args.warmup, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
