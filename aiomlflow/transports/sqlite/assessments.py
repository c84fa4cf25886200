"""Synchronous SQL for the assessments of traces; runs on the connection's worker thread.

Rows are what MLflow 3.17.2's SQL store writes (``assessments`` table):

* ``value``: the value as ``json.dumps`` writes it (``null`` for an error-only feedback,
  ``{"issue_name": ...}`` for an issue reference); ``error``: the AssessmentError's
  three fields as JSON, or NULL; ``assessment_metadata``: the metadata as JSON, NULL
  when empty;
* ``experiment_id`` / ``trace_timestamp_ms``: copied from the trace's ``trace_info`` row;
* ``aggregate_value`` / ``is_numeric_value``: what the UI's charts aggregate (a finite
  number as itself and numeric; a bool, or a "yes"/"no" string, as 1.0/0.0, not numeric);
* ``valid``: 1, and 0 once another assessment overrides this one.

Assessments of a trace read back in the order MLflow's store lists them: by creation
time, then insertion.
"""

from __future__ import annotations

import json
import math
import sqlite3
import uuid

from ...entities.assessment import (
    Assessment, AssessmentError, AssessmentSource, Expectation, ExpectationValue, Feedback,
    FeedbackValue, IssueReference,
)
from ...exceptions import (
    INTERNAL_ERROR, RESOURCE_DOES_NOT_EXIST, MlflowException,
)
from ...utils.time import get_current_time_millis as now_ms
from .reads import in_ids, snapshot
from .writes import transaction

_COLUMNS = ("assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, "
            "last_updated_timestamp, source_type, source_id, run_id, span_id, rationale, "
            "overrides, valid, assessment_metadata")
_INSERT = (
    "INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, "
    "created_timestamp, last_updated_timestamp, source_type, source_id, run_id, span_id, "
    "rationale, overrides, valid, assessment_metadata, experiment_id, trace_timestamp_ms, "
    "aggregate_value, is_numeric_value) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)")


# ----------------------------------------------------------------------------- errors
def trace_not_found(trace_id) -> MlflowException:
    """Creating an assessment on an unknown trace."""
    return MlflowException(f"Trace with ID '{trace_id}' not found.", RESOURCE_DOES_NOT_EXIST)


def trace_request_not_found(trace_id) -> MlflowException:
    """Reading or updating an assessment of an unknown trace (MLflow words it so)."""
    return MlflowException(f"Trace with request_id '{trace_id}' not found",
                           RESOURCE_DOES_NOT_EXIST)


def assessment_not_found(trace_id, assessment_id) -> MlflowException:
    return MlflowException(
        f"Assessment with ID '{assessment_id}' not found for trace '{trace_id}'",
        RESOURCE_DOES_NOT_EXIST)


# ----------------------------------------------------------------------------- values
def generate_assessment_id() -> str:
    """``a-`` and 32 hex digits, as MLflow's ids."""
    return "a-" + uuid.uuid4().hex


def aggregate(value) -> tuple[float | None, int]:
    """``(aggregate_value, is_numeric_value)`` of a value, as MLflow's analytics store it."""
    if isinstance(value, bool):
        return (1.0 if value else 0.0), 0
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            return None, 0
        return (number, 1) if math.isfinite(number) else (None, 0)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in ("yes", "no"):
            return (1.0 if word == "yes" else 0.0), 0
    return None, 0


def _dumps(value) -> str:
    # Python's json.dumps with its defaults, as MLflow writes these columns ("NaN" too)
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise MlflowException(str(exc), INTERNAL_ERROR) from None


def _value_columns(assessment: Assessment) -> tuple[str, str, str | None, object]:
    """``(assessment_type, value JSON, error JSON, the value)`` of an assessment."""
    if assessment.feedback is not None:
        value = assessment.feedback.value
        error = assessment.feedback.error
        return ("feedback", _dumps(value),
                _dumps(error.to_dictionary()) if error else None, value)
    if assessment.expectation is not None:
        value = assessment.expectation.value
        return "expectation", _dumps(value), None, value
    if assessment.issue is not None:
        value = assessment.issue.to_dictionary()
        return "issue", _dumps(value), None, value
    raise MlflowException.invalid_parameter_value(
        "Assessment must have either feedback, expectation, or issue value")


