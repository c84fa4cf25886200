"""MlflowClient: the tracking operations addressed by explicit run and experiment ids.

Every method validates at the call site, then either enqueues (run data), queues a
write in order with the data (lifecycle changes), or reads through the engine.
"""

from __future__ import annotations

import os

from .. import store_errors
from ..batches import BATCH, DELETE_TAG, PARAM, TERMINATE
from ..config import synchronous_mode
from ..entities import Experiment, Metric, Run, RunInfo, ViewType
from ..exceptions import MlflowException
from ..lazy import attach
from ..utils.time import get_current_time_millis as now_ms
from ..workers.registry import get_engine
from ..workers.operations import RunOperations
from . import run_context, run_links, tracking_uri, validation
from .artifacts import operations as artifact_ops
from .artifacts import reads as artifact_reads
from .artifacts import roots as artifact_roots
from .models import active as active_model
from .run_names import random_run_name


# statuses that end a run (update_run to one of them stops the run's system metrics)
_ENDED = frozenset({"FINISHED", "FAILED", "KILLED"})


def finish(engine, seq: int, synchronous: bool | None):
    """engine.finish, with None read from MLFLOW_ENABLE_ASYNC_LOGGING."""
    return engine.finish(seq, synchronous_mode(synchronous))


def _stringify_tags(tags) -> list[tuple[str, str]]:
    return [validation.validate_tag(key, value) for key, value in (tags or {}).items()]


def _may_carry_links(metrics: list) -> bool:
    """Whether a metric of a log_batch may name a model or a dataset (none of a list of
    tuples, nor of Metrics without links: a scan of their slots, no property calls)."""
    if type(metrics[0]) is tuple and set(map(type, metrics)) == {tuple}:
        return False
    for metric in metrics:
        kind = type(metric)
        if kind is Metric:
            if (metric._model_id is not None or metric._dataset_name is not None
                    or metric._dataset_digest is not None):
                return True
        elif kind is not tuple and (getattr(metric, "model_id", None) is not None
                                    or getattr(metric, "dataset_name", None) is not None
                                    or getattr(metric, "dataset_digest", None) is not None):
            return True
    return False


