"""The ``classifier`` evaluator: MLflow's binary and multiclass classification metrics,
the per-class metrics table and the classifier plots."""

from __future__ import annotations

import logging

import numpy as np

from ...exceptions import MlflowException
from . import curves, models
from .evaluator import BuiltInEvaluator, aggregate_values

_logger = logging.getLogger(__name__)


def _infer_model_type_by_labels(labels):
    import pandas as pd

    dtype = pd.Series(labels).convert_dtypes().dtype.name.lower()
    if dtype in ("category", "string", "boolean"):
        return "classifier"
    if dtype.startswith("float"):
        return "regressor"
    return None


def common_metrics(*, y_true, y_pred, y_proba, labels, average, pos_label, sample_weights):
    """example_count, accuracy, recall, precision, F1 and (with probabilities) log loss."""
    from sklearn import metrics as sk

    scored = {"average": average, "pos_label": pos_label, "sample_weight": sample_weights}
    result = {
        "example_count": len(y_true),
        "accuracy_score": sk.accuracy_score(y_true, y_pred, sample_weight=sample_weights),
        "recall_score": sk.recall_score(y_true, y_pred, **scored),
        "precision_score": sk.precision_score(y_true, y_pred, **scored),
        "f1_score": sk.f1_score(y_true, y_pred, **scored),
    }
    if y_proba is not None:
        result["log_loss"] = sk.log_loss(y_true, y_proba, labels=labels,
                                         sample_weight=sample_weights)
    return result


def binary_metrics(*, y_true, y_pred, y_proba=None, labels=None, pos_label=1,
                   sample_weights=None):
    """The confusion-matrix counts and the common metrics of a binary classifier."""
    from sklearn import metrics as sk

    tn, fp, fn, tp = sk.confusion_matrix(y_true, y_pred, labels=labels).ravel()
    return {"true_negatives": tn, "false_positives": fp, "false_negatives": fn,
            "true_positives": tp,
            **common_metrics(y_true=y_true, y_pred=y_pred, y_proba=y_proba, labels=labels,
                             average="binary", pos_label=pos_label,
                             sample_weights=sample_weights)}


def multiclass_metrics(*, y_true, y_pred, y_proba=None, labels=None, average="weighted",
                       sample_weights=None):
    """The common metrics averaged by ``average``, and the one-vs-rest ROC AUC."""
    from sklearn import metrics as sk

    result = common_metrics(y_true=y_true, y_pred=y_pred, y_proba=y_proba, labels=labels,
                            average=average, pos_label=None, sample_weights=sample_weights)
    if average in ("macro", "weighted") and y_proba is not None:
        result["roc_auc"] = sk.roc_auc_score(y_true=y_true, y_score=y_proba,
                                             sample_weight=sample_weights, average=average,
                                             multi_class="ovr")
    return result


def per_class_metrics(y, y_pred, labels, sample_weights):
    """One row per class: the binary metrics of that class against the rest."""
    import pandas as pd

    y, y_pred = np.asarray(y), np.asarray(y_pred)
    rows = []
    for cls in labels:
        rows.append({"positive_class": cls,
                     **binary_metrics(y_true=np.where(y == cls, 1, 0),
                                      y_pred=np.where(y_pred == cls, 1, 0), labels=[0, 1],
                                      pos_label=1, sample_weights=sample_weights)})
    return pd.DataFrame(rows)