def _entity(row) -> Assessment:
    """The Feedback, Expectation or IssueReference of an assessments row (_COLUMNS)."""
    (assessment_id, trace_id, name, kind, value, error, created, updated, source_type,
     source_id, run_id, span_id, rationale, overrides, valid, metadata) = row
    value = json.loads(value)
    error = AssessmentError.from_dictionary(json.loads(error)) if error is not None else None
    metadata = json.loads(metadata) if metadata is not None else None
    source = AssessmentSource(source_type=source_type, source_id=source_id)
    valid = bool(valid)
    if kind == "feedback":
        assessment = Feedback(name=name, value=value, error=error, source=source,
                              trace_id=trace_id, rationale=rationale, metadata=metadata,
                              span_id=span_id, create_time_ms=created,
                              last_update_time_ms=updated, overrides=overrides, valid=valid)
    elif kind == "expectation":
        assessment = Expectation(name=name, value=value, source=source, trace_id=trace_id,
                                 metadata=metadata, span_id=span_id, create_time_ms=created,
                                 last_update_time_ms=updated)
        assessment.overrides = overrides
        assessment.valid = valid
    elif kind == "issue":
        assessment = IssueReference(issue_id=name, issue_name=value.get("issue_name"),
                                    source=source, trace_id=trace_id, run_id=run_id,
                                    rationale=rationale, metadata=metadata, span_id=span_id,
                                    create_time_ms=created, last_update_time_ms=updated)
        assessment.overrides = overrides
        assessment.valid = valid
    else:
        raise MlflowException(f"Unknown assessment type: {kind}", INTERNAL_ERROR)
    assessment.run_id = run_id
    assessment.assessment_id = assessment_id
    return assessment


def _row(db, trace_id: str, assessment_id: str):
    """The assessment's row; RESOURCE_DOES_NOT_EXIST (for the trace or the assessment)."""
    row = db.execute(f"SELECT {_COLUMNS} FROM assessments WHERE trace_id = ? AND "
                     "assessment_id = ?", (trace_id, assessment_id)).fetchone()
    if row is None:
        if db.execute("SELECT 1 FROM trace_info WHERE request_id = ?",
                      (trace_id,)).fetchone() is None:
            raise trace_request_not_found(trace_id)
        raise assessment_not_found(trace_id, assessment_id)
    return row


# ----------------------------------------------------------------------------- operations
def _insert(db, assessment: Assessment, trace_id: str, experiment_id, trace_timestamp_ms,
            verb: str = "INSERT") -> str:
    """Write the assessment's row (valid) on a trace; return its id (a new one if unset)."""
    kind, value_json, error_json, value = _value_columns(assessment)
    metadata_json = _dumps(assessment.metadata) if assessment.metadata else None
    aggregate_value, is_numeric = aggregate(value)
    assessment_id = assessment.assessment_id or generate_assessment_id()
    now = now_ms()
    source = assessment.source
    db.execute(_INSERT.replace("INSERT", verb, 1), (
        assessment_id, trace_id, assessment.name, kind, value_json, error_json,
        assessment.create_time_ms or now, assessment.last_update_time_ms or now,
        source.source_type, source.source_id, assessment.run_id, assessment.span_id,
        assessment.rationale, assessment.overrides, metadata_json, experiment_id,
        trace_timestamp_ms, aggregate_value, is_numeric))
    return assessment_id


def create_assessment(db: sqlite3.Connection, assessment: Assessment) -> Assessment:
    """Insert ``assessment`` on its trace (``assessment.trace_id``) and return it as stored.

    Its ``overrides``, if set, names an assessment of the same trace that becomes
    invalid in the same transaction.  The caller's entity is not modified.
    """
    trace_id = assessment.trace_id
    with transaction(db):
        trace = db.execute("SELECT experiment_id, timestamp_ms FROM trace_info "
                           "WHERE request_id = ?", (trace_id,)).fetchone()
        if trace is None:
            raise trace_not_found(trace_id)
        _value_columns(assessment)  # a value that can't be stored fails before anything
        if assessment.overrides:
            cursor = db.execute("UPDATE assessments SET valid = 0 WHERE trace_id = ? AND "
                                "assessment_id = ?", (trace_id, assessment.overrides))
            if cursor.rowcount == 0:
                raise assessment_not_found(trace_id, assessment.overrides)
        try:
            assessment_id = _insert(db, assessment, trace_id, trace[0], trace[1])
        except (sqlite3.IntegrityError, sqlite3.InterfaceError, OverflowError):
            # a NULL name, an id already taken, a value SQLite cannot bind: MLflow's store
            # reports any of these the same way
            raise MlflowException(
                f"Failed to create assessment for trace '{trace_id}' due to a constraint "
                "violation.", INTERNAL_ERROR) from None
        return _entity(_row(db, trace_id, assessment_id))


def insert_for_trace(db: sqlite3.Connection, assessment: Assessment, trace_id: str,
                     experiment_id: int, trace_timestamp_ms: int) -> None:
    """Store an assessment logged while its trace was in progress, as part of writing
    the trace (inside the caller's transaction).  As MLflow's store, a row with the same
    id is replaced, and ``overrides`` invalidates nothing here."""
    _insert(db, assessment, trace_id, experiment_id, trace_timestamp_ms,
            verb="INSERT OR REPLACE")


