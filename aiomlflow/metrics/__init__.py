"""``mlflow.metrics``: built-in evaluation metrics for ``mlflow.evaluate(extra_metrics=...)``
and ``make_metric`` for your own.

The GenAI (LLM-judged) metrics of ``mlflow.metrics.genai`` are not provided."""

from aiomlflow.sdk.evaluation.builtin_metrics import (
    ari_grade_level,
    bleu,
    exact_match,
    f1_score,
    flesch_kincaid_grade_level,
    latency,
    mae,
    mape,
    max_error,
    mse,
    ndcg_at_k,
    precision_at_k,
    precision_score,
    r2_score,
    recall_at_k,
    recall_score,
    rmse,
    rouge1,
    rouge2,
    rougeL,
    rougeLsum,
    token_count,
    toxicity,
)
from aiomlflow.sdk.evaluation.metric import EvaluationMetric, MetricValue, make_metric

__all__ = [
    "EvaluationMetric", "MetricValue", "make_metric", "flesch_kincaid_grade_level",
    "ari_grade_level", "exact_match", "rouge1", "rouge2", "rougeL", "rougeLsum", "toxicity",
    "mae", "mse", "rmse", "r2_score", "max_error", "mape", "recall_score", "precision_score",
    "f1_score", "token_count", "latency", "bleu", "precision_at_k", "recall_at_k", "ndcg_at_k",
]
