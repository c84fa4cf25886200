"""search_traces' filter and order_by grammar (MLflow 3.17.2's SQL store).

A filter is ``<identifier> <comparator> <value>`` clauses joined by ``AND``.  Identifier
prefixes: ``attribute`` (also ``attributes``, ``trace``, or none), ``tag``/``tags``,
``request_metadata``/``metadata``, ``span``, ``feedback``, ``expectation``, ``issue``.
Some keys stand for another kind (``name`` is the tag ``mlflow.traceName``, ``run_id``
the metadata ``mlflow.sourceRun``, ``prompt`` the tag ``mlflow.linkedPrompts``, ``text``
the span content; ``timestamp`` is ``timestamp_ms``...), whatever the prefix, as in MLflow.

Validation happens in MLflow's three steps, so the same input fails with the same
error first: :func:`parse_trace_order_by` (each clause parsed and checked in turn),
:func:`parse_trace_filter` (structure, identifiers, values), then
:func:`check_trace_filter` (comparators per key kind, clause by clause).  Pure Python.

MLflow prints Python sets in its messages (in hash order); here they are sorted.
"""

from __future__ import annotations

import ast as _pyast
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ...exceptions import BAD_REQUEST, INTERNAL_ERROR, MlflowException
from ...searches import Comparison, OrderKey
from .lexer import Token, tokenize
from .parser import (_operand, _order_by_text, _skip_ws, _strip_quotes, _trim_backticks, set_repr,
                     string_list)

# kinds, named as MLflow names them in its parsed form
ATTRIBUTE = "attribute"
TAG = "tag"
METADATA = "request_metadata"
SPAN = "span"
FEEDBACK = "feedback"
EXPECTATION = "expectation"
ISSUE = "issue"
ASSESSMENT_KINDS = (FEEDBACK, EXPECTATION)

_KINDS = frozenset({TAG, METADATA, ATTRIBUTE, SPAN, FEEDBACK, EXPECTATION, ISSUE})
_KIND_ALIASES = {"tags": TAG, "attributes": ATTRIBUTE, "trace": ATTRIBUTE, "metadata": METADATA}
_VALID_KIND_NAMES = _KINDS | set(_KIND_ALIASES)

SEARCH_ATTRIBUTES = frozenset({
    "request_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms",
    "end_time", "end_time_ms", "status", "client_request_id", "name", "run_id", "prompt",
    "text"})
ORDER_ATTRIBUTES = frozenset({
    "experiment_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms",
    "end_time", "end_time_ms", "status", "request_id", "name", "run_id"})
NUMERIC_ATTRIBUTES = frozenset({
    "timestamp_ms", "timestamp", "execution_time_ms", "execution_time", "end_time_ms",
    "end_time"})
LIST_ATTRIBUTES = frozenset({"name", "status", "request_id", "run_id", "client_request_id"})

NUMERIC_COMPARATORS = frozenset({">", ">=", "!=", "=", "<", "<="})
STRING_ATTRIBUTE_COMPARATORS = frozenset({"!=", "=", "IN", "NOT IN", "LIKE", "ILIKE", "RLIKE"})
TAG_COMPARATORS = frozenset({"!=", "=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"})
METADATA_COMPARATORS = TAG_COMPARATORS
SPAN_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS
SPAN_CONTENT_COMPARATORS = frozenset({"LIKE", "ILIKE"})
NUMERIC_ASSESSMENT_COMPARATORS = frozenset({">", ">=", "<", "<="})
ASSESSMENT_COMPARATORS = frozenset({"!=", "=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "RLIKE",
                                    "IS NULL", "IS NOT NULL"})
ISSUE_COMPARATORS = frozenset({"="})
SPAN_COLUMNS = frozenset({"name", "type", "status"})
SPAN_CONTENT = "content"
SPAN_ATTRIBUTE_PREFIX = "attributes."

# keys that stand for another kind or key (matched lower-cased; not for span keys)
TRACE_NAME_TAG = "mlflow.traceName"
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
SOURCE_RUN = "mlflow.sourceRun"
SESSION = "mlflow.trace.session"
TOKEN_USAGE = "mlflow.trace.tokenUsage"
COST = "mlflow.trace.cost"
_KEY_TO_TAG = {"name": TRACE_NAME_TAG, "prompt": LINKED_PROMPTS_TAG}
_KEY_TO_METADATA = {"run_id": SOURCE_RUN}
_KEY_TO_SPAN = {"text": SPAN_CONTENT}
_ATTRIBUTE_ALIASES = {"timestamp": "timestamp_ms", "execution_time": "execution_time_ms",
                      "end_time": "end_time_ms"}

