"""The search AST every transport translates: comparisons and order_by keys.

A parsed filter is a tuple of :class:`Comparison` (all AND-ed); a parsed order_by list
is a tuple of :class:`OrderKey`.  Both keep their source text, so a transport that
passes strings through (REST) has them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True)
class RunSearch:
    """A validated search_runs request, ready for a transport.

    ``max_results`` None means no limit.  ``raw_filter`` / ``raw_order_by`` are what the
    caller passed (for transports that send strings).
    """

    experiment_ids: tuple[int, ...]
    stages: tuple[str, ...]
    filters: tuple[Comparison, ...]
    order_by: tuple[OrderKey, ...]
    max_results: int | None
    offset: int
    view_type: int
    raw_filter: str
    raw_order_by: tuple[str, ...]
    page_token: Any = None


@dataclass(frozen=True)
class ExperimentSearch:
    """A validated search_experiments request, ready for a transport."""

    stages: tuple[str, ...]
    filters: tuple[Comparison, ...]
    order_by: tuple[OrderKey, ...]
    max_results: int | None
    offset: int
    view_type: int
    raw_filter: str
    raw_order_by: tuple[str, ...]
    page_token: Any = None
