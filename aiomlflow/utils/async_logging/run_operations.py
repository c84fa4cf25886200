"""``mlflow.utils.async_logging.run_operations``: the futures asynchronous calls return."""

from aiomlflow.workers.operations import RunOperations  # noqa: F401

__all__ = ["RunOperations"]
