"""Experiment: a named group of runs with an artifact location and tags."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _MlflowObject, _int, _put
from aiomlflow.entities.experiment_tag import ExperimentTag

DEFAULT_WORKSPACE_NAME = "default"


def _normalize_workspace(workspace: str | None) -> str | None:
    if workspace is None:
        return None
    return workspace.strip() or None


def resolve_workspace_name(workspace: str | None) -> str:
    """The workspace an entity belongs to: the explicit one, else MLFLOW_WORKSPACE, else "default"."""
    return (
        _normalize_workspace(workspace)
        or _normalize_workspace(os.environ.get("MLFLOW_WORKSPACE"))
        or DEFAULT_WORKSPACE_NAME
    )


class Experiment(_MlflowObject):
    """Experiment object."""

    __slots__ = ("_experiment_id", "_name", "_artifact_location", "_lifecycle_stage",
                 "_tags", "_creation_time", "_last_update_time", "_workspace",
                 "_trace_location", "_effective_trace_archival_retention")

    DEFAULT_EXPERIMENT_NAME = "Default"

    def __init__(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str,
        lifecycle_stage: str,
        tags: list[ExperimentTag] | None = None,
        creation_time: int | None = None,
        last_update_time: int | None = None,
        workspace: str | None = None,
        trace_location=None,
        effective_trace_archival_retention: str | None = None,
    ) -> None:
        self._experiment_id = experiment_id
        self._name = name
        self._artifact_location = artifact_location
        self._lifecycle_stage = lifecycle_stage
        self._tags = {t.key: t.value for t in (tags or [])}
        self._creation_time = creation_time
        self._last_update_time = last_update_time
        self._workspace = resolve_workspace_name(workspace)
        # Tracing destinations (Unity Catalog) are out of this SDK's scope: kept as given.
        self._trace_location = trace_location
        self._effective_trace_archival_retention = effective_trace_archival_retention

    @property
    def experiment_id(self) -> str:
        """String ID of the experiment."""
        return self._experiment_id

    @property
    def name(self) -> str:
        """String name of the experiment."""
        return self._name

    def _set_name(self, new_name: str) -> None:
        self._name = new_name

    @property
    def artifact_location(self) -> str:
        """String corresponding to the root artifact URI for the experiment."""
        return self._artifact_location

    @property
    def lifecycle_stage(self) -> str:
        """Lifecycle stage of the experiment: "active" or "deleted"."""
        return self._lifecycle_stage

    @property
    def tags(self) -> dict[str, str]:
        """Tags set on the experiment, as a key → value dict."""
        return self._tags

    def _add_tag(self, tag: ExperimentTag) -> None:
        self._tags[tag.key] = tag.value

    @property
    def creation_time(self) -> int | None:
        """Creation time of the experiment, in milliseconds since the Unix epoch."""
        return self._creation_time

    def _set_creation_time(self, creation_time: int) -> None:
        self._creation_time = creation_time

    @property
    def last_update_time(self) -> int | None:
        """Last update time of the experiment, in milliseconds since the Unix epoch."""
        return self._last_update_time

    def _set_last_update_time(self, last_update_time: int) -> None:
        self._last_update_time = last_update_time

    @property
    def workspace(self) -> str:
        """Workspace the experiment belongs to."""
        return self._workspace

    @property
    def trace_location(self):
        """Where the experiment's traces are stored, if configured."""
        return self._trace_location

    @property
    def effective_trace_archival_retention(self) -> str | None:
        """Effective trace archival retention of the experiment, if any."""
        return self._effective_trace_archival_retention

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Experiment":
        """Parse MLflow's REST JSON form of an experiment (the ``experiment`` of ``experiments/get``)."""
        return cls(
            experiment_id=d.get("experiment_id", ""),
            name=d.get("name", ""),
            artifact_location=d.get("artifact_location", ""),
            lifecycle_stage=d.get("lifecycle_stage", ""),
            tags=[ExperimentTag.from_dict(t) for t in d.get("tags") or ()],
            # MLflow's client reads 0 (or absence) as "unknown".
            creation_time=_int(d.get("creation_time")) or None,
            last_update_time=_int(d.get("last_update_time")) or None,
            workspace=d.get("workspace"),
            effective_trace_archival_retention=d.get("effective_trace_archival_retention"),
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The experiment in MLflow's REST JSON form."""
        out: dict[str, Any] = {}
        _put(out, "experiment_id", self._experiment_id)
        _put(out, "name", self._name)
        _put(out, "artifact_location", self._artifact_location)
        _put(out, "lifecycle_stage", self._lifecycle_stage)
        _put(out, "last_update_time", self._last_update_time)
        _put(out, "creation_time", self._creation_time)
        if self._tags:
            out["tags"] = [{"key": k, "value": v} for k, v in self._tags.items()]
        _put(out, "effective_trace_archival_retention", self._effective_trace_archival_retention)
        _put(out, "workspace", self._workspace)
        return out