class ClassifierEvaluator(BuiltInEvaluator):
    """Evaluates ``model_type="classifier"`` (binary when there are two labels)."""

    name = "classifier"

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs):
        return model_type == "classifier"

    def _evaluate(self, model, extra_metrics, custom_artifacts=None, **kwargs):
        self.y_true = self.dataset.labels_data
        self.label_list = self.evaluator_config.get("label_list")
        self.pos_label = self.evaluator_config.get("pos_label")
        self.sample_weights = self.evaluator_config.get("sample_weights")
        if self.pos_label and self.label_list and self.pos_label not in self.label_list:
            raise MlflowException.invalid_parameter_value(
                f"'pos_label' {self.pos_label} must exist in 'label_list' {self.label_list}.")
        inferred = _infer_model_type_by_labels(self.y_true)
        if inferred != "classifier":
            _logger.warning(
                "According to the evaluation dataset label values, the model type looks like "
                f"{inferred}, but you specified model type 'classifier'. Please verify that you "
                "set the `model_type` and `dataset` arguments correctly.")
        input_df = self.X
        predict, predict_proba = models.predict_fn(model), models.predict_proba_fn(model)
        self.y_pred = self.dataset.predictions_data if model is None else predict(input_df)
        self.y_probs = predict_proba(input_df) if predict_proba is not None else None
        self._resolve_labels()

        self.score_sklearn_model(model, self.y_true, self.sample_weights)
        if len(self.label_list) == 2:
            self.metrics_values.update(aggregate_values(binary_metrics(
                y_true=self.y_true, y_pred=self.y_pred, y_proba=self.y_probs,
                labels=self.label_list, pos_label=self.pos_label,
                sample_weights=self.sample_weights)))
            self._binary_curves()
        else:
            self.metrics_values.update(aggregate_values(multiclass_metrics(
                y_true=self.y_true, y_pred=self.y_pred, y_proba=self.y_probs,
                labels=self.label_list,
                average=self.evaluator_config.get("average", "weighted"),
                sample_weights=self.sample_weights)))
        self.evaluate_metrics(extra_metrics, prediction=self.y_pred, target=self.y_true)
        self.evaluate_and_log_custom_artifacts(custom_artifacts, prediction=self.y_pred,
                                               target=self.y_true)
        self.log_metrics()
        self.log_eval_table(self.y_pred)
        if len(self.label_list) == 2:
            self._log_binary_artifacts()
        else:
            self._log_multiclass_artifacts()
        self._log_confusion_matrix()
        return self.result()

    def _resolve_labels(self):
        """The sorted label list (given, or seen in targets and predictions) with the
        positive label last for a binary classifier."""
        if self.label_list is None:
            self.label_list = np.unique(np.concatenate([np.asarray(self.y_true),
                                                        np.asarray(self.y_pred)]))
        else:
            self.label_list = np.array(self.label_list)
        if len(self.label_list) < 2:
            raise MlflowException(
                "Evaluation dataset for classification must contain at least two unique "
                f"labels, but only {len(self.label_list)} unique labels were found.",
                "Please provide a 'label_list' parameter in 'evaluator_config' with all "
                "possible classes, e.g., evaluator_config={{'label_list': [0, 1]}}.")
        self.label_list.sort()
        if len(self.label_list) == 2:
            # probability columns follow the sorted labels: find the positive one first
            if self.pos_label is not None and self.pos_label in self.label_list:
                self.pos_index = int(np.where(self.label_list == self.pos_label)[0][0])
            else:
                self.pos_index = 1
            if self.pos_label is None:
                self.pos_label = self.label_list[-1]
            else:
                if self.pos_label in self.label_list:
                    self.label_list = np.delete(self.label_list,
                                                np.where(self.label_list == self.pos_label))
                self.label_list = np.append(self.label_list, self.pos_label)
            _logger.info("The evaluation dataset is inferred as binary dataset, positive label "
                         f"is {self.label_list[1]}, negative label is {self.label_list[0]}.")
        else:
            _logger.info(
                "The evaluation dataset is inferred as multiclass dataset, number of classes is "
                f"inferred as {len(self.label_list)}. If this is incorrect, please specify the "
                "`label_list` parameter in `evaluator_config`.")

    def _binary_curves(self):
        self.roc_curve = self.pr_curve = None
        if self.y_probs is None:
            return
        positive = np.asarray(self.y_probs)[:, self.pos_index]
        for kind, metric in (("roc", "roc_auc"), ("pr", "precision_recall_auc")):
            curve = curves.classifier_curve(kind, self.y_true, positive, self.label_list,
                                            self.pos_label, self.sample_weights, binary=True)
            setattr(self, "roc_curve" if kind == "roc" else "pr_curve", curve)
            self.metrics_values.update(aggregate_values({metric: curve.auc}))

    def _calibration_config(self) -> dict:
        return {k: v for k, v in self.evaluator_config.items() if k.startswith("calibration_")}

    def _log_calibration_curve(self):
        self.log_image(lambda: curves.plot_calibration_curve(
            self.y_true, self.y_probs, self.pos_label, self._calibration_config(),
            self.label_list), "calibration_curve_plot")

    def _log_binary_artifacts(self):
        if self.y_probs is None:
            return
        self.log_image(self.roc_curve.plot, "roc_curve_plot")
        self.log_image(self.pr_curve.plot, "precision_recall_curve_plot")
        self.log_image(lambda: curves.plot_lift_curve(self.y_true, self.y_probs,
                                                      self.pos_label), "lift_curve_plot")
        self._log_calibration_curve()

    def _log_multiclass_artifacts(self):
        table = per_class_metrics(self.y_true, self.y_pred, self.label_list,
                                  self.sample_weights)
        with_curves = False
        if self.y_probs is not None:
            self._log_calibration_curve()
            limit = self.evaluator_config.get("max_classes_for_multiclass_roc_pr", 10)
            if len(self.label_list) <= limit:
                with_curves = True
            else:
                _logger.warning(
                    f"The classifier num_classes > {limit}, skip logging ROC curve and "
                    "Precision-Recall curve. You can add evaluator config "
                    "'max_classes_for_multiclass_roc_pr' to increase the threshold.")
        if with_curves:
            for kind, artifact, column in (("roc", "roc_curve_plot", "roc_auc"),
                                           ("pr", "precision_recall_curve_plot",
                                            "precision_recall_auc")):
                curve = curves.classifier_curve(kind, self.y_true, self.y_probs,
                                                self.label_list, self.pos_label,
                                                self.sample_weights, binary=False)
                self.log_image(curve.plot, artifact)
                table[column] = curve.auc
        self.log_dataframe(table, "per_class_metrics")

    def _log_confusion_matrix(self):
        from sklearn import metrics as sk

        matrix = sk.confusion_matrix(self.y_true, self.y_pred, labels=self.label_list,
                                     normalize="true", sample_weight=self.sample_weights)
        self.log_image(lambda: curves.plot_confusion_matrix(matrix, self.label_list),
                       "confusion_matrix")
