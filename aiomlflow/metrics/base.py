"""``mlflow.metrics.base``: the value a metric function returns."""

from aiomlflow.sdk.evaluation.metric import MetricValue, standard_aggregations

__all__ = ["MetricValue", "standard_aggregations"]
