"""search_traces on MLflow 3.17.2's SQLite schema: one page of trace ids, in MLflow's order.

The filter and order_by are parsed with MLflow's trace grammar (``sdk/search/traces``)
and translated into one parameterised SELECT over trace_info, with EXISTS/IN subqueries
on trace_tags, trace_request_metadata, spans, assessments and entity_associations.
Semantics follow MLflow's SQL store on SQLite:

* LIKE is case-sensitive (the connection runs ``PRAGMA case_sensitive_like``), ILIKE
  lower-cases both sides, RLIKE is ``REGEXP`` through a Python ``re.search`` function
  registered on the connection (an invalid pattern matches nothing).
* ``name`` compares the ``trace_name`` column, ``metadata.mlflow.trace.session`` the
  ``session_id`` column, token usage and cost metadata their columns.
* ``run_id = X`` matches traces linked to the run (entity_associations) or whose
  ``mlflow.sourceRun`` metadata is X.
* All span clauses must hold for one span of the trace's experiment (and, with a
  ``timestamp_ms >``/``>=`` bound, one that starts at most 10 s before it).
* ``feedback.<name>`` / ``expectation.<name>`` look at valid assessments; a trace also
  matches when a trace of the same session holds a matching session-level assessment.
* Ordering puts NULLs last, then ``timestamp_ms DESC, request_id`` unless ordered on.
  A page token (base64 of ``{"offset": N}``) comes with every full page.
"""

from __future__ import annotations

import json
import re
import sqlite3

from ...exceptions import BAD_REQUEST, INTERNAL_ERROR, MlflowException
from ...searches import TraceSearch, create_page_token, parse_page_token
from ...sdk.search import traces as grammar
from ...sdk.search.traces import (
    ATTRIBUTE, ISSUE, METADATA, SPAN, TAG, analytics_value,
)

SEARCH_TRACES_MAX_RESULTS = 50000
# spans may start this long before their trace's timestamp (clock skew)
_SPAN_TIMESTAMP_TOLERANCE_MS = 10_000
_SESSION_METADATA_MARK = f'"{grammar.SESSION}":'

_ATTRIBUTE_COLUMNS = {
    "request_id": "ti.request_id", "status": "ti.status",
    "client_request_id": "ti.client_request_id", "timestamp_ms": "ti.timestamp_ms",
    "execution_time_ms": "ti.execution_time_ms",
    "end_time_ms": "(ti.timestamp_ms + coalesce(ti.execution_time_ms, 0))",
    "experiment_id": "ti.experiment_id",
}
_SPAN_COLUMNS = {"name": "s.name", "type": "s.type", "status": "s.status",
                 "content": "s.content"}


# --------------------------------------------------------------------------- connection

def _regexp(pattern, string) -> bool:
    if pattern is None or string is None:
        return False
    try:
        return re.search(pattern, string) is not None
    except (re.error, TypeError):
        return False


def prepare_connection(db: sqlite3.Connection) -> None:
    """What trace search needs of a connection: MLflow's case-sensitive LIKE and a
    ``regexp`` function for RLIKE (SQLite has none of its own)."""
    db.execute("PRAGMA case_sensitive_like = true")
    db.create_function("regexp", 2, _regexp, deterministic=True)


# --------------------------------------------------------------------------- SQL pieces

def _compare(column: str, op: str, value, args: list) -> str:
    """``column <op> value`` as SQLite SQL."""
    if op in ("IN", "NOT IN"):
        args.extend(value)
        marks = ", ".join("?" * len(value))
        return f"({column} IN ({marks}))" if op == "IN" else f"({column} NOT IN ({marks}))"
    if isinstance(value, tuple):
        # MLflow hands the list to SQLite as one parameter, which SQLite refuses
        raise MlflowException(
            f"(sqlite3.ProgrammingError) Error binding parameter {len(args) + 1}: type 'tuple' "
            "is not supported", BAD_REQUEST)
    args.append(value)
    if op == "LIKE":
        return f"({column} LIKE ?)"
    if op == "ILIKE":
        return f"(lower({column}) LIKE lower(?))"
    if op == "RLIKE":
        return f"({column} REGEXP ?)"
    return f"({column} {op} ?)"


