"""scikit-learn models and autologging side by side: aiomlflow and real mlflow 3.17.2.

Every (case, library) pair runs in a fresh subprocess and working directory on the
default local store (``sqlite:///mlflow.db``), every ``MLFLOW_*`` variable removed, the
same rounds and warm-up for both libraries.

* ``log_model``: ``mlflow.sklearn.log_model`` of a fitted LogisticRegression (30×3
  training data) inside a run, default serialization format.  Figure: the caller's time
  per call.  Target: aiomlflow ≤ 1/5 of mlflow.
* ``autolog_fit``: ``mlflow.sklearn.autolog(log_models=False)`` around ``fit`` calls of
  a tiny LinearRegression (20×3).  Figure: added time per fit = (time per fit with
  autolog) − (time per fit without), each fit creating and ending its autologging run.
  Target: aiomlflow ≤ 1/10 of mlflow.
* ``autolog_fit_models``: the same with autolog's defaults (the model is logged on each
  fit), fewer fits (mlflow's model logging costs seconds each).
* ``predict_untracked``: ``predict`` of a LinearRegression (20×3) trained before
  ``autolog(log_models=False)`` was enabled.  Figure: added time per predict =
  (with autolog) − (without), each the best of 5 rounds.  Target: not measurable against the predict itself (one
  attribute lookup in the patched method).
* ``post_training_metric``: a model trained under autolog, then ``predict(X_test)``
  and ``mean_squared_error(y_test, y_pred)`` (one post-training metric and a
  metric_info.json rewrite each).  Figure: the caller's added time per pair (then a
  flush, outside the timing).  Target: aiomlflow ≤ 1/10 of mlflow.

    python benchmarks/sklearn_models.py [--log-models 10] [--fits 100] [--model-fits 10]
                                        [--predicts 20000] [--post-metrics 100]
                                        [--only autolog_fit]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WARMUP = 2

CHILD = textwrap.dedent("""
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    lib, n, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    mlflow = __import__(lib)
    import numpy as np
    import mlflow_sklearn_face  # noqa: placeholder replaced below
