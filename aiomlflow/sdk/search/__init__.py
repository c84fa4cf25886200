"""Search: filter-string and order_by parsing into one AST all transports share.

``parser`` turns MLflow's filter strings and order_by clauses into the AST nodes of
:mod:`aiomlflow.searches` (the contract with the transports);
``query`` validates whole search requests (limits, page tokens) into the
:class:`RunSearch` / :class:`ExperimentSearch` a transport executes; ``frame`` builds
search_runs' DataFrame.
"""

from ...searches import (
    ATTRIBUTE, DATASET, METRIC, PARAM, TAG, Comparison, ExperimentSearch, OrderKey, RunSearch,
    create_page_token, parse_page_token,
)
from .parser import (
    check_experiment_comparators, check_run_comparators, parse_experiment_filter,
    parse_experiment_order_by, parse_run_filter, parse_run_order_by,
)
from .query import (
    SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_PANDAS, SEARCH_MAX_RESULTS_THRESHOLD,
    PagedList, experiment_search, run_search,
)

__all__ = [
    "ATTRIBUTE", "DATASET", "METRIC", "PARAM", "TAG", "Comparison", "ExperimentSearch",
    "OrderKey", "PagedList", "RunSearch", "SEARCH_MAX_RESULTS_DEFAULT",
    "SEARCH_MAX_RESULTS_PANDAS", "SEARCH_MAX_RESULTS_THRESHOLD", "check_experiment_comparators",
    "check_run_comparators", "create_page_token", "experiment_search", "parse_experiment_filter",
    "parse_experiment_order_by", "parse_page_token", "parse_run_filter", "parse_run_order_by",
    "run_search",
]
