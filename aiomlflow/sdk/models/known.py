"""Logged models this process knows exist, per tracking URI.

A metric linked to a model must name one the store has (MLflow's foreign key refuses
others, and a server answers that with an INTERNAL_ERROR it would otherwise be retried
for): the first metric naming a model looks it up, later ones find it here.  Models this
process created, fetched or made active are remembered without a lookup.
"""

from __future__ import annotations

from ... import store_errors
from ...exceptions import MlflowException

_MAX_KNOWN = 10_000
_known: dict[tuple[str, str], str] = {}


def remember(tracking_uri: str, model) -> None:
    """Note that ``model`` (a LoggedModel) exists on ``tracking_uri``."""
    if len(_known) >= _MAX_KNOWN:
        _known.clear()
    _known[(tracking_uri, model.model_id)] = model.experiment_id


def forget(tracking_uri: str, model_id: str) -> None:
    """``model_id`` was deleted."""
    _known.pop((tracking_uri, model_id), None)


def check(engine, model_id) -> None:
    """Raise RESOURCE_DOES_NOT_EXIST (MLflow's "Logged model with ID ... not found.")
    unless the store has a model ``model_id``."""
    if (engine.tracking_uri, model_id) in _known:
        return
    if not isinstance(model_id, str) or not model_id:
        raise MlflowException.invalid_parameter_value(
            f"Invalid model_id {model_id!r}: expected the non-empty id of a logged model.")
    try:
        model = engine.read("get_logged_model", model_id, True)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            raise store_errors.logged_model_not_found(model_id) from None
        raise
    remember(engine.tracking_uri, model)


def reset() -> None:
    """Forget everything (tests)."""
    _known.clear()
