"""What every built-in evaluator shares: the evaluation columns, resolving the arguments
of metric functions, running extra metrics and custom artifacts, and logging the metrics,
artifacts and the per-row table to the run."""

from __future__ import annotations

import abc
import contextlib
import copy
import inspect
import json
import logging
import os
import pickle
import shutil
import tempfile
import traceback

import numpy as np

from ...exceptions import MlflowException
from . import artifacts as eval_artifacts
from .metric import EvaluationMetric, MetricValue, checked_value
from .result import EvaluationResult

_logger = logging.getLogger(__name__)

EVAL_TABLE_FILE_NAME = "eval_results_table.json"
TOKEN_COUNT_METRIC_NAME = "token_count"
LATENCY_METRIC_NAME = "latency"

# MLflow's matplotlib settings for evaluation plots
MATPLOTLIB_CONFIG = {"figure.dpi": 175, "figure.figsize": [6.0, 4.0],
                     "figure.autolayout": True, "font.size": 8}


def aggregate_values(metrics: dict) -> dict:
    """Scalar metrics as MetricValues that aggregate to themselves."""
    return {name: MetricValue(aggregate_results={name: value}) for name, value in metrics.items()}


def frame_with_names(data, names):
    """``data`` as a DataFrame whose columns are ``names`` (renamed, never re-indexed)."""
    import pandas as pd

    df = pd.DataFrame(data)
    return df.rename(columns=dict(zip(df.columns, names)))


class _MetricSpec:
    """A metric to compute: its function, name, version and index in ``extra_metrics``."""

    __slots__ = ("function", "name", "index", "version")

    def __init__(self, index: int, metric: EvaluationMetric):
        self.function = metric.eval_fn
        self.name = metric.name
        self.index = index
        self.version = metric.version

    @property
    def key(self) -> str:
        return f"{self.name}/{self.version}" if self.version else self.name

    def evaluate(self, args):
        return checked_value(self.name, self.index, self.function(*args))


class ModelEvaluator(abc.ABC):
    """An evaluator: ``can_evaluate`` a model type with a config, and ``evaluate``."""

    @classmethod
    @abc.abstractmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs) -> bool:
        """Whether this evaluator applies to ``model_type`` with ``evaluator_config``."""

    @abc.abstractmethod
    def evaluate(self, *, model_type, dataset, run_id, evaluator_config, model=None,
                 extra_metrics=None, custom_artifacts=None, predictions=None, **kwargs):
        """Log metrics and artifacts to ``run_id`` and return an EvaluationResult."""


