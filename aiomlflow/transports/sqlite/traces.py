"""Traces in MLflow 3.17.2's SQLite tables: trace_info, trace_tags,
trace_request_metadata and spans (assessments: assessments.py).

Written as MLflow's store leaves a finished trace, so that mlflow's ``get_trace``,
``search_traces`` and UI read ours and we read theirs: the spans' whole JSON in
``spans.content`` and the tag ``mlflow.trace.spansLocation=TRACKING_STORE`` that tells
readers so; the trace name, session and token/cost totals in trace_info's columns (never
as tag or metadata rows, which readers would hide); ``mlflow.trace.sizeStats`` with the
exact span count, by which readers tell a complete trace from one still being written.
"""

from __future__ import annotations

import json
import posixpath

from ...entities.span import LLM_COST, LLM_MODEL, LLM_PROVIDER, SPAN_TYPE, Span
from ...entities.trace import Trace
from ...entities.trace_data import TraceData
from ...entities.trace_info import COST_KEY, TOKEN_USAGE_KEY, TraceInfo
from ...entities.trace_location import TraceLocation
from ...entities.trace_state import TraceState
from ...exceptions import MlflowException
from ...traces import SIZE_STATS, complete, span_json
from .reads import snapshot
from .writes import transaction

TRACE_NAME = "mlflow.traceName"
SESSION_KEY = "mlflow.trace.session"
SPANS_LOCATION = "mlflow.trace.spansLocation"
ARTIFACT_LOCATION = "mlflow.artifactLocation"
INFO_FINALIZED = "mlflow.trace.infoFinalized"
TRACKING_STORE = "TRACKING_STORE"
MAX_TAG_VALUE = 8000
_TOKEN_COLUMNS = ("input_tokens", "output_tokens", "total_tokens", "cache_read_input_tokens",
                  "cache_creation_input_tokens", "cache_creation_input_tokens_above_1hr")
_COST_COLUMNS = ("input_cost", "output_cost", "total_cost")
# metadata kept in trace_info columns, not rows
_PROMOTED = (SESSION_KEY, TOKEN_USAGE_KEY, COST_KEY)
_INFO_COLUMNS = ("request_id, experiment_id, timestamp_ms, execution_time_ms, status, "
                 "client_request_id, request_preview, response_preview, trace_name, session_id, "
                 + ", ".join(_TOKEN_COLUMNS + _COST_COLUMNS))
_DATA_ERRORS = (TypeError, ValueError, OverflowError)


def trace_not_found(trace_id: str) -> MlflowException:
    """MLflow's error for an unknown trace id."""
    return MlflowException(f"Trace with ID '{trace_id}' not found.", "RESOURCE_DOES_NOT_EXIST")


# ---------------------------------------------------------------------------- writes
def write_traces(db, ops: list) -> list[tuple[int, Exception]]:
    """Store the traces of TRACE operations in one transaction, one INSERT per table
    for all of them; a trace that cannot be stored (unknown or deleted experiment, a
    value SQLite refuses) fails alone.  Late spans follow, each op on its own."""
    failures: list[tuple[int, Exception]] = []
    with transaction(db):
        experiments: dict = {}
        prepared: list = []
        late: list = []
        for op in ops:
            finished = op[3]
            if finished.late:
                late.append(op)
                continue
            try:
                prepared.append((op[0], _trace_rows(db, finished.to_trace(), experiments)))
            except (MlflowException, *_DATA_ERRORS) as exc:
                failures.append((op[0], _as_failure(exc)))
        if prepared and _try(db, _insert_rows, [rows for _, rows in prepared]) is not True:
            for seq, rows in prepared:  # find the trace SQLite refuses
                error = _try(db, _insert_rows, [rows])
                if error is not True:
                    failures.append((seq, error))
        for op in late:
            error = _try(db, _add_late_spans, op[3])
            if error is not True:
                failures.append((op[0], error))
    return failures


