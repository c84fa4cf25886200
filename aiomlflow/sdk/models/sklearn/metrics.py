"""Training metrics of a fitted estimator, named and computed as MLflow's sklearn
autologging does (``training_*``), with each prediction made once."""

from __future__ import annotations

import inspect
import logging

import numpy as np

_logger = logging.getLogger("aiomlflow.autolog")
TRAINING_PREFIX = "training_"


def _warn(function, name: str, exc: Exception) -> None:
    _logger.warning("%s failed. The metric %s will not be recorded. Metric error: %s",
                    function.__qualname__, name, exc)


def _compute(specs: list, prefix: str) -> dict:
    values = {}
    for name, function, kwargs in specs:
        try:
            values[prefix + name] = function(*kwargs.pop("_args", ()), **kwargs)
        except Exception as exc:
            _warn(function, prefix + name, exc)
    return values


def classifier_metrics(estimator, prefix, X, y_true, sample_weight, pos_label) -> dict:
    """precision, recall, f1 (weighted, or binary with ``pos_label``), accuracy; with
    ``predict_proba`` also log loss and ROC AUC (weighted, one-vs-one)."""
    from sklearn import metrics

    average = "weighted" if pos_label is None else "binary"
    y_pred = estimator.predict(X)
    common = {"y_true": y_true, "y_pred": y_pred, "sample_weight": sample_weight}
    labelled = {**common, "pos_label": pos_label, "average": average}
    specs = [
        ("precision_score", metrics.precision_score, labelled),
        ("recall_score", metrics.recall_score, labelled),
        ("f1_score", metrics.f1_score, labelled),
        ("accuracy_score", metrics.accuracy_score, {**common, "normalize": True}),
    ]
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        # positional: the probabilities' keyword changed name in scikit-learn 1.9
        specs.append(("log_loss", metrics.log_loss,
                      {"_args": (y_true, proba), "sample_weight": sample_weight}))
        score = proba[:, 1] if len(proba[0]) == 2 else proba
        specs.append(("roc_auc", metrics.roc_auc_score,
                      {"y_true": y_true, "y_score": score, "average": "weighted",
                       "sample_weight": sample_weight, "multi_class": "ovo"}))
    return _compute(specs, prefix), y_pred


def _plain_arrays(y_true, y_pred, sample_weight) -> bool:
    """Whether the targets are plain numeric arrays of one shape, which the fast path
    computes exactly as scikit-learn's regression metrics do."""
    if type(y_true) is not np.ndarray or type(y_pred) is not np.ndarray:
        return False
    if y_true.shape != y_pred.shape or y_true.ndim not in (1, 2) or not len(y_true):
        return False
    if y_true.dtype.kind not in "fiu" or y_pred.dtype.kind not in "fiu":
        return False
    if sample_weight is not None and (type(sample_weight) is not np.ndarray
                                      or sample_weight.shape != y_true.shape[:1]
                                      or sample_weight.dtype.kind not in "fiu"):
        return False
    return bool(np.isfinite(y_true).all() and np.isfinite(y_pred).all())


def _fast_regression(y_true, y_pred, sample_weight, prefix) -> dict:
    """mse, mae and r2 with scikit-learn's formulas (uniform average over outputs, r2's
    conventions for constant targets), without its input checks: the data was checked
    by fit, and the checks cost more than the metrics."""
    y_true = y_true.astype(np.float64, copy=False).reshape(len(y_true), -1)
    y_pred = y_pred.astype(np.float64, copy=False).reshape(len(y_pred), -1)
    errors = y_true - y_pred
    mse = float(np.average(np.average(errors ** 2, axis=0, weights=sample_weight)))
    mae = float(np.average(np.average(np.abs(y_pred - y_true), axis=0,
                                      weights=sample_weight)))
    weight = 1.0 if sample_weight is None else sample_weight[:, None]
    numerator = (weight * errors ** 2).sum(axis=0)
    denominator = (weight * (y_true - np.average(y_true, axis=0, weights=sample_weight))
                   ** 2).sum(axis=0)
    scores = np.ones(y_true.shape[1])
    valid = (numerator != 0) & (denominator != 0)
    scores[valid] = 1 - numerator[valid] / denominator[valid]
    scores[(numerator != 0) & (denominator == 0)] = 0.0
    return {prefix + "mean_squared_error": mse, prefix + "mean_absolute_error": mae,
            prefix + "r2_score": float(np.average(scores))}


