"""Filter strings and order_by of search_registered_models and search_model_versions.

The statement grammar (AND-ed comparisons) is the one search_runs uses; identifiers,
values, comparators and messages are MLflow 3.17.2's registry rules: registered models
filter on ``name`` and ``tags.<key>``; model versions on ``name``, ``run_id``,
``source_path``, ``version_number`` and ``tags.<key>``; LIKE / ILIKE everywhere, IN /
NOT IN on ``name`` (and ``run_id`` for versions), numbers on ``version_number`` and the
timestamps.
"""

from __future__ import annotations


from ...exceptions import INTERNAL_ERROR, MlflowException
from ...registry_searches import MODEL_VERSIONS, REGISTERED_MODELS, RegistrySearch
from ...searches import ATTRIBUTE, TAG, Comparison, parse_page_token
from . import parser
from .parser import set_repr

IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"

_ENTITY_TYPES = ("attribute", "tag", "tags")
_MODEL_ATTRIBUTES = frozenset({"name"})
_MODEL_LIST_KEYS = frozenset({"name"})
_MODEL_NUMERIC = frozenset({"creation_timestamp", "last_updated_timestamp"})
_VERSION_ATTRIBUTES = frozenset({"name", "version_number", "run_id", "source_path"})
_VERSION_LIST_KEYS = frozenset({"name", "run_id"})
_VERSION_NUMERIC = frozenset({"version_number", "creation_timestamp", "last_updated_timestamp"})
_VERSION_ORDER_KEYS = frozenset(
    {"name", "version_number", "creation_timestamp", "last_updated_timestamp"})
_MODEL_ORDER_KEYS = frozenset({"name", "timestamp", "last_updated_timestamp"})
_MODEL_ORDER_RECOMMENDED = frozenset({"name", "timestamp"})

_STRING_COMPARATORS = ("=", "!=", "LIKE", "ILIKE", "IN", "NOT IN")
_TAG_COMPARATORS = ("=", "!=", "LIKE", "ILIKE")
_NUMERIC_COMPARATORS = (">", ">=", "!=", "=", "<", "<=")

# MLflow's limits (mlflow.store.model_registry)
MODELS_MAX_RESULTS_DEFAULT = 100
MODELS_MAX_RESULTS_THRESHOLD = 1000
VERSIONS_MAX_RESULTS_DEFAULT = 10_000
VERSIONS_MAX_RESULTS_THRESHOLD = 200_000
DEFAULT_VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")


