"""SubmittedRun: a launched project run; LocalSubmittedRun: one running in a subprocess.

A local run's command runs in a child process.  When it ends, the run it belongs to
is ended FINISHED (exit code 0) or FAILED, whatever status the command gave it, as
MLflow 3.17.2 does; ``cancel()`` ends it KILLED.  Runs launched with
``synchronous=False`` are waited for when this process exits, and cancelled when it is
interrupted (Ctrl-C ends the program, or comes during that wait) or receives SIGTERM,
as MLflow documents.
"""

from __future__ import annotations

import abc
import logging
import os
import signal
import subprocess
import sys

from ...entities import RunStatus
from ...workers.process_hooks import register_before_exit

_logger = logging.getLogger("aiomlflow.projects")

# LocalSubmittedRuns launched asynchronously and not yet settled.
_pending: list = []


class SubmittedRun(abc.ABC):
    """A project run launched by ``mlflow.run``: its ``run_id``, and methods to wait on,
    poll and cancel it."""

    @abc.abstractmethod
    def wait(self) -> bool:
        """Wait for the run to finish; True if it succeeded."""

    @abc.abstractmethod
    def get_status(self) -> str:
        """The run's status: "RUNNING", "FINISHED" or "FAILED"."""

    @abc.abstractmethod
    def cancel(self) -> None:
        """Stop the run and wait for it to end."""

    @property
    @abc.abstractmethod
    def run_id(self) -> str:
        """The MLflow run id of the project run."""


class LocalSubmittedRun(SubmittedRun):
    """A project entry point running in a local subprocess (``command_proc``)."""

    def __init__(self, run_id: str, command_proc: subprocess.Popen, tracking_uri=None):
        super().__init__()
        self._run_id = run_id
        self.command_proc = command_proc
        self._tracking_uri = tracking_uri
        self._settled = tracking_uri is None  # nothing to record without a store

    @property
    def run_id(self) -> str:
        return self._run_id

    def wait(self) -> bool:
        """Block until the command exits; True if it exited 0.  The run is then ended
        FINISHED / FAILED."""
        code = self.command_proc.wait()
        self._settle(code)
        return code == 0

    def get_status(self) -> str:
        """"RUNNING" while the command runs, then "FINISHED" (exit code 0) or "FAILED"."""
        code = self.command_proc.poll()
        if code is None:
            return RunStatus.to_string(RunStatus.RUNNING)
        self._settle(code)
        return RunStatus.to_string(RunStatus.FINISHED if code == 0 else RunStatus.FAILED)

    def cancel(self) -> None:
        """Terminate the command (its whole process group when it leads one) and wait for
        it; the run is ended KILLED."""
        self.stop("KILLED")

    def stop(self, status: str) -> None:
        """Terminate the command if it still runs, wait for it, and end the run with
        ``status`` (or by the exit code of a command that had already ended)."""
        if self.command_proc.poll() is None:
            pid = self.command_proc.pid
            try:
                if os.getpgid(pid) == pid:
                    os.killpg(pid, signal.SIGTERM)
                else:
                    self.command_proc.terminate()
            except OSError:
                _logger.info("Failed to terminate child process (PID %s) corresponding to "
                             "MLflow run with ID %s. The process may have already exited.",
                             pid, self._run_id)
            self.command_proc.wait()
            self._settle(None, status=status)
        else:
            self._settle(self.command_proc.returncode)

    def _settle(self, code, status: str | None = None) -> None:
        if self._settled:
            return
        self._settled = True
        if self in _pending:
            _pending.remove(self)
        from ..client import MlflowClient

        MlflowClient(self._tracking_uri).set_terminated(
            self._run_id, status or ("FINISHED" if code == 0 else "FAILED"))


def wait_at_exit(submitted: LocalSubmittedRun) -> None:
    """Have this process wait for ``submitted`` when it exits."""
    _pending.append(submitted)


def _interrupted() -> bool:
    # the uncaught exception ending the program, as the interpreter recorded it
    last = getattr(sys, "last_type", None)
    return isinstance(last, type) and issubclass(last, KeyboardInterrupt)


def _settle_pending(reason: str) -> None:
    if reason == "SIGTERM" or (reason == "exception" and _interrupted()):
        for submitted in list(_pending):
            submitted.cancel()
        return
    try:
        for submitted in list(_pending):
            _logger.info("=== Waiting for MLflow run with ID %s to finish before exiting ===",
                         submitted.run_id)
            submitted.wait()
    except KeyboardInterrupt:
        # interrupted while waiting: the remaining runs are terminated, and the exit
        # goes on (the engines still flush)
        for submitted in list(_pending):
            submitted.cancel()


register_before_exit(_settle_pending)
