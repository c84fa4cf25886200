"""Parse filter strings and order_by clauses into the search AST.

Two grammars share the machinery: search_runs (metrics, params, tags, attributes,
datasets) and search_experiments (attributes and tags).  What is accepted, how keys and
values are typed, and the error messages follow MLflow 3.17.2.  Parsing is split in two
steps as MLflow does: :func:`parse_run_filter` checks structure, identifiers and value
types; :func:`check_run_comparators` checks each comparator against its key's kind
(MLflow does that when it builds SQL, after order_by has been parsed).
"""

from __future__ import annotations

import ast as _pyast
import shlex
from dataclasses import dataclass

from ...exceptions import INTERNAL_ERROR, MlflowException
from ...searches import ATTRIBUTE, DATASET, METRIC, PARAM, TAG, Comparison, OrderKey
from .lexer import Token, tokenize


def _invalid(message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(message)


def set_repr(items) -> str:
    """A set literal with a stable order (MLflow prints Python sets, in hash order)."""
    return "{" + ", ".join(repr(item) for item in sorted(items)) + "}"


# --------------------------------------------------------------------------- grammar

@dataclass(frozen=True)
class Grammar:
    name: str
    search_attributes: frozenset
    order_attributes: frozenset
    numeric_attributes: frozenset
    list_keys: frozenset


_RUN_ATTRIBUTES = frozenset(
    {"run_id", "run_name", "user_id", "status", "start_time", "end_time", "artifact_uri"})
RUNS = Grammar(
    name="runs",
    search_attributes=_RUN_ATTRIBUTES | {"created", "Created", "run name", "Run name", "Run Name"},
    order_attributes=_RUN_ATTRIBUTES | {"created", "Created"},
    numeric_attributes=frozenset({"start_time", "end_time", "created", "Created"}),
    list_keys=frozenset({"run_id"}),
)
_EXPERIMENT_ATTRIBUTES = frozenset({"name", "experiment_id", "creation_time", "last_update_time"})
EXPERIMENTS = Grammar(
    name="experiments",
    search_attributes=_EXPERIMENT_ATTRIBUTES,
    order_attributes=_EXPERIMENT_ATTRIBUTES,
    numeric_attributes=frozenset({"creation_time", "last_update_time"}),
    list_keys=frozenset({"experiment_id"}),
)

_ENTITY_NAMES = ["metric", "parameter", "tag", "attribute", "dataset"]
_ENTITY_ALIASES = {
    "metric": METRIC, "metrics": METRIC,
    "parameter": PARAM, "parameters": PARAM, "param": PARAM, "params": PARAM,
    "tag": TAG, "tags": TAG,
    "attribute": ATTRIBUTE, "attr": ATTRIBUTE, "attributes": ATTRIBUTE, "run": ATTRIBUTE,
    "dataset": DATASET, "datasets": DATASET,
}
_EXPERIMENT_ENTITY_TYPES = ("attribute", "tag", "tags")
DATASET_KEYS = frozenset({"name", "digest", "context"})

# canonical attribute names for MLflow's aliases
_ATTRIBUTE_ALIASES = {"created": "start_time", "Created": "start_time",
                      "run name": "run_name", "Run name": "run_name", "Run Name": "run_name"}

METRIC_COMPARATORS = frozenset({">", ">=", "!=", "=", "<", "<="})
PARAM_COMPARATORS = frozenset({"!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"})
TAG_COMPARATORS = PARAM_COMPARATORS
STRING_ATTRIBUTE_COMPARATORS = frozenset({"!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"})
NUMERIC_ATTRIBUTE_COMPARATORS = METRIC_COMPARATORS
DATASET_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS


def canonical_attribute(key: str) -> str:
    """``created`` → ``start_time``, ``Run name`` → ``run_name``; others unchanged."""
    return _ATTRIBUTE_ALIASES.get(key, key)


# --------------------------------------------------------------------------- operands

@dataclass
class _Operand:
    kind: str      # ident | int | float | sq | paren | null | operation | token
    text: str
    end: int       # index of the token after the operand


_KEYWORDS_NOT_NAMES = frozenset({"AND", "OR", "NOT", "IS", "NULL"})


def _skip_ws(tokens: list[Token], i: int) -> int:
    while i < len(tokens) and tokens[i].kind == "ws":
        i += 1
    return i


def _identifier(tokens: list[Token], i: int) -> _Operand | None:
    first = tokens[i]
    if first.kind == "name":
        if first.text.upper() in _KEYWORDS_NOT_NAMES:
            return None
    elif first.kind not in ("bquote", "dq"):
        return None
    parts = [first.text]
    j = i + 1
    while j < len(tokens) and tokens[j].kind == "dot":
        parts.append(".")
        j += 1
        if j < len(tokens) and tokens[j].kind in ("name", "bquote", "dq", "sq"):
            parts.append(tokens[j].text)
            j += 1
        else:
            break
    return _Operand("ident", "".join(parts), j)


def _paren(tokens: list[Token], i: int) -> _Operand | None:
    depth = 0
    for j in range(i, len(tokens)):
        kind = tokens[j].kind
        if kind == "lparen":
            depth += 1
        elif kind == "rparen":
            depth -= 1
            if depth == 0:
                return _Operand("paren", "".join(t.text for t in tokens[i:j + 1]), j + 1)
    return None


def _primary(tokens: list[Token], i: int) -> _Operand | None:
    token = tokens[i]
    kind = token.kind
    if kind in ("int", "float", "sq"):
        return _Operand(kind, token.text, i + 1)
    if kind == "lparen":
        return _paren(tokens, i)
    if kind == "name" and token.text.upper() == "NULL":
        return _Operand("null", token.text, i + 1)
    return _identifier(tokens, i)


def _operand(tokens: list[Token], i: int) -> _Operand | None:
    """A primary operand, or several joined by arithmetic operators (an operation)."""
    first = _primary(tokens, i)
    if first is None or first.kind == "null":
        return first
    end = first.end
    joined = False
    while True:
        j = _skip_ws(tokens, end)
        if j >= len(tokens) or tokens[j].kind != "arith":
            break
        k = _skip_ws(tokens, j + 1)
        if k >= len(tokens):
            break
        nxt = _primary(tokens, k)
        if nxt is None or nxt.kind == "null":
            break
        end, joined = nxt.end, True
    if not joined:
        return first
    return _Operand("operation", "".join(t.text for t in tokens[i:end]), end)


# --------------------------------------------------------------------------- statements

@dataclass
class _Clause:
    left: _Operand
    comparator: str
    right: _Operand | None


def _clause(tokens: list[Token], i: int) -> _Clause | None:
    left = _operand(tokens, i)
    if left is None:
        return None
    j = _skip_ws(tokens, left.end)
    if j >= len(tokens):
        return None
    op = tokens[j]
    if op.kind == "cmp":
        k = _skip_ws(tokens, j + 1)
        if k < len(tokens):
            right = _operand(tokens, k)
            if right is not None:
                return _Clause(left, op.text, right)
        return None
    if left.kind != "ident":
        return None
    k = _skip_ws(tokens, j + 1)
    if k >= len(tokens):
        return None
    upper = op.text.upper()
    nxt = tokens[k]
    if op.kind == "reserved" and upper == "IN" and nxt.kind == "lparen":
        right = _paren(tokens, k)
        if right is not None:
            return _Clause(left, op.text, right)
    elif op.kind == "name" and upper == "IS":
        if nxt.kind == "name" and nxt.text.upper() == "NULL":
            return _Clause(left, "IS NULL", _Operand("null", nxt.text, k + 1))
        if nxt.kind == "notnull" and nxt.text.upper() == "NOT NULL":
            return _Clause(left, "IS NOT NULL", _Operand("null", nxt.text, k + 1))
    elif op.kind == "name" and upper == "NOT" and nxt.kind == "reserved" \
            and nxt.text.upper() == "IN":
        m = _skip_ws(tokens, k + 1)
        if m < len(tokens) and tokens[m].kind == "lparen":
            right = _paren(tokens, m)
            if right is not None:
                return _Clause(left, "NOT IN", right)
    return None


def _clause_end(clause: _Clause) -> int:
    return clause.right.end


def _statement_clauses(text: str, grammar: Grammar) -> list[_Clause]:
    """Split a filter into comparison clauses; raise on anything else but AND."""
    tokens = tokenize(text)
    for index, token in enumerate(tokens):
        if token.kind == "semi" and any(t.kind != "ws" for t in tokens[index + 1:]):
            raise _invalid(f"Search filter contained multiple expression {text!r}. "
                           "Provide AND-ed expression list.")
    clauses: list[_Clause] = []
    invalid: list[str] = []
    i = _skip_ws(tokens, 0)
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "name" and token.text.upper() == "AND":
            i = _skip_ws(tokens, i + 1)
            continue
        clause = _clause(tokens, i)
        if clause is not None:
            clauses.append(clause)
            i = _skip_ws(tokens, _clause_end(clause))
            continue
        unit = _operand(tokens, i)
        if unit is not None:
            invalid.append(unit.text)
            i = _skip_ws(tokens, unit.end)
        else:
            invalid.append(token.text)
            i = _skip_ws(tokens, i + 1)
    if invalid:
        if grammar is RUNS:
            shown = ", ".join(f"'{text}'" for text in invalid)
        else:
            shown = ", ".join(invalid)
        raise _invalid(f"Invalid clause(s) in filter string: {shown}")
    return clauses


# --------------------------------------------------------------------------- identifiers

def _is_quoted(text: str, quote: str) -> bool:
    return len(text) >= 2 and text.startswith(quote) and text.endswith(quote)


def _trim_backticks(text: str) -> str:
    return text[1:-1] if _is_quoted(text, "`") else text


def _strip_quotes(text: str, expect_quoted: bool = False) -> str:
    if _is_quoted(text, "'") or _is_quoted(text, '"'):
        return text[1:-1]
    if expect_quoted:
        raise _invalid(
            "Parameter value is either not quoted or unidentified quote types used for "
            f"string value {text}. Use either single or double quotes.")
    return text


def _entity_kind(entity_type: str) -> str:
    entity_type = _trim_backticks(entity_type)
    kind = _ENTITY_ALIASES.get(entity_type)
    if kind is None:
        raise _invalid(f"Invalid entity type '{entity_type}'. Valid values are {_ENTITY_NAMES}")
    return kind


def parse_identifier(text: str, grammar: Grammar, attributes) -> tuple[str, str]:
    """``metrics.`my key``` → ``("metric", "my key")``; a bare name is an attribute."""
    head, dot, rest = text.partition(".")
    if not dot:
        kind, key = ATTRIBUTE, text
    else:
        if grammar is EXPERIMENTS and head not in _EXPERIMENT_ENTITY_TYPES:
            raise _invalid(f"Invalid entity type '{head}'. "
                           f"Valid entity types are {_EXPERIMENT_ENTITY_TYPES}")
        kind, key = _entity_kind(head), rest
    key = _trim_backticks(_strip_quotes(key))
    if kind == ATTRIBUTE and key not in attributes:
        raise _invalid(f"Invalid attribute key '{key}' specified. "
                       f"Valid keys are '{set_repr(attributes)}'")
    if kind == DATASET and key not in DATASET_KEYS:
        raise _invalid(f"Invalid dataset key '{key}' specified. "
                       f"Valid keys are '{set_repr(DATASET_KEYS)}'")
    return kind, key


# --------------------------------------------------------------------------- values

def _parse_list(text: str) -> tuple:
    try:
        parsed = _pyast.literal_eval(text)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        raise _invalid("While parsing a list in the query, expected a non-empty list of string "
                       "values, but got ill-formed list.") from None
    return string_list(parsed)


def string_list(parsed) -> tuple:
    """A parsed IN list as a tuple of strings, or MLflow's error for an empty list or
    one holding anything else."""
    values = parsed if isinstance(parsed, tuple) else (parsed,)
    if not values:
        raise _invalid("While parsing a list in the query, expected a non-empty list of string "
                       "values, but got empty list")
    if not all(isinstance(v, str) for v in values):
        raise _invalid("While parsing a list in the query, expected string value, punctuation, "
                       f"or whitespace, but got different type in list: {values}")
    return values


def _is_string_token(operand: _Operand) -> bool:
    return operand.kind in ("sq", "ident")


def _value(kind: str, key: str, operand: _Operand, grammar: Grammar):
    if kind == METRIC:
        if operand.kind not in ("int", "float"):
            raise _invalid(f"Expected numeric value type for metric. Found {operand.text}")
        return operand.text
    if kind in (PARAM, TAG):
        if _is_string_token(operand):
            return _strip_quotes(operand.text, expect_quoted=True)
        raise _invalid(f"Expected a quoted string value for {kind} (e.g. 'my-value'). "
                       f"Got value {operand.text}")
    if kind == ATTRIBUTE:
        if key in grammar.numeric_attributes:
            if operand.kind not in ("int", "float"):
                raise _invalid(f"Expected numeric value type for numeric attribute: {key}. "
                               f"Found {operand.text}")
            return int(operand.text) if operand.kind == "int" else float(operand.text)
        if _is_string_token(operand):
            return _strip_quotes(operand.text, expect_quoted=True)
        if operand.kind == "paren":
            if key not in grammar.list_keys:
                raise _invalid(f"Only {sorted(grammar.list_keys)} attributes support comparison "
                               "with a list of quoted string values.")
            return _parse_list(operand.text)
        raise _invalid(f"Expected a quoted string value for attributes. Got value {operand.text}")
    # dataset
    if _is_string_token(operand):
        return _strip_quotes(operand.text, expect_quoted=True)
    if operand.kind == "paren":
        return _parse_list(operand.text)
    raise _invalid("Expected a quoted string value for dataset attributes. "
                   f"Got value {operand.text}")


def _comparison(clause: _Clause, grammar: Grammar, source: str) -> Comparison:
    left = clause.left
    if left.kind != "ident":
        raise _invalid(f"Invalid comparison clause. Expected 'Identifier' found '{left.text}'")
    kind, key = parse_identifier(left.text, grammar, grammar.search_attributes)
    if clause.comparator in ("IS NULL", "IS NOT NULL"):
        if grammar is RUNS and kind not in (TAG, PARAM):
            raise _invalid("IS NULL / IS NOT NULL is only supported for tags and params, "
                           f"not for '{kind}' '{key}'")
        if grammar is EXPERIMENTS and kind != TAG:
            raise _invalid("IS NULL / IS NOT NULL is only supported for tags, "
                           f"not for attribute '{key}'")
        return Comparison(kind, key, clause.comparator, None, source)
    return Comparison(kind, key, clause.comparator, _value(kind, key, clause.right, grammar),
                      source)


def _parse_filter(filter_string, grammar: Grammar) -> tuple[Comparison, ...]:
    if not filter_string:
        return ()
    if not isinstance(filter_string, str):
        raise _invalid(f"Invalid filter '{filter_string}'. Could not be parsed.")
    clauses = _statement_clauses(filter_string, grammar)
    return tuple(_comparison(c, grammar, filter_string) for c in clauses)


def parse_run_filter(filter_string) -> tuple[Comparison, ...]:
    """Parse a search_runs filter (structure, identifiers and value types)."""
    return _parse_filter(filter_string, RUNS)


def parse_experiment_filter(filter_string) -> tuple[Comparison, ...]:
    """Parse a search_experiments filter (structure, identifiers and value types)."""
    return _parse_filter(filter_string, EXPERIMENTS)


# --------------------------------------------------------------------------- comparators

def _check(comparator: str, allowed, closing_quote: bool = True) -> None:
    if comparator not in allowed:
        quote = "'" if closing_quote else ""
        raise _invalid(f"Invalid comparator '{comparator}' not one of '{set_repr(allowed)}{quote}")


def check_run_comparators(filters) -> tuple[Comparison, ...]:
    """Check every comparator against its key's kind; return the comparisons with
    attribute aliases resolved (``created`` → ``start_time``) and comparators upper-cased."""
    checked = []
    for comp in filters:
        op = comp.op
        kind, key = comp.kind, comp.key
        if kind == ATTRIBUTE:
            key = canonical_attribute(key)
            if key in RUNS.numeric_attributes:
                # (MLflow names the string comparators in this message)
                if op not in NUMERIC_ATTRIBUTE_COMPARATORS:
                    raise _invalid(f"Invalid comparator '{op}' not one of "
                                   f"'{set_repr(STRING_ATTRIBUTE_COMPARATORS)}")
            else:
                _check(op, STRING_ATTRIBUTE_COMPARATORS)
        elif kind == METRIC:
            _check(op, METRIC_COMPARATORS, closing_quote=False)
        elif kind == PARAM:
            _check(op, PARAM_COMPARATORS)
        elif kind == TAG:
            _check(op, TAG_COMPARATORS, closing_quote=False)
        elif kind == DATASET:
            _check(op, DATASET_COMPARATORS, closing_quote=False)
        else:  # pragma: no cover - the parser never produces another kind
            raise _invalid(f"Invalid search expression type '{kind}'")
        _check_list_use(op, comp.value)
        checked.append(Comparison(kind, key, op, comp.value, comp.text))
    return tuple(checked)


def _check_list_use(op: str, value) -> None:
    if (op in ("IN", "NOT IN")) != isinstance(value, tuple):
        raise _invalid(f"Comparator '{op}' cannot be used with value {value!r}: IN and NOT IN "
                       "take a parenthesised list of quoted strings, other comparators one value.")


def parse_experiment_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid experiment ID '{value}'. Experiment ID must be a valid integer."
                       ) from None


