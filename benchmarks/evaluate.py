#!/usr/bin/env python3
"""``evaluate`` in aiomlflow against real mlflow 3.17.2, side by side in one process.

Usage:
    python benchmarks/evaluate.py              # 10 rounds per case after 2 warm-up rounds
    python benchmarks/evaluate.py --rounds 30

Cases (same data, same rounds and warm-up on both sides, each in its own temporary
directory with a fresh ``sqlite:///mlflow.db`` store):

- ``regressor-static``: 1,000 rows of static predictions, model_type="regressor" (nine
  metrics logged, no plot);
- ``extra-metrics``: the same data with model_type=None and four ``mlflow.metrics``;
- ``binary-callable``: a callable classifier on 1,000 rows (nine metrics and the
  confusion-matrix plot).

Prints milliseconds per call (median) and the ratio mlflow / aiomlflow. Shared
machines are noisy: the ratios matter, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cases(module, np, pd):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.1, size=1000)
    frame = pd.DataFrame(x, columns=["a", "b", "c"]).assign(y=y, p=y + rng.normal(size=1000))
    labels = (y > 0).astype(int)
    binary = pd.DataFrame(x, columns=["a", "b", "c"]).assign(label=labels)
    m = module.metrics
    return {
        "regressor-static": dict(data=frame, targets="y", predictions="p",
                                 model_type="regressor"),
        "extra-metrics": dict(data=frame, targets="y", predictions="p",
                              extra_metrics=[m.mae(), m.rmse(), m.r2_score(), m.max_error()]),
        "binary-callable": dict(model=lambda df: (df["a"] - 2 * df["b"] > 0).astype(int),
                                data=binary, targets="label", model_type="classifier",
                                evaluator_config={"log_model_explainability": False}),
    }


def measure(name, rounds, warmup):
    import numpy as np
    import pandas as pd

    module = __import__(name)
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        module.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        for case, kwargs in cases(module, np, pd).items():
            times = []
            for i in range(warmup + rounds):
                t0 = time.perf_counter()
                module.evaluate(**kwargs)
                if i >= warmup:
                    times.append(time.perf_counter() - t0)
            out[case] = statistics.median(times) * 1000
        if name == "aiomlflow":
            module.flush_async_logging()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    here = os.getcwd()
    ours = measure("aiomlflow", args.rounds, args.warmup)
    os.chdir(here)
    theirs = measure("mlflow", args.rounds, args.warmup)
    os.chdir(here)
    print(f"{'case':<20}{'aiomlflow ms':>14}{'mlflow ms':>12}{'mlflow/aiomlflow':>18}")
    for case in ours:
        print(f"{case:<20}{ours[case]:>14.1f}{theirs[case]:>12.1f}"
              f"{theirs[case] / ours[case]:>18.2f}")


if __name__ == "__main__":
    main()