def _as_failure(exc: Exception) -> MlflowException:
    return exc if isinstance(exc, MlflowException) else MlflowException(
        f"{type(exc).__name__}: {exc}", "INTERNAL_ERROR")


def _try(db, write, arg):
    """``write(db, arg)`` in a savepoint: True, or the error it was rolled back for."""
    db.execute("SAVEPOINT traces")
    try:
        write(db, arg)
    except (MlflowException, *_DATA_ERRORS, *_SQL_ERRORS) as exc:
        db.execute("ROLLBACK TO traces")
        db.execute("RELEASE traces")
        return _as_failure(exc)
    db.execute("RELEASE traces")
    return True


def _sql_errors():
    import sqlite3

    return (sqlite3.IntegrityError, sqlite3.InterfaceError)


_SQL_ERRORS = _sql_errors()


def _artifact_location(db, experiment_id: str, trace_id: str, experiments: dict) -> str:
    found = experiments.get(experiment_id)
    if found is None:
        try:
            number = int(experiment_id)
        except ValueError:
            raise MlflowException(f"Invalid experiment ID {experiment_id!r}. Experiment ID "
                                  "must be a valid integer.", "INVALID_PARAMETER_VALUE") from None
        row = db.execute("SELECT artifact_location, lifecycle_stage FROM experiments "
                         "WHERE experiment_id = ?", (number,)).fetchone()
        if row is None:
            raise MlflowException(f"No Experiment with id={experiment_id} exists",
                                  "RESOURCE_DOES_NOT_EXIST")
        if row[1] != "active":
            raise MlflowException(
                f"The experiment {experiment_id} must be in the 'active' state. "
                f"Current state: {row[1]}.", "INVALID_PARAMETER_VALUE")
        found = experiments[experiment_id] = row[0]
    return posixpath.join(found, "traces", trace_id, "artifacts")


def _json_numbers(text, names, kind):
    try:
        values = json.loads(text) if text else {}
    except ValueError:
        values = {}
    out = []
    for name in names:
        value = values.get(name) if isinstance(values, dict) else None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        out.append(kind(value) if ok and value == value and abs(value) != float("inf") else None)
    return out


def _trace_rows(db, trace: Trace, experiments: dict) -> tuple:
    """The rows of one trace: (trace_info row, tag rows, metadata rows, span rows,
    (assessments, experiment, request time))."""
    info = trace.info
    trace_id = info.trace_id
    location = _artifact_location(db, info.experiment_id, trace_id, experiments)
    texts = complete(trace)
    metadata = info.trace_metadata
    session = metadata.get(SESSION_KEY)
    name = info.tags.get(TRACE_NAME)
    experiment = int(info.experiment_id)
    info_row = (trace_id, experiment, info.request_time, info.execution_duration,
                info.state.value, info.client_request_id, info.request_preview,
                info.response_preview, None if name is None else name[:4096],
                None if session is None else session[:250],
                *_json_numbers(metadata.get(TOKEN_USAGE_KEY), _TOKEN_COLUMNS, int),
                *_json_numbers(metadata.get(COST_KEY), _COST_COLUMNS, float))
    tags = [(k, None if v is None else str(v)[:MAX_TAG_VALUE], trace_id)
            for k, v in info.tags.items() if k != TRACE_NAME]
    tags.append((ARTIFACT_LOCATION, location, trace_id))
    tags.append((SPANS_LOCATION, TRACKING_STORE, trace_id))
    rows = [(k, None if v is None else str(v)[:MAX_TAG_VALUE], trace_id)
            for k, v in sorted(metadata.items()) if k not in _PROMOTED]
    rows.append((INFO_FINALIZED, "true", trace_id))
    spans = [_span_row(trace_id, experiment, span, text)
             for span, text in zip(trace.data.spans, texts)]
    return info_row, tags, rows, spans, (info.assessments, experiment, info.request_time)


