"""``mlflow.evaluate``: check the arguments, resolve the model, the data and the
evaluators, then run the evaluators in the active run (or a new one) and merge their
results."""

from __future__ import annotations

import contextlib
import logging

from ...exceptions import MlflowException
from . import dataset as datasets
from . import models, registry
from .default import MODEL_TYPES
from .result import EvaluationResult

_logger = logging.getLogger(__name__)

_ENV_MANAGERS = ("local", "conda", "virtualenv", "uv")
_DATASET_CONTEXT_TAG = "mlflow.data.context"


def _check_arguments(model, data, model_type, targets, predictions, extra_metrics, env_manager,
                     model_config, inference_params):
    if inference_params is not None:
        raise MlflowException.invalid_parameter_value(
            "The inference_params argument can only be specified when the model is an MLflow "
            "Deployments endpoint URI like `endpoints:/my-chat`")
    if data is None:
        raise MlflowException.invalid_parameter_value("The data argument cannot be None.")
    if env_manager not in _ENV_MANAGERS:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for `env_manager`: {env_manager}. Must be one of "
            f"{list(_ENV_MANAGERS)}")
    if model_type is not None and model_type not in MODEL_TYPES:
        raise MlflowException.invalid_parameter_value(
            f"Unsupported model_type {model_type!r}: aiomlflow.evaluate supports "
            f"{list(MODEL_TYPES)} or None (extra_metrics only).")
    if model_config is not None and not isinstance(model, str) and not models.is_pyfunc_model(
            model):
        raise MlflowException.invalid_parameter_value(
            "model_config is only used to load a model from its URI; it cannot apply to "
            f"{'static predictions' if model is None else 'a callable model'}.")
    is_dataset = datasets.is_mlflow_dataset(data)
    if is_dataset and targets is not None:
        raise MlflowException.invalid_parameter_value(
            "The top-level targets parameter should not be specified since a Dataset is used. "
            "Please only specify the targets column name in the Dataset. For example: `data = "
            "mlflow.data.from_pandas(df=X.assign(y=y), targets='y')`. Meanwhile, please specify "
            "`mlflow.evaluate(..., targets=None, ...)`.")
    if is_dataset and model is None and predictions is not None:
        raise MlflowException.invalid_parameter_value(
            "The top-level predictions parameter should not be specified since a Dataset is "
            "used. Please only specify the predictions column name in the Dataset. For example:"
            " `data = mlflow.data.from_pandas(df=X.assign(y=y), predictions='y')`Meanwhile, "
            "please specify `mlflow.evaluate(..., predictions=None, ...)`.")
    if is_dataset and model is not None and getattr(data, "predictions", None) is not None:
        raise MlflowException.invalid_parameter_value(
            "The predictions parameter should not be specified in the Dataset since a model is "
            "specified. Please remove the predictions column from the Dataset.")
    if model_type in ("regressor", "classifier"):
        if is_dataset:
            if getattr(data, "targets", None) is None:
                raise MlflowException.invalid_parameter_value(
                    "The targets column name must be specified in the provided Dataset for "
                    f"{model_type} models. For example: `data = mlflow.data.from_pandas("
                    "df=X.assign(y=y), targets='y')`")
        elif targets is None:
            raise MlflowException.invalid_parameter_value(
                f"The targets argument must be specified for {model_type} models.")
    elif model_type is None and not extra_metrics:
        raise MlflowException.invalid_parameter_value(
            "The extra_metrics argument must be specified model_type is None.")


@contextlib.contextmanager
def _run_for_evaluation():
    """The active run, else a new run that ends with the evaluation."""
    from .. import fluent

    active = fluent.active_run()
    if active is not None:
        yield active
        return
    with fluent.start_run() as run:
        yield run


@contextlib.contextmanager
def _model_active(model_id):
    """``model_id`` as the active model while evaluating (traces and metrics link to it)."""
    if model_id is None:
        yield
        return
    from ..models import active

    saved = active.current_context()
    active.set_active_model_id(model_id, set_by_user=True)
    try:
        yield
    finally:
        active.restore(saved)


def _log_dataset_input(run_id, mlflow_dataset, model_id, bundles):
    """Record the dataset (with the metric prefix as its context) and the model as
    inputs of the run."""
    from ...entities import DatasetInput, InputTag, LoggedModelInput
    from ..client import MlflowClient
    from ..models.links import dataset_entity

    context = next((b.config.get("metric_prefix") for b in bundles
                    if b.config.get("metric_prefix")), None)
    tags = [InputTag(key=_DATASET_CONTEXT_TAG, value=context)] if context else []
    MlflowClient().log_inputs(run_id, [DatasetInput(dataset_entity(mlflow_dataset), tags)],
                              models=[LoggedModelInput(model_id)] if model_id else None)


