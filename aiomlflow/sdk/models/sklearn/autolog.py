"""scikit-learn autologging: params, tags, training metrics and the model of each
top-level ``fit`` / ``fit_transform`` / ``fit_predict``, as MLflow 3.17.2 logs them.

The caller's thread validates and enqueues; nothing waits on storage per item.  Params
and tags are queued before training, metrics after it in one batch, the estimator's
HTML view is rendered by the engine's artifact worker, and one wait at the end (the
managed run's end, or the batch in synchronous mode) makes the fit's logging durable
when ``fit`` returns, as in MLflow.
"""

from __future__ import annotations

import copy
import logging

from ....batches import BATCH
from ....config import synchronous_mode
from ....exceptions import MlflowException
from ... import fluent
from ...autolog import config, hooks, patching, runs
from . import datasets, estimators, metrics, post_training

FLAVOR_NAME = "sklearn"
INPUT_EXAMPLE_SAMPLE_ROWS = 5
_MAX_KEY, _MAX_PARAM_VALUE, _MAX_TAG_VALUE = 250, 6000, 8000
_logger = logging.getLogger("aiomlflow.autolog")


def autolog(log_input_examples=False, log_model_signatures=True, log_models=True,
            log_datasets=True, disable=False, exclusive=False,
            disable_for_unsupported_versions=False, silent=False, max_tuning_runs=5,
            log_post_training_metrics=True, serialization_format="cloudpickle",
            registered_model_name=None, pos_label=None, extra_tags=None):
    """Enable (or disable) and configure autologging for scikit-learn estimators.

    Estimators are patched when scikit-learn is imported (at once if it already is)."""
    arguments = dict(locals())
    if max_tuning_runs is not None and max_tuning_runs < 0:
        raise MlflowException.invalid_parameter_value(
            f"`max_tuning_runs` must be non-negative, instead got {max_tuning_runs}.")
    with config.lock:
        config.store(FLAVOR_NAME, arguments)
        patching.revert(FLAVOR_NAME)
        if disable:
            return
        runs.resolve_extra_tags(FLAVOR_NAME, extra_tags)  # bad extra_tags fail here
        hooks.when_imported("sklearn", "aiomlflow.sklearn.autolog",
                            lambda module: _patch_sklearn(module, extra_tags))


autolog.integration_name = FLAVOR_NAME


def _patch_sklearn(sklearn_module, extra_tags) -> None:
    with config.lock:
        if config.is_disabled(FLAVOR_NAME):
            return
        patching.revert(FLAVOR_NAME)
        version = sklearn_module.__version__
        if not estimators.version_supported(version):
            if config.get(FLAVOR_NAME, "disable_for_unsupported_versions", False):
                return
            low, high = (".".join(map(str, v)) for v in estimators.SUPPORTED_VERSIONS)
            parsed = estimators.version_tuple(version)
            if parsed is None or parsed < estimators.SUPPORTED_VERSIONS[0]:
                if not config.get(FLAVOR_NAME, "silent", False):
                    _logger.warning(
                        f"MLflow sklearn autologging is known to be compatible with {low} <= "
                        f"scikit-learn <= {high}, but the installed version is {version}. If "
                        "you encounter errors during autologging, try upgrading / downgrading "
                        "scikit-learn to a compatible version, or try upgrading MLflow.")
        user_tags = dict(extra_tags) if extra_tags else None
        for kind in estimators.estimators_to_patch():
            for name in estimators.FIT_METHODS:
                patching.patch_method(FLAVOR_NAME, kind, name, _patched_fit, manage_run=True,
                                      extra_tags=user_tags)
            # predictions and scores of estimators an autologged fit trained (the others
            # take the bypass: one attribute lookup)
            for name in post_training.PREDICTION_METHODS:
                patching.patch_method(FLAVOR_NAME, kind, name,
                                      post_training.patched_prediction, manage_run=False,
                                      bypass=post_training.untracked_estimator)
            patching.patch_method(FLAVOR_NAME, kind, "score", post_training.patched_score,
                                  manage_run=False, bypass=post_training.untracked_estimator)
        if config.get(FLAVOR_NAME, "log_post_training_metrics", True):
            import sklearn.metrics as sklearn_metrics

            # (MLflow also patches the scorer objects get_scorer() returns; those are
            # copies nobody else holds, so that has no effect and is not reproduced)
            for name in post_training.metric_function_names(sklearn_metrics):
                patching.patch_function(FLAVOR_NAME, sklearn_metrics, name,
                                        post_training.patched_metric,
                                        bypass=post_training.no_tracked_predictions)
        import sklearn.model_selection as model_selection

        for name in estimators.AUTOLOG_DISABLED_APIS:
            if hasattr(model_selection, name):
                patching.patch_function(FLAVOR_NAME, model_selection, name, _without_autolog)


