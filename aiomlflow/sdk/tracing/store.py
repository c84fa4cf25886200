"""Stored traces through an engine: reads that first wait for this process's pending
trace writes, and tag changes queued in order after them."""

from __future__ import annotations

import logging

from ...entities.trace import Trace
from ...entities.trace_data import TraceData
from ...exceptions import MlflowException
from . import builder

_logger = logging.getLogger("aiomlflow")
_IMMUTABLE_TAGS = ("mlflow.user", "mlflow.artifactLocation", "mlflow.trace.spansLocation",
                   "mlflow.trace.archiveLocation", "mlflow.trace.archivalFailure")


def written(engine, raise_errors: bool = False) -> None:
    """Return once every trace this process handed to ``engine`` is stored (its failure
    raised with ``raise_errors``; otherwise left to the flush that reports it)."""
    seq = builder.submitted.get(engine)
    if seq is None or (engine.completed(seq) and not raise_errors):
        return
    try:
        engine.wait(seq)
    except MlflowException:
        if raise_errors:
            raise


def read_trace(engine, trace_id: str, silent: bool = False) -> Trace | None:
    """The stored trace, or None (with a warning unless ``silent``)."""
    written(engine)
    try:
        found = engine.read("get_traces", [trace_id])
        error = None
    except MlflowException as exc:
        found, error = [], exc
    if found:
        return found[0]
    if not silent:
        reason = error.message if error is not None else (
            f"Trace with ID {trace_id} is not found.")
        _logger.warning("Failed to get trace from the tracking store: %s For full traceback, "
                        "set logging level to debug.", reason)
    return None


def locations_of(experiment_ids, locations) -> list[str]:
    """The experiment ids a trace search covers (``locations`` is MLflow 3's name)."""
    if experiment_ids is not None and locations is not None:
        raise MlflowException.invalid_parameter_value(
            "Only one of `experiment_ids` and `locations` can be specified.")
    return [str(i) for i in (locations if locations is not None else experiment_ids or ())]


def search_filter(filter_string: str | None, run_id: str | None,
                  model_id: str | None) -> str | None:
    """The filter string with ``run_id`` / ``model_id`` added as MLflow's clauses."""
    clauses = [filter_string] if filter_string else []
    if run_id is not None:
        clauses.append(f"attribute.run_id = '{run_id}'")
    if model_id is not None:
        clauses.append(f"request_metadata.`mlflow.modelId` = '{model_id}'")
    return " AND ".join(clauses) or None


def search_page(engine, query, include_spans: bool) -> tuple[list, object]:
    """One page of traces for a TraceSearch: ``(traces, next_page_token)``."""
    written(engine)
    infos, token = engine.read("search_traces", query)
    if not include_spans or not infos:
        return [Trace(info, TraceData([])) for info in infos], token
    found = {t.info.trace_id: t for t in engine.read(
        "get_traces", [info.trace_id for info in infos])}
    return [found[info.trace_id] for info in infos if info.trace_id in found], token


def check_tag_key(key) -> None:
    """MLflow's checks of a trace tag key."""
    if not isinstance(key, str) or not key:
        raise MlflowException.invalid_parameter_value(f"Invalid tag key: {key!r}.")
    if len(key) > 250:
        raise MlflowException.invalid_parameter_value(
            "'key' exceeds the maximum length of 250 characters")
    if key in _IMMUTABLE_TAGS:
        raise MlflowException.invalid_parameter_value(
            f"The tag {key!r} is set by MLflow and cannot be changed.")


def set_tag(engine, trace_id: str, key: str, value) -> None:
    """Set a tag on a trace in progress (in memory) or stored (queued after its write)."""
    check_tag_key(key)
    live = builder.live_traces.get(trace_id)
    if live is not None:
        live.tags[key] = str(value)
        return
    engine.call("set_trace_tag", trace_id, key, str(value))


def delete_tag(engine, trace_id: str, key: str) -> None:
    """Delete a tag of a trace in progress or stored."""
    live = builder.live_traces.get(trace_id)
    if live is not None:
        if live.tags.pop(key, None) is None:
            raise MlflowException(f"No trace tag with key '{key}' for trace with ID "
                                  f"'{trace_id}'", "RESOURCE_DOES_NOT_EXIST")
        return
    engine.call("delete_trace_tag", trace_id, key)
