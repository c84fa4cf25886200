"""Evaluation metrics: ``EvaluationMetric``, ``make_metric`` and ``MetricValue``."""

from __future__ import annotations

import inspect
import keyword
import logging
import numbers
from dataclasses import dataclass
from types import FunctionType

import numpy as np

from ...exceptions import MlflowException

_logger = logging.getLogger(__name__)

# Parameter names the evaluator fills itself; a metric of that name cannot feed another.
_SPECIAL_PARAMETERS = ("predictions", "targets", "metrics")


def _is_number(value) -> bool:
    """A number and not a bool (what MetricValue aggregates)."""
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


def _is_numeric(value) -> bool:
    """What a metric function may return as a value or a score (bools included)."""
    return isinstance(value, (int, float, np.number))


def standard_aggregations(scores) -> dict:
    """The aggregates MLflow reports for per-row scores: mean, variance and p90."""
    return {"mean": np.mean(scores), "variance": np.var(scores),
            "p90": np.percentile(scores, 90)}


@dataclass
class MetricValue:
    """The value of a metric: per-row ``scores``, per-row ``justifications`` and the
    ``aggregate_results`` (name → number); numeric scores get the standard aggregates
    when no aggregates are given."""

    scores: list | None = None
    justifications: list | None = None
    aggregate_results: dict | None = None

    def __post_init__(self):
        if (self.aggregate_results is None and isinstance(self.scores, (list, tuple))
                and all(_is_number(score) for score in self.scores)):
            self.aggregate_results = standard_aggregations(self.scores)


class EvaluationMetric:
    """A metric computed by ``mlflow.evaluate``: ``eval_fn`` returns a number or a
    MetricValue from the evaluation columns it names (``predictions``, ``targets``,
    ``metrics``, input or output columns, evaluator_config entries, other metrics)."""

    def __init__(self, eval_fn, name, greater_is_better, long_name=None, version=None,
                 metric_details=None, metric_metadata=None, genai_metric_args=None):
        self.eval_fn = eval_fn
        self.name = name
        self.greater_is_better = greater_is_better
        self.long_name = long_name or name
        self.version = version
        self.metric_details = metric_details
        self.metric_metadata = metric_metadata
        self.genai_metric_args = genai_metric_args

    def __call__(self, **kwargs):
        """Evaluate the metric directly: keyword arguments as ``eval_fn`` names them."""
        return self.eval_fn(**kwargs)

    def __str__(self):
        parts = [f"name={self.name}, greater_is_better={self.greater_is_better}"]
        for label in ("long_name", "version", "metric_details", "metric_metadata"):
            if getattr(self, label):
                parts.append(f"{label}={getattr(self, label)}")
        return "EvaluationMetric(" + ", ".join(parts) + ")"


def _metric_class(eval_fn) -> type:
    """A subclass whose ``__call__`` advertises ``eval_fn``'s parameters as keywords (what
    ``help(metric)`` and ``inspect.signature(metric)`` show, as in MLflow)."""
    try:
        params = inspect.signature(eval_fn).parameters
    except (TypeError, ValueError):
        return EvaluationMetric

    def __call__(self, **kwargs):
        return self.eval_fn(**kwargs)

    __call__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=p.annotation)
           for name, p in params.items()
           if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)])
    __call__.__doc__ = ("Evaluate the metric (keyword arguments only). Required arguments: "
                        f"{list(params)}")
    return type("CallableEvaluationMetric", (EvaluationMetric,), {"__call__": __call__})


def make_metric(*, eval_fn, greater_is_better, name=None, long_name=None, version=None,
                metric_details=None, metric_metadata=None, genai_metric_args=None):
    """Create an :class:`EvaluationMetric` from ``eval_fn`` (named after the function
    unless ``name`` is given; a lambda needs a ``name``)."""
    if name is None:
        if isinstance(eval_fn, FunctionType) and eval_fn.__name__ == "<lambda>":
            raise MlflowException.invalid_parameter_value(
                "`name` must be specified if `eval_fn` is a lambda function.")
        if not hasattr(eval_fn, "__name__"):
            raise MlflowException.invalid_parameter_value(
                "`name` must be specified if `eval_fn` does not have a `__name__` attribute.")
        name = eval_fn.__name__
    if "/" in name:
        raise MlflowException.invalid_parameter_value(
            f"Invalid metric name '{name}'. Metric names cannot include forward slashes ('/').")
    if not name.isidentifier():
        _logger.warning(
            f"The metric name '{name}' provided is not a valid Python identifier, which will "
            "prevent its use as a base metric for derived metrics. Please use a valid "
            "identifier to enable creation of derived metrics that use the given metric.")
    if keyword.iskeyword(name):
        _logger.warning(
            f"The metric name '{name}' is a reserved Python keyword, which will prevent its "
            "use as a base metric for derived metrics. Please use a valid identifier to enable "
            "creation of derived metrics that use the given metric.")
    if name in _SPECIAL_PARAMETERS:
        _logger.warning(
            f"The metric name '{name}' is used as a special parameter in MLflow metrics, "
            "which will prevent its use as a base metric for derived metrics. Please use a "
            "different name to enable creation of derived metrics that use the given metric.")
    return _metric_class(eval_fn)(
        eval_fn=eval_fn, name=name, greater_is_better=greater_is_better, long_name=long_name,
        version=version, metric_details=metric_details, metric_metadata=metric_metadata,
        genai_metric_args=genai_metric_args)


def checked_value(metric_name: str, index: int, value):
    """``value`` (what an eval_fn returned) as a MetricValue, or None with MLflow's warning
    when it is None or malformed (such a metric is not logged)."""
    if index < 0:
        header = f"Did not log builtin metric '{metric_name}' because it"
    else:
        header = (f"Did not log metric '{metric_name}' at index {index} in the "
                  "`extra_metrics` parameter because it")
    if value is None:
        _logger.warning(f"{header} returned None.")
        return None
    if _is_numeric(value):
        return MetricValue(aggregate_results={metric_name: value})
    if not isinstance(value, MetricValue):
        _logger.warning(f"{header} did not return a MetricValue.")
        return None
    problem = None
    if value.scores is not None:
        if not isinstance(value.scores, list):
            problem = "must return MetricValue with scores as a list."
        elif any(not (_is_numeric(s) or isinstance(s, str) or s is None) for s in value.scores):
            problem = "must return MetricValue with numeric or string scores."
    if problem is None and value.justifications is not None:
        if not isinstance(value.justifications, list):
            problem = "must return MetricValue with justifications as a list."
        elif any(not (isinstance(j, str) or j is None) for j in value.justifications):
            problem = "must return MetricValue with string justifications."
    if problem is None and value.aggregate_results is not None:
        if not isinstance(value.aggregate_results, dict):
            problem = "must return MetricValue with aggregate_results as a dict."
        elif any(not (isinstance(k, str) and (_is_numeric(v) or v is None))
                 for k, v in value.aggregate_results.items()):
            problem = ("must return MetricValue with aggregate_results with str keys and "
                       "numeric values.")
    if problem is not None:
        _logger.warning(f"{header} {problem}")
        return None
    return value
