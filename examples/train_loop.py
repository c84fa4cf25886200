"""A training job logged with aiomlflow: k-fold cross-validation of a small model.

Run it:
    python examples/train_loop.py            # ~10,000 metric points, a few seconds
    python examples/train_loop.py --small    # ~1,000 points (real mlflow is slow: use this with it)

The only line that mentions aiomlflow is the import below.  Replace it with
``import mlflow`` and the script runs unchanged on real MLflow, against the same
``./mlflow.db``.

What it logs, to the default tracking URI ``sqlite:///mlflow.db`` in the working directory:
  * an experiment, and a parent run with the sweep's hyper-parameters, tags and a
    description;
  * one nested child run per fold: per-step ``train_loss`` with
    ``synchronous=False`` (the hot path: each call is an enqueue), every few steps
    ``lr`` / ``grad_norm`` / ``train_accuracy``, per-epoch validation metrics, and a
    final summary metric logged synchronously;
  * cross-validation summary metrics on the parent.
The "model" is a stand-in (a noisy loss curve under a warm-up + cosine learning-rate
schedule) so the script needs nothing but the SDK; put your forward/backward pass there.
"""
from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import time

import aiomlflow as mlflow

EXPERIMENT = "aiomlflow-example-train-loop"


def lr_at(step: int, total: int, base_lr: float, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 1% of the base rate."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return base_lr * (0.01 + 0.99 * 0.5 * (1.0 + math.cos(math.pi * progress)))


class StandInModel:
    """Pretends to train: loss falls with the accumulated learning rate, plus noise."""

    def __init__(self, seed: int, difficulty: float):
        self.rng = random.Random(seed)
        self.difficulty = difficulty
        self.progress = 0.0

    def train_step(self, lr: float) -> tuple[float, float, float]:
        self.progress += lr * 3.0
        clean = 0.08 * self.difficulty + 2.2 * math.exp(-self.progress)
        loss = max(1e-4, clean * (1.0 + self.rng.gauss(0.0, 0.08)))
        grad_norm = abs(self.rng.gauss(4.0 * clean + 0.2, 0.3))
        accuracy = min(1.0, max(0.0, 1.0 - 0.42 * clean + self.rng.gauss(0.0, 0.02)))
        return loss, grad_norm, accuracy

    def evaluate(self) -> tuple[float, float]:
        clean = 0.1 * self.difficulty + 2.2 * math.exp(-0.9 * self.progress)
        val_loss = clean * (1.0 + self.rng.gauss(0.0, 0.03))
        val_acc = min(1.0, max(0.0, 1.0 - 0.45 * clean + self.rng.gauss(0.0, 0.01)))
        return val_loss, val_acc


def train_fold(fold: int, args) -> tuple[float, int]:
    """One child run. Returns the fold's best validation accuracy and the points logged."""
    total = args.epochs * args.steps_per_epoch
    warmup = max(1, total // 20)
    model = StandInModel(seed=args.seed + fold, difficulty=1.0 + 0.15 * fold)
    best_acc, step, points = 0.0, 0, 0

    with mlflow.start_run(run_name=f"fold-{fold}", nested=True):
        mlflow.log_params({"fold": fold, "seed": args.seed + fold})
        mlflow.set_tag("fold", str(fold))
        for epoch in range(args.epochs):
            for _ in range(args.steps_per_epoch):
                lr = lr_at(step, total, args.lr, warmup)
                loss, grad_norm, acc = model.train_step(lr)
                # The hot path: an enqueue, no database round trip per step.
                mlflow.log_metric("train_loss", loss, step=step, synchronous=False)
                points += 1
                if step % args.log_every == 0:
                    mlflow.log_metrics(
                        {"lr": lr, "grad_norm": grad_norm, "train_accuracy": acc},
                        step=step,
                        synchronous=False,
                    )
                    points += 3
                step += 1
            val_loss, val_acc = model.evaluate()
            best_acc = max(best_acc, val_acc)
            mlflow.log_metrics(
                {"val_loss": val_loss, "val_accuracy": val_acc, "epoch": epoch},
                step=step,
                synchronous=False,
            )
            points += 3
        # A summary worth waiting for: logged synchronously (durable on return).
        mlflow.log_metric("best_val_accuracy", best_acc)
    return best_acc, points + 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--steps-per-epoch", type=int, default=250)
    ap.add_argument("--log-every", type=int, default=10, help="steps between lr/grad_norm logs")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--small", action="store_true",
                    help="10x fewer steps (real mlflow logs a few hundred metrics per second)")
    args = ap.parse_args()
    if args.small:
        args.steps_per_epoch = max(1, args.steps_per_epoch // 10)

    t0 = time.perf_counter()
    experiment = mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(
        run_name="cv-sweep",
        description="k-fold cross-validation of a small MLP on a synthetic dataset "
        "(examples/train_loop.py)",
        tags={"team": "examples", "model.family": "mlp", "dataset": "synthetic-moons"},
    ) as parent:
        mlflow.log_params(
            {
                "learning_rate": args.lr,
                "batch_size": args.batch_size,
                "epochs": args.epochs,
                "steps_per_epoch": args.steps_per_epoch,
                "folds": args.folds,
                "optimizer": "adamw",
                "weight_decay": 0.01,
                "lr_schedule": "warmup+cosine",
                "hidden_units": "128,64",
            }
        )
        mlflow.set_tags({"stage": "cross-validation", "framework": "stand-in"})

        results = [train_fold(fold, args) for fold in range(args.folds)]
        scores = [best for best, _ in results]
        points = sum(n for _, n in results)

        mlflow.log_metrics(
            {
                "cv_mean_val_accuracy": statistics.fmean(scores),
                "cv_std_val_accuracy": statistics.pstdev(scores),
            }
        )
        # end_run (leaving the with-block) waits for the run's pending writes;
        # flush_async_logging() waits for everything, across runs.
        mlflow.flush_async_logging()
    elapsed = time.perf_counter() - t0

    uri = mlflow.get_tracking_uri()
    default_uri = "sqlite:///" + os.path.abspath("mlflow.db")
    if uri in (default_uri, "sqlite:///mlflow.db"):
        uri = "sqlite:///mlflow.db"

    print(f"experiment : {experiment.name} (id {experiment.experiment_id})")
    print(f"parent run : {parent.info.run_id}")
    print(f"logged     : {args.folds} child runs, {points + 2:,} metric points "
          f"in {elapsed:.2f} s")
    print(f"tracking   : {mlflow.get_tracking_uri()}")
    print("open it    : mlflow ui --backend-store-uri " + uri)


if __name__ == "__main__":
    main()
