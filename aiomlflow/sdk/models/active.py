"""The active model: which logged model this thread (or asyncio task) works on.

As in MLflow each thread has its own, and here each asyncio task too: it lives in a
context variable (a task started while a model is active inherits it, and what a task
sets stays in that task).  Unset, a thread's active model comes from
MLFLOW_ACTIVE_MODEL_ID, else the legacy _MLFLOW_ACTIVE_MODEL_ID, read the first time
the thread (or task) asks, as MLflow reads them once per thread.

``plain_metrics`` is what keeps ``log_metric``'s hot path one context-variable read:
True once this context is known to have no active model and its innermost active run
no model outputs, i.e. a metric logged here links to no model.  Anything else (not
known yet, a model active, a run with outputs) sends the call to the linking path.
Each change is passed to ``on_refresh`` (the fluent API keeps the target of its hot path
unset while metrics may link).
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading

from ...config import getenv

_logger = logging.getLogger("aiomlflow")

ENV_ACTIVE_MODEL_ID = "MLFLOW_ACTIVE_MODEL_ID"
ENV_LEGACY_ACTIVE_MODEL_ID = "_MLFLOW_ACTIVE_MODEL_ID"


def active_model_id_from_env() -> str | None:
    """MLFLOW_ACTIVE_MODEL_ID, else the legacy _MLFLOW_ACTIVE_MODEL_ID, else None."""
    public = getenv(ENV_ACTIVE_MODEL_ID)  # read per task: the fast read
    if public is not None:
        return public
    return getenv(ENV_LEGACY_ACTIVE_MODEL_ID)


class ActiveModelContext:
    """The active model of a thread or task: its id (None: no active model) and whether
    the user set it (``set_active_model``) or MLflow did."""

    __slots__ = ("_model_id", "_set_by_user")

    def __init__(self, model_id: str | None = None, set_by_user: bool = False):
        self._set_by_user = set_by_user
        # as MLflow: with no id given, the environment's is the default
        self._model_id = model_id or active_model_id_from_env()

    @property
    def model_id(self) -> str | None:
        return self._model_id

    @property
    def set_by_user(self) -> bool:
        return self._set_by_user

    def __repr__(self) -> str:
        return f"ActiveModelContext(model_id={self.model_id}, set_by_user={self.set_by_user})"


# None: this context has not looked at its active model yet (the environment is read then)
_context: contextvars.ContextVar[ActiveModelContext | None] = contextvars.ContextVar(
    "aiomlflow_active_model", default=None)
# the model outputs of the innermost active run (set by the fluent API's run stack)
_run_outputs: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "aiomlflow_active_run_model_outputs", default=())
plain_metrics: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "aiomlflow_plain_metrics", default=False)
# thread id -> the model id last set in that thread (MLflow's view "across threads",
# used to link traces made on worker threads)
_by_thread: dict[int, str | None] = {}


# called with the new ``plain_metrics`` value (the fluent API retargets its hot path)
on_refresh = None


# Whether any thread or task of this process has had an active model or an active run
# with model outputs: until then, with no active model in the environment, every metric
# is plain wherever it is logged (see plain_everywhere).
_may_link = False


def plain_everywhere() -> bool:
    """True while no thread or task has had an active model or a run with model outputs
    and the environment names no active model: a metric logged anywhere links to no
    model, so a new task (a web service's request) need not set up its context first."""
    return (not _may_link and getenv(ENV_ACTIVE_MODEL_ID) is None
            and getenv(ENV_LEGACY_ACTIVE_MODEL_ID) is None)


def _refresh() -> None:
    global _may_link
    context = _context.get()
    outputs = _run_outputs.get()
    if outputs or (context is not None and context.model_id is not None):
        _may_link = True
    plain = context is not None and context.model_id is None and not outputs
    plain_metrics.set(plain)
    if on_refresh is not None:
        on_refresh(plain)


def current_context() -> ActiveModelContext:
    """This thread's (task's) active-model context, read from the environment on first use."""
    context = _context.get()
    if context is None:
        context = ActiveModelContext()
        _set_context(context)
    return context


def _set_context(context: ActiveModelContext) -> None:
    _context.set(context)
    _by_thread[threading.get_ident()] = context.model_id
    _refresh()


def get_active_model_id() -> str | None:
    """The active model's id in this thread (or task), or None."""
    context = _context.get()
    if context is None:
        context = current_context()
    return context.model_id


def get_active_model_id_global() -> str | None:
    """This thread's active model id, else the one active model id set in any thread
    (None when there is none, or several differing ones)."""
    here = get_active_model_id()
    if here:
        return here
    found = {model_id for model_id in list(_by_thread.values()) if model_id is not None}
    return found.pop() if len(found) == 1 else None


def set_active_model_id(model_id: str, set_by_user: bool = False) -> None:
    """Make ``model_id`` (known to exist) the active model of this thread or task."""
    _set_context(ActiveModelContext(model_id, set_by_user))
    _logger.info("Active model is set to the logged model with ID: %s", model_id)
    if not set_by_user:
        _logger.info("Use `mlflow.set_active_model` to set the active model to a different "
                     "one if needed.")


def restore(context: ActiveModelContext | None) -> None:
    """Put back an earlier context (leaving a ``with set_active_model(...)`` block)."""
    if context is None:
        _context.set(None)
        _by_thread.pop(threading.get_ident(), None)
        _refresh()
    else:
        _set_context(context)


def clear() -> None:
    """No active model here, and none from the environment from now on (MLflow unsets
    both variables, so other threads do not pick them up either)."""
    os.environ.pop(ENV_ACTIVE_MODEL_ID, None)
    os.environ.pop(ENV_LEGACY_ACTIVE_MODEL_ID, None)
    _by_thread.clear()
    _set_context(ActiveModelContext(set_by_user=False))
    _logger.info("Active model is cleared")


def note_active_run(model_outputs) -> None:
    """The fluent API's run stack changed: ``model_outputs`` of its innermost run."""
    _run_outputs.set(tuple(model_outputs or ()))
    _refresh()


def active_run_outputs() -> tuple:
    """The LoggedModelOutputs of the innermost active run (as of its start)."""
    return _run_outputs.get()


def add_active_run_output(output) -> None:
    """Record that the innermost active run just produced ``output`` (what a flavour's
    log_model does), so later metrics at its step are linked to it."""
    _run_outputs.set(_run_outputs.get() + (output,))
    _refresh()


def reset() -> None:
    """Forget every thread's active model (tests; a forked child)."""
    global _may_link
    _may_link = False
    _by_thread.clear()
    _context.set(None)
    _run_outputs.set(())
    plain_metrics.set(False)
    if on_refresh is not None:
        on_refresh(False)