def _invalid(message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(message)


def _identifier(text: str, attributes) -> tuple[str, str]:
    head, dot, rest = text.partition(".")
    if not dot:
        kind, key = ATTRIBUTE, text
    else:
        if head not in _ENTITY_TYPES:
            raise _invalid(f"Invalid entity type '{head}'. Valid entity types are {_ENTITY_TYPES}")
        kind, key = (TAG if head in ("tag", "tags") else ATTRIBUTE), rest
    if kind == ATTRIBUTE and key not in attributes:
        raise _invalid(f"Invalid attribute key '{key}' specified. "
                       f"Valid keys are '{set_repr(attributes)}'")
    return kind, parser._trim_backticks(parser._strip_quotes(key))


def _value(kind: str, key: str, operand, numeric, list_keys):
    text = operand.text
    if kind == TAG:
        if operand.kind in ("sq", "ident"):
            return parser._strip_quotes(text, expect_quoted=True)
        raise _invalid(f"Expected a quoted string value for tag (e.g. 'my-value'). Got value {text}")
    if operand.kind in ("sq", "ident"):
        return parser._strip_quotes(text, expect_quoted=True)
    if operand.kind == "paren":
        if key not in list_keys:
            raise _invalid(f"Only {sorted(list_keys)} attributes support comparison with a list "
                           "of quoted string values.")
        return parser._parse_list(text)
    if operand.kind in ("int", "float") and numeric is _VERSION_NUMERIC:
        if key not in numeric:
            raise _invalid(f"Only the '{set_repr(numeric)}' attributes support comparison with "
                           "numeric values.")
        return int(text) if operand.kind == "int" else float(text)
    raise _invalid("Expected a quoted string value or a list of quoted string values for "
                   f"attributes. Got value {text}")


def _comparisons(filter_string, attributes, numeric, list_keys) -> list[Comparison]:
    if not filter_string:
        return []
    if not isinstance(filter_string, str):
        raise _invalid(f"Invalid filter '{filter_string}'. Could not be parsed.")
    out = []
    for clause in parser._statement_clauses(filter_string, parser.EXPERIMENTS):
        if clause.comparator in ("IS NULL", "IS NOT NULL"):
            raise _invalid("Invalid clause(s) in filter string: "
                           f"{clause.left.text} IS {clause.right.text}")
        if clause.left.kind != "ident":
            raise _invalid(f"Invalid comparison clause. Expected 'Identifier' found "
                           f"'{clause.left.text}'")
        kind, key = _identifier(clause.left.text, attributes)
        value = _value(kind, key, clause.right, numeric, list_keys)
        out.append(Comparison(kind, key, clause.comparator.upper(), value, filter_string))
    return out


def _check_tag(comp: Comparison) -> None:
    if comp.op not in _TAG_COMPARATORS:
        raise _invalid(f"Invalid comparator for tag: {comp.op}")


def _asks_for_prompts(filters) -> bool:
    for comp in filters:
        if comp.kind == TAG and comp.key == IS_PROMPT_TAG_KEY:
            value = str(comp.value).lower()
            return (comp.op == "=" and value == "true") or (comp.op == "!=" and value == "false")
    return False


def _order_text(clause) -> tuple[str, bool]:
    """One order_by clause's (identifier, ascending), with MLflow's shape errors."""
    text, ascending = parser._order_by_text(clause)
    return text.strip(), ascending


def _duplicate(order_by) -> MlflowException:
    return MlflowException(f"`order_by` contains duplicate fields: {order_by}", INTERNAL_ERROR)


def _max_results(max_results, threshold: int, positive_check: bool) -> int:
    if positive_check and (not isinstance(max_results, int) or max_results < 1):
        raise _invalid("Invalid value for max_results. It must be a positive integer,"
                       f" but got {max_results}")
    if max_results > threshold:
        raise _invalid("Invalid value for request parameter max_results. It must be at most "
                       f"{threshold}, but got value {max_results}")
    return max_results


def _as_list(order_by) -> tuple:
    if order_by is None:
        return ()
    return (order_by,) if isinstance(order_by, str) else tuple(order_by)


def registered_model_search(filter_string=None, max_results=MODELS_MAX_RESULTS_DEFAULT,
                            order_by=None, page_token=None) -> RegistrySearch:
    """A validated search_registered_models request (MLflow's checks, in its order)."""
    _max_results(max_results, MODELS_MAX_RESULTS_THRESHOLD, positive_check=False)
    filters = _comparisons(filter_string, _MODEL_ATTRIBUTES, _MODEL_NUMERIC, _MODEL_LIST_KEYS)
    for comp in filters:
        if comp.kind == TAG:
            _check_tag(comp)
        elif comp.op not in _STRING_COMPARATORS:
            raise MlflowException(f"Invalid comparator for attribute: {comp.op}",
                                  "INVALID_PARAMETER_VALUE")
    raw_order = _as_list(order_by)
    keys: list[tuple[str, bool]] = []
    for clause in raw_order:
        text, ascending = _order_text(clause)
        if text not in _MODEL_ORDER_KEYS:
            raise _invalid(f"Invalid order by key '{text}' specified. Valid keys are "
                           f"'{set_repr(_MODEL_ORDER_RECOMMENDED)}'")
        column = "name" if text == "name" else "last_updated_timestamp"
        if any(column == key for key, _ in keys):
            raise _duplicate(order_by)
        keys.append((column, ascending))
    if not any(key == "name" for key, _ in keys):
        keys.append(("name", True))
    return RegistrySearch(REGISTERED_MODELS, tuple(filters), tuple(keys), max_results,
                          parse_page_token(page_token), filter_string, raw_order, page_token,
                          _asks_for_prompts(filters))


def model_version_search(filter_string=None, max_results=VERSIONS_MAX_RESULTS_DEFAULT,
                         order_by=None, page_token=None) -> RegistrySearch:
    """A validated search_model_versions request (MLflow's checks, in its order)."""
    _max_results(max_results, VERSIONS_MAX_RESULTS_THRESHOLD, positive_check=True)
    parsed = _comparisons(filter_string, _VERSION_ATTRIBUTES, _VERSION_NUMERIC,
                          _VERSION_LIST_KEYS)
    filters = []
    for comp in parsed:
        if comp.kind == TAG:
            _check_tag(comp)
        elif comp.key in _VERSION_NUMERIC:
            if comp.op not in _NUMERIC_COMPARATORS:
                raise _invalid(f"Invalid comparator for attribute {comp.key}: {comp.op}")
            value = comp.value
            if isinstance(value, float):
                raise _invalid(f"Invalid value for numeric attribute '{comp.key}': {value!r}")
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise _invalid(
                    f"Invalid value for numeric attribute '{comp.key}': {value!r}") from None
            comp = Comparison(comp.kind, comp.key, comp.op, value, comp.text)
        elif comp.op not in _STRING_COMPARATORS or (
                comp.op in ("IN", "NOT IN") and comp.key not in ("run_id", "name")):
            raise _invalid(f"Invalid comparator for attribute: {comp.op}")
        if (comp.op in ("IN", "NOT IN")) != isinstance(comp.value, tuple):
            raise _invalid(f"Comparator '{comp.op}' cannot be used with value {comp.value!r}: "
                           "IN and NOT IN take a parenthesised list of quoted strings.")
        filters.append(comp)
    raw_order = _as_list(order_by)
    keys = _version_order_keys(raw_order, order_by) if raw_order else _default_version_keys()
    return RegistrySearch(MODEL_VERSIONS, tuple(filters), keys, max_results,
                          parse_page_token(page_token), filter_string, raw_order, page_token,
                          _asks_for_prompts(filters))


_DEFAULT_VERSION_KEYS: tuple | None = None


def _default_version_keys() -> tuple:
    """The parsed DEFAULT_VERSION_ORDER (parsed once: it never changes)."""
    global _DEFAULT_VERSION_KEYS
    if _DEFAULT_VERSION_KEYS is None:
        _DEFAULT_VERSION_KEYS = _version_order_keys(DEFAULT_VERSION_ORDER, None)
    return _DEFAULT_VERSION_KEYS


def _version_order_keys(clauses, order_by) -> tuple:
    """``(key, ascending)`` of model-version order_by clauses, tie-breakers appended."""
    keys: list[tuple[str, bool]] = []
    for clause in clauses:
        text, ascending = _order_text(clause)
        kind, key = _identifier(text, _VERSION_ORDER_KEYS)
        if kind != ATTRIBUTE or key not in _VERSION_ORDER_KEYS:
            raise _invalid(f"Invalid order by key '{key}' specified. Valid keys are "
                           f"{set_repr(_VERSION_ORDER_KEYS)}")
        if any(key == seen for seen, _ in keys):
            raise _duplicate(order_by)
        keys.append((key, ascending))
    if not any(key == "name" for key, _ in keys):
        keys.append(("name", True))
    if not any(key == "version_number" for key, _ in keys):
        keys.append(("version_number", False))
    return tuple(keys)
