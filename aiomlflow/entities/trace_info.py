"""TraceInfo: a trace's metadata (id, location, time, state, previews, tags, ...)."""

from __future__ import annotations

import json
from typing import Any

from aiomlflow.entities.trace_location import TraceLocation, TraceLocationType
from aiomlflow.entities.trace_state import TraceState
from aiomlflow.utils.time import duration_to_ms
from aiomlflow.utils.time import from_rfc3339 as rfc3339_to_timestamp
from aiomlflow.utils.time import to_rfc3339 as timestamp_to_rfc3339

# What MLflow's dict/REST form keeps of metadata values and tag values.
MAX_METADATA_VALUE_CHARS = 250
MAX_TAG_VALUE_CHARS = 4096
TOKEN_USAGE_KEY = "mlflow.trace.tokenUsage"
COST_KEY = "mlflow.trace.cost"


class TraceInfo:
    """Metadata of one trace, as MLflow 3's TraceInfo (V3)."""

    def __init__(self, trace_id: str, trace_location: TraceLocation, request_time: int,
                 state: TraceState, request_preview: str | None = None,
                 response_preview: str | None = None, client_request_id: str | None = None,
                 execution_duration: int | None = None,
                 trace_metadata: dict[str, str] | None = None,
                 tags: dict[str, str] | None = None, assessments: list | None = None):
        self.trace_id = trace_id
        self.trace_location = trace_location
        self.request_time = request_time
        self.state = state if state.__class__ is TraceState else TraceState(state)
        self.request_preview = request_preview
        self.response_preview = response_preview
        self.client_request_id = client_request_id
        self.execution_duration = execution_duration
        self.trace_metadata = {} if trace_metadata is None else trace_metadata
        self.tags = {} if tags is None else tags
        self.assessments = [] if assessments is None else assessments

    # MLflow's aliases
    @property
    def request_id(self) -> str:
        """The trace id (MLflow 2's name for it)."""
        return self.trace_id

    @property
    def experiment_id(self) -> str | None:
        """The id of the experiment holding the trace."""
        location = self.trace_location
        if location is not None and location.mlflow_experiment is not None:
            return location.mlflow_experiment.experiment_id
        return None

    @property
    def timestamp_ms(self) -> int:
        """Start time in epoch milliseconds (``request_time``)."""
        return self.request_time

    @timestamp_ms.setter
    def timestamp_ms(self, value: int) -> None:
        self.request_time = value

    @property
    def execution_time_ms(self) -> int | None:
        """Duration in milliseconds (``execution_duration``)."""
        return self.execution_duration

    @execution_time_ms.setter
    def execution_time_ms(self, value: int | None) -> None:
        self.execution_duration = value

    @property
    def request_metadata(self) -> dict[str, str]:
        """``trace_metadata`` (MLflow 2's name)."""
        return self.trace_metadata

    @property
    def token_usage(self) -> dict[str, int] | None:
        """Aggregated token usage of the trace's LLM spans, if any were recorded."""
        return _json_or_none(self.trace_metadata.get(TOKEN_USAGE_KEY))

    @property
    def cost(self) -> dict[str, float] | None:
        """Aggregated cost of the trace's LLM spans, if known."""
        return _json_or_none(self.trace_metadata.get(COST_KEY))

    def to_dict(self) -> dict[str, Any]:
        """MLflow's dict form: protobuf JSON names, unset fields left out, metadata values
        cut to 250 characters and tag values to 4096, the duration in milliseconds."""
        out: dict[str, Any] = {"trace_id": self.trace_id}
        if self.client_request_id is not None:
            out["client_request_id"] = self.client_request_id
        out["trace_location"] = self.trace_location.to_dict()
        out["request_time"] = timestamp_to_rfc3339(self.request_time)
        out["state"] = self.state.value
        if self.trace_metadata:
            out["trace_metadata"] = {k: v[:MAX_METADATA_VALUE_CHARS]
                                     for k, v in self.trace_metadata.items()}
        if self.assessments:
            out["assessments"] = [a.to_dictionary() for a in self.assessments]
        if self.tags:
            out["tags"] = {k: v[:MAX_TAG_VALUE_CHARS] for k, v in self.tags.items()}
        if self.request_preview is not None:
            out["request_preview"] = self.request_preview
        if self.response_preview is not None:
            out["response_preview"] = self.response_preview
        if self.execution_duration is not None:
            out["execution_duration_ms"] = self.execution_duration
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TraceInfo":
        """Parse the dict form (also MLflow 2's, with ``request_id``)."""
        if "request_id" in d and "trace_id" not in d:
            return _from_v2_dict(d)
        from aiomlflow.entities.assessment import Assessment

        request_time = d.get("request_time")
        if isinstance(request_time, str):
            request_time = rfc3339_to_timestamp(request_time)
        duration = d.get("execution_duration_ms")
        if duration is None and isinstance(d.get("execution_duration"), str):
            duration = duration_to_ms(d["execution_duration"])
        return cls(
            trace_id=d["trace_id"],
            trace_location=TraceLocation.from_dict(d["trace_location"]),
            request_time=request_time,
            state=TraceState(d.get("state", "STATE_UNSPECIFIED")),
            request_preview=d.get("request_preview"),
            response_preview=d.get("response_preview"),
            client_request_id=d.get("client_request_id"),
            execution_duration=None if duration is None else int(duration),
            trace_metadata=dict(d.get("trace_metadata") or {}),
            tags=dict(d.get("tags") or {}),
            assessments=[Assessment.from_dictionary(a) for a in d.get("assessments") or ()],
        )

    def __eq__(self, other) -> bool:
        return isinstance(other, TraceInfo) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (f"TraceInfo(trace_id={self.trace_id!r}, trace_location={self.trace_location!r}, "
                f"request_time={self.request_time!r}, state={self.state!r}, "
                f"request_preview={self.request_preview!r}, "
                f"response_preview={self.response_preview!r}, "
                f"client_request_id={self.client_request_id!r}, "
                f"execution_duration={self.execution_duration!r}, "
                f"trace_metadata={self.trace_metadata!r}, tags={self.tags!r}, "
                f"assessments={self.assessments!r})")


def _json_or_none(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _from_v2_dict(d: dict[str, Any]) -> TraceInfo:
    status = d.get("status", "UNSPECIFIED")
    state = {"OK": "OK", "ERROR": "ERROR", "IN_PROGRESS": "IN_PROGRESS"}.get(
        status, "STATE_UNSPECIFIED")
    return TraceInfo(
        trace_id=d["request_id"],
        trace_location=TraceLocation(TraceLocationType.MLFLOW_EXPERIMENT,
                                     None) if d.get("experiment_id") is None
        else TraceLocation.from_experiment_id(d["experiment_id"]),
        request_time=int(d.get("timestamp_ms") or 0), state=TraceState(state),
        execution_duration=d.get("execution_time_ms"),
        trace_metadata=dict(d.get("request_metadata") or {}), tags=dict(d.get("tags") or {}))