def _insert_rows(db, traces: list) -> None:
    db.executemany(f"INSERT INTO trace_info ({_INFO_COLUMNS}, db_payload_generation) "
                   f"VALUES ({', '.join('?' * 19)}, 0)", [t[0] for t in traces])
    db.executemany("INSERT OR REPLACE INTO trace_tags (key, value, request_id) "
                   "VALUES (?, ?, ?)", [row for t in traces for row in t[1]])
    db.executemany("INSERT OR REPLACE INTO trace_request_metadata (key, value, request_id) "
                   "VALUES (?, ?, ?)", [row for t in traces for row in t[2]])
    db.executemany(f"INSERT INTO spans ({', '.join(_SPAN_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(_SPAN_COLUMNS))})",
                   [row for t in traces for row in t[3]])
    for t in traces:
        assessments, experiment, request_time = t[4]
        if assessments:
            from . import assessments as store

            for assessment in assessments:
                store.insert_for_trace(db, assessment, t[0][0], experiment, request_time)


_SPAN_COLUMNS = ("trace_id", "experiment_id", "span_id", "parent_span_id", "name", "type",
                 "status", "start_time_unix_nano", "end_time_unix_nano", "content",
                 "input_cost", "output_cost", "total_cost", "model_name", "model_provider")


def _add_late_spans(db, late) -> None:
    # Spans ending after their trace was stored: upserted (a span open at the root's end
    # was stored without its end), and the new ones counted in sizeStats' num_spans so
    # readers still see the trace as complete.
    row = db.execute("SELECT experiment_id FROM trace_info WHERE request_id = ?",
                     (late.trace_id,)).fetchone()
    if row is None:
        raise trace_not_found(late.trace_id)
    experiment = row[0]
    added = 0
    assignments = ", ".join(f"{c} = excluded.{c}" for c in _SPAN_COLUMNS[3:])
    for span in late.spans:
        added += db.execute("SELECT 1 FROM spans WHERE trace_id = ? AND span_id = ?",
                            (late.trace_id, span.span_id)).fetchone() is None
        db.execute(f"INSERT INTO spans ({', '.join(_SPAN_COLUMNS)}) "
                   f"VALUES ({', '.join('?' * len(_SPAN_COLUMNS))}) "
                   f"ON CONFLICT (trace_id, span_id) DO UPDATE SET {assignments}",
                   _span_row(late.trace_id, experiment, span, span_json(span)))
    stats_row = db.execute("SELECT value FROM trace_request_metadata WHERE request_id = ? "
                           "AND key = ?", (late.trace_id, SIZE_STATS)).fetchone()
    if added and stats_row is not None:
        stats = json.loads(stats_row[0])
        stats["num_spans"] = stats.get("num_spans", 0) + added
        db.execute("UPDATE trace_request_metadata SET value = ? WHERE request_id = ? "
                   "AND key = ?", (json.dumps(stats), late.trace_id, SIZE_STATS))


def _span_row(trace_id: str, experiment: int, span: Span, text: str) -> tuple:
    attributes = span._attributes
    span_type = span.get_attribute(SPAN_TYPE) if SPAN_TYPE in attributes else None
    costs = _json_numbers(attributes.get(LLM_COST), _COST_COLUMNS, float)
    model = span.get_attribute(LLM_MODEL) if LLM_MODEL in attributes else None
    provider = span.get_attribute(LLM_PROVIDER) if LLM_PROVIDER in attributes else None
    return (trace_id, experiment, span.span_id, span.parent_id, span.name,
            None if span_type is None else str(span_type)[:500],
            span.status.status_code.value, span.start_time_ns, span.end_time_ns, text,
            *costs, None if model is None else str(model)[:500],
            None if provider is None else str(provider)[:500])


