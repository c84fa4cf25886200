"""The ``shap`` evaluator: model explainability for classifiers and regressors.

SHAP plots are not produced by aiomlflow yet: when SHAP is not installed the evaluator
logs MLflow's one warning and skips, and when it is installed it says that aiomlflow
does not compute explanations (instead of silently doing nothing)."""

from __future__ import annotations

import logging

import numpy as np

from ...exceptions import MlflowException
from . import models
from .evaluator import BuiltInEvaluator

_logger = logging.getLogger(__name__)

_ALGORITHMS = ("exact", "permutation", "partition", "kernel")


class ShapEvaluator(BuiltInEvaluator):
    """Explainability insights; runs next to the classifier or regressor evaluator."""

    name = "shap"

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs):
        return (model_type in ("classifier", "regressor")
                and evaluator_config.get("log_model_explainability", True))

    def _evaluate(self, model, extra_metrics, custom_artifacts=None, **kwargs):
        if models.loader_module(model) == "mlflow.spark":
            _logger.warning("Logging model explainability insights is not currently "
                            "supported for PySpark models.")
            return None
        labels = self.dataset.labels_data
        if not (np.issubdtype(labels.dtype, np.number) or labels.dtype == np.bool_):
            _logger.warning("Skip logging model explainability insights because it requires "
                            "all label values to be numeric or boolean.")
            return None
        algorithm = self.evaluator_config.get("explainability_algorithm", None)
        if algorithm is not None and algorithm not in _ALGORITHMS:
            raise MlflowException.invalid_parameter_value(
                f"Specified explainer algorithm {algorithm} is unsupported. Currently only "
                f"support {','.join(_ALGORITHMS)} algorithms.")
        if algorithm != "kernel":
            for dtype in self.X.dtypes:
                if not np.issubdtype(dtype, np.number):
                    _logger.warning(
                        "Skip logging model explainability insights because the shap explainer "
                        f"{algorithm} requires all feature values to be numeric, and each "
                        "feature column must only contain scalar values.")
                    return None
        import importlib.util

        if not all(importlib.util.find_spec(name) for name in ("shap", "matplotlib")):
            _logger.warning("SHAP or matplotlib package is not installed, so model "
                            "explainability insights will not be logged.")
            return None
        _logger.warning("Model explainability (SHAP) insights are not computed by aiomlflow "
                        "yet; set evaluator_config={'log_model_explainability': False} to "
                        "silence this warning.")
        return None
