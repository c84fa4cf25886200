"""The Transport interface: where operations land (local SQLite, a REST server, ...).

Every method is a coroutine run on the engine's loop.  ``write_runs`` takes the batcher's
per-run batches and reports the failed operations by sequence number, so one bad
operation never fails the others.
"""

from __future__ import annotations

from abc import ABC, abstractmethod


class Transport(ABC):
    """One store of experiments and runs, opened once per engine."""

    uri: str

    @abstractmethod
    async def open(self) -> None:
        """Connect (and create or check the store's schema)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; idempotent."""

    # delivery that outlives a write_runs call (a remote transport's on-disk journal);
    # a store that writes synchronously, like SQLite, keeps these defaults
    def watch_backlog(self, is_full) -> None:
        """Let the transport see, through ``is_full()``, that the engine's queue is full."""

    @property
    def undelivered(self) -> bool:
        """Whether accepted data still waits to reach the store (e.g. journaled)."""
        return False

    @property
    def gave_up(self) -> bool:
        """Whether, at exit, the transport stopped waiting for the store."""
        return False

    async def settle(self, timeout: float | None, final: bool = False) -> bool:
        """Wait up to ``timeout`` for undelivered data to reach the store; ``final`` (at
        exit) gives up after it and keeps the rest for later.  True if none is left."""
        return True

    def handoff_note(self) -> str | None:
        """At exit: what was left undelivered, where, and how to send it."""
        return None

    async def idle(self) -> None:
        """The engine's queue just ran empty: a moment for deferred housekeeping."""

    # run data, batched
    @abstractmethod
    async def write_runs(self, batches: list, durable=None) -> list[tuple[int, Exception]]:
        """Apply per-run batches; return ``(seq, error)`` for every operation that failed.

        ``durable(failures)``, if given, may be called once (from any thread) as soon as
        the batches are stored, with the same failures; the engine then completes the
        operations without waiting for this coroutine to resume.
        """

    # A store that can also be written from the calling thread lets a synchronous call
    # write its own operations there, skipping the hops through the engine's threads.
    @property
    def writes_in_caller(self) -> bool:
        """Whether ``write_in_caller`` may be used."""
        return False

    def write_in_caller(self, batches: list, durable=None) -> list[tuple[int, Exception]]:
        """``write_runs`` run synchronously on the calling thread (one caller at a time)."""
        raise NotImplementedError

    # Queued transport calls (engine.call) that ``call_in_caller`` can run.
    caller_calls: frozenset = frozenset()

    def call_in_caller(self, method: str, args: tuple):
        """Transport ``method(*args)`` (one of ``caller_calls``) run synchronously on the
        calling thread, as ``write_in_caller`` (one caller at a time)."""
        raise NotImplementedError

    # Reads (engine.read) that ``read_in_caller`` can run on the calling thread, through
    # the same connection and under the same one-caller-at-a-time rule as call_in_caller.
    caller_reads: frozenset = frozenset()

    def read_in_caller(self, method: str, args: tuple):
        """Transport read ``method(*args)`` (one of ``caller_reads``) run synchronously on
        the calling thread."""
        raise NotImplementedError

    # runs
    @abstractmethod
    async def create_run(self, experiment_id: str, user_id: str, start_time: int,
                         tags: list[tuple[str, str]], run_name: str | None):
        """Create a run and return it as a Run entity."""

    @abstractmethod
    async def get_run(self, run_id: str):
        """The Run with its latest metrics, params and tags."""

    @abstractmethod
    async def update_run_info(self, run_id: str, status: str | None, end_time: int | None,
                              run_name: str | None):
        """Update status / end time / name; return the new RunInfo."""

    @abstractmethod
    async def delete_run(self, run_id: str) -> None:
        """Mark a run deleted."""

    @abstractmethod
    async def restore_run(self, run_id: str) -> None:
        """Mark a deleted run active again."""

    @abstractmethod
    async def get_metric_history(self, run_id: str, key: str) -> list:
        """Every logged value of one metric of a run, as Metric entities."""

    # experiments
    @abstractmethod
    async def create_experiment(self, name: str, artifact_location: str | None,
                                tags: list[tuple[str, str]]) -> str:
        """Create an experiment; return its id."""

    @abstractmethod
    async def get_experiment(self, experiment_id: str):
        """The Experiment with this id (any lifecycle stage)."""

    @abstractmethod
    async def get_experiment_by_name(self, name: str):
        """The Experiment with this name, or None."""

    @abstractmethod
    async def delete_experiment(self, experiment_id: str) -> None:
        """Mark an experiment (and its runs) deleted."""

    @abstractmethod
    async def restore_experiment(self, experiment_id: str) -> None:
        """Mark a deleted experiment (and its runs) active again."""

    @abstractmethod
    async def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        """Give an experiment a new unique name."""

    @abstractmethod
    async def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """Set (or overwrite) an experiment tag."""

    @abstractmethod
    async def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """Remove an experiment tag."""

    # search
    @abstractmethod
    async def search_runs(self, query):
        """One page of runs for a validated ``RunSearch``: ``(list[Run], next_page_token)``."""

    @abstractmethod
    async def search_experiments(self, query):
        """One page of experiments for an ``ExperimentSearch``: ``(list, next_page_token)``."""

    @abstractmethod
    async def get_metric_history_bulk(self, run_ids: list, key: str,
                                      max_results: int | None = None) -> list:
        """A metric's history for several runs (Metric entities carrying ``run_id``),
        ordered by run id, timestamp, step and value."""

    # traces (a store without them refuses clearly)
    async def write_traces(self, ops: list) -> list[tuple[int, Exception]]:
        """Store finished traces: each op is ``(seq, TRACE, None, finished)`` where
        ``finished.to_trace()`` gives the Trace entity (info and spans); return
        ``(seq, error)`` for every trace that failed."""
        raise _unsupported(self, "tracing")

    async def get_trace_info(self, trace_id: str):
        """The TraceInfo (with assessments) of a trace; RESOURCE_DOES_NOT_EXIST if unknown."""
        raise _unsupported(self, "tracing")

    async def get_traces(self, trace_ids: list[str]) -> list:
        """The complete traces (info and spans) among ``trace_ids``, in that order; traces
        that are unknown or whose spans are not all stored are left out."""
        raise _unsupported(self, "tracing")

    async def search_traces(self, query):
        """One page of TraceInfos for a ``TraceSearch``: ``(list[TraceInfo], next_page_token)``."""
        raise _unsupported(self, "tracing")

    async def set_trace_tag(self, trace_id: str, key: str, value: str) -> None:
        """Set a tag on a stored trace."""
        raise _unsupported(self, "tracing")

    async def delete_trace_tag(self, trace_id: str, key: str) -> None:
        """Delete a tag of a stored trace (RESOURCE_DOES_NOT_EXIST if it has none)."""
        raise _unsupported(self, "tracing")

    async def delete_traces(self, experiment_id: str, max_timestamp_millis: int | None,
                            max_traces: int | None, trace_ids: list[str] | None) -> int:
        """Delete traces of an experiment (older than a time, or by id); return how many."""
        raise _unsupported(self, "tracing")

    async def link_traces_to_run(self, trace_ids: list[str], run_id: str) -> None:
        """Record that the traces belong to a run."""
        raise _unsupported(self, "tracing")

    # assessments of traces
    async def create_assessment(self, assessment):
        """Store a new Assessment (its ``overrides``, if set, is marked invalid); return it
        as stored, with its id."""
        raise _unsupported(self, "assessments")

    async def get_assessment(self, trace_id: str, assessment_id: str):
        """One Assessment of a trace; RESOURCE_DOES_NOT_EXIST if unknown."""
        raise _unsupported(self, "assessments")

    async def update_assessment(self, trace_id: str, assessment_id: str, changes: dict):
        """Apply ``changes`` in place; return the updated Assessment.

        ``changes`` holds what the caller set, as MLflow's update field mask: ``name``,
        ``feedback`` (a FeedbackValue: value and error) or ``expectation`` (an
        ExpectationValue), ``rationale``, ``metadata`` (merged into the stored one);
        missing or None keys keep the stored values."""
        raise _unsupported(self, "assessments")

    async def delete_assessment(self, trace_id: str, assessment_id: str) -> None:
        """Delete an assessment (what it overrode becomes valid again); no-op if unknown."""
        raise _unsupported(self, "assessments")

    # logged models (tags and params are (key, value) pairs, statuses LoggedModelStatus)
    async def create_logged_model(self, experiment_id: str, name: str,
                                  source_run_id: str | None, tags: list, params: list,
                                  model_type: str | None):
        """Create a PENDING logged model in an experiment; return it (a LoggedModel)."""
        raise _unsupported(self, "logged models")

    async def get_logged_model(self, model_id: str, allow_deleted: bool = False):
        """The LoggedModel (with tags, params, metrics); RESOURCE_DOES_NOT_EXIST if unknown
        (or deleted, unless ``allow_deleted``)."""
        raise _unsupported(self, "logged models")

    async def finalize_logged_model(self, model_id: str, status):
        """Set a model's status; return the updated LoggedModel."""
        raise _unsupported(self, "logged models")

    async def delete_logged_model(self, model_id: str) -> None:
        """Mark a logged model deleted."""
        raise _unsupported(self, "logged models")

    async def set_logged_model_tags(self, model_id: str, tags: list) -> None:
        """Set (overwrite) tags of a logged model."""
        raise _unsupported(self, "logged models")

    async def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Delete a tag of a logged model (RESOURCE_DOES_NOT_EXIST if it has none)."""
        raise _unsupported(self, "logged models")

    async def log_logged_model_params(self, model_id: str, params: list) -> None:
        """Add params to a logged model."""
        raise _unsupported(self, "logged models")

    async def search_logged_models(self, query):
        """One page for a ``LoggedModelSearch``: ``(list[LoggedModel], next_page_token)``."""
        raise _unsupported(self, "logged models")

    async def log_inputs(self, run_id: str, datasets: list, models: list) -> None:
        """Record DatasetInputs and LoggedModelInputs as inputs of a run."""
        raise _unsupported(self, "run inputs")

    async def log_outputs(self, run_id: str, models: list) -> None:
        """Record LoggedModelOutputs as outputs of a run."""
        raise _unsupported(self, "run outputs")

    # the model registry (versions are ints; tags (key, value) pairs; a store without a
    # registry refuses clearly)
    async def create_registered_model(self, name: str, tags: list, description: str | None):
        """Create a registered model; return it (RESOURCE_ALREADY_EXISTS if taken)."""
        raise _unsupported(self, "the model registry")

    async def get_registered_model(self, name: str):
        """The RegisteredModel with its tags, aliases and latest versions."""
        raise _unsupported(self, "the model registry")

    async def update_registered_model(self, name: str, description: str | None):
        """Set the description; return the RegisteredModel."""
        raise _unsupported(self, "the model registry")

    async def rename_registered_model(self, name: str, new_name: str):
        """Rename a model and its versions; return the RegisteredModel."""
        raise _unsupported(self, "the model registry")

    async def delete_registered_model(self, name: str) -> None:
        """Delete a model, its versions, tags and aliases."""
        raise _unsupported(self, "the model registry")

    async def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        """Set (overwrite) a registered model's tag."""
        raise _unsupported(self, "the model registry")

    async def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a registered model's tag (none is no error)."""
        raise _unsupported(self, "the model registry")

    async def get_latest_versions(self, name: str, stages: list) -> list:
        """The latest ModelVersion of each stage (of ``stages`` if not empty)."""
        raise _unsupported(self, "the model registry")

    async def create_model_version(self, name: str, source: str, run_id: str | None,
                                   tags: list, run_link: str | None, description: str | None,
                                   model_id: str | None, storage_location: str):
        """Create the next version of a model; return the ModelVersion."""
        raise _unsupported(self, "the model registry")

    async def get_model_version(self, name: str, version: int):
        """One ModelVersion (RESOURCE_DOES_NOT_EXIST if unknown or deleted)."""
        raise _unsupported(self, "the model registry")

    async def update_model_version(self, name: str, version: int, description: str | None):
        """Set a version's description; return the ModelVersion."""
        raise _unsupported(self, "the model registry")

    async def transition_model_version_stage(self, name: str, version: int, stage: str,
                                             archive_existing: bool):
        """Move a version to a stage; return the ModelVersion."""
        raise _unsupported(self, "the model registry")

    async def delete_model_version(self, name: str, version: int) -> None:
        """Delete a version and its aliases."""
        raise _unsupported(self, "the model registry")

    async def get_model_version_download_uri(self, name: str, version: int) -> str:
        """Where a version's files can be downloaded from."""
        raise _unsupported(self, "the model registry")

    async def set_model_version_tag(self, name: str, version: int, key: str,
                                    value: str) -> None:
        """Set (overwrite) a version's tag."""
        raise _unsupported(self, "the model registry")

    async def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Delete a version's tag (none is no error)."""
        raise _unsupported(self, "the model registry")

    async def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        """Point an alias at a version."""
        raise _unsupported(self, "the model registry")

    async def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias (none is no error)."""
        raise _unsupported(self, "the model registry")

    async def get_model_version_by_alias(self, name: str, alias: str):
        """The ModelVersion an alias points at (``latest``: the highest)."""
        raise _unsupported(self, "the model registry")

    async def search_registry(self, query):
        """One page for a ``RegistrySearch``: ``(entities, next_page_token)``."""
        raise _unsupported(self, "the model registry")


def _unsupported(transport: Transport, what: str):
    from ..exceptions import MlflowException

    return MlflowException(
        f"{what} is not supported yet by aiomlflow's {type(transport).__name__} "
        f"({transport.uri}).", error_code="NOT_IMPLEMENTED")
