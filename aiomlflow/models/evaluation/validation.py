"""``mlflow.models.evaluation.validation``: metric thresholds and model validation."""

from aiomlflow.sdk.evaluation.validation import (
    MetricThreshold,
    MetricThresholdClassException,
    ModelValidationFailedException,
    validate_evaluation_results,
)

__all__ = ["MetricThreshold", "MetricThresholdClassException",
           "ModelValidationFailedException", "validate_evaluation_results"]