def set_trace_tag(db, trace_id: str, key: str, value: str) -> None:
    """Set a tag of a stored trace (``mlflow.traceName`` is its name column)."""
    with transaction(db):
        if db.execute("SELECT 1 FROM trace_info WHERE request_id = ?",
                      (trace_id,)).fetchone() is None:
            raise trace_not_found(trace_id)
        if key == TRACE_NAME:
            db.execute("UPDATE trace_info SET trace_name = ? WHERE request_id = ?",
                       (value[:4096], trace_id))
        else:
            db.execute("INSERT OR REPLACE INTO trace_tags (key, value, request_id) "
                       "VALUES (?, ?, ?)", (key, value[:MAX_TAG_VALUE], trace_id))


def delete_trace_tag(db, trace_id: str, key: str) -> None:
    """Delete a tag of a stored trace; RESOURCE_DOES_NOT_EXIST if it has none."""
    with transaction(db):
        if key == TRACE_NAME:
            deleted = db.execute("UPDATE trace_info SET trace_name = NULL WHERE request_id = ? "
                                 "AND trace_name IS NOT NULL", (trace_id,)).rowcount
        else:
            deleted = db.execute("DELETE FROM trace_tags WHERE request_id = ? AND key = ?",
                                 (trace_id, key)).rowcount
    if not deleted:
        raise MlflowException(f"No trace tag with key '{key}' for trace with ID '{trace_id}'",
                              "RESOURCE_DOES_NOT_EXIST")


def delete_traces(db, experiment_id: str, max_timestamp_millis, max_traces, trace_ids) -> int:
    """Delete traces of an experiment (by id, or older than a time, oldest first, at most
    ``max_traces``) with their tags, metadata, spans and assessments; return how many."""
    with transaction(db):
        if trace_ids:
            marks = ", ".join("?" * len(trace_ids))
            ids = [r[0] for r in db.execute(
                f"SELECT request_id FROM trace_info WHERE experiment_id = ? AND request_id IN "
                f"({marks})", (int(experiment_id), *trace_ids))]
        else:
            ids = [r[0] for r in db.execute(
                "SELECT request_id FROM trace_info WHERE experiment_id = ? AND timestamp_ms <= ? "
                "ORDER BY timestamp_ms LIMIT ?",
                (int(experiment_id), max_timestamp_millis, -1 if max_traces is None
                 else max_traces))]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            for table, column in (("spans", "trace_id"), ("assessments", "trace_id"),
                                  ("trace_tags", "request_id"),
                                  ("trace_request_metadata", "request_id"),
                                  ("trace_info", "request_id")):
                db.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)
            db.execute(f"DELETE FROM entity_associations WHERE source_type = 'trace' AND "
                       f"source_id IN ({marks})", chunk)
    return len(ids)


def link_traces_to_run(db, trace_ids: list[str], run_id: str) -> None:
    """Record trace → run associations (as MLflow's entity_associations rows)."""
    import uuid

    from ...utils.time import get_current_time_millis

    now = get_current_time_millis()
    with transaction(db):
        db.executemany(
            "INSERT OR IGNORE INTO entity_associations (association_id, source_type, source_id, "
            "destination_type, destination_id, created_time) VALUES (?, 'trace', ?, 'run', ?, ?)",
            [(uuid.uuid4().hex, trace_id, run_id, now) for trace_id in trace_ids])