# trace-info columns by metadata item key: the metadata that is stored as columns
TOKEN_COLUMNS = {
    "input_tokens": "input_tokens", "output_tokens": "output_tokens",
    "total_tokens": "total_tokens", "cache_read_input_tokens": "cache_read_input_tokens",
    "cache_creation_input_tokens": "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr": "cache_creation_input_tokens_above_1hr",
}
COST_COLUMNS = {"input_cost": "input_cost", "output_cost": "output_cost",
                "total_cost": "total_cost"}
ANALYTICS_COLUMNS = {TOKEN_USAGE: TOKEN_COLUMNS, COST: COST_COLUMNS}

# order_by attributes that are nullable trace_info columns (their NULLs sort last)
_ORDER_COLUMNS = {"experiment_id": False, "timestamp_ms": False, "execution_time_ms": True,
                  "status": False, "request_id": False}

# Bare words the SQL lexer MLflow uses reads as type names, not identifiers: ``text = 'x'``
# is no comparison there (``trace.text`` is), and only ``timestamp <op> <integer>`` is.
_TYPE_WORDS = frozenset({
    "ARRAY", "BIGINT", "BINARY", "BIT", "BLOB", "BOOLEAN", "CHAR", "CHARACTER", "DATE", "DEC",
    "DECIMAL", "FILE_TYPE", "FLOAT", "INT", "INT8", "INTEGER", "INTERVAL", "LONG", "NATURALN",
    "NUMBER", "NUMERIC", "NVARCHAR", "PLS_INTEGER", "POSITIVE", "POSITIVEN", "REAL", "ROWID",
    "ROWLABEL", "ROWNUM", "SERIAL", "SERIAL8", "SIGNED", "SIGNTYPE", "SIMPLE_DOUBLE",
    "SIMPLE_FLOAT", "SIMPLE_INTEGER", "SMALLINT", "SYS_REFCURSOR", "TEXT", "TIMESTAMP",
    "TINYINT", "UNSIGNED", "UROWID", "UTL_FILE", "VARCHAR", "VARCHAR2", "VARYING"})
_TIMESTAMP_WORDS = ("timestamp", "timestamp_ms")


