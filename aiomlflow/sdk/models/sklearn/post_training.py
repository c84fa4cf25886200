"""Post-training metrics (``log_post_training_metrics``), as MLflow 3.17.2's sklearn
autologging logs them.

An estimator that an autologged ``fit`` trained remembers its run
(``estimator._mlflow_run_id``, the attribute MLflow sets, so copies and pickles keep
it as in MLflow).  Then:

* ``predict`` / ``predict_proba`` / ``predict_log_proba`` / ``transform`` note which
  dataset their result came from — the caller's variable name (``X_test``; another
  object under a name already seen in that run becomes ``X_test-2``) — and, with
  ``log_datasets``, log that data as an ``eval`` input of the run;
* a ``sklearn.metrics`` function given such a result logs its value as
  ``<function>[-<call index>]_<dataset name>`` (``accuracy_score_X_test``,
  ``accuracy_score-2_X_test``), and ``estimator.score(X, y)`` as
  ``<Class>_score[-<index>]_<dataset name>``, to that run (ended or not) and to the
  estimator's logged model; ``metric_info.json`` maps every such key of the run to the
  call that produced it (``accuracy_score(y_true=y_test, y_pred=y_pred)``).

Calls made inside a fit, a score, a prediction or a metric log nothing.  The caller's
thread only records small facts (ids and names, never the user's data) and enqueues;
metrics and ``metric_info.json`` are written by the engine, durable at flush and exit
like the rest of autologging.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import sys
import threading
import weakref
from collections import defaultdict

import numpy as np

from ...autolog import config, runs

FLAVOR_NAME = "sklearn"
_logger = logging.getLogger("aiomlflow.autolog")
RUN_ID_ATTRIBUTE = "_mlflow_run_id"
METRIC_INFO_FILE = "metric_info.json"
PREDICTION_METHODS = ("predict", "predict_proba", "transform", "predict_log_proba")
# sklearn.metrics names that are not metrics of predictions
_NOT_METRICS = ("check_scoring", "get_scorer", "make_scorer", "get_scorer_names")
UNKNOWN_DATASET = "unknown_dataset"

_lock = threading.RLock()
_suspended = 0  # >0 inside a fit, score, prediction or metric: nested calls log nothing
# id(prediction result) → (dataset name, run id, model id); cleared when the result dies
_predictions: dict[int, tuple] = {}
# run id → dataset variable name → ids of the objects seen under it (index = suffix)
_dataset_ids: dict = defaultdict(lambda: defaultdict(list))
# run id → metric name → [(metric key, call command)]
_calls: dict = defaultdict(lambda: defaultdict(list))
_model_ids: dict[int, tuple] = {}  # id(estimator) → (weak reference or None, model id)
_engines: dict[str, object] = {}  # run id → the engine of the fit that trained for it
_info_queued: set = set()  # run ids whose metric_info.json write is queued, not started
_sources: dict[str, object] = {}  # run id → the code source of its eval datasets
# A metric_info.json write waits this long before rendering, so that a burst of metric
# calls costs one write (and one wake-up of the engine's loop), not one each.
INFO_WRITE_DELAY_S = 0.05


def logging_enabled() -> bool:
    """Whether a prediction, score or metric call may log now: not inside a fit (in any
    thread, as MLflow) nor inside another prediction, score or metric call."""
    return _suspended == 0 and not runs.training_active_elsewhere()


@contextlib.contextmanager
def suspended():
    """Calls inside the block (a fit's own predictions and metrics, a score's predict,
    a metric calling another) log nothing."""
    global _suspended
    with _lock:
        _suspended += 1
    try:
        yield
    finally:
        with _lock:
            _suspended -= 1


def register_model(estimator, run_id: str, engine, model_id) -> None:
    """After an autologged fit: ``estimator``'s later predictions and scores belong to
    ``run_id`` and its logged model ``model_id`` (None when no model was logged)."""
    setattr(estimator, RUN_ID_ATTRIBUTE, run_id)
    _engines[run_id] = engine
    if model_id is not None:
        key = id(estimator)
        try:  # forgotten with the estimator (its id may be reused)
            ref = weakref.ref(estimator, lambda _, key=key: _model_ids.pop(key, None))
        except TypeError:
            ref = None
        _model_ids[key] = (ref, model_id)


def _model_id_of(estimator):
    entry = _model_ids.get(id(estimator))
    if entry is None or (entry[0] is not None and entry[0]() is not estimator):
        return None
    return entry[1]


def untracked_estimator(args) -> bool:
    """The cheap test of every patched predict / score call: True when the estimator
    was not trained by an autologged fit (the call then runs untouched)."""
    return not args or getattr(args[0], RUN_ID_ATTRIBUTE, None) is None


def no_tracked_predictions(args) -> bool:
    """The cheap test of every patched metric call: no prediction is being tracked."""
    return not _predictions


# ------------------------------------------------------------------- variable names
_MACHINERY = frozenset({__name__, "aiomlflow.sdk.autolog.patching"})
_VARARGS, _VARKEYWORDS = inspect.CO_VARARGS, inspect.CO_VARKEYWORDS


def _frame_arguments(frame, values: dict) -> list:
    code = frame.f_code
    count = code.co_argcount + code.co_kwonlyargcount
    names = code.co_varnames
    arguments = [values.get(name) for name in names[:count]]
    if code.co_flags & _VARARGS:
        arguments.extend(values.get(names[count], ()))
        count += 1
    if code.co_flags & _VARKEYWORDS:
        arguments.extend(values.get(names[count], {}).values())
    return arguments


def variable_name(value, fallback: str) -> str:
    """The name the caller's code gives ``value``: the first frame above the patched call
    that did not receive ``value`` as an argument is searched for a variable holding it
    (so a helper ``evaluate(model, X)`` yields the name its caller used); ``fallback``
    when there is none (an expression's value) or ``value`` is None."""
    if value is None:
        return fallback
    try:
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__") in _MACHINERY:
            frame = frame.f_back
        while frame is not None:
            values = frame.f_locals
            if any(value is argument for argument in _frame_arguments(frame, values)):
                frame = frame.f_back
                continue
            for name, candidate in values.items():
                if candidate is value:
                    return name
            return fallback
    except Exception:
        pass
    return fallback


def _indexed(name: str, index: int) -> str:
    # '-' cannot occur in a Python name: an indexed name never meets a real one
    return name if index == 0 else f"{name}-{index + 1}"


def _dataset_name(run_id: str, dataset) -> str:
    name = variable_name(dataset, UNKNOWN_DATASET)
    with _lock:
        seen = _dataset_ids[run_id][name]
        key = id(dataset)
        if key in seen:
            return _indexed(name, seen.index(key))
        seen.append(key)
        return _indexed(name, len(seen) - 1)


def _argument_text(value) -> str:
    if value is None or np.isscalar(value):
        if isinstance(value, str) and len(value) > 32:
            return repr(value[:32] + "...")
        return repr(value)
    return variable_name(value, f"<{type(value).__name__}>")


def call_command(function, args, kwargs, owner=None) -> str:
    """``accuracy_score(y_true=y_test, y_pred=y_pred)``: the call as MLflow's
    metric_info.json records it (``<Class>.score(X=..., y=...)`` for a method)."""
    names = list(inspect.signature(function).parameters)
    if owner is not None:
        names = names[1:]
        label = f"{type(owner).__name__}.{function.__name__}"
    else:
        label = function.__name__
    parts = [f"{name}={_argument_text(value)}" for name, value in zip(names, args)]
    parts += [f"{name}={_argument_text(value)}" for name, value in kwargs.items()]
    return f"{label}({', '.join(parts)})"


def _first_argument(method, args, kwargs):
    """The argument after ``self`` of a method call (the data a predict or score got)."""
    if args:
        return args[0]
    parameters = list(inspect.signature(method).parameters.values())
    first = parameters[1]
    if first.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
        raise TypeError(f"cannot tell which argument of {method.__qualname__} is the data")
    return kwargs.get(first.name)


def _loggable(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


# ------------------------------------------------------------------- logging
def _engine_for(run_id: str):
    engine = _engines.get(run_id)
    if engine is None:  # a model trained in another process (unpickled): as MLflow,
        from ...client import MlflowClient  # the current tracking URI

        engine = MlflowClient()._engine
    return engine


def _log_metric(run_id: str, metric_name: str, dataset_name: str, command: str, value,
                model_id) -> None:
    from .autolog import log_linked_metrics

    with _lock:
        calls = _calls[run_id][metric_name]
        key = f"{_indexed(metric_name, len(calls))}_{dataset_name}"
        calls.append((key, command))
    engine = _engine_for(run_id)
    log_linked_metrics(engine, run_id, {key: value}, model_id, None)
    _queue_metric_info(engine, run_id)


def _metric_info(run_id: str) -> bytes:
    with _lock:
        entries = sorted((entry for calls in _calls[run_id].values() for entry in calls),
                         key=lambda entry: entry[0])
    return json.dumps(dict(entries), indent=2).encode("utf-8")


def _queue_metric_info(engine, run_id: str) -> None:
    """Rewrite the run's metric_info.json on the artifact worker; calls made while a
    write is queued share it (it renders the latest content when it starts).  A flush
    waits for it, as for every queued artifact."""
    from ...artifacts import roots

    with _lock:
        if run_id in _info_queued:
            return
        _info_queued.add(run_id)

    async def write(store):
        import anyio

        await anyio.sleep(INFO_WRITE_DELAY_S)
        with _lock:
            _info_queued.discard(run_id)
        await store.upload_bytes(_metric_info(run_id), METRIC_INFO_FILE)

    try:
        engine.artifacts.submit(roots.run_root(engine, run_id), METRIC_INFO_FILE, write, 0,
                                False)
    except BaseException:
        with _lock:
            _info_queued.discard(run_id)
        raise


def _log_eval_dataset(run_id: str, data) -> None:
    from . import datasets

    try:
        source = _sources.get(run_id)
        if source is None:  # (resolving the user name costs more than the rest)
            source = _sources[run_id] = datasets.code_source()
        dataset = datasets.training_dataset(data, None, source)  # the same kinds, no targets
        if dataset is not None:
            datasets.log_dataset_input(_engine_for(run_id), run_id, dataset, "eval")
    except Exception as exc:
        _logger.warning("Failed to log evaluation dataset information to MLflow Tracking. "
                        "Reason: %s", exc)


# ------------------------------------------------------------------- patched calls
def patched_prediction(original, self, *args, **kwargs):
    """predict / predict_proba / predict_log_proba / transform of a tracked estimator."""
    run_id = getattr(self, RUN_ID_ATTRIBUTE, None)
    if not run_id or not logging_enabled():
        return original(self, *args, **kwargs)
    with suspended():
        result = original(self, *args, **kwargs)
    data = _first_argument(original, args, kwargs)
    dataset_name = _dataset_name(run_id, data)
    key = id(result)
    # the id may be reused once the result is gone: forget it then (a result that takes
    # no weak reference, e.g. a tuple, is not tracked: the TypeError becomes a warning)
    weakref.finalize(result, _predictions.pop, key, None)
    with _lock:
        _predictions[key] = (dataset_name, run_id, _model_id_of(self))
    if config.get(FLAVOR_NAME, "log_datasets", True):
        _log_eval_dataset(run_id, data)
    return result


def patched_score(original, self, *args, **kwargs):
    """``estimator.score`` of a tracked estimator (some scores use no sklearn.metrics
    function, so the method itself is patched)."""
    run_id = getattr(self, RUN_ID_ATTRIBUTE, None)
    if not run_id or not logging_enabled():
        return original(self, *args, **kwargs)
    with suspended():
        value = original(self, *args, **kwargs)
    if _loggable(value):
        command = call_command(original, args, kwargs, owner=self)
        dataset_name = _dataset_name(run_id, _first_argument(original, args, kwargs))
        _log_metric(run_id, f"{type(self).__name__}_score", dataset_name, command, value,
                    _model_id_of(self))
    return value


def _tracked_prediction(args, kwargs):
    for value in (*args, *kwargs.values()):
        if value is not None and not np.isscalar(value):
            entry = _predictions.get(id(value))
            if entry is not None:
                return entry
    return None


def patched_metric(original, *args, **kwargs):
    """A ``sklearn.metrics`` function: logged when an argument is a tracked prediction."""
    if not logging_enabled():
        return original(*args, **kwargs)
    with suspended():
        value = original(*args, **kwargs)
    if _loggable(value):
        entry = _tracked_prediction(args, kwargs)
        if entry is not None:
            dataset_name, run_id, model_id = entry
            command = call_command(original, args, kwargs)
            _log_metric(run_id, original.__name__, dataset_name, command, value, model_id)
    return value


def metric_function_names(metrics_module) -> list[str]:
    """The functions of ``sklearn.metrics`` that autologging patches: every public
    callable but classes, ``plot_*`` and the scorer helpers."""
    names = []
    for name in metrics_module.__all__:
        member = getattr(metrics_module, name, None)
        if (name not in _NOT_METRICS and not name.startswith("plot_")
                and callable(member) and not inspect.isclass(member)):
            names.append(name)
    return names


def reset() -> None:
    """Forget every tracked prediction, name and call (tests)."""
    with _lock:
        _predictions.clear()
        _dataset_ids.clear()
        _calls.clear()
        _model_ids.clear()
        _engines.clear()
        _info_queued.clear()
        _sources.clear()
