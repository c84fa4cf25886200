"""``mlflow.projects``: run MLflow projects (``run``) and the ``SubmittedRun`` it returns."""

from aiomlflow.projects import submitted_run
from aiomlflow.sdk.projects.runner import run
from aiomlflow.sdk.projects.submitted_run import LocalSubmittedRun, SubmittedRun

__all__ = ["run", "SubmittedRun", "LocalSubmittedRun", "submitted_run"]
