"""Assessments of logged traces: ``mlflow.log_feedback``, ``log_expectation``,
``log_assessment``, ``override_feedback``, ``update_assessment``, ``get_assessment``
and ``delete_assessment``.

Each call is queued on the engine in order with what the process logged before it (a
trace exported a moment ago is stored before its first assessment) and waits for its
result; reads are queued too, so they see every earlier write.
"""

from __future__ import annotations

import json
from typing import Any

from ...entities.assessment import (
    DEFAULT_FEEDBACK_NAME, Assessment, AssessmentError, AssessmentSource, Expectation, Feedback,
    FeedbackValueType,
)
from ...entities.span import NO_OP_SPAN_TRACE_ID
from ...exceptions import MlflowException
from ...workers.registry import get_engine
from .. import tracking_uri
from . import builder


def _call(method: str, *args):
    return get_engine(tracking_uri.get_tracking_uri()).call(method, *args)


def _check_assessment(assessment) -> None:
    if not isinstance(assessment, Assessment):
        raise MlflowException.invalid_parameter_value(
            "`assessment` must be an instance of `Assessment` (Feedback or Expectation). "
            f"Got {type(assessment)} instead.")


def _check_storable(trace_id: str, assessment: Assessment) -> None:
    """Raise the store's error now for an assessment it would refuse."""
    if not isinstance(assessment.name, str):
        raise MlflowException(f"Failed to create assessment for trace '{trace_id}' due to a "
                              "constraint violation.", "INTERNAL_ERROR")
    if assessment.feedback is not None:
        value = assessment.feedback.value
    elif assessment.expectation is not None:
        value = assessment.expectation.value
    else:
        value = assessment.issue.to_dictionary()
    try:
        json.dumps(value)
        json.dumps(assessment.metadata)
    except (TypeError, ValueError) as exc:
        raise MlflowException(str(exc), "INTERNAL_ERROR") from None


def get_assessment(trace_id: str, assessment_id: str) -> Assessment:
    """The assessment ``assessment_id`` of the trace ``trace_id`` (a Feedback or an
    Expectation); RESOURCE_DOES_NOT_EXIST if the trace or the assessment is unknown."""
    return _call("get_assessment", trace_id, assessment_id)


def log_assessment(trace_id: str, assessment: Assessment) -> Assessment:
    """Log an assessment (a Feedback or an Expectation) to a trace; return it as stored,
    with its ``assessment_id``.

    ``assessment.trace_id`` is set to ``trace_id``.  On a trace still in progress the
    assessment is kept with the trace and stored when the trace ends (it is returned
    without an id).  A ``trace_id`` of None, or a disabled-tracing span's, logs nothing
    and returns the assessment.
    """
    _check_assessment(assessment)
    assessment.trace_id = trace_id
    if trace_id is None or trace_id == NO_OP_SPAN_TRACE_ID:
        return assessment
    live = builder.live_traces.get(trace_id)
    if live is not None:
        # a trace still in progress in this process: stored with it when it ends (its
        # id is given then, as MLflow does); what the store would refuse fails here
        _check_storable(trace_id, assessment)
        live.assessments.append(assessment)
        return assessment
    return _call("create_assessment", assessment)


def log_expectation(*, trace_id: str, name: str, value: Any,
                    source: AssessmentSource | None = None,
                    metadata: dict[str, Any] | None = None,
                    span_id: str | None = None) -> Assessment:
    """Log an expectation (a ground-truth label: any JSON-serialisable value) to a trace,
    or to one of its spans; the default source is HUMAN."""
    return log_assessment(trace_id, Expectation(name=name, source=source, value=value,
                                                metadata=metadata, span_id=span_id))


def log_feedback(*, trace_id: str, name: str = DEFAULT_FEEDBACK_NAME,
                 value: FeedbackValueType | None = None, source: AssessmentSource | None = None,
                 error: Exception | AssessmentError | None = None, rationale: str | None = None,
                 metadata: dict[str, Any] | None = None,
                 span_id: str | None = None) -> Assessment:
    """Log feedback (a judgement of quality, or the ``error`` that prevented one) to a
    trace, or to one of its spans; the default source is CODE."""
    return log_assessment(trace_id, Feedback(name=name, source=source, value=value, error=error,
                                             rationale=rationale, metadata=metadata,
                                             span_id=span_id))


def update_assessment(trace_id: str, assessment_id: str, assessment: Assessment) -> Assessment:
    """Change an assessment in place: its name, value (a feedback's error too), rationale
    and metadata (merged into the stored metadata) become those of ``assessment``, of
    the same kind.  Return the updated assessment."""
    _check_assessment(assessment)
    changes = {"name": assessment.name, "expectation": assessment.expectation,
               "feedback": assessment.feedback, "rationale": assessment.rationale,
               "metadata": assessment.metadata}
    return _call("update_assessment", trace_id, assessment_id,
                 {key: value for key, value in changes.items() if value is not None})


def delete_assessment(trace_id: str, assessment_id: str) -> None:
    """Delete an assessment of a trace; what it overrode becomes valid again.  Deleting
    an assessment that does not exist does nothing."""
    _call("delete_assessment", trace_id, assessment_id)


def override_feedback(*, trace_id: str, assessment_id: str, value: FeedbackValueType,
                      rationale: str | None = None, source: AssessmentSource | None = None,
                      metadata: dict[str, Any] | None = None) -> Assessment:
    """Log a new feedback replacing the feedback ``assessment_id``: same name and span,
    the given value, rationale, source and metadata.  The original stays, marked
    invalid (``valid=False``); return the new one."""
    old = get_assessment(trace_id, assessment_id)
    if not isinstance(old, Feedback):
        raise MlflowException.invalid_parameter_value(
            f"The assessment with ID {assessment_id} is not a feedback assessment.")
    return log_assessment(trace_id, Feedback(name=old.name, span_id=old.span_id, value=value,
                                             rationale=rationale, source=source,
                                             metadata=metadata,
                                             overrides=old.assessment_id))
