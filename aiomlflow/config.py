"""Configuration knobs: argument, then environment variable, then default — parsed here only."""

from __future__ import annotations

import os

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean environment variable; an unparseable value raises ValueError naming it."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_number(name: str, default, kind=float, minimum=None):
    """A numeric environment variable (``kind`` int or float), checked against ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={raw!r} must be at least {minimum}")
    return value


class EngineSettings:
    """Engine tuning, read once per engine from AIOMLFLOW_* variables."""

    __slots__ = ("queue_size", "batch_size", "flush_interval", "exit_flush_timeout")

    def __init__(self):
        # Bounded queue: ~200 bytes a queued metric keeps the worst case near 20 MB.
        self.queue_size = env_number("AIOMLFLOW_QUEUE_SIZE", 100_000, int, 1)
        # Operations per transaction; also the queue length that wakes the worker early.
        self.batch_size = env_number("AIOMLFLOW_BATCH_SIZE", 10_000, int, 1)
        # How long queued asynchronous data may wait before the worker writes it.
        self.flush_interval = env_number("AIOMLFLOW_FLUSH_INTERVAL", 0.1, float, 0.001)
        # At interpreter exit or SIGTERM: how long to wait for pending data.
        self.exit_flush_timeout = env_number("AIOMLFLOW_EXIT_FLUSH_TIMEOUT", 60.0, float, 0)


def async_logging_default() -> bool:
    """MLFLOW_ENABLE_ASYNC_LOGGING: whether ``synchronous=None`` means asynchronous."""
    return env_bool("MLFLOW_ENABLE_ASYNC_LOGGING", False)