def _evaluation_dataset(mlflow_dataset, path, feature_names):
    """What the evaluators evaluate on: an aiomlflow dataset's ``to_evaluation_dataset``
    (as MLflow), or the same built from a real MLflow dataset's data."""
    from ..data.pyfunc_mixin import PyFuncConvertibleDatasetMixin

    if isinstance(mlflow_dataset, PyFuncConvertibleDatasetMixin):
        return mlflow_dataset.to_evaluation_dataset(path, feature_names)
    return datasets.from_mlflow_dataset(mlflow_dataset, path, feature_names)


def evaluate(model=None, data=None, *, model_type=None, targets=None, predictions=None,
             dataset_path=None, feature_names=None, evaluators=None, evaluator_config=None,
             extra_metrics=None, custom_artifacts=None, env_manager="local", model_config=None,
             inference_params=None, model_id=None, _called_from_genai_evaluate=False):
    """Evaluate a model (a pyfunc model, a model URI or a callable), or static predictions
    in ``data``, with the default evaluators and ``extra_metrics``; log the metrics and
    artifacts to the active run (or a new one) and return an EvaluationResult.

    ``_called_from_genai_evaluate`` is internal and, as in MLflow, changes nothing."""
    from ...utils.optional import require
    from ..models import active

    require("pandas", "mlflow.evaluate")
    require("sklearn", "mlflow.evaluate")
    if evaluator_config is not None and not isinstance(evaluator_config, dict):
        raise MlflowException.invalid_parameter_value(
            f"evaluator_config must be a dict, got {evaluator_config!r}")
    if evaluator_config is not None:
        col_mapping = evaluator_config.get("col_mapping", {})
        if isinstance(targets, str):
            targets = col_mapping.get(targets, targets)
        if isinstance(predictions, str):
            predictions = col_mapping.get(predictions, predictions)
    _check_arguments(model, data, model_type, targets, predictions, extra_metrics, env_manager,
                     model_config, inference_params)
    if datasets.is_mlflow_dataset(data) and model_type in ("regressor", "classifier"):
        targets = data.targets

    specified_model_id = model_id
    model, model_id = models.resolve(model, env_manager, model_config)
    if specified_model_id is not None and model_id is not None and (
            specified_model_id != model_id):
        raise MlflowException.invalid_parameter_value(
            f"The specified value of the 'model_id' parameter '{specified_model_id}' "
            f"contradicts the model_id '{model_id}' associated with the model. Please ensure "
            "they match or omit the 'model_id' parameter.")
    model_id = specified_model_id or model_id or active.get_active_model_id()
    bundles = registry.resolve(evaluators, evaluator_config, model_type)

    with _run_for_evaluation() as run:
        run_id = run.info.run_id
        mlflow_dataset = data if datasets.is_mlflow_dataset(data) else (
            datasets.to_mlflow_dataset(data, targets=targets,
                                       predictions=predictions if model is None else None))
        with _model_active(model_id):
            if mlflow_dataset is not None:
                dataset = _evaluation_dataset(mlflow_dataset, dataset_path, feature_names)
                _log_dataset_input(run_id, mlflow_dataset, model_id, bundles)
            else:
                if isinstance(data, list) and data and not isinstance(data[0], (list, tuple)):
                    data = [[value] for value in data]  # a flat list: one feature per sample
                dataset = datasets.EvaluationDataset(
                    data, targets=targets, path=dataset_path, feature_names=feature_names,
                    predictions=predictions if model is None else None)
            result = _run_evaluators(model, model_type, model_id, dataset, run_id, bundles,
                                     extra_metrics, custom_artifacts,
                                     predictions if model is not None else None)
            if model_id is not None:
                from ..fluent import log_metrics

                log_metrics(metrics=result.metrics, dataset=mlflow_dataset, model_id=model_id)
    return result


def _run_evaluators(model, model_type, model_id, dataset, run_id, bundles, extra_metrics,
                    custom_artifacts, predictions) -> EvaluationResult:
    metadata = getattr(model, "metadata", None)
    if metadata is not None and getattr(metadata, "model_uuid", None) is not None:
        from ..client import MlflowClient

        dataset._log_dataset_tag(MlflowClient(), run_id, metadata.model_uuid)
    results = []
    for bundle in bundles:
        _logger.debug(f"Evaluating the model with the {bundle.name} evaluator.")
        if not bundle.evaluator.can_evaluate(model_type=model_type,
                                             evaluator_config=bundle.config):
            continue
        result = bundle.evaluator.evaluate(
            model=model, model_type=model_type, model_id=model_id, dataset=dataset,
            run_id=run_id, evaluator_config=bundle.config, extra_metrics=extra_metrics,
            custom_artifacts=custom_artifacts, predictions=predictions)
        if result is not None:
            results.append(result)
    if not results:
        raise MlflowException.invalid_parameter_value(
            "The model could not be evaluated by any of the registered evaluators, please "
            "verify that the model type and other configs are set correctly.")
    merged = EvaluationResult({}, {}, None)
    for result in results:
        merged.metrics.update(result.metrics)
        merged.artifacts.update(result.artifacts)
    return merged