""")

CHILD = textwrap.dedent("""
    import json, logging, sys, time, warnings
    warnings.simplefilter("ignore")
    case, lib, n, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    if lib == "mlflow":
        import mlflow
    else:
        import aiomlflow as mlflow
    logging.getLogger(lib).setLevel(logging.ERROR)
    import numpy as np
    from sklearn.linear_model import LinearRegression, LogisticRegression

    rng = np.random.RandomState(0)
    if case == "log_model":
        X = rng.rand(30, 3)
        model = LogisticRegression().fit(X, (X.sum(axis=1) > 1.5).astype(int))
        with mlflow.start_run():
            for i in range(warmup):
                mlflow.sklearn.log_model(model, name=f"warm{i}")
            start = time.perf_counter()
            for i in range(n):
                mlflow.sklearn.log_model(model, name=f"m{i}")
            caller = (time.perf_counter() - start) / n
        print("RESULT " + json.dumps({"per_call_s": caller}))
    elif case in ("predict_untracked", "post_training_metric"):
        X = rng.rand(20, 3)
        y = X @ [1.0, 2.0, 3.0]
        X_test = rng.rand(20, 3)
        y_test = X_test @ [1.0, 2.0, 3.0]
        from sklearn import metrics
        model = LinearRegression().fit(X, y)

        def pairs(count, with_metric):
            start = time.perf_counter()
            for _ in range(count):
                y_pred = model.predict(X_test)
                if with_metric:
                    metrics.mean_squared_error(y_test, y_pred)
            return (time.perf_counter() - start) / count

        def best(count, with_metric):  # the best of 5 rounds: predict takes ~0.1 ms
            return min(pairs(count // 5, with_metric) for _ in range(5))

        tracked = case == "post_training_metric"
        pairs(warmup, tracked)
        plain = best(n, tracked)
        mlflow.sklearn.autolog(log_models=False, silent=True)
        if tracked:
            model = LinearRegression().fit(X, y)
        pairs(warmup, tracked)
        logged = best(n, tracked)
        mlflow.flush_async_logging() if hasattr(mlflow, "flush_async_logging") else None
        if tracked:
            run = mlflow.last_active_run()
            keys = [k for k in run.data.metrics if k.startswith("mean_squared_error")]
            assert len(keys) == n // 5 * 5 + warmup, len(keys)
        print("RESULT " + json.dumps({"plain_s": plain, "autolog_s": logged,
                                      "added_s": logged - plain}))
    else:
        X = rng.rand(20, 3)
        y = X @ [1.0, 2.0, 3.0]

        def fits(count):
            start = time.perf_counter()
            for _ in range(count):
                LinearRegression().fit(X, y)
            return (time.perf_counter() - start) / count

        fits(warmup)
        plain = fits(n)
        mlflow.sklearn.autolog(log_models=(case == "autolog_fit_models"), silent=True)
        fits(warmup)
        logged = fits(n)
        runs = len(mlflow.search_runs(output_format="list"))
        assert runs == n + warmup, runs
        print("RESULT " + json.dumps({"plain_s": plain, "autolog_s": logged,
                                      "added_s": logged - plain}))
""")


def run_case(case: str, lib: str, n: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory(prefix=f"bench-{case}-{lib}-") as workdir:
        result = subprocess.run([sys.executable, "-c", CHILD, case, lib, str(n), str(WARMUP)],
                                cwd=workdir, env=env, capture_output=True, text=True,
                                timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"{case}/{lib} failed:\n{result.stderr[-4000:]}")
    line = next(line for line in result.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-models", type=int, default=10, help="log_model calls")
    parser.add_argument("--fits", type=int, default=100, help="fits with autolog_fit")
    parser.add_argument("--model-fits", type=int, default=10,
                        help="fits with autolog_fit_models")
    parser.add_argument("--predicts", type=int, default=20000,
                        help="predict calls with predict_untracked")
    parser.add_argument("--post-metrics", type=int, default=100,
                        help="predict + metric pairs with post_training_metric")
    parser.add_argument("--only", choices=["log_model", "autolog_fit", "autolog_fit_models",
                                           "predict_untracked", "post_training_metric"])
    args = parser.parse_args()
    cases = {"log_model": args.log_models, "autolog_fit": args.fits,
             "autolog_fit_models": args.model_fits, "predict_untracked": args.predicts,
             "post_training_metric": args.post_metrics}
    for case, n in cases.items():
        if args.only and case != args.only:
            continue
        ours = run_case(case, "aiomlflow", n)
        theirs = run_case(case, "mlflow", n)
        if case == "log_model":
            a, m = ours["per_call_s"], theirs["per_call_s"]
            print(f"{case:20s} n={n:<4d} caller per call: aiomlflow {a * 1e3:9.2f} ms   "
                  f"mlflow {m * 1e3:9.2f} ms   ratio {a / m:.4f} (target <= 0.2)")
        elif case in ("predict_untracked", "post_training_metric"):
            a, m = ours["added_s"], theirs["added_s"]
            what = "predict" if case == "predict_untracked" else "predict+metric"
            print(f"{case:20s} n={n:<4d} added per {what}: aiomlflow {a * 1e6:9.2f} us "
                  f"(plain {ours['plain_s'] * 1e6:.1f} us)   mlflow {m * 1e6:9.2f} us "
                  f"(plain {theirs['plain_s'] * 1e6:.1f} us)"
                  + (f"   ratio {a / m:.4f} (target <= 0.1)" if case != "predict_untracked"
                     else ""))
        else:
            a, m = ours["added_s"], theirs["added_s"]
            print(f"{case:20s} n={n:<4d} added per fit: aiomlflow {a * 1e3:9.3f} ms "
                  f"(fit {ours['plain_s'] * 1e3:.3f} ms)   mlflow {m * 1e3:9.3f} ms "
                  f"(fit {theirs['plain_s'] * 1e3:.3f} ms)   ratio {a / m:.4f} "
                  f"(target <= 0.1)")


if __name__ == "__main__":
    main()
