"""SQLite transport settings, read from AIOMLFLOW_SQLITE_* environment variables."""

from __future__ import annotations

import os

from ...exceptions import MlflowException

SYNCHRONOUS_ENV = "AIOMLFLOW_SQLITE_SYNCHRONOUS"
# setting -> SQLite's PRAGMA synchronous level
_SYNCHRONOUS_LEVELS = {"normal": "NORMAL", "full": "FULL"}


def synchronous_level() -> str:
    """AIOMLFLOW_SQLITE_SYNCHRONOUS as a PRAGMA synchronous level.

    ``normal`` (default): in WAL mode a commit reaches the OS, not the disk — durable
    against a process crash, not a power cut.  ``full``: an fsync per commit, durable
    against a power cut too.  Anything else raises INVALID_PARAMETER_VALUE.
    """
    raw = os.environ.get(SYNCHRONOUS_ENV)
    if raw is None or not raw.strip():
        return _SYNCHRONOUS_LEVELS["normal"]
    level = _SYNCHRONOUS_LEVELS.get(raw.strip().lower())
    if level is None:
        raise MlflowException(
            f"{SYNCHRONOUS_ENV}={raw!r} is not a valid value: use 'normal' (the default; "
            "durable against a process crash) or 'full' (an fsync per commit; durable "
            "against a power cut).", "INVALID_PARAMETER_VALUE")
    return level
