"""Model validation: ``MetricThreshold`` and ``validate_evaluation_results``."""

from __future__ import annotations

import logging
import operator
import os
from decimal import Decimal

from ...exceptions import BAD_REQUEST, INVALID_PARAMETER_VALUE, MlflowException

_logger = logging.getLogger(__name__)


class MetricThresholdClassException(MlflowException):
    """A MetricThreshold built with invalid arguments."""

    def __init__(self, _message, **kwargs):
        super().__init__("Could not instantiate MetricThreshold class: " + _message,
                         error_code=INVALID_PARAMETER_VALUE, **kwargs)


class ModelValidationFailedException(MlflowException):
    """The candidate model failed validation; the message lists every failed check."""

    def __init__(self, message, **kwargs):
        super().__init__(message, error_code=BAD_REQUEST, **kwargs)


class MetricThreshold:
    """Thresholds a metric must meet: an absolute ``threshold`` and/or a minimum
    absolute or relative improvement over the baseline model; ``greater_is_better``
    says which direction is an improvement."""

    def __init__(self, threshold=None, min_absolute_change=None, min_relative_change=None,
                 greater_is_better=None):
        if threshold is not None and type(threshold) not in {int, float}:
            raise MetricThresholdClassException("`threshold` parameter must be a number.")
        if min_absolute_change is not None and (
                type(min_absolute_change) not in {int, float} or min_absolute_change <= 0):
            raise MetricThresholdClassException(
                "`min_absolute_change` parameter must be a positive number.")
        if min_relative_change is not None:
            if not isinstance(min_relative_change, float):
                raise MetricThresholdClassException(
                    "`min_relative_change` parameter must be a floating point number.")
            if min_relative_change < 0 or min_relative_change > 1:
                raise MetricThresholdClassException(
                    "`min_relative_change` parameter must be between 0 and 1.")
        if greater_is_better is None:
            raise MetricThresholdClassException("`greater_is_better` parameter must be defined.")
        if not isinstance(greater_is_better, bool):
            raise MetricThresholdClassException("`greater_is_better` parameter must be a boolean.")
        if threshold is None and min_absolute_change is None and min_relative_change is None:
            raise MetricThresholdClassException("no threshold was specified.")
        self._threshold = threshold
        self._min_absolute_change = min_absolute_change
        self._min_relative_change = min_relative_change
        self._greater_is_better = greater_is_better

    @property
    def threshold(self):
        """The value the metric must reach (>= if greater is better, else <=)."""
        return self._threshold

    @property
    def min_absolute_change(self):
        """The minimum absolute improvement over the baseline model's value."""
        return self._min_absolute_change

    @property
    def min_relative_change(self):
        """The minimum improvement over the baseline, relative to its magnitude."""
        return self._min_relative_change

    @property
    def greater_is_better(self):
        """Whether a greater value of the metric is better."""
        return self._greater_is_better

    def __str__(self):
        parts = []
        if self._threshold is not None:
            parts.append(f"Threshold: {self._threshold}.")
        if self._min_absolute_change is not None:
            parts.append(f"Minimum Absolute Change: {self._min_absolute_change}.")
        if self._min_relative_change is not None:
            parts.append(f"Minimum Relative Change: {self._min_relative_change}.")
        parts.append("Greater value is better." if self._greater_is_better
                     else "Lower value is better.")
        return " ".join(parts)