def _key_value_exists(table: str, comp, args: list) -> str:
    """A tag/metadata clause: an EXISTS on the (key, request_id) row."""
    args.append(comp.key)
    exists = f"EXISTS (SELECT 1 FROM {table} kv WHERE kv.request_id = ti.request_id AND kv.key = ?"
    if comp.op == "IS NULL":
        return f"NOT {exists})"
    if comp.op == "IS NOT NULL":
        return f"{exists})"
    return f"{exists} AND {_compare('kv.value', comp.op, comp.value, args)})"


def _null_test(column: str, op: str) -> str:
    return f"({column} IS NULL)" if op == "IS NULL" else f"({column} IS NOT NULL)"


def _analytics_filter(comp, args: list) -> str:
    """token usage / cost metadata: tests on the columns MLflow stores them in."""
    columns = [f"ti.{column}" for column in grammar.ANALYTICS_COLUMNS[comp.key].values()]
    exists = "(" + " OR ".join(f"{c} IS NOT NULL" for c in columns) + ")"
    if comp.op == "IS NULL":
        return f"(NOT {exists})"
    if comp.op == "IS NOT NULL":
        return exists
    normalized = analytics_value(comp.key, comp.value)
    if normalized is None:
        matches = "0"
    else:
        terms = []
        for item, column in grammar.ANALYTICS_COLUMNS[comp.key].items():
            if item in normalized:
                terms.append(f"ti.{column} = ?")
                args.append(normalized[item])
            else:
                terms.append(f"ti.{column} IS NULL")
        matches = "(" + " AND ".join(terms) + ")"
    return matches if comp.op == "=" else f"({exists} AND NOT {matches})"


def _span_condition(comp, args: list) -> str:
    if comp.key.startswith(grammar.SPAN_ATTRIBUTE_PREFIX):
        name = grammar.span_attribute_name(comp.key)
        if comp.op == "RLIKE":
            # the attribute's value is stored JSON-encoded inside the span's JSON:
            # "<name>": "\"<value>\""
            value = comp.value
            prefix = '"\\\\".*'
            if value.startswith("^"):
                value, prefix = value[1:], '"\\\\"'
            suffix = ""
            if value.endswith("$"):
                value, suffix = value[:-1], '\\\\"'
            pattern = f'"{name}": {prefix}{value}{suffix}'
        else:
            pattern = f'%"{name}"{comp.value}%'
        return _compare("s.content", comp.op, pattern, args)
    return _compare(_SPAN_COLUMNS[comp.key], comp.op, comp.value, args)


class _Scope:
    """The experiments searched: SQL and its arguments, reused by session subqueries."""

    def __init__(self, experiment_ids: list[int]):
        self.ids = experiment_ids

    def where(self, alias: str, args: list) -> str:
        args.extend(self.ids)
        return f"{alias}.experiment_id IN ({', '.join('?' * len(self.ids))})"


def _assessment_filters(comp, args: list) -> str:
    args += [comp.kind, comp.key]
    return "a.assessment_type = ? AND a.name = ? AND a.valid = 1"


def _assessment_value(comp, args: list) -> str:
    op, value = comp.op, comp.value
    if op in grammar.NUMERIC_ASSESSMENT_COMPARATORS:
        args.append(value)
        return f"(a.is_numeric_value = 1 AND a.aggregate_value {op} ?)"
    if op in ("=", "!="):
        # the stored value is JSON: a string "yes" is stored as "\"yes\""
        args += [value, json.dumps(value)]
        match = "(a.value = ? OR a.value = ?)"
        return match if op == "=" else f"(NOT {match})"
    return _compare("a.value", op, value, args)


