"""Assessments of traces: Feedback (a judgement of quality), Expectation (a ground-truth
label) and IssueReference (a link to a discovered issue), as ``mlflow.entities``' classes.

Their dict form (``to_dictionary``) is MLflow's protobuf JSON of an Assessment message,
written out here without protobuf: fields in message order, unset ones left out,
timestamps as RFC 3339 strings, feedback values as protobuf ``Value``s (numbers become
floats), structured expectation values as a JSON string.
"""

from __future__ import annotations

import json
import time
from typing import Any

from aiomlflow.entities._record import _Record
from aiomlflow.entities.assessment_error import AssessmentError
from aiomlflow.entities.assessment_source import AssessmentSource, AssessmentSourceType
from aiomlflow.utils.time import from_rfc3339 as _parse_rfc3339
from aiomlflow.utils.time import to_rfc3339 as _rfc3339
from aiomlflow.exceptions import MlflowException

__all__ = [
    "Assessment", "AssessmentError", "AssessmentSource", "AssessmentSourceType",
    "DEFAULT_FEEDBACK_NAME", "Expectation", "ExpectationValue", "Feedback", "FeedbackValue",
    "FeedbackValueType", "IssueReference", "IssueReferenceValue", "PbValueType",
]

# What a feedback value may be: a scalar, a list of scalars or a dict of them.
PbValueType = float | int | str | bool
FeedbackValueType = PbValueType | dict[str, PbValueType] | list[PbValueType]

DEFAULT_FEEDBACK_NAME = "feedback"
# Metadata key of the run that produced an assessment (an evaluation run); it fills run_id.
SOURCE_RUN_ID_KEY = "mlflow.assessment.sourceRunId"
_JSON_FORMAT = "JSON_FORMAT"


class Assessment(_Record):
    """A label attached to a trace (or one of its spans): exactly one of ``feedback``,
    ``expectation`` or ``issue`` holds its value.  Create ``Feedback``, ``Expectation``
    or ``IssueReference`` rather than this base class.

    ``create_time_ms`` and ``last_update_time_ms`` default to now; ``run_id`` defaults
    to the metadata ``mlflow.assessment.sourceRunId``.  ``assessment_id`` and ``valid``
    are set by the store.
    """

    _FIELDS = ("name", "source", "trace_id", "run_id", "rationale", "metadata", "span_id",
               "create_time_ms", "last_update_time_ms", "assessment_id", "error",
               "expectation", "feedback", "issue", "overrides", "valid")
    # class-level defaults, as the dataclass MLflow declares exposes them
    trace_id = None
    run_id = None
    rationale = None
    metadata = None
    span_id = None
    create_time_ms = None
    last_update_time_ms = None
    assessment_id = None
    error = None
    expectation = None
    feedback = None
    issue = None
    overrides = None
    valid = None

    def __init__(self, name: str, source: AssessmentSource, trace_id: str | None = None,
                 run_id: str | None = None, rationale: str | None = None,
                 metadata: dict[str, str] | None = None, span_id: str | None = None,
                 create_time_ms: int | None = None, last_update_time_ms: int | None = None,
                 assessment_id: str | None = None, error: AssessmentError | None = None,
                 expectation: ExpectationValue | None = None,
                 feedback: FeedbackValue | None = None,
                 issue: IssueReferenceValue | None = None, overrides: str | None = None,
                 valid: bool | None = None) -> None:
        self.name = name
        self.source = source
        self.trace_id = trace_id
        self.run_id = run_id
        self.rationale = rationale
        self.metadata = metadata
        self.span_id = span_id
        self.create_time_ms = create_time_ms
        self.last_update_time_ms = last_update_time_ms
        self.assessment_id = assessment_id
        self.error = error
        self.expectation = expectation
        self.feedback = feedback
        self.issue = issue
        self.overrides = overrides
        self.valid = valid
        self._check_and_complete()

    def _check_and_complete(self) -> None:
        if (expectation_set := self.expectation is not None) + (self.feedback is not None) + (
                self.issue is not None) != 1:
            raise MlflowException.invalid_parameter_value(
                "Exactly one of `expectation`, `feedback`, or `issue` should be specified.")
        if self.error is not None:
            if expectation_set:
                raise MlflowException.invalid_parameter_value(
                    "Cannot set `error` when `expectation` is specified.")
            if self.feedback is None:
                raise MlflowException.invalid_parameter_value(
                    "Cannot set `error` when `feedback` is not specified.")
            self.feedback.error = self.error
        now = int(time.time() * 1000)
        if self.create_time_ms is None:
            self.create_time_ms = now
        if self.last_update_time_ms is None:
            self.last_update_time_ms = now
        if not isinstance(self.source, AssessmentSource):
            raise MlflowException.invalid_parameter_value(
                "`source` must be an instance of `AssessmentSource`. "
                f"Got {type(self.source)} instead.")
        if self.run_id is None and self.metadata and SOURCE_RUN_ID_KEY in self.metadata:
            self.run_id = self.metadata[SOURCE_RUN_ID_KEY]

    # ---------------------------------------------------------------- dict form
    def to_dictionary(self) -> dict[str, Any]:
        """MLflow's dict form (protobuf JSON field names; ``run_id`` is not part of it)."""
        out: dict[str, Any] = {}
        if self.assessment_id is not None:
            out["assessment_id"] = self.assessment_id
        if self.name is not None:
            out["assessment_name"] = self.name
        out["trace_id"] = self.trace_id or ""
        if self.span_id is not None:
            out["span_id"] = self.span_id
        out["source"] = self.source._to_message_dict()
        out["create_time"] = _rfc3339(self.create_time_ms)
        out["last_update_time"] = _rfc3339(self.last_update_time_ms)
        if self.feedback is not None:
            out["feedback"] = self.feedback.to_dictionary()
        elif self.expectation is not None:
            out["expectation"] = self.expectation.to_dictionary()
        if self.rationale is not None:
            out["rationale"] = self.rationale
        if self.metadata:
            out["metadata"] = {key: str(value) for key, value in self.metadata.items()}
        if self.overrides:
            out["overrides"] = self.overrides
        if self.valid is not None:
            out["valid"] = self.valid
        if self.issue is not None:
            out["issue"] = self.issue.to_dictionary()
        return out

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "Assessment":
        """A Feedback, Expectation or IssueReference from its dict form."""
        if d.get("expectation"):
            return Expectation.from_dictionary(d)
        if d.get("feedback"):
            return Feedback.from_dictionary(d)
        if d.get("issue"):
            return IssueReference.from_dictionary(d)
        raise MlflowException.invalid_parameter_value(
            f"Unknown assessment type: {d.get('assessment_name')}")