class _MetricCheck:
    """The outcome of validating one metric."""

    def __init__(self, name, candidate, threshold, baseline=None):
        self.name, self.candidate, self.threshold, self.baseline = (name, candidate, threshold,
                                                                    baseline)
        self.missing_candidate = self.missing_baseline = False
        self.threshold_failed = self.absolute_failed = self.relative_failed = False

    def passed(self) -> bool:
        return not (self.missing_candidate or self.missing_baseline or self.threshold_failed
                    or self.absolute_failed or self.relative_failed)

    def __str__(self):
        name = self.name
        if self.passed():
            return f"Metric {name} passed the validation."
        if self.missing_candidate:
            return (f"Metric validation failed: metric {name} was missing from the evaluation "
                    "result of the candidate model.")
        parts = []
        if self.threshold_failed:
            parts.append(f"Metric {name} value threshold check failed: candidate model {name} = "
                         f"{self.candidate}, {name} threshold = {self.threshold.threshold}.")
        if self.missing_baseline:
            parts.append(f"Model comparison failed: metric {name} was missing from the "
                         "evaluation result of the baseline model.")
        else:
            compared = (f"candidate model {name} = {self.candidate}, baseline model {name} = "
                        f"{self.baseline}, {name}")
            if self.absolute_failed:
                parts.append(f"Metric {name} minimum absolute change check failed: {compared} "
                             "minimum absolute change threshold = "
                             f"{self.threshold.min_absolute_change}.")
            if self.relative_failed:
                parts.append(f"Metric {name} minimum relative change check failed: {compared} "
                             "minimum relative change threshold = "
                             f"{self.threshold.min_relative_change}.")
        return " ".join(parts)


def _check(name, threshold: MetricThreshold, candidate_metrics, baseline_metrics):
    check = _MetricCheck(name, candidate_metrics.get(name), threshold,
                         baseline_metrics.get(name))
    if name not in candidate_metrics:
        check.missing_candidate = True
        return check
    value = candidate_metrics[name]
    better_or_equal = operator.ge if threshold.greater_is_better else operator.le
    improve = operator.add if threshold.greater_is_better else operator.sub
    if threshold.threshold is not None:
        check.threshold_failed = not better_or_equal(value, threshold.threshold)
    wants_baseline = (threshold.min_absolute_change is not None
                      or threshold.min_relative_change is not None)
    if wants_baseline and name not in baseline_metrics:
        check.missing_baseline = True
        return check
    baseline = baseline_metrics.get(name)
    if threshold.min_absolute_change is not None:
        # Decimal: 0.8 + 0.05 must not fail 0.85 by a rounding error
        check.absolute_failed = not better_or_equal(
            Decimal(value), Decimal(improve(baseline, threshold.min_absolute_change)))
    if threshold.min_relative_change is not None:
        if baseline == 0:
            _logger.warning(
                f"Cannot perform relative model comparison for metric {name} as baseline "
                "metric value is 0. Falling back to simple comparison: verifying that candidate "
                "metric value is better than the baseline metric value.")
            check.relative_failed = not better_or_equal(Decimal(value),
                                                        Decimal(improve(baseline, 1e-10)))
        else:
            change = (value - baseline) if threshold.greater_is_better else (baseline - value)
            check.relative_failed = change / abs(baseline) < threshold.min_relative_change
    return check


def validate_evaluation_results(validation_thresholds, candidate_result, baseline_result=None):
    """Check the candidate model's evaluation result against ``validation_thresholds``
    (metric name → MetricThreshold) and, for relative/absolute changes, the baseline's;
    raise ModelValidationFailedException listing every failure."""
    if not (type(validation_thresholds) is dict
            and all(type(k) is str for k in validation_thresholds)
            and all(isinstance(v, MetricThreshold) for v in validation_thresholds.values())):
        raise MlflowException.invalid_parameter_value(
            "The validation thresholds argument must be a dictionary that maps strings to "
            "MetricThreshold objects.")
    _logger.info("Validating candidate model metrics against baseline")
    candidate = candidate_result.metrics
    baseline = baseline_result.metrics if baseline_result else {}
    failures = [str(check) for check in (
        _check(name, threshold, candidate, baseline)
        for name, threshold in validation_thresholds.items()) if not check.passed()]
    if failures:
        raise ModelValidationFailedException(message=os.linesep.join(failures))
    _logger.info("Model validation passed!")