def _session_covered(conditions, scope: _Scope, args: list) -> str:
    """The traces (of the searched experiments) in a session where a trace holds a
    session-level assessment that meets ``conditions`` (a callable adding its SQL)."""
    sql = ("SELECT st.request_id FROM trace_info st WHERE " + scope.where("st", args)
           + " AND st.session_id IN (SELECT si.session_id FROM trace_info si "
             "JOIN assessments a ON a.trace_id = si.request_id WHERE ")
    sql += scope.where("si", args)
    sql += " AND si.session_id IS NOT NULL AND " + conditions(args)
    sql += " AND a.assessment_metadata IS NOT NULL AND a.assessment_metadata LIKE '%' || ? || '%')"
    args.append(_SESSION_METADATA_MARK)
    return sql


def _assessment_filter(comp, scope: _Scope, args: list) -> str:
    if comp.op in ("IS NULL", "IS NOT NULL"):
        def conditions(a):
            return _assessment_filters(comp, a)
    else:
        def conditions(a):
            return _assessment_filters(comp, a) + " AND " + _assessment_value(comp, a)
    if comp.op == "IS NULL":
        direct = ("NOT EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = ti.request_id "
                  "AND " + conditions(args) + ")")
        return f"({direct} AND ti.request_id NOT IN ({_session_covered(conditions, scope, args)}))"
    direct = "SELECT a.trace_id FROM assessments a WHERE " + conditions(args)
    return f"ti.request_id IN ({direct} UNION {_session_covered(conditions, scope, args)})"


# --------------------------------------------------------------------------- the query

def _filters(filters, scope: _Scope, args: list) -> list[str]:
    where: list[str] = []
    span_conditions: list[str] = []
    span_args: list = []
    run_id = None
    lower_bound = None
    for comp in filters:
        kind, key, op, value = comp.kind, comp.key, comp.op, comp.value
        if kind == ISSUE:
            where.append("EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = ti.request_id "
                         "AND a.assessment_type = 'issue' AND a.name = ?)")
            args.append(value)
        elif kind == ATTRIBUTE:
            if key == "timestamp_ms" and op in (">", ">="):
                try:
                    lower_bound = value if lower_bound is None else max(lower_bound, value)
                except TypeError as exc:  # a quoted value next to a number, as in MLflow
                    raise MlflowException(str(exc), INTERNAL_ERROR) from None
            where.append(_compare(_ATTRIBUTE_COLUMNS[key], op, value, args))
        elif kind == TAG and key == grammar.TRACE_NAME_TAG:
            where.append(_null_test("ti.trace_name", op) if op in ("IS NULL", "IS NOT NULL")
                         else _compare("ti.trace_name", op, value, args))
        elif kind == METADATA and key == grammar.SESSION:
            where.append(_null_test("ti.session_id", op) if op in ("IS NULL", "IS NOT NULL")
                         else _compare("ti.session_id", op, value, args))
        elif kind == METADATA and key in grammar.ANALYTICS_COLUMNS:
            where.append(_analytics_filter(comp, args))
        elif kind == METADATA and key == grammar.SOURCE_RUN and op == "=":
            run_id = value  # the last one counts, as in MLflow
        elif kind == TAG and key == grammar.LINKED_PROMPTS_TAG:
            where.append("EXISTS (SELECT 1 FROM entity_associations ea WHERE "
                         "ea.source_id = ti.request_id AND ea.source_type = 'trace' AND "
                         "ea.destination_type = 'prompt_version' AND ea.destination_id = ?)")
            args.append(value)
        elif kind == TAG:
            where.append(_key_value_exists("trace_tags", comp, args))
        elif kind == METADATA:
            where.append(_key_value_exists("trace_request_metadata", comp, args))
        elif kind == SPAN:
            span_conditions.append(_span_condition(comp, span_args))
        else:  # feedback / expectation
            where.append(_assessment_filter(comp, scope, args))
    if span_conditions:
        scope_terms = ["s.trace_id = ti.request_id", "s.experiment_id = ti.experiment_id"]
        bound_args = []
        if lower_bound is not None:
            try:
                bound = (lower_bound - _SPAN_TIMESTAMP_TOLERANCE_MS) * 1_000_000
            except TypeError as exc:
                raise MlflowException(str(exc), INTERNAL_ERROR) from None
            scope_terms.append("s.start_time_unix_nano >= ?")
            bound_args.append(bound)
        where.append("EXISTS (SELECT 1 FROM spans s WHERE "
                     + " AND ".join(scope_terms + span_conditions) + ")")
        args += bound_args + span_args
    if run_id:
        where.append(
            "(EXISTS (SELECT 1 FROM entity_associations ea WHERE ea.source_id = ti.request_id "
            "AND ea.source_type = 'trace' AND ea.destination_type = 'run' "
            "AND ea.destination_id = ?) OR EXISTS (SELECT 1 FROM trace_request_metadata m "
            "WHERE m.request_id = ti.request_id AND m.key = ? AND m.value = ?))")
        args += [run_id, grammar.SOURCE_RUN, run_id]
    return where


