"""The classifier plots MLflow's sklearn autologging logs: ``training_confusion_matrix.png``
and, for binary classifiers, ``training_roc_curve.png`` and
``training_precision_recall_curve.png``.

Rendered off the caller's thread by the engine's artifact worker, on matplotlib's
object API (no pyplot state shared with the user's figures), from snapshots of the
estimator and data taken when ``fit`` returned.
"""

from __future__ import annotations

import copy
import logging

_logger = logging.getLogger("aiomlflow.autolog")
_RC = {"savefig.dpi": 175, "figure.autolayout": True, "font.size": 8}


def plot_specs(estimator, X, y_true, sample_weight, prefix: str) -> list:
    """(file name, title, draw(ax)) of each plot for this classifier."""
    from sklearn import metrics

    labels = getattr(estimator, "classes_", None)
    if labels is None:
        labels = set(y_true)
    count = len(labels)

    def confusion(ax):
        import matplotlib

        with matplotlib.rc_context({"font.size": min(8.0, 50.0 / count),
                                    "axes.labelsize": 8.0, "figure.dpi": 175}):
            return metrics.ConfusionMatrixDisplay.from_estimator(
                estimator, X, y_true, sample_weight=sample_weight, normalize="true",
                cmap="Blues", ax=ax)

    specs = [(prefix + "confusion_matrix", "Normalized confusion matrix", confusion,
              (6.0, 4.0))]
    if len(set(y_true)) == 2:
        specs.append((prefix + "roc_curve", "ROC curve",
                      lambda ax: metrics.RocCurveDisplay.from_estimator(
                          estimator, X, y_true, sample_weight=sample_weight, ax=ax), None))
        specs.append((prefix + "precision_recall_curve", "Precision recall curve",
                      lambda ax: metrics.PrecisionRecallDisplay.from_estimator(
                          estimator, X, y_true, sample_weight=sample_weight, ax=ax), None))
    return specs


def render(estimator, X, y_true, sample_weight, prefix: str) -> list[tuple[str, bytes]]:
    """The PNG files of the plots (a plot that fails is left out, with a warning)."""
    import io

    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    files = []
    with matplotlib.rc_context(_RC):
        for name, title, draw, size in plot_specs(estimator, X, y_true, sample_weight, prefix):
            try:
                figure = Figure(figsize=size) if size else Figure()
                FigureCanvasAgg(figure)
                display = draw(figure.add_subplot(1, 1, 1))
                display.ax_.set_title(title)
                buffer = io.BytesIO()
                display.figure_.savefig(buffer, format="png")
                files.append((f"{name}.png", buffer.getvalue()))
            except Exception as exc:
                _logger.warning("%s failed. The artifact %s will not be recorded. Artifact "
                                "error: %s", getattr(draw, "__qualname__", name), name, exc)
    return files


def log_classifier_plots(engine, run_id: str, estimator, X, y_true, sample_weight,
                         prefix: str = "training_") -> None:
    """Queue the plots of a fitted classifier for the artifact worker."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        _logger.warning("Failed to import matplotlib (error: ModuleNotFoundError(\"No module "
                        "named 'matplotlib'\")). Skipping artifact logging.")
        return
    from ...artifacts import roots

    snapshot = copy.deepcopy(estimator)

    async def render_and_store(store):
        import anyio.to_thread

        files = await anyio.to_thread.run_sync(render, snapshot, X, y_true, sample_weight,
                                               prefix)
        for name, data in files:
            await store.upload_bytes(data, name)

    engine.artifacts.submit(roots.run_root(engine, run_id), prefix + "plots", render_and_store,
                            0, False)
