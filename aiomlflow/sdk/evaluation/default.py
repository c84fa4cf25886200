"""The ``default`` evaluator: ``model_type=None`` (extra metrics only) and the text
and retriever model types with their built-in per-row metrics."""

from __future__ import annotations

import logging
import time

import numpy as np

from ...exceptions import MlflowException
from . import builtin_metrics as bm
from . import models
from .evaluator import LATENCY_METRIC_NAME, BuiltInEvaluator
from .metric import MetricValue
from .outputs import split_outputs

_logger = logging.getLogger(__name__)

GENAI_METRICS_FILE_NAME = "genai_custom_metrics.json"
MODEL_TYPES = ("regressor", "classifier", "question-answering", "text-summarization", "text",
               "retriever")


class DefaultEvaluator(BuiltInEvaluator):
    """Evaluates what no dedicated built-in evaluator does."""

    name = "default"

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs):
        return model_type in MODEL_TYPES or model_type is None

    def _builtin_metrics(self) -> list:
        if self.model_type is None:
            return []
        text = [bm.token_count(), bm.toxicity(), bm.flesch_kincaid_grade_level(),
                bm.ari_grade_level()]
        if self.model_type == "question-answering":
            return [*text, bm.exact_match()]
        if self.model_type == "text-summarization":
            return [*text, bm.rouge1(), bm.rouge2(), bm.rougeL(), bm.rougeLsum()]
        if self.model_type == "text":
            return text
        if self.model_type == "retriever":
            k = self.evaluator_config.pop("retriever_k", 3)
            return [bm.precision_at_k(k), bm.recall_at_k(k), bm.ndcg_at_k(k)]
        return []

    def _evaluate(self, model, extra_metrics, custom_artifacts=None, **kwargs):
        # the latency metric is measured while predicting, not computed afterwards
        compute_latency = any(m.name == LATENCY_METRIC_NAME for m in extra_metrics)
        extra_metrics = [m for m in extra_metrics if m.name != LATENCY_METRIC_NAME]
        self._log_genai_metric_definitions(extra_metrics)
        y_pred, other_outputs, self.predictions = self._predict(model, compute_latency)
        y_true = self.dataset.labels_data
        self.evaluate_metrics(self._builtin_metrics() + extra_metrics, prediction=y_pred,
                              target=y_true, other_output_df=other_outputs)
        self.evaluate_and_log_custom_artifacts(custom_artifacts, prediction=y_pred,
                                               target=y_true)
        self.log_metrics()
        self.log_eval_table(y_pred, other_outputs)
        return self.result()

    def _log_genai_metric_definitions(self, extra_metrics):
        """Log the arguments of metrics made with ``genai_metric_args`` as the
        ``genai_custom_metrics.json`` table, so they can be rebuilt later (as MLflow)."""
        defined = [m.genai_metric_args for m in extra_metrics
                   if m.genai_metric_args is not None]
        if not defined:
            return
        from ..artifacts.fluent import log_table
        from .artifacts import JsonEvaluationArtifact

        log_table({"name": [args["name"] for args in defined],
                   "version": [args.get("version", "") for args in defined],
                   "metric_args": defined}, artifact_file=GENAI_METRICS_FILE_NAME)
        self.artifacts[GENAI_METRICS_FILE_NAME.rsplit(".", 1)[0]] = JsonEvaluationArtifact(
            uri=self._artifact_uri(GENAI_METRICS_FILE_NAME))

    def _predict(self, model, compute_latency):
        input_df = self.X
        if model is None:
            if compute_latency:
                _logger.warning("Setting the latency to 0 for all entries because the model is "
                                "not provided.")
                self.metrics_values[LATENCY_METRIC_NAME] = MetricValue(
                    scores=[0.0] * len(input_df))
            outputs = self.dataset.predictions_data
        else:
            predict = models.predict_fn(model)
            _logger.info("Computing model predictions.")
            outputs = (self._predict_timed(predict, input_df) if compute_latency
                       else predict(input_df))
        return split_outputs(outputs, self.predictions)

    def _predict_timed(self, predict, input_df):
        """Predict row by row, recording each row's latency in seconds."""
        import pandas as pd

        if len(input_df) == 0:
            raise ValueError("Empty input data")
        outputs, latencies = [], []
        for _, row in input_df.iterrows():
            start = time.time()
            outputs.append(predict(row.to_frame().T))
            latencies.append(time.time() - start)
        self.metrics_values[LATENCY_METRIC_NAME] = MetricValue(scores=latencies)
        first = outputs[0]
        if isinstance(first, pd.DataFrame):
            return pd.concat(outputs)
        if isinstance(first, np.ndarray):
            return np.concatenate(outputs, axis=0)
        if isinstance(first, list):
            return sum(outputs, [])
        if isinstance(first, pd.Series):
            return pd.concat(outputs, ignore_index=True)
        if isinstance(first, str):
            return outputs
        raise MlflowException.invalid_parameter_value(
            f"Unsupported prediction type {type(first)} for model type {self.model_type}.")