class Feedback(Assessment):
    """A judgement of an operation's quality, from a human, an LLM judge or code.

    ``value`` is a float, int, str or bool, or a list or str-keyed dict of them.  When
    the feedback could not be produced, pass ``error`` (an AssessmentError, an
    exception, or a message) instead of a value.  The default source is CODE.
    """

    def __init__(self, name: str = DEFAULT_FEEDBACK_NAME, value: FeedbackValueType | None = None,
                 error: Exception | AssessmentError | str | None = None,
                 source: AssessmentSource | None = None, trace_id: str | None = None,
                 metadata: dict[str, str] | None = None, span_id: str | None = None,
                 create_time_ms: int | None = None, last_update_time_ms: int | None = None,
                 rationale: str | None = None, overrides: str | None = None,
                 valid: bool = True):
        if source is None:
            source = AssessmentSource(source_type=AssessmentSourceType.CODE)
        if isinstance(error, Exception):
            error = AssessmentError(error_message=str(error), error_code=type(error).__name__,
                                    stack_trace=_stack_trace(error))
        elif isinstance(error, str):
            error = AssessmentError(error_message=error, error_code="ASSESSMENT_ERROR")
        elif error is not None and not isinstance(error, AssessmentError):
            raise MlflowException.invalid_parameter_value(
                f"'error' must be an Exception, AssessmentError, or string. Got: {type(error)}")
        super().__init__(name=name, source=source, trace_id=trace_id, metadata=metadata,
                         span_id=span_id, create_time_ms=create_time_ms,
                         last_update_time_ms=last_update_time_ms,
                         feedback=FeedbackValue(value=value, error=error), rationale=rationale,
                         overrides=overrides, valid=valid)
        self.error = error

    @property
    def value(self) -> FeedbackValueType:
        """The feedback value."""
        return self.feedback.value

    @value.setter
    def value(self, value: FeedbackValueType) -> None:
        self.feedback.value = value

    @property
    def error_code(self) -> str | None:
        """The code of the feedback's error, if it has one."""
        return self.feedback.error.error_code if self.feedback.error else None

    @property
    def error_message(self) -> str | None:
        """The message of the feedback's error, if it has one."""
        return self.feedback.error.error_message if self.feedback.error else None

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "Feedback":
        """A Feedback from its dict form (``valid`` defaults to True)."""
        value = d.get("feedback")
        if not value:
            raise MlflowException.invalid_parameter_value(
                "`feedback` must exist in the dictionary.")
        value = FeedbackValue.from_dictionary(value)
        feedback = cls(trace_id=d.get("trace_id"), name=d["assessment_name"],
                       source=AssessmentSource.from_dictionary(d["source"]),
                       create_time_ms=_parse_rfc3339(d["create_time"]),
                       last_update_time_ms=_parse_rfc3339(d["last_update_time"]),
                       value=value.value, error=value.error, rationale=d.get("rationale"),
                       metadata=d.get("metadata"), span_id=d.get("span_id"),
                       overrides=d.get("overrides"), valid=d.get("valid", True))
        feedback.assessment_id = d.get("assessment_id") or None
        return feedback


