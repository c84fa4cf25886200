"""The runs autologging logs to: the user's active run, or one it starts and ends.

A run that autologging starts carries ``mlflow.autologging=<integration>`` and the
integration's ``extra_tags``; it ends FINISHED after the training call, FAILED when
the call raised.  ``exclusive=True`` keeps autologged content out of runs the user
started.
"""

from __future__ import annotations

import logging
import threading

from .. import fluent
from ...exceptions import MlflowException
from ...utils.mlflow_tags import MLFLOW_AUTOLOGGING
from . import config

_logger = logging.getLogger("aiomlflow.autolog")
_managed = threading.local()  # .run_ids: runs this thread's autologging started


def managed_ids() -> set:
    ids = getattr(_managed, "run_ids", None)
    if ids is None:
        ids = _managed.run_ids = set()
    return ids


def resolve_extra_tags(integration: str, extra_tags) -> dict:
    """The tags of a run autologging starts: ``mlflow.autologging`` and ``extra_tags``."""
    tags = {MLFLOW_AUTOLOGGING: integration}
    if extra_tags:
        if not isinstance(extra_tags, dict):
            raise MlflowException.invalid_parameter_value(
                "Invalid `extra_tags` type: expecting dictionary, "
                f"received `{type(extra_tags).__name__}`")
        extra = dict(extra_tags)
        if extra.pop(MLFLOW_AUTOLOGGING, None) is not None:
            _logger.warning(f"Tag `{MLFLOW_AUTOLOGGING}` is ignored as it is a reserved tag by "
                            "MLflow autologging.")
        tags.update(extra)
    return tags


def user_run_active() -> bool:
    """Whether the active run of this thread is one the user started."""
    run = fluent.active_run()
    return run is not None and run.info.run_id not in managed_ids()


def skip_for_exclusive(integration: str) -> bool:
    """Whether ``exclusive=True`` keeps this call out of the user's active run."""
    return bool(config.get(integration, "exclusive", False)) and user_run_active()


def start_managed_run(integration: str, extra_tags):
    """Start a run for this training call when none is active; return it (or None)."""
    if fluent.active_run() is not None or training_active_elsewhere():
        return None
    run = fluent.start_run(tags=resolve_extra_tags(integration, extra_tags))
    managed_ids().add(run.info.run_id)
    if not config.get(integration, "silent", False):
        _logger.info("Created MLflow autologging run with ID '%s', which will track "
                     "hyperparameters, performance metrics, model artifacts, and lineage "
                     "information for the current %s workflow", run.info.run_id, integration)
    return run


def end_managed_run(run, status: str) -> None:
    """End a run start_managed_run started."""
    managed_ids().discard(run.info.run_id)
    active = fluent.active_run()
    if active is not None and active.info.run_id == run.info.run_id:
        # durable when the training call returns, as in MLflow; the files autologging
        # renders off the caller's thread (estimator.html, plots) are not waited for
        fluent._end_active_run(status, wait=True, with_artifacts=False)


# ----------------------------------------------------------------- training sessions
# One stack for the process (as MLflow): a fit that runs inside another autologged fit
# (a pipeline's steps, a search's candidates, worker threads of a fit) logs nothing.
_sessions: list = []


class TrainingSession:
    """``with TrainingSession(estimator, allow_children) as s: if s.should_log(): ...``"""

    def __init__(self, estimator, allow_children: bool = False):
        self.estimator = estimator
        self.allow_children = allow_children
        self.parent = None

    def __enter__(self) -> "TrainingSession":
        if _sessions:
            self.parent = _sessions[-1]
            self.allow_children = self.parent.allow_children and self.allow_children
        _sessions.append(self)
        return self

    def __exit__(self, *exc) -> None:
        try:
            _sessions.remove(self)
        except ValueError:
            pass

    def should_log(self) -> bool:
        for session in list(_sessions):
            if session is self:
                break
            if session.estimator is self.estimator:
                return False
        return self.parent is None or self.parent.allow_children


def training_active_elsewhere() -> bool:
    """A fit is being autologged (in some thread) while this thread has no run: this is
    a worker thread of that fit, which gets no run of its own."""
    return bool(_sessions)