def get_assessment(db: sqlite3.Connection, trace_id: str, assessment_id: str) -> Assessment:
    """One assessment of a trace; RESOURCE_DOES_NOT_EXIST if the trace or it is unknown."""
    with snapshot(db):
        return _entity(_row(db, trace_id, assessment_id))


def update_assessment(db: sqlite3.Connection, trace_id: str, assessment_id: str,
                      changes: dict) -> Assessment:
    """Change an assessment in place and return it.

    ``changes`` may hold ``name``, ``feedback`` (a FeedbackValue: value and error),
    ``expectation`` (an ExpectationValue), ``rationale`` and ``metadata``; a missing or
    None entry keeps what is stored.  Metadata is merged into the stored one (new keys
    win); a feedback's value can't be set on an expectation or the reverse.  Source,
    span, creation time, validity, ``overrides`` and run id are kept, and the last
    update time becomes now.
    """
    name = changes.get("name")
    feedback: FeedbackValue | None = changes.get("feedback")
    expectation: ExpectationValue | None = changes.get("expectation")
    rationale = changes.get("rationale")
    metadata = changes.get("metadata")
    with transaction(db):
        existing = _entity(_row(db, trace_id, assessment_id))
        if expectation is not None and feedback is not None:
            raise MlflowException.invalid_parameter_value(
                "Cannot specify both `expectation` and `feedback` parameters.")
        if expectation is not None and not isinstance(existing, Expectation):
            raise MlflowException.invalid_parameter_value(
                "Cannot update expectation value on a Feedback assessment.")
        if feedback is not None and not isinstance(existing, Feedback):
            raise MlflowException.invalid_parameter_value(
                "Cannot update feedback value on an Expectation assessment.")
        if isinstance(existing, IssueReference):
            raise MlflowException.invalid_parameter_value(
                f"Assessment '{assessment_id}' is an issue reference, which cannot be updated.")
        merged = None
        if existing.metadata or metadata:
            merged = dict(existing.metadata or {})
            merged.update(metadata or {})
        if isinstance(existing, Expectation):
            value = expectation.value if expectation is not None else existing.value
            if value is None:
                raise MlflowException.invalid_parameter_value(
                    "The `value` field must be specified.")
            error_json = None
            rationale = None  # an Expectation carries no rationale
        else:
            source_value = feedback if feedback is not None else existing.feedback
            value, error = source_value.value, source_value.error
            error_json = _dumps(error.to_dictionary()) if error else None
            if rationale is None:
                rationale = existing.rationale
        aggregate_value, is_numeric = aggregate(value)
        db.execute(
            "UPDATE assessments SET name = ?, value = ?, error = ?, last_updated_timestamp = ?, "
            "rationale = ?, assessment_metadata = ?, aggregate_value = ?, is_numeric_value = ? "
            "WHERE trace_id = ? AND assessment_id = ?",
            (name if name is not None else existing.name, _dumps(value), error_json, now_ms(),
             rationale, _dumps(merged) if merged else None, aggregate_value, is_numeric,
             trace_id, assessment_id))
        return _entity(_row(db, trace_id, assessment_id))


def delete_assessment(db: sqlite3.Connection, trace_id: str, assessment_id: str) -> None:
    """Delete an assessment for good; the one it overrode becomes valid again.  Deleting
    an unknown assessment (or one of an unknown trace) does nothing."""
    with transaction(db):
        row = db.execute("SELECT overrides FROM assessments WHERE trace_id = ? AND "
                         "assessment_id = ?", (trace_id, assessment_id)).fetchone()
        if row is None:
            return
        if row[0]:
            db.execute("UPDATE assessments SET valid = 1 WHERE assessment_id = ?", (row[0],))
        db.execute("DELETE FROM assessments WHERE trace_id = ? AND assessment_id = ?",
                   (trace_id, assessment_id))


def read_assessments(db: sqlite3.Connection, trace_ids: list[str]) -> dict[str, list[Assessment]]:
    """``{trace_id: [Assessment, ...]}`` for the traces among ``trace_ids`` that have
    assessments, each list in MLflow's order (creation time, then insertion).

    Runs inside the caller's read transaction if there is one, so a trace and its
    assessments come from one snapshot.
    """
    found: dict[str, list[Assessment]] = {}
    with snapshot(db):
        rows = in_ids(db, f"SELECT {_COLUMNS} FROM assessments WHERE trace_id IN ({{ids}}) "
                          "ORDER BY trace_id, created_timestamp, rowid", list(trace_ids))
    for row in rows:
        found.setdefault(row[1], []).append(_entity(row))
    return found
