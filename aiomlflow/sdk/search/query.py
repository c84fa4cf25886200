"""Validated search requests and PagedList.

``run_search`` / ``experiment_search`` check every argument in the order MLflow's
SQL store does, so the first error a bad call reports is MLflow's; transports receive
a :class:`RunSearch` / :class:`ExperimentSearch` they can translate without checking.
"""

from __future__ import annotations

from ...entities import ViewType
from ...exceptions import MlflowException
from ...searches import ExperimentSearch, OrderKey, RunSearch, parse_page_token
from . import parser

# MLflow's limits (mlflow.store.tracking)
SEARCH_MAX_RESULTS_DEFAULT = 1000
SEARCH_MAX_RESULTS_THRESHOLD = 50000
# the fluent search_runs default
SEARCH_MAX_RESULTS_PANDAS = 100000

DEFAULT_EXPERIMENT_ORDER = ("last_update_time DESC",)


class PagedList(list):
    """A list of results plus ``token``: pass it as ``page_token`` for the next page
    (None on the last page)."""

    def __init__(self, items, token):
        super().__init__(items)
        self.token = token

    def to_list(self) -> list:
        return list(self)


def _invalid(message: str) -> MlflowException:
    return MlflowException.invalid_parameter_value(message)


def validate_max_results(max_results, allow_null: bool = False) -> None:
    """MLflow's bounds: a positive integer, at most 50,000 (None only where allowed)."""
    if (not allow_null and max_results is None) or (
            max_results is not None and max_results < 1):
        raise _invalid(f"Invalid value {max_results} for parameter 'max_results' supplied. "
                       "It must be a positive integer")
    if max_results is not None and max_results > SEARCH_MAX_RESULTS_THRESHOLD:
        raise _invalid(f"Invalid value {max_results} for parameter 'max_results' supplied. "
                       f"It must be at most {SEARCH_MAX_RESULTS_THRESHOLD}")


def view_type_stages(view_type) -> tuple[str, ...]:
    stages = []
    if view_type in (ViewType.ACTIVE_ONLY, ViewType.ALL):
        stages.append("active")
    if view_type in (ViewType.DELETED_ONLY, ViewType.ALL):
        stages.append("deleted")
    return tuple(stages)


def _as_list(order_by) -> tuple:
    if order_by is None:
        return ()
    if isinstance(order_by, str):
        return (order_by,)
    return tuple(order_by)


def run_search(experiment_ids, filter_string="", run_view_type=ViewType.ACTIVE_ONLY,
               max_results=SEARCH_MAX_RESULTS_DEFAULT, order_by=None, page_token=None,
               check_max_results: bool = True) -> RunSearch:
    """Validate search_runs arguments (MLflow's order of checks) into a RunSearch."""
    if check_max_results:
        validate_max_results(max_results, allow_null=True)
    filters = parser.parse_run_filter(filter_string)
    order_keys = parser.parse_run_order_by(order_by)
    filters = parser.check_run_comparators(filters)
    offset = parse_page_token(page_token)
    if isinstance(experiment_ids, (int, str)):
        experiment_ids = [experiment_ids]
    ids = tuple(parser.parse_experiment_id(e) for e in (experiment_ids or ()))
    return RunSearch(
        experiment_ids=ids, stages=view_type_stages(run_view_type), filters=filters,
        order_by=order_keys, max_results=max_results, offset=offset, view_type=run_view_type,
        raw_filter=filter_string or "", raw_order_by=_as_list(order_by), page_token=page_token)


def experiment_search(view_type=ViewType.ACTIVE_ONLY, max_results=SEARCH_MAX_RESULTS_DEFAULT,
                      filter_string=None, order_by=None, page_token=None,
                      check_max_results: bool = True) -> ExperimentSearch:
    """Validate search_experiments arguments (MLflow's order of checks); without
    ``check_max_results`` (the fluent API), None means every experiment."""
    if check_max_results:
        validate_max_results(max_results)
    filters = parser.check_experiment_comparators(parser.parse_experiment_filter(filter_string))
    order_keys = parser.parse_experiment_order_by(order_by or DEFAULT_EXPERIMENT_ORDER)
    if not any(k.key == "experiment_id" for k in order_keys):
        order_keys += (OrderKey("attribute", "experiment_id", False, ""),)
    offset = parse_page_token(page_token)
    return ExperimentSearch(
        stages=view_type_stages(view_type), filters=filters, order_by=order_keys,
        max_results=max_results, offset=offset, view_type=view_type,
        # the effective order (a server would otherwise apply its own default)
        raw_filter=filter_string or "", raw_order_by=_as_list(order_by or DEFAULT_EXPERIMENT_ORDER),
        page_token=page_token)