def check_experiment_comparators(filters) -> tuple[Comparison, ...]:
    """search_experiments' comparator rules (comparators are matched as written)."""
    checked = []
    for comp in filters:
        comparator, key, value = comp.comparator, comp.key, comp.value
        if comp.kind == ATTRIBUTE:
            if key == "experiment_id":
                if comparator not in ("=", "!=", "IN", "NOT IN"):
                    raise _invalid(f"Invalid comparator for experiment_id: {comparator}")
                value = (tuple(parse_experiment_id(v) for v in value)
                         if isinstance(value, tuple) else parse_experiment_id(value))
            elif key in EXPERIMENTS.numeric_attributes:
                if comparator not in NUMERIC_ATTRIBUTE_COMPARATORS:
                    raise _invalid(f"Invalid comparator '{comparator}' not one of "
                                   f"'{set_repr(STRING_ATTRIBUTE_COMPARATORS)}")
                if isinstance(value, float):
                    raise _invalid(f"Invalid value for numeric attribute '{key}': {str(value)!r}")
                value = int(value)
            else:
                _check(comparator, STRING_ATTRIBUTE_COMPARATORS)
                if comparator not in ("=", "!=", "LIKE", "ILIKE"):
                    raise _invalid(f"Invalid comparator for string attribute: {comparator}")
        elif comp.kind == TAG:
            if comparator not in ("IS NULL", "IS NOT NULL", "=", "!=", "LIKE", "ILIKE"):
                raise _invalid(f"Invalid comparator for tag: {comparator}")
        else:  # pragma: no cover
            raise _invalid(f"Invalid token type: {comp.kind}")
        _check_list_use(comparator, value)
        checked.append(Comparison(comp.kind, key, comparator, value, comp.text))
    return tuple(checked)