def _invalid(message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(message)


def _quoted_set(items) -> str:
    """A set as MLflow shows it inside quotes: ``'{'=', 'IN'}'``."""
    return "'" + set_repr(items) + "'"


# --------------------------------------------------------------------------- tokens

def _mark_type_words(tokens: list[Token]) -> list[Token]:
    """Tokens with bare SQL type names re-kinded ``builtin`` (not identifiers)."""
    out = list(tokens)
    for i, token in enumerate(tokens):
        if token.kind != "name" or token.text.upper() not in _TYPE_WORDS:
            continue
        if i > 0 and tokens[i - 1].kind == "dot":
            continue
        j = _skip_ws(tokens, i + 1)
        if j < len(tokens) and tokens[j].kind in ("dot", "lparen"):
            continue
        out[i] = Token("builtin", token.text, token.pos)
    return out


@dataclass
class _Unit:
    """One token of the statement as the SQL lexer groups it: a comparison, an operand
    (identifier, literal, parenthesis, operation) or a single keyword/punctuation."""

    kind: str          # "comparison" or an operand kind or a token kind
    text: str
    parts: tuple = ()  # comparison: (left _Unit, comparator text, right _Unit or None)

    def is_word(self, word: str) -> bool:
        return self.kind in ("name", "reserved") and self.text.upper() == word


def _units(tokens: list[Token]) -> list[_Unit]:
    units: list[_Unit] = []
    i = _skip_ws(tokens, 0)
    while i < len(tokens):
        left = _operand(tokens, i)
        if left is not None:
            j = _skip_ws(tokens, left.end)
            if j < len(tokens) and tokens[j].kind == "cmp":
                k = _skip_ws(tokens, j + 1)
                right = _operand(tokens, k) if k < len(tokens) else None
                if right is not None:
                    units.append(_Unit("comparison", "".join(t.text for t in tokens[i:right.end]),
                                       (_Unit(left.kind, left.text), tokens[j].text,
                                        _Unit(right.kind, right.text))))
                    i = _skip_ws(tokens, right.end)
                    continue
        if left is not None:
            units.append(_Unit(left.kind, left.text))
            i = _skip_ws(tokens, left.end)
        else:
            units.append(_Unit(tokens[i].kind, tokens[i].text))
            i = _skip_ws(tokens, i + 1)
    return units


def _join_units(units: list[_Unit]) -> list[_Unit]:
    """Group ``x IN (...)``, ``x NOT IN (...)``, ``x IS [NOT] NULL`` and
    ``timestamp <op> <integer>`` into comparisons, with MLflow's way of walking the
    tokens (which decides what an invalid clause reports)."""
    out: list[_Unit] = []
    n = len(units)
    it = iter(enumerate(units))
    for index, first in it:
        if n - index < 3:
            out.extend(units[index:])
            break
        if first.kind == "builtin" and first.text in _TIMESTAMP_WORDS:
            _, second = next(it)
            _, third = next(it)
            if second.kind == "cmp" and second.text in NUMERIC_COMPARATORS \
                    and third.kind == "int":
                out.append(_Unit("comparison", "", (first, second.text, third)))
                continue
            out.extend([first, second, third])
        if first.kind != "ident":
            out.append(first)
            continue
        _, second = next(it)
        _, third = next(it)
        if second.is_word("IN") and third.kind == "paren":
            out.append(_Unit("comparison", "", (first, second.text, third)))
            continue
        if second.is_word("IS") and third.kind == "null":
            out.append(_Unit("comparison", "", (first, "IS NULL", None)))
            continue
        if second.is_word("IS") and third.kind == "notnull" and third.text.upper() == "NOT NULL":
            out.append(_Unit("comparison", "", (first, "IS NOT NULL", None)))
            continue
        fourth = next(it, (None, None))[1]
        if fourth is None:
            out.extend([first, second, third])
            break
        if second.is_word("NOT") and third.is_word("IN") and fourth.kind == "paren":
            out.append(_Unit("comparison", "", (first, "NOT IN", fourth)))
            continue
        out.extend([first, second, third, fourth])
    return out


# --------------------------------------------------------------------------- identifiers

def _kind(entity_type: str) -> str:
    entity_type = _trim_backticks(entity_type)
    if entity_type not in _VALID_KIND_NAMES:
        raise _invalid(f"Invalid entity type '{entity_type}'. "
                       f"Valid values are {set_repr(_VALID_KIND_NAMES)}")
    return _KIND_ALIASES.get(entity_type, entity_type)


def _identifier(text: str, attributes) -> tuple[str, str]:
    """``tag.`my key``` → ``("tag", "my key")``; a bare name is an attribute."""
    head, dot, rest = text.partition(".")
    kind, key = (_kind(head), rest) if dot else (ATTRIBUTE, text)
    key = _trim_backticks(_strip_quotes(key))
    if kind == ATTRIBUTE and key not in attributes:
        raise _invalid(f"Invalid attribute key '{key}' specified. "
                       f"Valid keys are '{set_repr(attributes)}'")
    return kind, key


def resolve_key(kind: str, key: str) -> tuple[str, str]:
    """MLflow's key mapping (``name`` → tag ``mlflow.traceName``, ...); span keys stay."""
    if kind == SPAN:
        return kind, key
    lowered = key.lower()
    if lowered in _KEY_TO_TAG:
        return TAG, _KEY_TO_TAG[lowered]
    if lowered in _KEY_TO_METADATA:
        return METADATA, _KEY_TO_METADATA[lowered]
    if lowered in _KEY_TO_SPAN:
        return SPAN, _KEY_TO_SPAN[lowered]
    if lowered in _ATTRIBUTE_ALIASES:
        return kind, _ATTRIBUTE_ALIASES[lowered]
    return kind, key


# --------------------------------------------------------------------------- values

_STRING_UNITS = ("sq", "ident")


def _parse_list(text: str) -> tuple:
    try:
        parsed = _pyast.literal_eval(text)
    except SyntaxError:
        raise _invalid("While parsing a list in the query, expected a non-empty list of string "
                       "values, but got ill-formed list.") from None
    except (ValueError, TypeError, MemoryError, RecursionError) as exc:
        # (MLflow lets this one through as an internal error)
        raise MlflowException(str(exc), INTERNAL_ERROR) from None
    return string_list(parsed)


def _number(unit: _Unit):
    return int(unit.text) if unit.kind == "int" else float(unit.text)


def _string(unit: _Unit) -> str:
    return _strip_quotes(unit.text, expect_quoted=True)


def _expected_string(kind: str, unit: _Unit) -> MlflowException:
    return _invalid(f"Expected a quoted string value for {kind} (e.g. 'my-value'). "
                    f"Got value {unit.text}")


def _value(kind: str, key: str, unit: _Unit):
    if kind in (TAG, SPAN):
        if unit.kind in _STRING_UNITS:
            return _string(unit)
        if unit.kind == "paren":
            return _parse_list(unit.text)
        raise _expected_string(kind, unit)
    if kind == ATTRIBUTE:
        if unit.kind in _STRING_UNITS:
            return _string(unit)
        if unit.kind == "paren":
            if key not in LIST_ATTRIBUTES:
                raise _invalid(f"Only attributes in {set_repr(LIST_ATTRIBUTES)} supports "
                               "comparison with a list of quoted string values.")
            return _parse_list(unit.text)
        if unit.kind in ("int", "float"):
            if key not in NUMERIC_ATTRIBUTES:
                raise _invalid(f"Only the '{set_repr(NUMERIC_ATTRIBUTES)}' attributes support "
                               "comparison with numeric values.")
            return _number(unit)
        raise _invalid("Expected a quoted string value or a list of quoted string values for "
                       f"attributes. Got value {unit.text}")
    if kind in (METADATA, ISSUE):
        if unit.kind in _STRING_UNITS:
            return _string(unit)
        raise _expected_string(kind, unit)
    # feedback / expectation (the value's type was checked against the comparator)
    if unit.kind in _STRING_UNITS:
        return _string(unit)
    return _number(unit)


def _check_assessment_value(kind: str, comparator: str, unit: _Unit) -> None:
    numeric = comparator in NUMERIC_ASSESSMENT_COMPARATORS
    if numeric:
        message = (f"Expected a numeric value for {kind} when using comparator "
                   f"'{comparator}'. Got value {unit.text}")
    else:
        message = (f"Expected a quoted string value for {kind} (e.g. 'my-value'). "
                   f"Got value {unit.text}")
    if unit.kind in _STRING_UNITS:
        if numeric:
            raise _invalid(message)
    elif unit.kind in ("int", "float"):
        if not numeric:
            raise _invalid(message)
    else:
        raise _invalid(message)


def _check_span(key: str, comparator: str) -> None:
    """MLflow's span-key and span-comparator rules (comparator as written)."""
    if key.startswith(SPAN_ATTRIBUTE_PREFIX):
        if not key[len(SPAN_ATTRIBUTE_PREFIX):]:
            raise _invalid("Span attribute name cannot be empty after 'attributes.'")
        allowed = SPAN_COMPARATORS
    elif key in SPAN_COLUMNS:
        allowed = SPAN_COMPARATORS
    elif key == SPAN_CONTENT:
        allowed = SPAN_CONTENT_COMPARATORS
    else:
        raise _invalid(f"Invalid span attribute '{key}'. Supported attributes: "
                       f"{', '.join(sorted(SPAN_COLUMNS))}, attributes.<attribute_name>.")
    if comparator not in allowed:
        raise _invalid(f"span.{key} comparator '{comparator}' not one of {_quoted_set(allowed)}")


# --------------------------------------------------------------------------- filter

def _comparison(unit: _Unit, source: str) -> Comparison:
    left, comparator, right = unit.parts
    if comparator in ("IS NULL", "IS NOT NULL"):
        kind, key = _identifier(left.text, SEARCH_ATTRIBUTES)
        kind, key = resolve_key(kind, key)
        return Comparison(kind, key, comparator, None, source)
    if left.kind != "ident" and not (left.kind == "builtin" and left.text in _TIMESTAMP_WORDS):
        raise _invalid(f"Invalid comparison clause. Expected 'Identifier' found '{left.text}'")
    kind, key = _identifier(left.text, SEARCH_ATTRIBUTES)
    if kind in ASSESSMENT_KINDS:
        _check_assessment_value(kind, comparator, right)
    value = _value(kind, key, right)
    if kind == SPAN:
        _check_span(key, comparator)
    kind, key = resolve_key(kind, key)
    return Comparison(kind, key, comparator, value, source)


def parse_trace_filter(filter_string) -> tuple[Comparison, ...]:
    """Parse a search_traces filter: structure, identifiers, values, span keys.

    Keys come out resolved (``name`` → tag ``mlflow.traceName``, ``timestamp`` →
    ``timestamp_ms``, ...); comparators as written (``IS NULL``, ``IS NOT NULL`` and
    ``NOT IN`` upper-cased).  IN lists are tuples of str, IS [NOT] NULL values None.
    """
    if not filter_string:
        return ()
    if not isinstance(filter_string, str):
        raise _invalid(f"Invalid filter '{filter_string}'. Could not be parsed.")
    tokens = _mark_type_words(tokenize(filter_string))
    if all(t.kind == "ws" for t in tokens):
        raise _invalid(f"Invalid filter '{filter_string}'. Could not be parsed.")
    for index, token in enumerate(tokens):
        if token.kind == "semi" and any(t.kind != "ws" for t in tokens[index + 1:]):
            raise _invalid(f"Search filter contained multiple expression {filter_string!r}. "
                           "Provide AND-ed expression list.")
    units = _join_units(_units(tokens))
    invalid = [u for u in units if u.kind != "comparison" and not u.is_word("AND")]
    if invalid:
        shown = ", ".join(f"'{u.text}'" for u in invalid)
        raise _invalid(f"Invalid clause(s) in filter string: {shown}")
    return tuple(_comparison(u, filter_string) for u in units if u.kind == "comparison")


def _check_comparator(comparator: str, allowed, closing_quote: bool = True) -> None:
    if comparator not in allowed:
        shown = _quoted_set(allowed) if closing_quote else "'" + set_repr(allowed)
        raise _invalid(f"Invalid comparator '{comparator}' not one of {shown}")


def check_trace_filter(filters) -> tuple[Comparison, ...]:
    """MLflow's per-clause checks made while it builds the query, in clause order:
    comparators per key kind, the issue, prompt and reserved-metadata rules.  Returns
    the comparisons with comparators upper-cased."""
    checked = []
    for comp in filters:
        kind, key, value = comp.kind, comp.key, comp.value
        op = comp.comparator.upper()
        if kind == ISSUE:
            if key != "id":
                raise _invalid(f"Invalid issue attribute '{key}'. Supported attributes: id")
            if op not in ISSUE_COMPARATORS:
                raise _invalid(f"issue.{key} comparator '{op}' not one of "
                               f"{_quoted_set(ISSUE_COMPARATORS)}")
        elif kind == ATTRIBUTE:
            if key in NUMERIC_ATTRIBUTES:
                # (MLflow names the string comparators here, without the closing quote)
                if op not in NUMERIC_COMPARATORS:
                    raise _invalid(f"Invalid comparator '{op}' not one of "
                                   f"'{set_repr(STRING_ATTRIBUTE_COMPARATORS)}")
            else:
                _check_comparator(op, STRING_ATTRIBUTE_COMPARATORS)
        elif kind == TAG:
            _check_comparator(op, TAG_COMPARATORS, closing_quote=False)
            if key == LINKED_PROMPTS_TAG:
                if op != "=":
                    raise _invalid(f"Invalid comparator '{op}' for prompts filter. Only '=' is "
                                   'supported with format: prompt = "name/version"')
                if value.count("/") != 1:
                    raise _invalid(f"Invalid prompts filter value '{value}'. "
                                   'Expected format: prompt = "name/version"')
        elif kind == METADATA:
            _check_comparator(op, METADATA_COMPARATORS)
            if key in ANALYTICS_COLUMNS and op not in ("=", "!=", "IS NULL", "IS NOT NULL"):
                raise _invalid(f"Comparator '{op}' is not supported for reserved metadata "
                               f"'{key}'. Only '=', '!=', 'IS NULL', and 'IS NOT NULL' are "
                               "supported.")
        elif kind == SPAN:
            _check_span(key, op)
            if key.startswith(SPAN_ATTRIBUTE_PREFIX) and op in ("IN", "NOT IN"):
                pattern = f'%"{span_attribute_name(key)}"{value}%'
                raise MlflowException("IN expression list, SELECT construct, or bound parameter "
                                      f"object expected, got {pattern!r}.", BAD_REQUEST)
        elif kind in ASSESSMENT_KINDS:
            if not key:
                raise _invalid("Assessment field name cannot be empty")
            if op not in ASSESSMENT_COMPARATORS:
                raise _invalid(f"assessment.{key} comparator '{op}' not one of "
                               f"{_quoted_set(ASSESSMENT_COMPARATORS)}")
        else:  # pragma: no cover - the parser makes no other kind
            raise _invalid(f"Invalid search expression type '{kind}'")
        checked.append(Comparison(kind, key, op, value, comp.text))
    return tuple(checked)


def span_attribute_name(key: str) -> str:
    """``attributes.`a.b``` → ``a.b``: the span attribute a span key names."""
    return _trim_backticks(key[len(SPAN_ATTRIBUTE_PREFIX):])


# --------------------------------------------------------------------------- order_by

def _order_by_clause(clause) -> tuple[str, bool]:
    """(identifier text, ascending) of one order_by clause."""
    if isinstance(clause, str):
        tokens = _mark_type_words(tokenize(clause))
        if tokens and tokens[0].kind == "builtin":
            # a bare type word is no identifier; ``timestamp [ASC|DESC]`` is allowed
            rest = tokens[1:]
            ok = tokens[0].text == "timestamp" and (
                not rest or (len(rest) == 2 and rest[0].kind == "ws"
                             and rest[1].text.upper() in ("ASC", "DESC")))
            if not ok:
                raise _invalid(f"Invalid order_by clause '{clause}'. Could not be parsed.")
    return _order_by_text(clause)


def parse_trace_order_by(order_by) -> tuple[OrderKey, ...]:
    """Parse and check search_traces order_by clauses, one after the other as MLflow
    does: attributes, tags and metadata (keys resolved: ``name`` → tag
    ``mlflow.traceName``, ``timestamp`` → ``timestamp_ms``); ordering by token usage or
    cost, by span or assessment fields, and duplicate keys are rejected."""
    keys: list[OrderKey] = []
    seen: set = set()
    for clause in order_by or ():
        text, ascending = _order_by_clause(clause)
        kind, key = resolve_key(*_identifier(text.strip(), ORDER_ATTRIBUTES))
        if kind == METADATA and key in ANALYTICS_COLUMNS:
            raise _invalid(f"Ordering by reserved metadata '{key}' is not supported because it "
                           "is represented by multiple columns.")
        if kind == ATTRIBUTE:
            if key not in _ORDER_COLUMNS:
                # (MLflow looks the key up as a column of its trace_info model)
                raise MlflowException(f"type object 'SqlTraceInfo' has no attribute '{key}'",
                                      INTERNAL_ERROR)
        elif kind not in (TAG, METADATA):
            raise _invalid(f"Invalid identifier type '{kind}'")
        if (kind, key) in seen:
            raise MlflowException(f"`order_by` contains duplicate fields: {list(order_by)}",
                                  INTERNAL_ERROR)
        seen.add((kind, key))
        keys.append(OrderKey(kind, key, ascending, clause))
    return tuple(keys)


def order_column_nullable(key: str) -> bool:
    """Whether the trace_info column an attribute order key names can be NULL."""
    return _ORDER_COLUMNS[key]


# --------------------------------------------------------------------------- reserved metadata

def token_count_or_none(value) -> int | None:
    """An integral token count within BIGINT range, else None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value() \
            or not -(2 ** 63) <= number <= 2 ** 63 - 1:
        return None
    return int(number)


def finite_float_or_none(value) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def analytics_value(key: str, value) -> dict | None:
    """For ``metadata.<tokenUsage|cost> = value``: the column values the value stands
    for, when it is exactly the JSON MLflow synthesises from those columns; else None
    (the value matches no trace)."""
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        parsed = None
    columns = ANALYTICS_COLUMNS[key]
    convert = token_count_or_none if key == TOKEN_USAGE else finite_float_or_none
    normalized: dict = {}
    if isinstance(parsed, dict) and set(parsed).issubset(columns):
        for item in columns:
            converted = convert(parsed.get(item))
            if converted is not None:
                normalized[item] = converted
    if normalized and value == json.dumps(normalized):
        return normalized
    return None
