"""``mlflow.models.evaluation.base``: the evaluation API and its result and metric types."""

from aiomlflow.sdk.evaluation.api import evaluate
from aiomlflow.sdk.evaluation.artifacts import EvaluationArtifact
from aiomlflow.sdk.evaluation.evaluator import ModelEvaluator
from aiomlflow.sdk.evaluation.metric import EvaluationMetric, make_metric
from aiomlflow.sdk.evaluation.registry import list_evaluators
from aiomlflow.sdk.evaluation.result import EvaluationResult

__all__ = ["EvaluationArtifact", "EvaluationMetric", "EvaluationResult", "ModelEvaluator",
           "evaluate", "list_evaluators", "make_metric"]
