"""The ``aiomlflow`` logger, set up on import as MLflow sets up its own.

INFO and above go to stderr as ``2026/01/31 12:00:00 INFO aiomlflow: message``, at the
level MLFLOW_LOGGING_LEVEL names (default INFO), without reaching the root logger's
handlers (no duplicate lines in an application that configures logging).
MLFLOW_CONFIGURE_LOGGING=false leaves the logger to the application.
"""

from __future__ import annotations

import logging
import os
import sys

from .config import env_bool

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATETIME_FORMAT = "%Y/%m/%d %H:%M:%S"


class _StderrHandler(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is at each record: pytest, notebooks and
    ``contextlib.redirect_stderr`` replace it after import."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def configure_logging() -> None:
    """Give the ``aiomlflow`` logger its stderr handler and level, unless disabled."""
    try:
        if not env_bool("MLFLOW_CONFIGURE_LOGGING", True):
            return
    except ValueError:
        pass  # an unreadable switch keeps the default: configured
    logger = logging.getLogger("aiomlflow")
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter(LINE_FORMAT, DATETIME_FORMAT))
    logger.handlers = [handler]
    try:
        logger.setLevel((os.environ.get("MLFLOW_LOGGING_LEVEL") or "INFO").upper())
    except ValueError:
        logger.setLevel(logging.INFO)
    logger.propagate = False
