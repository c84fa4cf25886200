"""AssessmentError: what went wrong while an assessment (a judge's feedback) was computed."""

from __future__ import annotations

from typing import Any

from aiomlflow.entities._record import _Record

# MLflow keeps the last 10,000 characters of a stack trace in the dict/REST form.
_TRUNCATED_PREFIX = "[Stack trace is truncated]\n...\n"
_MAX_STACK_TRACE_CHARS = 10_000


class AssessmentError(_Record):
    """An error code, with an optional message and stack trace.

    ``AssessmentError(error_code="RATE_LIMIT_EXCEEDED", error_message="...")`` passed as
    a Feedback's ``error`` records that the feedback could not be produced.
    """

    _FIELDS = ("error_code", "error_message", "stack_trace")
    # class-level defaults, as a dataclass exposes them
    error_message = None
    stack_trace = None

    def __init__(self, error_code: str, error_message: str | None = None,
                 stack_trace: str | None = None) -> None:
        self.error_code = error_code
        self.error_message = error_message
        self.stack_trace = stack_trace

    def to_dictionary(self) -> dict[str, Any]:
        """All three fields, unset ones as None (the form stored in the database)."""
        return {"error_code": self.error_code, "error_message": self.error_message,
                "stack_trace": self.stack_trace}

    @classmethod
    def from_dictionary(cls, error_dict: dict[str, Any]) -> "AssessmentError":
        """The inverse of ``to_dictionary``."""
        return cls(**error_dict)

    def _to_message_dict(self) -> dict[str, Any]:
        """The protobuf-JSON form inside an assessment's dict: empty fields left out,
        the stack trace cut to its last 10,000 characters."""
        out: dict[str, Any] = {}
        if self.error_code is not None:
            out["error_code"] = self.error_code
        if self.error_message:
            out["error_message"] = self.error_message
        trace = self.stack_trace
        if trace:
            if len(trace) > _MAX_STACK_TRACE_CHARS:
                keep = _MAX_STACK_TRACE_CHARS - len(_TRUNCATED_PREFIX)
                trace = _TRUNCATED_PREFIX + trace[-keep:]
            out["stack_trace"] = trace
        return out
