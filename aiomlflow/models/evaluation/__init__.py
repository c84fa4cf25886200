"""``mlflow.models.evaluation``: model evaluation (``evaluate``), its metrics, artifacts,
result object and validation thresholds."""

from aiomlflow.sdk.evaluation.api import evaluate
from aiomlflow.sdk.evaluation.artifacts import EvaluationArtifact
from aiomlflow.sdk.evaluation.dataset import EvaluationDataset
from aiomlflow.sdk.evaluation.evaluator import ModelEvaluator
from aiomlflow.sdk.evaluation.metric import EvaluationMetric, make_metric
from aiomlflow.sdk.evaluation.registry import list_evaluators
from aiomlflow.sdk.evaluation.result import EvaluationResult
from aiomlflow.sdk.evaluation.validation import MetricThreshold

__all__ = [
    "ModelEvaluator", "EvaluationDataset", "EvaluationResult", "EvaluationMetric",
    "EvaluationArtifact", "make_metric", "evaluate", "list_evaluators", "MetricThreshold",
]
