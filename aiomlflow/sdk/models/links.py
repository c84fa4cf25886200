"""Metrics linked to logged models and datasets: the path ``log_metric`` takes when a
model id or dataset is given, a model is active, or the active run has model outputs.

What MLflow 3.17.2 does, and so do we:

* the model is the one given, else the active model (``set_active_model`` or
  MLFLOW_ACTIVE_MODEL_ID), else (fluent API only) the run's model outputs logged at the
  metric's step (``log_metric`` links the first of them, ``log_metrics`` all of them);
* the fluent API first records the model (a LoggedModelInput) and the dataset (a
  DatasetInput) as inputs of the run, once (not when the model is already an output);
* the metric row goes to the run's ``metrics`` as any other, and, when it names a model,
  to ``logged_model_metrics`` with the dataset's name and digest.

The linked rows travel as one LINKED operation (batches.py), in order with the run's
other data.  A model id the store does not know fails at the call site with MLflow's
RESOURCE_DOES_NOT_EXIST (known.py).
"""

from __future__ import annotations

import threading

from ...batches import BATCH, LINKED
from ...config import synchronous_mode
from ...entities import Dataset, DatasetInput, LoggedModelInput
from ...exceptions import MlflowException
from ...utils.time import get_current_time_millis as now_ms
from .. import validation
from . import active, known

_MAX_LINKED = 10_000
# (tracking URI, run id, ("model", id) | ("dataset", name, digest)) already inputs of the run
_linked: set = set()
_linked_lock = threading.Lock()


def reset() -> None:
    """Forget which inputs were recorded (tests)."""
    with _linked_lock:
        _linked.clear()


# ----------------------------------------------------------------------------- datasets
def dataset_identity(dataset) -> tuple[str, str]:
    """(name, digest) of an ``mlflow.data`` dataset or a Dataset entity."""
    try:
        return dataset.name, dataset.digest
    except AttributeError:
        raise MlflowException.invalid_parameter_value(
            f"Invalid dataset {dataset!r}: expected an aiomlflow.entities.Dataset (or a "
            "dataset object with a name and a digest).") from None


def dataset_entity(dataset) -> Dataset:
    """The Dataset entity recorded as the run's input for ``dataset``."""
    if isinstance(dataset, Dataset):
        return dataset
    to_entity = getattr(dataset, "_to_mlflow_entity", None)
    entity = to_entity() if callable(to_entity) else dataset
    try:
        return Dataset(entity.name, entity.digest, entity.source_type, entity.source,
                       getattr(entity, "schema", None), getattr(entity, "profile", None))
    except AttributeError:
        raise MlflowException.invalid_parameter_value(
            f"Invalid dataset {dataset!r}: a dataset linked to a metric is recorded as an "
            "input of the run, which needs its name, digest, source_type and source.") from None


def _record_inputs(engine, run_id: str, model_id: str | None, dataset) -> None:
    """Record the model and the dataset as inputs of the run, unless it has them (MLflow's
    ``_log_inputs_for_metrics_if_necessary``); looked up once per run in this process."""
    uri = engine.tracking_uri
    model_key = (uri, run_id, "model", model_id) if model_id is not None else None
    dataset_key = None
    if dataset is not None:
        name, digest = dataset_identity(dataset)
        dataset_key = (uri, run_id, "dataset", name, digest)
    missing = [key for key in (model_key, dataset_key) if key is not None and key not in _linked]
    if not missing:
        return
    run = engine.read("get_run", run_id)
    has_models = {i.model_id for i in run.inputs.model_inputs} | {
        o.model_id for o in run.outputs.model_outputs}
    has_datasets = {(i.dataset.name, i.dataset.digest) for i in run.inputs.dataset_inputs}
    models = ([LoggedModelInput(model_id)]
              if model_key in missing and model_id not in has_models else [])
    datasets = ([DatasetInput(dataset_entity(dataset), [])]
                if dataset_key in missing and dataset_key[3:] not in has_datasets else [])
    if models or datasets:
        engine.call("log_inputs", run_id, datasets, models)
    with _linked_lock:
        if len(_linked) >= _MAX_LINKED:
            _linked.clear()
        _linked.update(missing)


def _output_models(step: int) -> list[str]:
    """The models the active run produced at ``step`` (MLflow links such metrics to them)."""
    return [o.model_id for o in active.active_run_outputs() if o.step == step]