class Expectation(Assessment):
    """The expected outcome of an operation (a ground-truth answer, say): any
    JSON-serialisable value.  The default source is HUMAN."""

    def __init__(self, name: str, value: Any, source: AssessmentSource | None = None,
                 trace_id: str | None = None, metadata: dict[str, str] | None = None,
                 span_id: str | None = None, create_time_ms: int | None = None,
                 last_update_time_ms: int | None = None):
        if source is None:
            source = AssessmentSource(source_type=AssessmentSourceType.HUMAN)
        if value is None:
            raise MlflowException.invalid_parameter_value("The `value` field must be specified.")
        super().__init__(name=name, source=source, trace_id=trace_id, metadata=metadata,
                         span_id=span_id, create_time_ms=create_time_ms,
                         last_update_time_ms=last_update_time_ms,
                         expectation=ExpectationValue(value=value))

    @property
    def value(self) -> Any:
        """The expected value."""
        return self.expectation.value

    @value.setter
    def value(self, value: Any) -> None:
        self.expectation.value = value

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "Expectation":
        """An Expectation from its dict form (as MLflow, ``valid`` and ``overrides`` are
        not read back)."""
        value = d.get("expectation")
        if not value:
            raise MlflowException.invalid_parameter_value(
                "`expectation` must exist in the dictionary.")
        value = ExpectationValue.from_dictionary(value)
        expectation = cls(trace_id=d.get("trace_id"), name=d["assessment_name"],
                          source=AssessmentSource.from_dictionary(d["source"]),
                          create_time_ms=_parse_rfc3339(d["create_time"]),
                          last_update_time_ms=_parse_rfc3339(d["last_update_time"]),
                          value=value.value, metadata=d.get("metadata"),
                          span_id=d.get("span_id"))
        expectation.assessment_id = d.get("assessment_id") or None
        return expectation


class IssueReference(Assessment):
    """A link from a trace to a discovered issue: the issue's id is the assessment's
    name, its name the value.  The default source is LLM_JUDGE."""

    def __init__(self, issue_id: str, issue_name: str, source: AssessmentSource | None = None,
                 trace_id: str | None = None, run_id: str | None = None,
                 rationale: str | None = None, metadata: dict[str, str] | None = None,
                 span_id: str | None = None, create_time_ms: int | None = None,
                 last_update_time_ms: int | None = None):
        if source is None:
            source = AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE)
        if issue_id is None:
            raise MlflowException.invalid_parameter_value("The `issue_id` field must be specified.")
        if issue_name is None:
            raise MlflowException.invalid_parameter_value(
                "The `issue_name` field must be specified.")
        super().__init__(name=issue_id, source=source, trace_id=trace_id, run_id=run_id,
                         rationale=rationale, metadata=metadata, span_id=span_id,
                         create_time_ms=create_time_ms, last_update_time_ms=last_update_time_ms,
                         issue=IssueReferenceValue(issue_name=issue_name))

    @property
    def issue_id(self) -> str:
        """The referenced issue's id (the assessment's name)."""
        return self.name

    @issue_id.setter
    def issue_id(self, issue_id: str) -> None:
        self.name = issue_id

    @property
    def issue_name(self) -> str:
        """The referenced issue's name."""
        return self.issue.issue_name

    @issue_name.setter
    def issue_name(self, issue_name: str) -> None:
        self.issue.issue_name = issue_name

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "IssueReference":
        """An IssueReference from its dict form."""
        value = d.get("issue")
        if not value:
            raise MlflowException.invalid_parameter_value("`issue` must exist in the dictionary.")
        reference = cls(trace_id=d.get("trace_id"), issue_id=d["assessment_name"],
                        issue_name=value["issue_name"],
                        source=AssessmentSource.from_dictionary(d["source"]),
                        create_time_ms=_parse_rfc3339(d["create_time"]),
                        last_update_time_ms=_parse_rfc3339(d["last_update_time"]),
                        rationale=d.get("rationale"), metadata=d.get("metadata"),
                        span_id=d.get("span_id"))
        reference.assessment_id = d.get("assessment_id") or None
        if run_id := d.get("run_id"):
            reference.run_id = run_id
        return reference


