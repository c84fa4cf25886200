"""``mlflow.tracking.context``: the run-context tags of a new run."""

from aiomlflow.tracking.context import registry  # noqa: F401
