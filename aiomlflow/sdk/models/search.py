"""search_logged_models' filter string, datasets and order_by, parsed into the
:class:`~aiomlflow.model_searches.LoggedModelSearch` the transports execute.

The grammar is MLflow 3.17.2's for logged models: comparisons joined by AND, each
``identifier op value``.  An identifier ``<entity>.<key>`` (entity ``attributes``,
``metrics``, ``params`` or ``tags``; backticks around the key are dropped) or a bare
attribute name (``name``, ``creation_time``, ...).  Metrics and the two timestamp
columns take ``< <= > >= = !=`` and a number; everything else ``= != LIKE ILIKE IN
NOT IN`` and a quoted string or, for IN, a parenthesised list.  Errors carry MLflow's
messages.
"""

from __future__ import annotations

import ast

from ...exceptions import MlflowException
from ...model_searches import (
    ALIASES, ATTRIBUTES, METRICS, MODEL_COLUMNS, NUMERIC_COLUMNS, PARAMS, TAGS,
    LoggedModelSearch, ModelComparison, ModelOrder,
)
from ..search.lexer import Token, tokenize

_ENTITIES = (ATTRIBUTES, METRICS, PARAMS, TAGS)
_NUMERIC_OPS = ("<", "<=", ">", ">=", "=", "!=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_IDENTIFIER_KINDS = ("name", "bquote", "dot", "reserved")
_VALUE_KINDS = ("sq", "dq", "int", "float", "hex", "name")


def _invalid(message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(message)


def _not_comparisons(filter_string: str) -> MlflowException:
    return _invalid(f"Invalid filter string: {filter_string!r}. Expected a list of comparisons "
                    "separated by 'AND' (e.g. 'metrics.loss > 0.1 AND params.lr = 0.01').")


def _entity(identifier: str) -> tuple[str, str]:
    """(entity, key) of an identifier: ``<lower-case word>.<key>`` or an attribute."""
    head, dot, rest = identifier.partition(".")
    if dot and rest and head.isalpha() and head.isascii() and head.islower():
        if head not in _ENTITIES:
            raise _invalid(f"Invalid entity type: {head!r}. Expected one of "
                           f"{list(_ENTITIES)}.")
        key = rest.strip("`")
        if head == ATTRIBUTES:
            key = ALIASES.get(key, key)
        return head, key
    return ATTRIBUTES, ALIASES.get(identifier, identifier).strip("`")


def _is_numeric(entity: str, key: str) -> bool:
    return entity == METRICS or (entity == ATTRIBUTES and key in NUMERIC_COLUMNS)


def _group(tokens: list[Token], start: int) -> int:
    """Index just past the parenthesis group opening at ``start`` (-1 if unclosed)."""
    depth = 0
    for index in range(start, len(tokens)):
        kind = tokens[index].kind
        if kind == "lparen":
            depth += 1
        elif kind == "rparen":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


def _comparison(clause: list[Token], source: str, filter_string: str) -> ModelComparison:
    i, n = 0, len(clause)
    while i < n and clause[i].kind in _IDENTIFIER_KINDS and not (
            clause[i].kind == "reserved" and (i == 0 or clause[i - 1].kind != "dot")):
        i += 1
    identifier = "".join(t.text for t in clause[:i])
    if not identifier or identifier.endswith(".") or identifier.startswith("."):
        raise _not_comparisons(filter_string)
    while i < n and clause[i].kind == "ws":
        i += 1
    if i >= n:
        raise _not_comparisons(filter_string)
    token = clause[i]
    if token.kind == "cmp":
        op = " ".join(token.text.upper().split())
        i += 1
    elif token.kind == "reserved" and token.text.upper() == "IN":
        op = "IN"
        i += 1
    elif token.kind == "name" and token.text.upper() == "NOT":
        j = i + 1
        while j < n and clause[j].kind == "ws":
            j += 1
        if j < n and clause[j].kind == "reserved" and clause[j].text.upper() == "IN":
            op, i = "NOT IN", j + 1
        else:
            raise _not_comparisons(filter_string)
    else:
        raise _not_comparisons(filter_string)
    while i < n and clause[i].kind == "ws":
        i += 1
    if i >= n:
        raise _not_comparisons(filter_string)
    if clause[i].kind == "lparen":
        end = _group(clause, i)
        if end < 0:
            raise _not_comparisons(filter_string)
        value_text = source[clause[i].pos:clause[end - 1].pos + 1]
    elif clause[i].kind in _VALUE_KINDS:
        end = i + 1
        value_text = clause[i].text
    else:
        raise _not_comparisons(filter_string)
    if any(t.kind != "ws" for t in clause[end:]):
        raise _not_comparisons(filter_string)
    is_list = value_text.startswith("(")
    if (op in ("IN", "NOT IN")) != is_list:
        # MLflow's tokenizer makes an IN clause only of a parenthesised list, and reads
        # no other comparison with one
        raise _not_comparisons(filter_string)
    entity, key = _entity(identifier)
    numeric = _is_numeric(entity, key)
    ops = _NUMERIC_OPS if numeric else _STRING_OPS
    if op not in ops:
        raise _invalid(f"Invalid comparison operator for {entity}.{key}: {op!r}. "
                       f"Expected one of {ops}.")
    if entity == ATTRIBUTES and key not in MODEL_COLUMNS:
        raise _invalid(f"Invalid attribute key {key!r} in filter string {filter_string!r}: "
                       f"a logged model's attributes are {list(MODEL_COLUMNS)}.")
    if numeric:
        try:
            value = float(value_text)
        except ValueError:
            raise _invalid(f"Invalid numeric value {value_text!r} for {entity}.{key} in "
                           f"filter string {filter_string!r}.") from None
    elif is_list:
        try:
            value = ast.literal_eval(value_text)
        except (ValueError, SyntaxError):
            raise _invalid(f"Invalid value list {value_text} in filter string "
                           f"{filter_string!r}.") from None
        value = (value,) if not isinstance(value, tuple) else value
    else:
        value = value_text.strip("'")
    return ModelComparison(entity, key, op, value)


def parse_filter(filter_string: str | None) -> tuple[ModelComparison, ...]:
    """The comparisons of a logged-model filter string (none for None or "")."""
    if not filter_string:
        return ()
    if not isinstance(filter_string, str):
        raise _invalid(f"Invalid filter string: {filter_string!r}. Expected a string.")
    tokens = tokenize(filter_string)
    if any(t.kind == "semi" for t in tokens):
        raise _invalid(f"Invalid filter string: {filter_string!r}. Expected a single SQL "
                       "expression.")
    clauses: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "lparen":
            depth += 1
        elif token.kind == "rparen":
            depth -= 1
        if depth == 0 and token.kind == "name" and token.text.upper() == "AND":
            clauses.append([])
            continue
        clauses[-1].append(token)
    out = []
    for clause in clauses:
        if all(t.kind == "ws" for t in clause):  # "AND" on its own separates nothing
            continue
        while clause and clause[0].kind == "ws":
            clause = clause[1:]
        out.append(_comparison(clause, filter_string, filter_string))
    return tuple(out)


def _dataset_filters(datasets) -> tuple[dict, ...] | None:
    if not datasets:
        return None
    checked = []
    for dataset in datasets:
        if not isinstance(dataset, dict) or not dataset.get("dataset_name"):
            raise MlflowException("`dataset_name` in the `datasets` clause must be specified.",
                                  "INVALID_PARAMETER_VALUE")
        checked.append(dict(dataset))
    return tuple(checked)


def parse_order_by(order_by) -> tuple[ModelOrder, ...]:
    """The order of a logged-model search: each entry a dict with ``field_name`` (a
    column, or ``metrics.<key>``), ``ascending`` (default True) and, for metrics,
    ``dataset_name`` / ``dataset_digest``."""
    orders = []
    for entry in order_by or ():
        if not isinstance(entry, dict):
            raise _invalid(f"Invalid order_by entry {entry!r}: expected a dict with "
                           "'field_name' and optionally 'ascending', 'dataset_name' and "
                           "'dataset_digest'.")
        field_name = entry.get("field_name")
        if not isinstance(field_name, str) or not field_name:
            raise _invalid("`field_name` in the `order_by` clause must be specified.")
        ascending = entry.get("ascending", True)
        if "." not in field_name:
            column = ALIASES.get(field_name, field_name)
            if column not in MODEL_COLUMNS:
                raise _invalid(f"Invalid order by field name: {field_name}")
            orders.append(ModelOrder(column, bool(ascending)))
            continue
        entity, name = field_name.split(".", 1)
        if entity != METRICS:
            raise _invalid(f"Invalid order by field name: {field_name}. Only metrics are "
                           "supported.")
        orders.append(ModelOrder(name, bool(ascending), True, entry.get("dataset_name") or None,
                                 entry.get("dataset_digest") or None))
    return tuple(orders)


def logged_model_search(experiment_ids, filter_string=None, datasets=None, max_results=None,
                        order_by=None, page_token=None) -> LoggedModelSearch:
    """A validated request for one page of MlflowClient.search_logged_models."""
    if not isinstance(experiment_ids, list) or not all(
            isinstance(e, str) for e in experiment_ids):
        raise _invalid(f"experiment_ids must be a list of strings, got {type(experiment_ids)}")
    for experiment_id in experiment_ids:
        try:
            int(experiment_id)
        except ValueError:
            raise _invalid(f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a "
                           "valid integer.") from None
    datasets = _dataset_filters(datasets)
    comparisons = parse_filter(filter_string)
    orders = parse_order_by(order_by)
    if max_results is not None and (isinstance(max_results, bool)
                                    or not isinstance(max_results, int)):
        raise _invalid(f"Invalid value for max_results: {max_results!r}. It must be an "
                       "integer.")
    return LoggedModelSearch(
        experiment_ids=tuple(experiment_ids), filter_string=filter_string or None,
        comparisons=comparisons, datasets=datasets, max_results=max_results or None,
        order_by=None if not order_by else tuple(dict(o) for o in order_by), orders=orders,
        page_token=page_token or None)
