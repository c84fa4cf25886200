"""ROC and precision-recall curves of a classifier (their AUC / average precision are
metrics) and the plots MLflow logs for classifiers; matplotlib loads only to draw."""

from __future__ import annotations

import math

import numpy as np


class Curve:
    """Lines to plot (label, x, y) with axis labels and a title, and the area under the
    curve: a number for a binary classifier, a list (one per class) otherwise."""

    def __init__(self, series, xlabel, ylabel, title, auc, kind, binary):
        self.series, self.xlabel, self.ylabel, self.title = series, xlabel, ylabel, title
        self.auc, self.kind, self.binary = auc, kind, binary

    def plot(self):
        """Draw the curve on the current matplotlib figure."""
        from matplotlib import pyplot

        fig, ax = pyplot.subplots(1, 1, figsize=(6.0, 4.0), dpi=175)
        for label, x, y in self.series:
            ax.plot(x, y, label=label, drawstyle="steps-post", linewidth=1)
        ax.set(xlabel=self.xlabel, ylabel=self.ylabel, title=self.title)
        diagonal = ([0, 1], [1, 0]) if self.kind == "pr" else ([0, 1], [0, 1])
        ax.plot(*diagonal, color="gray", alpha=0.3, linestyle="dashed")
        if self.binary:
            ax.legend(loc="best")
        else:
            ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
            pyplot.subplots_adjust(right=0.6, bottom=0.25)


def _roc_line(y, probs, pos_label, plot_pos_label, sample_weights):
    from sklearn import metrics as sk

    fpr, tpr, _ = sk.roc_curve(y, probs, sample_weight=sample_weights, pos_label=plot_pos_label)
    auc = sk.roc_auc_score(y_true=np.asarray(y) == pos_label, y_score=probs,
                           sample_weight=sample_weights)
    return fpr, tpr, f"AUC={auc:.3f}", auc


def _pr_line(y, probs, pos_label, plot_pos_label, sample_weights):
    from sklearn import metrics as sk

    precision, recall, _ = sk.precision_recall_curve(y, probs, sample_weight=sample_weights,
                                                     pos_label=plot_pos_label)
    ap = sk.average_precision_score(y_true=y, y_score=probs, pos_label=pos_label,
                                    sample_weight=sample_weights)
    return recall, precision, f"AP={ap:.3f}", ap


def classifier_curve(kind, y, probs, labels, pos_label, sample_weights, binary) -> Curve:
    """The ROC (``kind="roc"``) or precision-recall (``"pr"``) curve: of the positive
    class's probabilities for a binary classifier, one-vs-rest per class otherwise."""
    line = _roc_line if kind == "roc" else _pr_line
    if kind == "roc":
        xlabel, ylabel, title = "False Positive Rate", "True Positive Rate", "ROC curve"
    else:
        xlabel, ylabel, title = "Recall", "Precision", "Precision recall curve"
    if pos_label:
        xlabel, ylabel = (f"{xlabel} (Positive label: {pos_label})",
                          f"{ylabel} (Positive label: {pos_label})")
    if binary:
        x, y_axis, label, auc = line(y, probs, pos_label, pos_label, sample_weights)
        return Curve([(label, x, y_axis)], xlabel, ylabel, title, auc, kind, True)
    series, aucs = [], []
    y = np.asarray(y)
    probs = np.asarray(probs)
    for index, cls in enumerate(labels):
        y_bin = np.where(y == cls, 1, 0)
        x, y_axis, label, auc = line(y_bin, probs[:, index], 1,
                                     1 if pos_label == 1 else None, sample_weights)
        series.append((f"label={cls},{label}", x, y_axis))
        aucs.append(auc)
    return Curve(series, xlabel, ylabel, title, aucs, kind, False)


def plot_lift_curve(y_true, y_probs, pos_label):
    """Cumulative lift of the positive class against the share of samples targeted,
    samples ordered by decreasing positive-class probability."""
    from matplotlib import pyplot

    y_true = np.asarray(y_true)
    probs = np.asarray(y_probs)
    classes = np.unique(y_true)
    fig, ax = pyplot.subplots(1, 1, figsize=(6.0, 4.0), dpi=175)
    for index, cls in enumerate(classes):
        if probs.ndim == 2 and index >= probs.shape[1]:
            break
        scores = probs[:, index] if probs.ndim == 2 else probs
        order = np.argsort(scores)[::-1]
        hits = np.cumsum(y_true[order] == cls)
        share = np.arange(1, len(y_true) + 1) / len(y_true)
        base = max(np.mean(y_true == cls), 1e-12)
        ax.plot(share, hits / np.arange(1, len(y_true) + 1) / base,
                label=f"Class {cls}" + (" (positive)" if cls == pos_label else ""))
    ax.plot([0, 1], [1, 1], "k--", lw=1, label="Baseline")
    ax.set(title="Lift Curve", xlabel="Percentage of sample", ylabel="Lift")
    ax.legend(loc="lower right")
    return fig


def plot_calibration_curve(y_true, y_probs, pos_label, config, label_list):
    """Reliability diagram: fraction of positives against mean predicted probability,
    for the positive class (binary) or every class."""
    from matplotlib import pyplot
    from sklearn.calibration import CalibrationDisplay, calibration_curve

    name = config.get("calibration_classifier_name", None)
    n_bins = config.get("calibration_n_bins", 10)
    if config:
        if not isinstance(config.get("calibration_classifier_name", ""), str):
            raise TypeError("calibration_classifier_name should be of type string")
        if not isinstance(n_bins, int):
            raise TypeError("calibration_n_bins should be of type int")
    probs = np.asarray(y_probs)
    n_classes = probs.shape[-1]
    if n_classes == 2:
        matches = np.where(np.sort(label_list) == pos_label)[0]
        index = int(matches[0]) if len(matches) else 1
        return CalibrationDisplay.from_predictions(y_true, y_prob=probs[:, index],
                                                   pos_label=pos_label, name=name,
                                                   n_bins=n_bins).figure_
    fig, ax = pyplot.subplots()
    for index in range(n_classes):
        truth, predicted = calibration_curve(y_true=[v == index for v in y_true],
                                             y_prob=probs[:, index], n_bins=n_bins)
        pyplot.plot(truth, predicted, marker="o", markersize=3,
                    label=f"Class {label_list[index]}")
    pyplot.plot([0, 1], [0, 1], linestyle="dotted", label="Perfect Calibration", color="black")
    pyplot.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=n_classes // 3)
    ax.set_title(f"{name or 'Classifier'} Calibration", fontsize=12)
    ax.set_xlabel("Mean Predicted Probability", fontsize=10)
    ax.set_ylabel("Fraction of True Positives", fontsize=10)
    return fig


def plot_confusion_matrix(matrix, labels):
    """The normalised confusion matrix."""
    import matplotlib
    from matplotlib import pyplot
    from sklearn.metrics import ConfusionMatrixDisplay

    with matplotlib.rc_context({"font.size": min(8, math.ceil(50.0 / len(labels))),
                                "axes.labelsize": 8}):
        _, ax = pyplot.subplots(1, 1, figsize=(6.0, 4.0), dpi=175)
        display = ConfusionMatrixDisplay(confusion_matrix=matrix,
                                         display_labels=labels).plot(cmap="Blues", ax=ax)
        display.ax_.set_title("Normalized confusion matrix")
