"""Parameter-search estimators (GridSearchCV, RandomizedSearchCV): the best model,
``best_cv_score``, ``best_<param>`` params, one child run per explored candidate (the
``max_tuning_runs`` best), and ``cv_results.csv``, as MLflow logs them."""

from __future__ import annotations

import io
import logging
from numbers import Number

from ....utils.time import get_current_time_millis as now_ms
from ... import fluent, run_context
from ...client import MlflowClient
from ...autolog import config
from . import estimators

_logger = logging.getLogger("aiomlflow.autolog")
FLAVOR_NAME = "sklearn"


def log_search(search, run, X, y, dataset, model_id, max_tuning_runs):
    """Log what a fitted parameter search adds to its run; the last RunOperations."""
    from .autolog import _params

    from .autolog import log_linked_metrics

    last = None
    best_model_id = best_params = None
    if hasattr(search, "best_estimator_") and config.get(FLAVOR_NAME, "log_models", True):
        best_params = search.best_estimator_.get_params(deep=True)
        best_model_id = _log_best_estimator(search, X, best_params)
    if hasattr(search, "best_score_"):
        last = log_linked_metrics(run._engine, run.info.run_id,
                                  {"best_cv_score": search.best_score_}, model_id, dataset)
    if hasattr(search, "best_params_"):
        last = fluent.log_params(dict(_params({f"best_{k}": v for k, v in
                                               search.best_params_.items()})),
                                 synchronous=False, run_id=run.info.run_id) or last
    if hasattr(search, "cv_results_"):
        try:
            _child_runs(search, run, max_tuning_runs, dataset, best_params, best_model_id)
        except Exception as exc:
            _logger.warning("Encountered exception during creation of child runs for parameter "
                            f"search. Child runs may be missing. Exception: {exc}")
        try:
            _log_results_table(search, run)
        except Exception as exc:
            _logger.warning("Failed to log parameter search results as an artifact. "
                            f"Exception: {exc}")
    return last


def _log_best_estimator(search, X, params) -> str | None:
    from . import flavor
    from .autolog import _example_and_signature

    example, signature = _example_and_signature(
        search, X, config.get(FLAVOR_NAME, "log_input_examples", False),
        config.get(FLAVOR_NAME, "log_model_signatures", True))
    try:
        return flavor.log_model(
            search.best_estimator_, name="best_estimator", signature=signature,
            input_example=example, params=params,
            serialization_format=config.get(FLAVOR_NAME, "serialization_format",
                                            "cloudpickle")).model_id
    except flavor.CustomModelPicklingError as exc:
        _logger.warning(str(exc))
        return None


def _ranked_rows(results: dict, max_tuning_runs) -> list[int]:
    import numpy as np

    count = len(results["params"])
    if max_tuning_runs is None:
        return list(range(count))
    rank_column = "rank_test_score"
    if rank_column not in results:
        rank_column = next(name for name in results if "rank_test_" in name)
        import warnings

        warnings.warn(f"Top {max_tuning_runs} child runs will be created based on ordering in "
                      f"{rank_column} column.  You can choose not to limit the number of child "
                      "runs created by setting `max_tuning_runs=None`.")
    order = np.argsort(np.asarray(results[rank_column]), kind="stable")
    chosen = [int(i) for i in order[:max_tuning_runs]]
    _log_child_runs_info(max_tuning_runs, count)
    return chosen


def _log_child_runs_info(max_tuning_runs: int, total: int) -> None:
    logged = min(max_tuning_runs, total)
    rest = total - logged
    logging_phrase = ("no runs" if logged == 0 else "the best run" if logged == 1
                      else f"the {logged} best runs")
    omitting_phrase = ("no runs" if rest <= 0 else "one run" if rest == 1 else f"{rest} runs")
    if not config.get(FLAVOR_NAME, "silent", False):
        _logger.info("Logging %s, %s will be omitted.", logging_phrase, omitting_phrase)


def _child_runs(search, parent, max_tuning_runs, dataset, best_params, best_model_id) -> None:
    from . import datasets
    from .autolog import _params, log_linked_metrics

    results = search.cv_results_
    seed = search.estimator
    base_params = seed.get_params(deep=not estimators.is_parameter_search(seed))
    client = MlflowClient(parent._engine.tracking_uri)
    start, end = parent.info.start_time, now_ms()
    tags = run_context.default_run_tags()
    tags["mlflow.autologging"] = FLAVOR_NAME
    tags[run_context.PARENT_RUN_ID] = parent.info.run_id
    tags.update(estimators.info_tags(seed))
    for row in _ranked_rows(results, max_tuning_runs):
        child = client.create_run(parent.info.experiment_id, start_time=start, tags=tags)
        child_id = child.info.run_id
        params = dict(base_params)
        params.update(results["params"][row])
        metrics = {}
        for key, column in results.items():
            if key.startswith(("param", "split")):
                continue
            value = column[row]
            if isinstance(value, Number):
                metrics[key] = float(value)
        client.log_batch(child_id, params=_params(params), synchronous=False)
        # linked to the best estimator's model when this candidate is the best one
        candidate = results["params"][row]
        model_id = (best_model_id if best_params and candidate.items() <= best_params.items()
                    else None)
        log_linked_metrics(parent._engine, child_id, metrics, model_id, dataset)
        if dataset is not None:
            datasets.log_dataset_input(parent._engine, child_id, dataset)
        client._terminate(child_id, "FINISHED", end, wait=False)


def _log_results_table(search, run) -> None:
    import pandas as pd

    from ...artifacts import operations

    buffer = io.StringIO()
    pd.DataFrame.from_dict(search.cv_results_).to_csv(buffer, index=False)
    operations.log_bytes(run._engine, run.info.run_id, buffer.getvalue().encode("utf-8"),
                         "cv_results.csv", False)