def _without_autolog(original, *args, **kwargs):
    with config.disabled():
        return original(*args, **kwargs)


def _patched_fit(original, self, *args, **kwargs):
    # decided before this fit's session opens: a fit inside another one is never tracked
    track = (config.get(FLAVOR_NAME, "log_post_training_metrics", True)
             and post_training.logging_enabled())
    with runs.TrainingSession(self, allow_children=False) as session:
        if not session.should_log():
            return original(self, *args, **kwargs)
        # the fit's own predictions and metrics are not post-training ones
        with post_training.suspended():
            result, run, model_id = _fit_and_log(original, self, args, kwargs)
        if track:
            post_training.register_model(self, run.info.run_id, run._engine, model_id)
        return result


def _fit_and_log(original, estimator, args, kwargs):
    """Train ``estimator`` and log what MLflow logs for the fit; (the fit's result, the
    run, the logged model's id or None)."""
    X, y, sample_weight = estimators.training_data(estimator, args, kwargs)
    # copies, so the example, signature and metrics see the data as it was passed
    X, y = copy.deepcopy(X), copy.deepcopy(y)
    run = fluent.active_run()
    run_id, engine = run.info.run_id, run._engine
    search = estimators.is_parameter_search(estimator)
    params = _params(estimator.get_params(deep=not search))
    tags = _truncated(estimators.info_tags(estimator), _MAX_TAG_VALUE)
    _submit(engine, run_id, params=params, tags=tags)
    dataset = _training_dataset(X, y)
    if dataset is not None and config.get(FLAVOR_NAME, "log_datasets", True):
        try:
            datasets.log_dataset_input(engine, run_id, dataset)
        except Exception as exc:
            _logger.warning("Failed to log training dataset information to MLflow Tracking. "
                            "Reason: %s", exc)

    result = original(estimator, *args, **kwargs)

    model_id = None
    if config.get(FLAVOR_NAME, "log_models", True):
        model_id = _log_model(estimator, X, params, search)
    values = metrics.estimator_metrics(estimator, X, y, sample_weight,
                                       config.get(FLAVOR_NAME, "pos_label"))
    if y is None and not values:
        _logger.warning("Training metrics will not be recorded because training labels were "
                        "not specified. To automatically record training metrics, provide "
                        "training labels as inputs to the model training function.")
    last = None
    if values:
        last = _log_metrics(engine, run_id, values, model_id, dataset)
    if search:
        from . import search as search_logging

        last = search_logging.log_search(estimator, run, X, y, dataset, model_id,
                                         config.get(FLAVOR_NAME, "max_tuning_runs", 5)) or last
    if y is not None and _is_classifier(estimator):
        from . import plots

        plots.log_classifier_plots(engine, run_id, estimator, X, y, sample_weight)
    _log_estimator_html(engine, run_id, estimator)
    if last is not None and synchronous_mode(None) and run.info.run_id not in runs.managed_ids():
        last.wait()  # a managed run's end waits for all of it
    return result, run, model_id


def _is_classifier(estimator) -> bool:
    from sklearn.base import is_classifier

    return is_classifier(estimator)


def _params(params: dict) -> list[tuple[str, str]]:
    return list(_truncated(params, _MAX_PARAM_VALUE).items())


def _truncated(values: dict, max_value: int) -> dict:
    """As MLflow's autologging: over-long keys and values are cut, with a warning."""
    out = {}
    for key, value in values.items():
        key = str(key)
        text = str(value)
        if len(key) > _MAX_KEY:
            key = key[:_MAX_KEY - 3] + "..."
            _logger.warning(f"Truncated the key `{key}`")
        if len(text) > max_value:
            text = text[:max_value - 3] + "..."
            _logger.warning(f"Truncated the value of the key `{key}`. Truncated value: `{text}`")
        out[key] = text
    return out