class MlflowClient:
    """Client of a tracking store; the same operations as the fluent API by explicit id.

    The logged-model and model-registry methods are those of ``LoggedModelClientMethods``
    (sdk/models/client.py) and ``RegistryClientMethods`` (sdk/registry/client.py), attached
    below: their modules load on the first use of any of them.
    """

    def __init__(self, tracking_uri: str | None = None, registry_uri: str | None = None):
        self._tracking_uri = tracking_uri
        self._registry_uri = registry_uri

    @property
    def tracking_uri(self) -> str:
        """The tracking URI this client talks to."""
        return self._tracking_uri or tracking_uri.get_tracking_uri()

    @property
    def _engine(self):
        return get_engine(self.tracking_uri)

    # ---------------------------------------------------------------- runs
    def create_run(self, experiment_id: str, start_time: int | None = None,
                   tags: dict | None = None, run_name: str | None = None) -> Run:
        """Create a RUNNING run in an experiment; return it."""
        experiment_id = validation.validate_experiment_id(experiment_id)
        tag_items = _stringify_tags(tags)
        tag_dict = dict(tag_items)
        user_id = tag_dict.get(run_context.USER, "unknown")
        if not run_name:
            run_name = tag_dict.get(run_context.RUN_NAME) or random_run_name()
        elif run_context.RUN_NAME in tag_dict and tag_dict[run_context.RUN_NAME] != run_name:
            raise store_errors.run_name_conflict(run_name, tag_dict[run_context.RUN_NAME])
        engine = self._engine
        run = engine.call("create_run", experiment_id or "0", user_id, start_time or now_ms(),
                          tag_items, run_name)
        run_links.remember(engine.tracking_uri, run)
        artifact_roots.remember(engine.tracking_uri, run)
        return run

    def get_run(self, run_id: str) -> Run:
        """The run with its latest metrics, params and tags."""
        validation.validate_run_id(run_id)
        engine = self._engine
        run = engine.read("get_run", run_id)
        run_links.remember(engine.tracking_uri, run)
        artifact_roots.remember(engine.tracking_uri, run)
        return run

    def get_parent_run(self, run_id: str) -> Run | None:
        """The parent of a nested run, or None."""
        parent_id = self.get_run(run_id).data.tags.get(run_context.PARENT_RUN_ID)
        return None if parent_id is None else self.get_run(parent_id)

    def set_terminated(self, run_id: str, status: str | None = None,
                       end_time: int | None = None) -> None:
        """End a run with a status (default FINISHED)."""
        self._terminate(run_id, status, end_time, wait=True)

    def _terminate(self, run_id: str, status, end_time, wait: bool,
                   with_artifacts: bool = True) -> None:
        # queued as run data: in order with the run's pending data, and journaled with
        # it while a remote server is unreachable.  ``with_artifacts=False``: a waiting
        # end does not also wait for the run's artifact uploads (autologging's
        # rendered files, which reads through this engine still see: reads flush them)
        status = validation.validate_run_status(status)
        validation.validate_run_id(run_id)
        engine = self._engine
        # from whichever thread the run is ended: its sampling stops, and its last
        # system metrics are queued before the end
        engine.system_metrics.stop(run_id)
        run_links.print_links(engine.tracking_uri, run_id)
        if wait and with_artifacts and engine.artifacts.pending():
            # a run ends with its artifacts in place; their failures stay for the flush
            engine.artifacts.flush(raise_errors=False)
        seq = engine.submit(TERMINATE, run_id, status, end_time or now_ms())
        if wait:
            engine.wait(seq)

    def update_run(self, run_id: str, status: str | None = None,
                   name: str | None = None) -> None:
        """Change a run's status and/or name."""
        validation.validate_run_id(run_id)
        if status is not None:
            status = validation.validate_run_status(status)
        if name is not None:
            name = validation.validate_tag(run_context.RUN_NAME, name)[1]
        if status in _ENDED:
            self._engine.system_metrics.stop(run_id)
        self._engine.call("update_run_info", run_id, status, None, name)
        if name is not None:
            run_links.renamed(run_id, name)

    def delete_run(self, run_id: str) -> None:
        """Mark a run deleted."""
        validation.validate_run_id(run_id)
        self._engine.system_metrics.stop(run_id)
        self._engine.call("delete_run", run_id)

    def restore_run(self, run_id: str) -> None:
        """Restore a deleted run."""
        validation.validate_run_id(run_id)
        self._engine.call("restore_run", run_id)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged value of a metric, ordered by timestamp, step and value."""
        validation.validate_run_id(run_id)
        return self._engine.read("get_metric_history", run_id, key)

    def get_metric_history_bulk(self, run_ids: list[str], key: str,
                                max_results: int | None = None) -> list[Metric]:
        """The history of one metric for several runs in one read: Metric entities with
        ``run_id`` set, ordered by run id, then timestamp, step and value (MLflow's bulk
        order).  Unknown run ids contribute nothing."""
        if isinstance(run_ids, str):
            run_ids = [run_ids]
        for run_id in run_ids:
            validation.validate_run_id(run_id)
        return self._engine.read("get_metric_history_bulk", list(run_ids), key, max_results)

    # ---------------------------------------------------------------- search
    def search_runs(self, experiment_ids: list[str], filter_string: str = "",
                    run_view_type: int = ViewType.ACTIVE_ONLY,
                    max_results: int = 1000,
                    order_by: list[str] | None = None,
                    page_token: str | None = None) -> "list[Run]":
        """Runs of the experiments matching ``filter_string``, one page at a time.

        Returns a PagedList; pass its ``token`` as ``page_token`` for the next page.
        """
        from . import search as _search  # (imported on first search: keeps import cheap)

        query = _search.run_search(experiment_ids, filter_string, run_view_type, max_results,
                                   order_by, page_token)
        runs, token = self._engine.read("search_runs", query)
        return _search.PagedList(runs, token)

    def search_experiments(self, view_type: int = ViewType.ACTIVE_ONLY,
                           max_results: int | None = 1000,
                           filter_string: str | None = None,
                           order_by: list[str] | None = None,
                           page_token=None) -> "list[Experiment]":
        """Experiments matching ``filter_string`` (default order: last_update_time DESC),
        one page at a time (a PagedList with ``token``)."""
        from . import search as _search

        query = _search.experiment_search(view_type, max_results, filter_string, order_by,
                                          page_token)
        experiments, token = self._engine.read("search_experiments", query)
        return _search.PagedList(experiments, token)

    # ---------------------------------------------------------------- run data
    def log_metric(self, run_id: str, key: str, value: float, timestamp: int | None = None,
                   step: int | None = None, synchronous: bool | None = None,
                   dataset_name: str | None = None, dataset_digest: str | None = None,
                   model_id: str | None = None) -> RunOperations | None:
        """Log a metric to a run; linked to the logged model ``model_id`` (default: the
        active model) and/or a dataset by name and digest."""
        model_id = model_id or active_model.get_active_model_id()
        if dataset_name is not None or dataset_digest is not None or model_id is not None:
            from .models import links

            return links.client_log_metric(self._engine, run_id, key, value, timestamp, step,
                                           synchronous, dataset_name, dataset_digest, model_id)
        key, value, timestamp, step = validation.validate_metric(key, value, timestamp, step)
        validation.validate_run_id(run_id)
        engine = self._engine
        return engine.submit_metric(run_id, key, value, timestamp, step,
                                    synchronous_mode(synchronous))

    def log_param(self, run_id: str, key: str, value, synchronous: bool | None = None):
        """Log a param; returns the value (synchronous) or a RunOperations."""
        validation.validate_run_id(run_id)
        try:
            key, text = validation.validate_param(key, value)
        except MlflowException as exc:
            raise validation.with_param_hint(exc) from None
        engine = self._engine
        operations = finish(engine, engine.submit(PARAM, run_id, key, text), synchronous)
        return value if operations is None else operations

    def set_tag(self, run_id: str, key: str, value, synchronous: bool | None = None):
        """Set a tag on a run (values are stringified)."""
        validation.validate_run_id(run_id)
        key, value = validation.validate_tag(key, value)
        engine = self._engine
        return finish(engine, engine.submit(BATCH, run_id, (), (), ((key, value),)), synchronous)

    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag from a run."""
        validation.validate_run_id(run_id)
        validation.validate_delete_tag_key(key)
        engine = self._engine
        engine.wait(engine.submit(DELETE_TAG, run_id, key))

    def log_batch(self, run_id: str, metrics=(), params=(), tags=(),
                  synchronous: bool | None = None) -> RunOperations | None:
        """Log Metric, Param and RunTag entities (or tuples) to a run in one call (a
        Metric's model and dataset links, or the active model, are kept)."""
        metric_links = None
        if type(metrics) is not list:
            metrics = list(metrics)
        if metrics:
            if active_model.get_active_model_id() is not None or _may_carry_links(metrics):
                from .models import links

                metric_links = links.metric_links(metrics)
        metrics, params, tags = validation.validate_log_batch(run_id, metrics, params, tags,
                                                               stringify_tags=False)
        if not metrics and not params and not tags:
            return None  # as MLflow, also in asynchronous mode
        engine = self._engine
        if metric_links is None:
            seq = engine.submit(BATCH, run_id, metrics, params, tags)
        else:
            from .models import links

            seq = links.submit_linked_batch(engine, run_id, metrics, metric_links, params, tags)
        return finish(engine, seq, synchronous)

    # ---------------------------------------------------------------- artifacts
    def log_artifact(self, run_id: str, local_path, artifact_path: str | None = None) -> None:
        """Log a local file or directory as an artifact of the run."""
        validation.validate_run_id(run_id)
        artifact_ops.log_file(self._engine, run_id, local_path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir, artifact_path: str | None = None) -> None:
        """Log every file of a local directory as artifacts of the run."""
        validation.validate_run_id(run_id)
        artifact_ops.log_tree(self._engine, run_id, local_dir, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        """Log text as an artifact file of the run."""
        artifact_ops.log_text(self._engine, run_id, text, artifact_file)

    def log_dict(self, run_id: str, dictionary: dict, artifact_file: str) -> None:
        """Log a dict as a JSON (or, for .yml/.yaml, YAML) artifact file of the run."""
        artifact_ops.log_dict(self._engine, run_id, dictionary, artifact_file)

    def log_figure(self, run_id: str, figure, artifact_file: str, *,
                   save_kwargs: dict | None = None) -> None:
        """Log a matplotlib or plotly figure as an artifact file of the run."""
        artifact_ops.log_figure(self._engine, run_id, figure, artifact_file, save_kwargs)

    def log_image(self, run_id: str, image, artifact_file: str | None = None,
                  key: str | None = None, step: int | None = None,
                  timestamp: int | None = None, synchronous: bool | None = None) -> None:
        """Log an image as a file (``artifact_file``) or a time-series step (``key``)."""
        artifact_ops.log_image(self._engine, run_id, image, artifact_file, key, step,
                               timestamp, synchronous)

    def log_table(self, run_id: str, data, artifact_file: str) -> None:
        """Log a dict or DataFrame as a JSON table artifact, appending to an existing one."""
        artifact_ops.log_table(self._engine, run_id, data, artifact_file, None)

    def load_table(self, experiment_id: str, artifact_file: str,
                   run_ids: list[str] | None = None, extra_columns: list[str] | None = None):
        """Load a table logged with log_table from runs of an experiment as a DataFrame."""
        return artifact_ops.load_table(self._engine, experiment_id, artifact_file, run_ids,
                                       extra_columns)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list:
        """FileInfo of the artifacts directly under ``path`` of the run."""
        engine = self._engine
        found = artifact_reads.list_under(engine, artifact_roots.run_root(engine, run_id), path)
        if path:
            # as MLflow 3: a logged model the run produced is listed under its name too
            from .models.run_models import list_model_artifacts

            found = found + list_model_artifacts(self, run_id, path)
        return found

    def download_artifacts(self, run_id: str, path: str, dst_path: str | None = None) -> str:
        """Download an artifact file or directory of the run; return its local path."""
        return artifact_reads.download_of_run(self._engine, run_id, path, dst_path)

    # ---------------------------------------------------------------- experiments
    def create_experiment(self, name: str, artifact_location: str | None = None,
                          tags: dict | None = None) -> str:
        """Create an experiment; return its id."""
        validation.validate_experiment_name(name)
        if artifact_location is not None:
            artifact_location = _resolve_artifact_location(
                validation.validate_experiment_artifact_location(artifact_location))
        tag_items = [validation.validate_experiment_tag(k, v) for k, v in (tags or {}).items()]
        return self._engine.call("create_experiment", name, artifact_location, tag_items)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """The experiment with this id."""
        experiment_id = validation.validate_experiment_id(experiment_id)
        return self._engine.read("get_experiment", experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment with this name, or None."""
        return self._engine.read("get_experiment_by_name", name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment and its runs deleted."""
        self._engine.call("delete_experiment", validation.validate_experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        """Restore a deleted experiment and its runs."""
        self._engine.call("restore_experiment", validation.validate_experiment_id(experiment_id))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Rename an active experiment."""
        validation.validate_experiment_name(new_name)
        self._engine.call("rename_experiment",
                          validation.validate_experiment_id(experiment_id), new_name)

    def set_experiment_tag(self, experiment_id: str, key: str, value) -> None:
        """Set a tag on an experiment."""
        key, value = validation.validate_experiment_tag(key, value)
        self._engine.call("set_experiment_tag",
                          validation.validate_experiment_id(experiment_id), key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove a tag from an experiment."""
        self._engine.call("delete_experiment_tag",
                          validation.validate_experiment_id(experiment_id), key)

    # ---------------------------------------------------------------- traces
    def get_trace(self, trace_id: str, display: bool = True, flush: bool = False):
        """A stored trace; RESOURCE_DOES_NOT_EXIST if there is none.  This process's
        pending trace writes are always waited for first (``flush=True`` in MLflow);
        ``display`` renders the trace in a notebook in MLflow, which aiomlflow never
        does (see ``aiomlflow.tracing.enable_notebook_display``)."""
        from .tracing import store

        trace = store.read_trace(self._engine, trace_id, silent=True)
        if trace is None:
            raise MlflowException(f"Trace with ID '{trace_id}' not found.",
                                  "RESOURCE_DOES_NOT_EXIST")
        return trace

    def search_traces(self, experiment_ids: list[str] | None = None,
                      filter_string: str | None = None, max_results: int = 100,
                      order_by: list[str] | None = None, page_token: str | None = None,
                      run_id: str | None = None, include_spans: bool = True,
                      model_id: str | None = None, locations: list[str] | None = None,
                      flush: bool = False):
        """One page of traces (a PagedList; its ``token`` fetches the next page)."""
        from ..searches import TraceSearch
        from .search.query import PagedList
        from .tracing import store

        ids = store.locations_of(experiment_ids, locations)
        if not ids:
            raise MlflowException.invalid_parameter_value(
                "Locations must be specified when searching traces.")
        traces, token = store.search_page(self._engine, TraceSearch(
            experiment_ids=tuple(ids),
            filter_string=store.search_filter(filter_string, run_id, model_id),
            max_results=max_results, order_by=tuple(order_by or ()), page_token=page_token),
            include_spans)
        return PagedList(traces, token)

    def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        """Set a tag on a trace."""
        from .tracing import store

        store.set_tag(self._engine, trace_id, key, value)

    def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete a tag of a trace."""
        from .tracing import store

        store.delete_tag(self._engine, trace_id, key)

    def delete_traces(self, experiment_id: str, max_timestamp_millis: int | None = None,
                      max_traces: int | None = None, trace_ids: list[str] | None = None) -> int:
        """Delete traces of an experiment, older than a time (at most ``max_traces``) or
        by id; return how many were deleted."""
        if max_timestamp_millis is None and not trace_ids:
            raise MlflowException.invalid_parameter_value(
                "Either `max_timestamp_millis` or `trace_ids` must be specified.")
        if max_timestamp_millis is not None and trace_ids:
            raise MlflowException.invalid_parameter_value(
                "Only one of `max_timestamp_millis` and `trace_ids` can be specified.")
        if trace_ids and max_traces is not None:
            raise MlflowException.invalid_parameter_value(
                "`max_traces` can't be specified if `trace_ids` is specified.")
        return self._engine.call("delete_traces", str(experiment_id), max_timestamp_millis,
                                 max_traces, list(trace_ids) if trace_ids else None)

    def link_traces_to_run(self, trace_ids: list[str], run_id: str) -> None:
        """Record that the traces belong to a run."""
        if len(trace_ids) > 100:
            raise MlflowException.invalid_parameter_value(
                "Cannot link more than 100 traces to a run in a single request. "
                f"Provided {len(trace_ids)} traces.")
        self._engine.call("link_traces_to_run", list(trace_ids), run_id)

    def start_trace(self, name: str, span_type: str = "UNKNOWN", inputs=None,
                    attributes: dict | None = None, tags: dict | None = None,
                    experiment_id: str | None = None, start_time_ns: int | None = None,
                    run_id: str | None = None, links=None):
        """Start a new trace's root span (end it with ``end_trace``)."""
        from .tracing import spans

        span = spans.open_span(name, span_type, None, attributes, experiment_id,
                               start_time_ns, links=links, run_id=run_id, engine=self._engine)
        if inputs is not None:
            span.set_inputs(inputs)
        if tags:
            span._trace.tags.update({str(k): str(v) for k, v in tags.items()})
        return span

    def start_span(self, name: str, trace_id: str, parent_id: str, span_type: str = "UNKNOWN",
                   inputs=None, attributes: dict | None = None,
                   start_time_ns: int | None = None, links=None):
        """Start a span under span ``parent_id`` of the trace in progress ``trace_id``."""
        from .tracing import spans

        parent = spans.find_live_span(trace_id, parent_id)
        span = spans.open_span(name, span_type, parent, attributes, None, start_time_ns,
                               links=links)
        if inputs is not None:
            span.set_inputs(inputs)
        return span

    def end_span(self, trace_id: str, span_id: str, outputs=None,
                 attributes: dict | None = None, status="OK",
                 end_time_ns: int | None = None) -> None:
        """End a span of a trace in progress."""
        from .tracing import spans

        spans.find_live_span(trace_id, span_id).end(outputs, attributes, status, end_time_ns)

    def end_trace(self, trace_id: str, outputs=None, attributes: dict | None = None,
                  status="OK", end_time_ns: int | None = None) -> None:
        """End a trace in progress (its root span), which stores it."""
        from .tracing import spans

        root = spans.find_live_span(trace_id, None)
        root.end(outputs, attributes, status, end_time_ns)

    def __repr__(self) -> str:
        return f"<MlflowClient tracking_uri={self.tracking_uri!r}>"


def _resolve_artifact_location(location: str) -> str:
    # MLflow stores local locations as absolute paths (URIs are kept as given).
    if "://" in location or location.startswith("file:"):
        return location
    return os.path.abspath(location)


__all__ = ["MlflowClient", "ViewType", "RunInfo"]


# the attributes of the two method mixins (tests/test_import_cost.py checks these lists
# against the mixin classes)
LOGGED_MODEL_METHODS = (
    "_create_logged_model", "_logged_model_or", "_model_root", "_submit_call",
    "create_logged_model", "delete_logged_model", "delete_logged_model_tag",
    "finalize_logged_model", "get_logged_model", "list_logged_model_artifacts", "log_inputs",
    "log_model_artifact", "log_model_artifacts", "log_model_params", "log_outputs",
    "search_logged_models", "set_logged_model_tags",
)
REGISTRY_METHODS = (
    "_await_ready", "_create_model_version", "_raise_if_prompt", "_registry_engine",
    "_version_of_stage", "copy_model_version", "create_model_version",
    "create_registered_model", "delete_model_version", "delete_model_version_tag",
    "delete_registered_model", "delete_registered_model_alias", "delete_registered_model_tag",
    "get_latest_versions", "get_model_version", "get_model_version_by_alias",
    "get_model_version_download_uri", "get_registered_model", "rename_registered_model",
    "search_model_versions", "search_registered_models", "set_model_version_tag",
    "set_registered_model_alias", "set_registered_model_tag", "transition_model_version_stage",
    "update_model_version", "update_registered_model",
)
attach(MlflowClient, "aiomlflow.sdk.models.client", "LoggedModelClientMethods",
       LOGGED_MODEL_METHODS)
attach(MlflowClient, "aiomlflow.sdk.registry.client", "RegistryClientMethods",
       REGISTRY_METHODS)