# ------------------------------------------------------------------------- values
class FeedbackValue(_Record):
    """A feedback's value and, if it could not be produced, its error."""

    _FIELDS = ("value", "error")
    error = None

    def __init__(self, value: FeedbackValueType, error: AssessmentError | None = None) -> None:
        self.value = value
        self.error = error

    def to_dictionary(self) -> dict[str, Any]:
        """``{"value": ..., "error": {...}}`` with the value as a protobuf Value."""
        out: dict[str, Any] = {"value": _as_pb_value(self.value)}
        if self.error:
            out["error"] = self.error._to_message_dict()
        return out

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "FeedbackValue":
        """The inverse of ``to_dictionary``."""
        error = d.get("error")
        return cls(value=d["value"],
                   error=AssessmentError.from_dictionary(error) if error else None)


class ExpectationValue(_Record):
    """An expectation's value."""

    _FIELDS = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def _need_serialization(self) -> bool:
        # lists, dicts and other structures travel as a JSON string
        return self.value is not None and not isinstance(self.value, (int, float, bool, str))

    def to_dictionary(self) -> dict[str, Any]:
        """``{"value": scalar}``, or ``{"serialized_value": {...}}`` holding JSON."""
        if self._need_serialization():
            try:
                text = json.dumps(self.value)
            except Exception as exc:
                raise MlflowException.invalid_parameter_value(
                    f"Failed to serialize value {self.value} to JSON string. "
                    "Expectation value must be JSON-serializable.") from exc
            return {"serialized_value": {"serialization_format": _JSON_FORMAT, "value": text}}
        return {"value": _as_pb_value(self.value)}

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "ExpectationValue":
        """The inverse of ``to_dictionary``."""
        if "value" in d:
            return cls(d["value"])
        if "serialized_value" in d:
            return cls(value=json.loads(d["serialized_value"]["value"]))
        raise MlflowException.invalid_parameter_value(
            "Either 'value' or 'serialized_value' must be present in the dictionary "
            "representation of an Expectation.")


class IssueReferenceValue(_Record):
    """The value of an issue reference: the issue's name."""

    _FIELDS = ("issue_name",)

    def __init__(self, issue_name: str) -> None:
        self.issue_name = issue_name

    def to_dictionary(self) -> dict[str, Any]:
        """``{"issue_name": ...}``."""
        return {"issue_name": self.issue_name}

    @classmethod
    def from_dictionary(cls, d: dict[str, Any]) -> "IssueReferenceValue":
        """The inverse of ``to_dictionary``."""
        return cls(issue_name=d["issue_name"])


# ------------------------------------------------------------------------- helpers
def _as_pb_value(value):
    """``value`` as protobuf's JSON of a google.protobuf.Value: numbers are doubles."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise MlflowException.invalid_parameter_value(
                    f"Value {value!r} has a key of unexpected type {type(key)}: "
                    "dict keys must be strings.")
            out[key] = _as_pb_value(item)
        return out
    if isinstance(value, (list, tuple)):
        return [_as_pb_value(item) for item in value]
    raise MlflowException.invalid_parameter_value(
        f"Value {value!r} has unexpected type {type(value)} at Value")


def _stack_trace(error: BaseException) -> str:
    """The exception's repr followed by its formatted traceback, as MLflow records it."""
    import traceback

    text = repr(error)
    try:
        return (text + "".join(traceback.format_exception(error))).strip()
    except Exception:
        return text