def _submit(engine, run_id: str, params=(), tags=()):
    from ...validation import validate_log_batch

    _, params, tags = validate_log_batch(run_id, (), params, list(tags.items()))
    if params or tags:
        engine.submit(BATCH, run_id, (), params, tags)


def log_linked_metrics(engine, run_id: str, values: dict, model_id, dataset, step: int = 0):
    """Queue metrics linked (as MLflow's autologging links them) to the logged model and
    the training dataset; the RunOperations of the batch."""
    from ....entities import Metric
    from ....utils.time import get_current_time_millis
    from ...client import MlflowClient

    timestamp = get_current_time_millis()
    name, digest = (dataset.name, dataset.digest) if dataset is not None else (None, None)
    rows = [Metric(str(key), float(value), timestamp, step, model_id=model_id,
                   dataset_name=name, dataset_digest=digest) for key, value in values.items()]
    return MlflowClient(engine.tracking_uri).log_batch(run_id, metrics=rows, synchronous=False)


_log_metrics = log_linked_metrics


def _training_dataset(X, y):
    try:
        return datasets.training_dataset(X, y)
    except Exception:
        _logger.debug("Failed to create dataset for logging.", exc_info=True)
        return None


def _log_model(estimator, X, params, search):
    """Log the fitted estimator as the ``model`` of the run; its model id (or None)."""
    from . import flavor

    log_examples = config.get(FLAVOR_NAME, "log_input_examples", False)
    log_signatures = config.get(FLAVOR_NAME, "log_model_signatures", True)
    input_example, signature = _example_and_signature(estimator, X, log_examples,
                                                      log_signatures)
    model_params = dict(params)
    if hasattr(estimator, "best_params_"):
        model_params.update({f"best_{k}": v for k, v in estimator.best_params_.items()})
    try:
        info = flavor.log_model(
            estimator, name="model", signature=signature, input_example=input_example,
            serialization_format=config.get(FLAVOR_NAME, "serialization_format",
                                             "cloudpickle"),
            registered_model_name=config.get(FLAVOR_NAME, "registered_model_name"),
            params=model_params)
    except flavor.CustomModelPicklingError as exc:
        _logger.warning(str(exc))
        return None
    return info.model_id


def _example_and_signature(estimator, X, log_examples: bool, log_signatures: bool):
    """As MLflow: the example is the first rows of X; the signature is inferred from it
    and the model's predict (or transform) output; ``False`` tells log_model not to
    infer one itself."""
    if not (log_examples or log_signatures):
        return None, None
    example, problem = None, None
    try:
        example = copy.deepcopy(X[:INPUT_EXAMPLE_SAMPLE_ROWS])
    except Exception as exc:
        problem = str(exc)
        if log_examples:
            _logger.warning("Failed to gather input example: %s", exc)
    signature = None
    failed = False
    if log_signatures:
        try:
            if example is None:
                raise Exception(f"could not sample data to infer model signature: {problem}")
            from ..signature import infer_signature

            if hasattr(estimator, "predict"):
                output = estimator.predict(copy.deepcopy(example))
            elif hasattr(estimator, "transform"):
                output = estimator.transform(copy.deepcopy(example))
            else:
                raise Exception("the trained model does not have a `predict` or `transform` "
                                "function, which is required in order to infer the signature")
            signature = infer_signature(example, output)
        except Exception as exc:
            failed = True
            _logger.warning("Failed to infer model signature: %s", exc)
    if signature is None and example is not None and (not log_signatures or failed):
        signature = False
    return (example if log_examples else None), signature


def _log_estimator_html(engine, run_id: str, estimator) -> None:
    """``estimator.html``: rendered on the artifact worker from a snapshot."""
    from ...artifacts import roots

    snapshot = copy.deepcopy(estimator)

    async def render_and_store(store):
        import anyio.to_thread

        data = await anyio.to_thread.run_sync(_estimator_html, snapshot)
        await store.upload_bytes(data, "estimator.html")

    engine.artifacts.submit(roots.run_root(engine, run_id), "estimator.html",
                            render_and_store, 0, False)


def _estimator_html(estimator) -> bytes:
    from sklearn.utils import estimator_html_repr

    return ("\n<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\"/>\n"
            "  </head>\n  <body>\n    " + estimator_html_repr(estimator)
            + "\n  </body>\n</html>\n    ").encode("utf-8")
