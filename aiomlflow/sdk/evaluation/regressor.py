"""The ``regressor`` evaluator: MLflow's regression metrics."""

from __future__ import annotations

import numpy as np

from . import models
from .evaluator import BuiltInEvaluator, aggregate_values
from .outputs import split_outputs


def regressor_metrics(y, y_pred, sample_weights) -> dict:
    """example_count, MAE, MSE, RMSE, sum/mean on target, R², max error and MAPE."""
    from sklearn import metrics as sk

    from .builtin_metrics import root_mean_squared_error

    total = ((np.array(y) * np.array(sample_weights)).sum() if sample_weights is not None
             else sum(y))
    return {
        "example_count": len(y),
        "mean_absolute_error": sk.mean_absolute_error(y, y_pred, sample_weight=sample_weights),
        "mean_squared_error": sk.mean_squared_error(y, y_pred, sample_weight=sample_weights),
        "root_mean_squared_error": root_mean_squared_error(y, y_pred,
                                                           sample_weight=sample_weights),
        "sum_on_target": total,
        "mean_on_target": total / len(y),
        "r2_score": sk.r2_score(y, y_pred, sample_weight=sample_weights),
        "max_error": sk.max_error(y, y_pred),
        "mean_absolute_percentage_error": sk.mean_absolute_percentage_error(
            y, y_pred, sample_weight=sample_weights),
    }


class RegressorEvaluator(BuiltInEvaluator):
    """Evaluates ``model_type="regressor"``."""

    name = "regressor"

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs):
        return model_type == "regressor"

    def _evaluate(self, model, extra_metrics, custom_artifacts=None, **kwargs):
        y_true = self.dataset.labels_data
        sample_weights = self.evaluator_config.get("sample_weights", None)
        predict = models.predict_fn(model)
        if predict is not None:
            y_pred, _, _ = split_outputs(predict(self.X), self.predictions)
        else:
            y_pred = self.dataset.predictions_data
        self.score_sklearn_model(model, y_true, sample_weights)
        self.metrics_values.update(aggregate_values(regressor_metrics(y_true, y_pred,
                                                                      sample_weights)))
        self.evaluate_metrics(extra_metrics, prediction=y_pred, target=y_true)
        self.evaluate_and_log_custom_artifacts(custom_artifacts, prediction=y_pred,
                                               target=y_true)
        self.log_metrics()
        self.log_eval_table(y_pred)
        return self.result()