def regressor_metrics(estimator, prefix, X, y_true, sample_weight) -> dict:
    """mean squared / absolute error, r2 (uniform average over outputs), and the root
    of the mean squared error."""
    from sklearn import metrics

    y_pred = estimator.predict(X)
    if _plain_arrays(y_true, y_pred, sample_weight) and len(y_true) > 1:
        values = _fast_regression(y_true, y_pred, sample_weight, prefix)
        values[prefix + "root_mean_squared_error"] = float(
            np.sqrt(values[prefix + "mean_squared_error"]))
        return values, y_pred
    kwargs = {"y_true": y_true, "y_pred": y_pred, "sample_weight": sample_weight,
              "multioutput": "uniform_average"}
    values = _compute([("mean_squared_error", metrics.mean_squared_error, kwargs),
                       ("mean_absolute_error", metrics.mean_absolute_error, kwargs),
                       ("r2_score", metrics.r2_score, kwargs)], prefix)
    mse = values.get(prefix + "mean_squared_error")
    if mse is not None:
        values[prefix + "root_mean_squared_error"] = float(np.sqrt(mse))
    return values, y_pred


def _reusable_score(estimator, computed: dict, prefix: str, sample_weight):
    """The estimator's ``score`` when it is the mixin's default, which is a metric already
    computed: accuracy for classifiers, r2 for regressors."""
    from sklearn.base import ClassifierMixin, RegressorMixin

    score = getattr(type(estimator), "score", None)
    if score is ClassifierMixin.score:
        return computed.get(prefix + "accuracy_score")
    if score is RegressorMixin.score:
        return computed.get(prefix + "r2_score")
    return None


_score_takes_weight: dict = {}


def estimator_metrics(estimator, X, y_true, sample_weight, pos_label,
                      prefix: str = TRAINING_PREFIX) -> dict:
    """Every training metric MLflow logs for ``estimator`` (none without labels)."""
    import sklearn
    from sklearn.base import is_classifier, is_regressor

    if y_true is None:
        return {}
    values: dict = {}
    # The data was validated by fit: the metrics' own argument checks only cost time.
    with sklearn.config_context(skip_parameter_validation=True):
        try:
            if is_classifier(estimator):
                values, _ = classifier_metrics(estimator, prefix, X, y_true, sample_weight,
                                               pos_label)
            elif is_regressor(estimator):
                values, _ = regressor_metrics(estimator, prefix, X, y_true, sample_weight)
        except Exception as exc:
            _logger.warning("Failed to autolog metrics for %s. Logging error: %s",
                            type(estimator).__name__, exc)
            values = {}
        if hasattr(estimator, "score"):
            score = _reusable_score(estimator, values, prefix, sample_weight)
            if score is None:
                score = _call_score(estimator, X, y_true, sample_weight)
            if score is not None:
                values[prefix + "score"] = score
    return values


def _call_score(estimator, X, y_true, sample_weight):
    kind = type(estimator)
    takes_weight = _score_takes_weight.get(kind)
    if takes_weight is None:
        try:
            takes_weight = "sample_weight" in inspect.signature(estimator.score).parameters
        except (TypeError, ValueError):
            takes_weight = False
        _score_takes_weight[kind] = takes_weight
    try:
        return (estimator.score(X, y_true, sample_weight) if takes_weight
                else estimator.score(X, y_true))
    except Exception as exc:
        _logger.warning("%s failed. The 'training_score' metric will not be recorded. "
                        "Scoring error: %s", estimator.score.__qualname__, exc)
        return None