# --------------------------------------------------------------------------- order_by

def _order_by_text(clause) -> tuple[str, bool]:
    """Validate one order_by clause's shape; return (identifier text, ascending)."""
    if not isinstance(clause, str):
        raise _invalid(f"Invalid order_by clause '{clause}'. Could not be parsed.")
    cannot = _invalid(f"Invalid order_by clause '{clause}'. Could not be parsed.")
    tokens = tokenize(clause)
    if not tokens:
        raise cannot
    ident = _identifier(tokens, 0)
    if ident is None:
        raise cannot
    rest = tokens[ident.end:]
    if rest and not (len(rest) == 2 and rest[0].kind == "ws" and rest[1].kind == "name"):
        raise cannot
    try:
        words = shlex.split(clause.replace("`", '"'))
    except ValueError:
        raise cannot from None
    if len(words) > 2:
        raise cannot
    if len(words) == 2:
        direction = words[1].lower()
        if direction not in ("asc", "desc"):
            raise _invalid(f"Invalid ordering key in order_by clause '{clause}'.")
        return words[0].strip(), direction == "asc"
    return clause.strip(), True


def parse_run_order_by(order_by) -> tuple[OrderKey, ...]:
    """Parse search_runs order_by clauses (aliases resolved); reject datasets and
    duplicates as MLflow does."""
    keys: list[OrderKey] = []
    seen = set()
    for clause in order_by or ():
        text, ascending = _order_by_text(clause)
        kind, key = parse_identifier(text, RUNS, RUNS.order_attributes)
        if kind == ATTRIBUTE:
            key = canonical_attribute(key)
        elif kind not in (METRIC, TAG, PARAM):
            raise _invalid(f"Invalid identifier type '{kind}'")
        if (kind, key) in seen:
            raise MlflowException(f"`order_by` contains duplicate fields: {order_by}",
                                  INTERNAL_ERROR)
        seen.add((kind, key))
        keys.append(OrderKey(kind, key, ascending, clause))
    return tuple(keys)


def parse_experiment_order_by(order_by) -> tuple[OrderKey, ...]:
    """Parse search_experiments order_by clauses (attributes only)."""
    keys = []
    for clause in order_by or ():
        text, ascending = _order_by_text(clause)
        kind, key = parse_identifier(text, EXPERIMENTS, EXPERIMENTS.order_attributes)
        if kind != ATTRIBUTE:
            raise _invalid(f"Invalid order_by entity: {kind}")
        keys.append(OrderKey(kind, key, ascending, clause))
    return tuple(keys)
