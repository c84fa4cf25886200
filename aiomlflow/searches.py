"""The search contract between the SDK and the transports: the AST every transport
translates, the search requests it executes, and MLflow's page tokens.

A parsed filter is a tuple of :class:`Comparison` (all AND-ed); a parsed order_by list
is a tuple of :class:`OrderKey`.  Both keep their source text, so a transport that
passes strings through (REST) has them too.  The parser that builds them lives in
``sdk/search``.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from .exceptions import MlflowException

# entity kinds, named as MLflow names them in its parsed form
METRIC = "metric"
PARAM = "parameter"
TAG = "tag"
ATTRIBUTE = "attribute"
DATASET = "dataset"


@dataclass(frozen=True)
class Comparison:
    """One ``<kind>.<key> <comparator> <value>`` clause.

    ``comparator`` is as written (``like``, ``NOT IN``, ``IS NULL``); ``op`` is the same
    upper-cased.  ``value`` is typed: the metric value's text (converted with float at
    translation time, as MLflow does), ``int``/``float`` for numeric attributes, ``str``
    for strings, a tuple of str for IN lists, None for IS [NOT] NULL.
    """

    kind: str
    key: str
    comparator: str
    value: Any
    text: str = ""

    @property
    def op(self) -> str:
        return self.comparator.upper()

    def as_dict(self) -> dict:
        """MLflow's parsed form: ``{"type", "key", "comparator", "value"}``."""
        return {"type": self.kind, "key": self.key, "comparator": self.comparator,
                "value": self.value}


@dataclass(frozen=True)
class OrderKey:
    """One order_by clause: ``<kind>.<key> [ASC|DESC]``."""

    kind: str
    key: str
    ascending: bool
    text: str = ""

    def as_tuple(self) -> tuple[str, str, bool]:
        """MLflow's parsed form: ``(type, key, ascending)``."""
        return (self.kind, self.key, self.ascending)


@dataclass(frozen=True, kw_only=True)
class SearchRequest:
    """What every validated search request holds.

    ``max_results`` None means no limit.  ``raw_filter`` / ``raw_order_by`` are what the
    caller passed (for transports that send strings).
    """

    stages: tuple[str, ...]
    filters: tuple[Comparison, ...]
    order_by: tuple[OrderKey, ...]
    max_results: int | None
    offset: int
    view_type: int
    raw_filter: str
    raw_order_by: tuple[str, ...]
    page_token: Any = None


@dataclass(frozen=True, kw_only=True)
class RunSearch(SearchRequest):
    """A validated search_runs request, ready for a transport."""

    experiment_ids: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ExperimentSearch(SearchRequest):
    """A validated search_experiments request, ready for a transport."""


@dataclass(frozen=True, kw_only=True)
class TraceSearch:
    """A validated search_traces request (one page), ready for a transport.

    ``filter_string`` and ``order_by`` are passed as written: the SQLite transport parses
    them with MLflow's trace-search grammar, a server parses them itself.
    """

    experiment_ids: tuple[str, ...]
    filter_string: str | None
    max_results: int
    order_by: tuple[str, ...]
    page_token: str | None = None


# ------------------------------------------------------------------ page tokens
def create_page_token(offset: int) -> bytes:
    """The page token MLflow's SQL store returns (bytes)."""
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8"))


def parse_page_token(page_token) -> int:
    """The offset in a page token (base64 of ``{"offset": N}``); 0 for no token."""
    invalid = MlflowException.invalid_parameter_value
    if not page_token:
        return 0
    try:
        decoded = base64.b64decode(page_token)
    except (TypeError, ValueError, binascii.Error):
        raise invalid("Invalid page token, could not base64-decode") from None
    try:
        parsed = json.loads(decoded)
    except ValueError:
        raise invalid(f"Invalid page token, decoded value={decoded}") from None
    offset = parsed.get("offset") if isinstance(parsed, dict) else None
    if not offset:
        raise invalid(f"Invalid page token, parsed value={parsed}")
    try:
        return int(offset)
    except (TypeError, ValueError):
        raise invalid(f"Invalid page token, not stringable {offset}") from None