# ----------------------------------------------------------------------------- fluent
def log_metric(key, value, step, synchronous, timestamp, run_id, model_id, dataset):
    """``mlflow.log_metric`` when the metric may link to a model or a dataset."""
    from .. import fluent

    key, value, timestamp, step = validation.validate_metric(
        key, value, timestamp or None, step or None)
    explicit_run = run_id is not None
    run_id, engine = fluent._target(run_id)
    model_id = model_id or active.get_active_model_id()
    name, digest = dataset_identity(dataset) if dataset is not None else (None, None)
    if model_id is not None:
        known.check(engine, model_id)
    if model_id is not None or dataset is not None:
        _record_inputs(engine, run_id, model_id, dataset)
    if model_id is None and not explicit_run:
        outputs = _output_models(step)
        model_id = outputs[0] if outputs else None  # (MLflow links the first one)
    if model_id is None and dataset is None:
        return engine.submit_metric(run_id, key, value, timestamp, step,
                                    synchronous_mode(synchronous))
    seq = engine.submit(LINKED, run_id, ((key, value, timestamp, step, model_id, name, digest),),
                        (), ())
    return engine.finish(seq, synchronous_mode(synchronous))


def log_metrics(metrics: dict, step, synchronous, run_id, timestamp, model_id, dataset):
    """``mlflow.log_metrics`` when the metrics may link to a model or a dataset."""
    from .. import fluent

    explicit_run = run_id is not None
    run_id, engine = fluent._target(run_id)
    timestamp = timestamp or now_ms()
    step = step or 0
    model_id = model_id or active.get_active_model_id()
    name, digest = dataset_identity(dataset) if dataset is not None else (None, None)
    if model_id is not None:
        model_ids = [model_id]
    else:
        model_ids = (None if explicit_run else _output_models(step)) or [None]
    for linked in model_ids:
        if linked is not None:
            known.check(engine, linked)
    pairs = [(key, value, linked) for key, value in metrics.items() for linked in model_ids]
    rows, _, _ = validation.validate_log_batch(
        run_id, [(key, value, timestamp, step) for key, value, _ in pairs])
    if not rows:
        return None
    if model_id is not None or dataset is not None:
        _record_inputs(engine, run_id, model_id, dataset)
    if model_ids == [None] and dataset is None:
        seq = engine.submit(BATCH, run_id, rows, (), ())
    else:
        seq = engine.submit(LINKED, run_id, tuple(
            (*row, linked, name, digest) for row, (_, _, linked) in zip(rows, pairs)), (), ())
    return engine.finish(seq, synchronous_mode(synchronous))


# ----------------------------------------------------------------------------- client
def client_log_metric(engine, run_id, key, value, timestamp, step, synchronous, dataset_name,
                      dataset_digest, model_id):
    """``MlflowClient.log_metric`` with a model (given or active) or a dataset."""
    key, value, timestamp, step = validation.validate_metric(key, value, timestamp, step)
    validation.validate_run_id(run_id)
    if model_id is not None:
        known.check(engine, model_id)
    seq = engine.submit(LINKED, run_id,
                        ((key, value, timestamp, step, model_id, dataset_name, dataset_digest),),
                        (), ())
    return engine.finish(seq, synchronous_mode(synchronous))


def metric_links(metrics) -> list[tuple] | None:
    """Per metric of a log_batch call, its (model_id, dataset_name, dataset_digest), the
    active model standing in for a missing model id; None when none has any link."""
    default = active.get_active_model_id()
    links = []
    found = default is not None
    for metric in metrics:
        if type(metric) is tuple:
            link = (default, None, None)
        else:
            link = (getattr(metric, "model_id", None) or default,
                    getattr(metric, "dataset_name", None), getattr(metric, "dataset_digest", None))
            found = found or any(item is not None for item in link)
        links.append(link)
    return links if found else None


def submit_linked_batch(engine, run_id, rows, links, params, tags) -> int:
    """Queue a log_batch whose metrics carry links (rows and links in the same order)."""
    for model_id in {link[0] for link in links if link[0] is not None}:
        known.check(engine, model_id)
    return engine.submit(LINKED, run_id, tuple((*row, *link) for row, link in zip(rows, links)),
                         params, tags)
