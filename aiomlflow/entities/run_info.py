"""RunInfo: a run's metadata (ids, status, times, artifact location)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _ValueObject, _int, _put
from aiomlflow.entities.run_status import RunStatus

# Attributes that search filters / order_by may name with the "attributes." prefix.
_NOT_SEARCHABLE = ("experiment_id", "lifecycle_stage")


class RunInfo(_ValueObject):
    """Metadata about a run."""

    __slots__ = ("_run_id", "_experiment_id", "_user_id", "_status", "_start_time",
                 "_end_time", "_lifecycle_stage", "_artifact_uri", "_run_name")
    _HIDDEN_PROPS = frozenset({"run_uuid"})

    def __init__(
        self,
        run_id: str,
        experiment_id: str,
        user_id: str,
        status: str,
        start_time: int,
        end_time: int | None,
        lifecycle_stage: str,
        artifact_uri: str | None = None,
        run_name: str | None = None,
    ) -> None:
        self._run_id = run_id
        self._experiment_id = experiment_id
        self._user_id = user_id
        self._status = status
        self._start_time = start_time
        self._end_time = end_time
        self._lifecycle_stage = lifecycle_stage
        self._artifact_uri = artifact_uri
        self._run_name = run_name

    def _copy_with_overrides(self, status=None, end_time=None, lifecycle_stage=None,
                             run_name=None) -> "RunInfo":
        """A copy of this RunInfo with the given fields replaced (None keeps the old value)."""
        return RunInfo(
            run_id=self._run_id,
            experiment_id=self._experiment_id,
            user_id=self._user_id,
            status=self._status if status is None else status,
            start_time=self._start_time,
            end_time=self._end_time if end_time is None else end_time,
            lifecycle_stage=self._lifecycle_stage if lifecycle_stage is None else lifecycle_stage,
            artifact_uri=self._artifact_uri,
            run_name=self._run_name if run_name is None else run_name,
        )

    @property
    def run_id(self) -> str:
        """String containing run id."""
        return self._run_id

    @property
    def run_uuid(self) -> str:
        """Deprecated alias of :py:attr:`run_id` (the REST API still sends it)."""
        return self._run_id

    @property
    def experiment_id(self) -> str:
        """String ID of the experiment for the current run."""
        return self._experiment_id

    @property
    def run_name(self) -> str | None:
        """String containing run name."""
        return self._run_name

    def _set_run_name(self, new_name: str) -> None:
        self._run_name = new_name

    @property
    def user_id(self) -> str:
        """String ID of the user who initiated this run."""
        return self._user_id

    @property
    def status(self) -> str:
        """Run status name: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED."""
        return self._status

    @property
    def start_time(self) -> int:
        """Start time of the run, in milliseconds since the Unix epoch."""
        return self._start_time

    @property
    def end_time(self) -> int | None:
        """End time of the run, in milliseconds since the Unix epoch, or None."""
        return self._end_time

    @property
    def artifact_uri(self) -> str | None:
        """Root artifact URI of the run."""
        return self._artifact_uri

    @property
    def lifecycle_stage(self) -> str:
        """One of the values in :py:class:`LifecycleStage` describing the run's state."""
        return self._lifecycle_stage

    @classmethod
    def get_searchable_attributes(cls) -> list[str]:
        """Run attributes a search filter may compare."""
        return [p for p in cls._PROPS if p not in _NOT_SEARCHABLE]

    @classmethod
    def get_orderable_attributes(cls) -> list[str]:
        """Run attributes a search may order by."""
        return [p for p in cls._PROPS if p not in _NOT_SEARCHABLE]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunInfo":
        """Parse MLflow's REST JSON form of a run's info.

        Absent fields take the values MLflow's client gives them when it reads the
        same message ('' for strings, 0 start time, RUNNING, None end time).
        """
        status = d.get("status", "RUNNING")
        if isinstance(status, int):
            status = RunStatus.to_string(status)
        return cls(
            run_id=d.get("run_id") or d.get("run_uuid") or "",
            experiment_id=d.get("experiment_id", ""),
            user_id=d.get("user_id", ""),
            status=status,
            start_time=_int(d.get("start_time"), 0),
            # MLflow reads an end time of 0 as "not ended".
            end_time=_int(d.get("end_time")) or None,
            lifecycle_stage=d.get("lifecycle_stage", ""),
            artifact_uri=d.get("artifact_uri", ""),
            run_name=d.get("run_name", ""),
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The run info in MLflow's REST JSON form (run_uuid included for old readers)."""
        out: dict[str, Any] = {}
        _put(out, "run_uuid", self._run_id)
        _put(out, "experiment_id", self._experiment_id)
        _put(out, "run_name", self._run_name)
        _put(out, "user_id", self._user_id)
        _put(out, "status", self._status)
        _put(out, "start_time", self._start_time)
        _put(out, "end_time", self._end_time)
        _put(out, "artifact_uri", self._artifact_uri)
        _put(out, "lifecycle_stage", self._lifecycle_stage)
        _put(out, "run_id", self._run_id)
        return out