def _order(order_keys, join_args: list) -> tuple[str, str]:
    """(LEFT JOINs, ORDER BY terms) for the order keys plus MLflow's tie-breaks."""
    joins, terms = [], []
    ordered = set()
    for n, key in enumerate(order_keys):
        direction = "" if key.ascending else " DESC"
        if key.kind == ATTRIBUTE:
            column = _ATTRIBUTE_COLUMNS[key.key]
            if grammar.order_column_nullable(key.key):
                terms.append(f"({column} IS NULL)")
            terms.append(column + direction)
            ordered.add(key.key)
            continue
        if key.kind == TAG and key.key == grammar.TRACE_NAME_TAG:
            column = "ti.trace_name"
        elif key.kind == METADATA and key.key == grammar.SESSION:
            column = "ti.session_id"
        else:
            alias = f"o{n}"
            table = "trace_tags" if key.kind == TAG else "trace_request_metadata"
            joins.append(f"LEFT JOIN {table} {alias} "
                         f"ON {alias}.request_id = ti.request_id AND {alias}.key = ?")
            join_args.append(key.key)
            column = f"{alias}.value"
        terms += [f"({column} IS NULL)", column + direction]
    if "timestamp_ms" not in ordered:
        terms.append("ti.timestamp_ms DESC")
    if "request_id" not in ordered:
        terms.append("ti.request_id")
    return " ".join(joins), ", ".join(terms)


def _check_max_results(max_results) -> None:
    if max_results is None or max_results < 1:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be "
            "a positive integer")
    if max_results > SEARCH_TRACES_MAX_RESULTS:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value {max_results} for parameter 'max_results' supplied. It must be at "
            f"most {SEARCH_TRACES_MAX_RESULTS}")


def _experiment_ids(ids) -> list[int]:
    out = []
    for experiment_id in ids:
        try:
            out.append(int(experiment_id))
        except (TypeError, ValueError):
            raise MlflowException.invalid_parameter_value(
                f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid "
                "integer.") from None
    return out


def trace_page_sql(query: TraceSearch) -> tuple[str, list, int]:
    """The SELECT of one page of trace ids, its arguments and the page's offset.

    Validates as MLflow does, in its order: max_results, order_by, the filter, the page
    token."""
    _check_max_results(query.max_results)
    scope = _Scope(_experiment_ids(query.experiment_ids))
    order_keys = grammar.parse_trace_order_by(query.order_by)
    filters = grammar.check_trace_filter(grammar.parse_trace_filter(query.filter_string))
    offset = parse_page_token(query.page_token)
    join_args: list = []
    joins, order = _order(order_keys, join_args)
    args: list = []
    where = [scope.where("ti", args)] + _filters(filters, scope, args)
    sql = (f"SELECT ti.request_id FROM trace_info ti {joins} WHERE {' AND '.join(where)} "
           f"ORDER BY {order} LIMIT ? OFFSET ?")
    return sql, join_args + args + [query.max_results, offset], offset


def search_trace_ids(db: sqlite3.Connection, query: TraceSearch) -> tuple[list[str], bytes | None]:
    """One page of the ids of the traces ``query`` selects, in MLflow's order, and the
    next page's token (None when the page is not full)."""
    sql, args, offset = trace_page_sql(query)
    if not query.experiment_ids:
        return [], None
    prepare_connection(db)
    ids = [row[0] for row in db.execute(sql, args)]
    token = create_page_token(offset + query.max_results) if len(ids) == query.max_results \
        else None
    return ids, token
