"""``mlflow.projects.submitted_run``: SubmittedRun and LocalSubmittedRun."""

from aiomlflow.sdk.projects.submitted_run import LocalSubmittedRun, SubmittedRun

__all__ = ["SubmittedRun", "LocalSubmittedRun"]
