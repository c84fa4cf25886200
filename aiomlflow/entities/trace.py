"""Trace: a TraceInfo and its TraceData."""

from __future__ import annotations

import json
import re
from typing import Any

from aiomlflow.entities.trace_data import TraceData
from aiomlflow.entities.trace_info import TraceInfo
from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException


class Trace:
    """One trace: ``info`` (TraceInfo) and ``data`` (TraceData, its spans)."""

    def __init__(self, info: TraceInfo, data: TraceData):
        self.info = info
        self.data = data

    def __repr__(self) -> str:
        return f"Trace(trace_id={self.info.trace_id!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Trace) and self.to_dict() == other.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """``{"info": ..., "data": {"spans": [...]}}``."""
        return {"info": self.info.to_dict(), "data": self.data.to_dict()}

    def to_json(self, pretty: bool = False) -> str:
        """The dict form as JSON (indented when ``pretty``)."""
        return json.dumps(self.to_dict(), indent=2 if pretty else None, ensure_ascii=False)

    @classmethod
    def from_dict(cls, trace_dict: dict[str, Any]) -> "Trace":
        """Parse the dict form."""
        info, data = trace_dict.get("info"), trace_dict.get("data")
        if info is None or data is None:
            raise MlflowException(
                "Unable to parse Trace from dict: the 'info' and 'data' keys are required.",
                INVALID_PARAMETER_VALUE)
        return cls(TraceInfo.from_dict(info), TraceData.from_dict(data))

    @classmethod
    def from_json(cls, trace_json: str) -> "Trace":
        """Parse the JSON form."""
        try:
            trace_dict = json.loads(trace_json)
        except json.JSONDecodeError as exc:
            raise MlflowException(f"Unable to parse trace JSON: {trace_json!r}. Error: {exc}",
                                  INVALID_PARAMETER_VALUE) from None
        return cls.from_dict(trace_dict)

    @property
    def trace_id(self) -> str:
        """The trace's id."""
        return self.info.trace_id

    # a finished Trace is a valid TRACE payload itself (see aiomlflow/batches.py)
    late = False

    def to_trace(self) -> "Trace":
        """This trace."""
        return self

    def payload_size(self) -> int:
        """Rough bytes the trace holds (the engine queue's byte bound)."""
        return 500 + sum(300 + sum(len(v) for v in s._attributes.values() if v)
                         for s in self.data.spans)

    def search_spans(self, span_type: str | None = None, name: str | re.Pattern | None = None,
                     span_id: str | None = None) -> list:
        """The spans matching every given criterion (``name`` may be a compiled regex)."""
        if span_type is not None and not isinstance(span_type, str):
            raise MlflowException(
                f"Invalid type for 'span_type'. Expected str or SpanType, got {type(span_type)}.",
                INVALID_PARAMETER_VALUE)
        if name is not None and not isinstance(name, (str, re.Pattern)):
            raise MlflowException(
                f"Invalid type for 'name'. Expected str or re.Pattern, got {type(name)}.",
                INVALID_PARAMETER_VALUE)

        def matches(span) -> bool:
            if span_type is not None and span.span_type != span_type:
                return False
            if span_id is not None and span.span_id != span_id:
                return False
            if isinstance(name, str):
                return span.name == name
            if name is not None:
                return name.fullmatch(span.name or "") is not None
            return True

        return [span for span in self.data.spans if matches(span)]

    def search_assessments(self, name: str | None = None, span_id: str | None = None,
                           all: bool = False, type: str | None = None) -> list:
        """The trace's assessments, valid ones only unless ``all``, filtered by name, span
        and type (``"feedback"`` or ``"expectation"``)."""
        if type not in (None, "feedback", "expectation"):
            raise MlflowException(
                f"Invalid assessment type: {type}. Valid values are: 'feedback', 'expectation'",
                INVALID_PARAMETER_VALUE)
        found = []
        for assessment in self.info.assessments:
            if name is not None and assessment.name != name:
                continue
            if span_id is not None and assessment.span_id != span_id:
                continue
            if not all and assessment.valid is False:
                continue
            if type is not None and _assessment_type(assessment) != type:
                continue
            found.append(assessment)
        return found

    @staticmethod
    def pandas_dataframe_columns() -> list[str]:
        """The columns of ``search_traces``' DataFrame."""
        return ["trace_id", "trace", "client_request_id", "state", "request_time",
                "execution_duration", "request", "response", "trace_metadata", "tags", "spans",
                "assessments"]

    def to_pandas_dataframe_row(self) -> dict[str, Any]:
        """This trace as one row of ``search_traces``' DataFrame."""
        info = self.info
        return {
            "trace_id": info.trace_id,
            "trace": self.to_json(),
            "client_request_id": info.client_request_id,
            "state": info.state,
            "request_time": info.request_time,
            "execution_duration": info.execution_duration,
            "request": _loads_or_raw(self.data.request),
            "response": _loads_or_raw(self.data.response),
            "trace_metadata": info.trace_metadata,
            "tags": info.tags,
            "spans": [span.to_dict() for span in self.data.spans],
            "assessments": [a.to_dictionary() for a in info.assessments],
        }


def _assessment_type(assessment) -> str:
    return "expectation" if type(assessment).__name__ == "Expectation" else "feedback"


def _loads_or_raw(value):
    try:
        return json.loads(value)
    except Exception:
        return value
