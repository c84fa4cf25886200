"""``mlflow.data.evaluation_dataset``: EvaluationDataset, what ``mlflow.evaluate``
evaluates on."""

from aiomlflow.sdk.evaluation.dataset import EvaluationDataset

__all__ = ["EvaluationDataset"]