class BuiltInEvaluator(ModelEvaluator):
    """Base of the built-in evaluators; a subclass implements ``_evaluate``."""

    name = ""

    @classmethod
    def can_evaluate(cls, *, model_type, evaluator_config, **kwargs) -> bool:
        raise NotImplementedError

    def _evaluate(self, model, extra_metrics, custom_artifacts=None, **kwargs):
        raise NotImplementedError

    # ------------------------------------------------------------------ entry point
    def evaluate(self, *, model_type, dataset, run_id, evaluator_config, model=None,
                 extra_metrics=None, custom_artifacts=None, predictions=None, model_id=None,
                 **kwargs):
        """Evaluate, log to ``run_id`` and return an EvaluationResult (None when the
        evaluator has nothing to log)."""
        if model is None and predictions is None and dataset.predictions_data is None:
            raise MlflowException.invalid_parameter_value(
                "Either a model or set of predictions must be specified in order to use the "
                "default evaluator. Either specify the `model` parameter, the `predictions` "
                "parameter, an MLflow dataset containing the `predictions` column name (via the "
                "`data` parameter), or a different evaluator (via the `evaluators` parameter).")
        from ..client import MlflowClient

        self.client = MlflowClient()
        self.artifacts = {}
        self.aggregate_metrics = {}
        self.metrics_values = {}
        self.ordered_metrics = []
        self.other_output_columns_for_eval = set()
        self.dataset = dataset
        self.run_id = run_id
        self.model_type = model_type
        self.model_id = model_id
        self.evaluator_config = evaluator_config
        self.predictions = predictions
        self.col_mapping = evaluator_config.get("col_mapping", {})
        if evaluator_config.get("eval_results_path"):
            raise MlflowException.invalid_parameter_value(
                "eval_results_path is only supported in Spark environment. ")
        extra_metrics = list(extra_metrics or [])
        bad = [m for m in extra_metrics if not isinstance(m, EvaluationMetric)]
        if bad:
            listing = "\n".join(f"- Metric '{m}' has type '{type(m).__name__}'" for m in bad)
            raise MlflowException(
                "In the 'extra_metrics' parameter, the following metrics have the wrong type:\n"
                f"{listing}\nPlease ensure that all extra metrics are instances of "
                "mlflow.metrics.EvaluationMetric.")
        try:
            import matplotlib

            plots = matplotlib.rc_context(MATPLOTLIB_CONFIG)
        except ImportError:
            plots = contextlib.nullcontext()
        with tempfile.TemporaryDirectory() as temp_dir, plots:
            self.temp_dir = temp_dir
            return self._evaluate(model, extra_metrics, custom_artifacts)

    # ------------------------------------------------------------------ data
    @property
    def X(self):
        """A fresh copy of the features as a DataFrame (metric functions may mutate it)."""
        return frame_with_names(self.dataset.features_data, self.dataset.feature_names).copy(
            deep=True)

    def _eval_df(self, prediction, target=None):
        import pandas as pd

        eval_df = pd.DataFrame({"prediction": copy.deepcopy(prediction)})
        if target is not None:
            eval_df["target"] = target
        return eval_df

    # ------------------------------------------------------------------ metrics
    def _metric_value_named(self, column):
        for metric_name, value in self.metrics_values.items():
            if metric_name.split("/")[0] == column:
                return value
        return None

    def _args_for(self, metric: _MetricSpec, eval_df, input_df, other_output_df):
        """(True, arguments) for ``metric``'s function, or (False, missing parameters).

        A function of two parameters other than (predictions, targets) is an old-style
        ``(eval_df, builtin_metrics)`` metric; otherwise each parameter is filled from the
        predictions, targets, metrics, col_mapping, input or output columns, the
        evaluator_config, another metric, or its default."""
        eval_df = eval_df.copy()
        parameters = inspect.signature(metric.function).parameters
        names = list(parameters)
        if len(names) == 2 and names[0] != "predictions" and names[1] != "targets":
            self._update_aggregate_metrics()
            return True, [eval_df, copy.deepcopy(self.aggregate_metrics)]
        args, missing = [], []
        scheduled = {m.name for m in self.ordered_metrics}
        for param_name, param in parameters.items():
            column = self.col_mapping.get(param_name, param_name)
            has_default = param.default is not inspect.Parameter.empty
            if column in ("predictions", self.predictions, self.dataset.predictions_name):
                args.append(eval_df["prediction"])
            elif column in ("targets", self.dataset.targets_name):
                if "target" in eval_df:
                    args.append(eval_df["target"])
                elif has_default:
                    args.append(param.default)
                else:
                    missing.append(param_name)
            elif column == "metrics":
                args.append(copy.deepcopy(self.metrics_values))
            elif not isinstance(column, str):
                args.append(column)  # col_mapping gave the whole column
            elif column in input_df.columns:
                args.append(input_df[column])
            elif other_output_df is not None and column in other_output_df.columns:
                self.other_output_columns_for_eval.add(column)
                args.append(other_output_df[column])
            elif column in self.evaluator_config:
                args.append(self.evaluator_config.get(column))
            elif (value := self._metric_value_named(column)) is not None:
                args.append(value)
            elif column in scheduled:
                args.append(None)  # computed earlier in the same pass
            elif has_default:
                args.append(param.default)
            else:
                missing.append(param_name)
        return (False, missing) if missing else (True, args)

    def _order_metrics(self, metrics, eval_df, other_output_df):
        """Order metrics so that each runs after the metrics it takes as arguments."""
        remaining = metrics
        input_df = self.X
        while remaining:
            pending, failed, progressed = [], [], False
            for metric in remaining:
                ok, args = self._args_for(metric, eval_df, input_df, other_output_df)
                if ok:
                    self.ordered_metrics.append(metric)
                    progressed = True
                else:
                    pending.append(metric)
                    failed.append((metric.name, args))
            if not progressed:
                self._raise_missing_arguments(failed, eval_df, other_output_df)
            remaining = pending
        return self.ordered_metrics

    def _raise_missing_arguments(self, failed, eval_df, other_output_df):
        output_columns = [] if other_output_df is None else list(other_output_df.columns)
        output_columns.append(self.predictions or self.dataset.predictions_name or "predictions")
        input_columns = list(self.X.columns)
        if "target" in eval_df:
            input_columns.append(self.dataset.targets_name or "targets")
        parts = []
        for metric_name, params in failed:
            lines = [f"Metric '{metric_name}' requires the following:"]
            lines += [f"  - the '{p}' parameter needs to be specified"
                      for p in ("targets", "predictions") if p in params]
            others = [p for p in params if p not in ("targets", "predictions")]
            if others:
                lines.append(f"  - missing columns {others} need to be defined or mapped")
            parts.append("\n".join(lines))
        joined = "\n".join(parts)
        message = (
            "Error: Metric calculation failed for the following metrics:\n"
            f"{joined}\n\n"
            "Below are the existing column names for the input/output data:\n"
            f"Input Columns: {input_columns}\n"
            f"Output Columns: {output_columns}\n\n"
            "To resolve this issue, you may need to:\n"
            " - specify any required parameters\n"
            " - if you are missing columns, check that there are no circular dependencies "
            "among your\nmetrics, and you may want to map them to an existing column using the "
            "following\nconfiguration:\n"
            "evaluator_config={'col_mapping': {<missing column name>: <existing column name>}}")
        raise MlflowException.invalid_parameter_value(message)

    def evaluate_metrics(self, metrics, prediction, target=None, other_output_df=None):
        """Compute ``metrics`` (EvaluationMetrics) into ``self.metrics_values``: first on
        the first row (to fail fast with every metric's error), then on all rows."""
        eval_df = self._eval_df(prediction, target)
        specs = [_MetricSpec(i, m) for i, m in enumerate(metrics)]
        specs = self._order_metrics(specs, eval_df, other_output_df)

        _logger.info("Testing metrics on first row...")
        errors = []
        first_row, first_input = eval_df.iloc[[0]], self.X.iloc[[0]]
        for spec in specs:
            try:
                _, args = self._args_for(spec, first_row, first_input, other_output_df)
                if value := spec.evaluate(args):
                    self.metrics_values[spec.key] = value
            except Exception as e:
                detail = e.message if isinstance(e, MlflowException) else repr(e)
                errors.append(f"Metric '{spec.name}': Error:\n{detail}\n"
                              f"{traceback.format_exc()}")
        if errors:
            raise MlflowException("\n".join(errors))

        input_df = self.X
        for spec in specs:
            _, args = self._args_for(spec, eval_df, input_df, other_output_df)
            if value := spec.evaluate(args):
                self.metrics_values[spec.key] = value

    def _update_aggregate_metrics(self):
        self.aggregate_metrics = {}
        for metric_name, value in self.metrics_values.items():
            for agg_name, agg_value in (value.aggregate_results or {}).items():
                if agg_value is None:
                    continue
                if agg_name == metric_name.split("/")[0]:
                    self.aggregate_metrics[metric_name] = agg_value
                else:
                    self.aggregate_metrics[f"{metric_name}/{agg_name}"] = agg_value

    def _add_prefix_to_metrics(self):
        prefix = self.evaluator_config.get("metric_prefix")
        if prefix:
            self.metrics_values = {
                f"{prefix}{name}": MetricValue(
                    value.scores, value.justifications,
                    {f"{prefix}{k}": v for k, v in value.aggregate_results.items()}
                    if value.aggregate_results else None)
                for name, value in self.metrics_values.items()}
        self._update_aggregate_metrics()

    def log_metrics(self):
        """Log the aggregate metrics to the run at step 0, linked to the model and the
        dataset (when it was logged as an input)."""
        from ...entities import Metric
        from ...utils.time import get_current_time_millis

        self._add_prefix_to_metrics()
        timestamp = get_current_time_millis()
        digest = self.dataset.digest
        dataset_name = self.dataset.name if digest is not None else None
        self.client.log_batch(self.run_id, metrics=[
            Metric(key=key, value=value, timestamp=timestamp, step=0, model_id=self.model_id,
                   dataset_name=dataset_name, dataset_digest=digest, run_id=self.run_id)
            for key, value in self.aggregate_metrics.items()])

    # ------------------------------------------------------------------ artifacts
    def _artifact_uri(self, artifact_file: str) -> str:
        from ..artifacts.fluent import get_artifact_uri

        return get_artifact_uri(artifact_file)

    def _log_file(self, local_path: str) -> None:
        from ..artifacts.fluent import log_artifact

        log_artifact(local_path)

    def log_image(self, do_plot, artifact_name: str) -> None:
        """Draw with ``do_plot`` and log the figure as ``<prefix><artifact_name>.png``
        (a failing plot is a warning, as in MLflow)."""
        try:
            from matplotlib import pyplot
        except ImportError:
            _logger.warning(f"matplotlib is not installed: the {artifact_name!r} plot is not "
                            "logged (pip install 'aiomlflow[evaluation]').")
            return
        prefix = self.evaluator_config.get("metric_prefix", "")
        file_name = f"{prefix}{artifact_name}.png"
        local_path = os.path.join(self.temp_dir, file_name)
        already_open = set(pyplot.get_fignums())
        try:
            pyplot.clf()
            do_plot()
            pyplot.savefig(local_path, bbox_inches="tight")
        except Exception as e:
            _logger.warning(f"Failed to log image artifact {artifact_name!r}: {e!r}")
        else:
            self._log_file(local_path)
            artifact = eval_artifacts.ImageEvaluationArtifact(uri=self._artifact_uri(file_name))
            with contextlib.suppress(ImportError):  # without Pillow: loaded on first access
                artifact._load(local_path)
            self.artifacts[artifact_name] = artifact
        finally:
            for number in set(pyplot.get_fignums()) - already_open:
                pyplot.close(number)  # every figure the plot opened

    def log_dataframe(self, frame, artifact_name: str) -> None:
        """Log a DataFrame as ``<artifact_name>.csv``."""
        file_name = f"{artifact_name}.csv"
        local_path = os.path.join(self.temp_dir, file_name)
        frame.to_csv(local_path, index=False)
        self._log_file(local_path)
        artifact = eval_artifacts.CsvEvaluationArtifact(uri=self._artifact_uri(file_name),
                                                       content=frame)
        artifact._load(local_path)
        self.artifacts[artifact_name] = artifact

    def score_sklearn_model(self, model, y_true, sample_weights):
        """Add the scikit-learn model's own ``score`` (as MLflow does for sklearn models)."""
        from . import models

        raw = models.raw_model(model)
        if models.loader_module(model) != "mlflow.sklearn" or raw is None:
            return
        try:
            score = raw.score(self.X, y_true, sample_weight=sample_weights)
        except Exception as e:
            _logger.warning(f"Computing sklearn model score failed: {e!r}. Set logging level "
                            "to DEBUG to see the full traceback.")
            _logger.debug("", exc_info=True)
            return
        self.metrics_values.update(aggregate_values({"score": score}))

    def evaluate_and_log_custom_artifacts(self, custom_artifacts, prediction, target=None):
        """Call each custom artifact function and log what it returns."""
        if not custom_artifacts:
            return
        eval_df = self._eval_df(prediction, target)
        for index, function in enumerate(custom_artifacts):
            name = getattr(function, "__name__", repr(function))
            header = (f"Custom artifact function '{name}' at index {index} in the "
                      "`custom_artifacts` parameter")
            with tempfile.TemporaryDirectory() as artifacts_dir:
                produced = function(eval_df.copy(), copy.deepcopy(self.metrics_values),
                                    artifacts_dir)
                if produced is None:
                    _logger.warning(f"{header} returned None.")
                    continue
                if not (isinstance(produced, dict) and all(isinstance(k, str)
                                                           for k in produced)):
                    _logger.warning(f"{header} did not return artifacts as a dictionary of "
                                    "string artifact names with their corresponding objects.")
                    continue
                for artifact_name, raw in produced.items():
                    self.artifacts[artifact_name] = self._log_custom_artifact(
                        artifact_name, raw, name, index)

    def _log_custom_artifact(self, artifact_name, raw, function_name, index):
        header = (f"Custom artifact function '{function_name}' at index {index} in the "
                  "`custom_artifacts` parameter")
        from_path, kind, ext = eval_artifacts.infer_artifact_kind(artifact_name, raw,
                                                                  function_name, index)
        local_path = os.path.join(self.temp_dir, artifact_name + ext)
        if os.path.exists(local_path):
            raise MlflowException(f"{header} produced an artifact '{artifact_name}' that cannot "
                                  "be logged because there already exists an artifact with the "
                                  "same name.")
        if from_path:
            shutil.copy2(raw, local_path)
        elif kind is eval_artifacts.JsonEvaluationArtifact:
            with open(local_path, "w") as f:
                if isinstance(raw, str):
                    f.write(raw)
                else:
                    json.dump(raw, f, cls=eval_artifacts.NumpyEncoder)
        elif kind is eval_artifacts.CsvEvaluationArtifact:
            raw.to_csv(local_path, index=False)
        elif kind is eval_artifacts.NumpyEvaluationArtifact:
            np.save(local_path, raw, allow_pickle=False)
        elif kind is eval_artifacts.ImageEvaluationArtifact:
            raw.savefig(local_path)
        else:
            try:
                with open(local_path, "wb") as f:
                    pickle.dump(raw, f)
            except (pickle.PickleError, TypeError, AttributeError):
                raise MlflowException(
                    f"{header} produced an unsupported artifact '{artifact_name}' with type "
                    f"'{type(raw)}' that cannot be pickled. Supported object types for "
                    "artifacts are: a file path, a JSON string, a pandas DataFrame (.csv), a "
                    "numpy array (.npy), a matplotlib Figure (.png), or a picklable object."
                ) from None
            _logger.warning(f"{header} produced an artifact '{artifact_name}' with type "
                            f"'{type(raw)}' that is logged as a pickle artifact.")
        self._log_file(local_path)
        artifact = kind(uri=self._artifact_uri(artifact_name + ext))
        artifact._load(local_path)
        return artifact

    def log_eval_table(self, y_pred, other_output_columns=None):
        """Log the per-row table (inputs, targets, outputs, per-row scores) as
        ``<prefix>eval_results_table.json`` when any metric has per-row values."""
        import pandas as pd

        if not any(v.scores is not None or v.justifications is not None
                   for v in self.metrics_values.values()):
            return
        if isinstance(y_pred, pd.Series):
            y_pred = y_pred.array  # model outputs keep no index of their own
        prefix = self.evaluator_config.get("metric_prefix", "")
        if not isinstance(prefix, str):
            prefix = ""
        features = self.dataset.features_data
        if not isinstance(features, pd.DataFrame):
            features = pd.DataFrame(features, columns=self.dataset.feature_names)
        if self.dataset.has_targets:
            data = features.assign(**{
                self.dataset.targets_name or "target": self.dataset.labels_data,
                self.dataset.predictions_name or self.predictions or "outputs": y_pred})
        else:
            data = features.assign(outputs=y_pred)
        if other_output_columns is not None:
            for column in self.other_output_columns_for_eval:
                data[column] = other_output_columns[column].array
        columns = {}
        for metric_name, value in self.metrics_values.items():
            if value.scores:
                bare = metric_name[len(prefix):] if metric_name.startswith(prefix) else None
                if bare in (TOKEN_COUNT_METRIC_NAME, LATENCY_METRIC_NAME):
                    columns[metric_name] = value.scores
                else:
                    columns[f"{metric_name}/score"] = value.scores
            if value.justifications:
                columns[f"{metric_name}/justification"] = value.justifications
        data = data.assign(**columns)
        file_name = f"{prefix}{EVAL_TABLE_FILE_NAME}"
        from ..artifacts.fluent import log_table

        log_table(data, artifact_file=file_name)
        self.artifacts[EVAL_TABLE_FILE_NAME.split(".", 1)[0]] = (
            eval_artifacts.JsonEvaluationArtifact(uri=self._artifact_uri(file_name)))

    def result(self) -> EvaluationResult:
        """This evaluator's EvaluationResult."""
        return EvaluationResult(metrics=self.aggregate_metrics, artifacts=self.artifacts,
                                run_id=self.run_id)