# ---------------------------------------------------------------------------- reads
def _chunks(ids: list, size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def read_trace_infos(db, trace_ids: list[str]) -> list[TraceInfo]:
    """The TraceInfos (tags, metadata, assessments) of the stored traces among
    ``trace_ids``, in that order; unknown ids are left out."""
    if not trace_ids:
        return []
    rows: dict = {}
    tags: dict = {}
    metadata: dict = {}
    with snapshot(db):
        for chunk in _chunks(list(trace_ids)):
            marks = ", ".join("?" * len(chunk))
            for row in db.execute(f"SELECT {_INFO_COLUMNS} FROM trace_info "
                                  f"WHERE request_id IN ({marks})", chunk):
                rows[row[0]] = row
            for key, value, trace_id in db.execute(
                    f"SELECT key, value, request_id FROM trace_tags "
                    f"WHERE request_id IN ({marks})", chunk):
                tags.setdefault(trace_id, {})[key] = value
            for key, value, trace_id in db.execute(
                    f"SELECT key, value, request_id FROM trace_request_metadata "
                    f"WHERE request_id IN ({marks})", chunk):
                metadata.setdefault(trace_id, {})[key] = value
        found = [trace_id for trace_id in trace_ids if trace_id in rows]
        assessments = _read_assessments(db, found)
    return [_info(rows[t], tags.get(t, {}), metadata.get(t, {}), assessments.get(t, []))
            for t in found]


def _read_assessments(db, trace_ids: list[str]) -> dict:
    try:
        from . import assessments
    except ImportError:  # assessments not built into this store yet
        return {}
    return assessments.read_assessments(db, trace_ids)


def _info(row, tags: dict, metadata: dict, assessments: list) -> TraceInfo:
    (trace_id, experiment_id, timestamp, duration, status, client_request_id, request_preview,
     response_preview, name, session, *numbers) = row
    tags = {k: v for k, v in tags.items() if k != TRACE_NAME}
    if name is not None:
        tags[TRACE_NAME] = name
    metadata = {k: v for k, v in metadata.items() if k not in _PROMOTED}
    if session is not None:
        metadata[SESSION_KEY] = session
    tokens = {k: v for k, v in zip(_TOKEN_COLUMNS, numbers[:6]) if v is not None}
    if tokens:
        metadata[TOKEN_USAGE_KEY] = json.dumps(tokens)
    costs = {k: v for k, v in zip(_COST_COLUMNS, numbers[6:]) if v is not None}
    if costs:
        metadata[COST_KEY] = json.dumps(costs)
    return TraceInfo(trace_id=trace_id,
                     trace_location=TraceLocation.from_experiment_id(str(experiment_id)),
                     request_time=timestamp, state=TraceState(status),
                     request_preview=request_preview, response_preview=response_preview,
                     client_request_id=client_request_id, execution_duration=duration,
                     trace_metadata=metadata, tags=tags, assessments=assessments)


def get_trace_info(db, trace_id: str) -> TraceInfo:
    """One TraceInfo; RESOURCE_DOES_NOT_EXIST if unknown."""
    found = read_trace_infos(db, [trace_id])
    if not found:
        raise trace_not_found(trace_id)
    return found[0]


def get_traces(db, trace_ids: list[str]) -> list[Trace]:
    """The complete traces among ``trace_ids`` in that order: ones whose spans are in
    the database and all there (by ``mlflow.trace.sizeStats``); others are left out."""
    with snapshot(db):
        infos = read_trace_infos(db, trace_ids)
        stored = [info.trace_id for info in infos
                  if info.tags.get(SPANS_LOCATION) == TRACKING_STORE]
        contents: dict = {}
        for chunk in _chunks(stored):
            marks = ", ".join("?" * len(chunk))
            for trace_id, content in db.execute(
                    f"SELECT trace_id, content FROM spans WHERE trace_id IN ({marks}) "
                    f"AND content != '' ORDER BY trace_id, parent_span_id IS NOT NULL, "
                    f"start_time_unix_nano", chunk):
                contents.setdefault(trace_id, []).append(content)
    traces = []
    for info in infos:
        texts = contents.get(info.trace_id)
        if not texts or len(texts) < _expected_spans(info):
            continue
        traces.append(Trace(info, TraceData([Span.from_dict(json.loads(t)) for t in texts])))
    return traces


def _expected_spans(info: TraceInfo) -> int:
    try:
        return int(json.loads(info.trace_metadata.get(SIZE_STATS) or "{}").get("num_spans", 0))
    except (ValueError, TypeError, AttributeError):
        return 0
