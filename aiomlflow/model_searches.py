"""The search_logged_models contract between the SDK and the transports.

MLflow searches logged models with a grammar of its own (not the run-search one): AND-ed
``<entity>.<key> <op> <value>`` comparisons over attributes (the ``logged_models``
columns, the default entity), ``metrics.`` (any logged value of the metric), ``params.``
and ``tags.``; order_by is a list of dicts (``field_name``, ``ascending``,
``dataset_name``, ``dataset_digest``) naming a column or a metric; ``datasets`` scopes
metric filters.  The SDK parses these into a :class:`LoggedModelSearch` (sdk/models/
search.py); the SQLite transport translates the parsed form, a REST transport sends the
request as written.  Page tokens are MLflow's: base64 JSON of the request's experiment
ids, filter, order_by and the offset, checked against the request they continue.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from .exceptions import MlflowException

ATTRIBUTES = "attributes"
METRICS = "metrics"
PARAMS = "params"
TAGS = "tags"

# logged_models columns a filter or order_by may name, and their aliases (MLflow's)
MODEL_COLUMNS = ("model_id", "experiment_id", "name", "artifact_location",
                 "creation_timestamp_ms", "last_updated_timestamp_ms", "status",
                 "lifecycle_stage", "model_type", "source_run_id", "status_message")
ALIASES = {"creation_time": "creation_timestamp_ms",
           "creation_timestamp": "creation_timestamp_ms",
           "last_updated_timestamp": "last_updated_timestamp_ms"}
NUMERIC_COLUMNS = frozenset(("creation_timestamp_ms", "last_updated_timestamp_ms"))
# search_logged_models' page size when max_results is not given (MLflow's store default)
SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT = 100


@dataclass(frozen=True)
class ModelComparison:
    """One clause: ``kind`` (ATTRIBUTES, METRICS, PARAMS, TAGS), ``key`` (for
    attributes the ``logged_models`` column), the upper-cased ``op`` and the typed
    ``value`` (float for metrics and numeric columns, str, or a tuple for IN lists)."""

    kind: str
    key: str
    op: str
    value: Any


@dataclass(frozen=True)
class ModelOrder:
    """One order_by entry: a ``logged_models`` column, or (``metric=True``) the latest
    value of metric ``key``, optionally only its values on a dataset."""

    key: str
    ascending: bool
    metric: bool = False
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True)
class LoggedModelSearch:
    """A validated search_logged_models request for one page.

    ``filter_string``, ``datasets`` and ``order_by`` are as the caller gave them (what a
    server receives); ``comparisons`` and ``orders`` are their parsed form."""

    experiment_ids: tuple[str, ...]
    filter_string: str | None
    comparisons: tuple[ModelComparison, ...]
    datasets: tuple[dict, ...] | None
    max_results: int | None
    order_by: tuple[dict, ...] | None
    orders: tuple[ModelOrder, ...]
    page_token: str | None = None

    @property
    def page_size(self) -> int:
        """Models per page: max_results, or MLflow's default of 100."""
        return self.max_results or SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT


# ------------------------------------------------------------------ page tokens
def _invalid(message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(message)


def encode_page_token(query: LoggedModelSearch, offset: int) -> str:
    """The token of the page that starts at ``offset`` (as MLflow's store encodes it)."""
    payload = {"experiment_ids": list(query.experiment_ids),
               "filter_string": query.filter_string,
               "order_by": None if query.order_by is None else list(query.order_by),
               "offset": offset}
    return base64.b64encode(json.dumps(payload).encode("utf-8")).decode("utf-8")


def page_offset(query: LoggedModelSearch) -> int:
    """The offset ``query.page_token`` continues at (0 without one); the token must come
    from a search with the same experiment ids, filter and order_by."""
    token = query.page_token
    if not token:
        return 0
    try:
        decoded = json.loads(base64.b64decode(token.encode("utf-8")).decode("utf-8"))
    except (ValueError, binascii.Error, UnicodeDecodeError, AttributeError) as exc:
        raise _invalid(f"Invalid page token: {token}. {exc}") from None
    if not isinstance(decoded, dict):
        raise _invalid(f"Invalid page token: {token}.")
    expected = list(query.experiment_ids)
    found = decoded.get("experiment_ids")
    if found != expected:
        raise _invalid("Experiment IDs in the page token do not match the requested experiment "
                       f"IDs. Expected: {expected}. Found: {found}")
    found = decoded.get("filter_string") or None
    if found != query.filter_string:
        raise _invalid("Filter string in the page token does not match the requested filter "
                       f"string. Expected: {query.filter_string}. Found: {found}")
    found = decoded.get("order_by") or None
    expected_order = None if query.order_by is None else list(query.order_by)
    if found != expected_order:
        raise _invalid("Order by in the page token does not match the requested order by. "
                       f"Expected: {expected_order}. Found: {found}")
    try:
        return int(decoded.get("offset") or 0)
    except (TypeError, ValueError):
        raise _invalid(f"Invalid page token: {token}.") from None
