"""Configuration knobs: argument, then environment variable, then default — parsed here only."""

from __future__ import annotations

import os

from .exceptions import INVALID_PARAMETER_VALUE, MlflowException

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


_encoded_names: dict[str, object] = {}


def getenv(name: str) -> str | None:
    """``os.environ.get(name)`` for per-call paths: the same answer (read each time, so
    a change is seen at once) without the two exceptions the mapping raises internally
    for an unset variable, which made it cost more than the rest of a logging call."""
    environ = os.environ
    try:
        key = _encoded_names.get(name)
        if key is None:
            key = _encoded_names[name] = environ.encodekey(name)
        raw = environ._data.get(key)
    except AttributeError:  # not CPython's os._Environ (replaced by a plain mapping)
        return environ.get(name)
    return None if raw is None else environ.decodevalue(raw)


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

    __slots__ = ("queue_size", "queue_max_bytes", "batch_size", "flush_interval",
                 "exit_flush_timeout", "nice", "idle")

    def __init__(self):
        # Bounded queue: ~200 bytes a queued metric keeps the worst case near 20 MB.
        self.queue_size = env_number("AIOMLFLOW_QUEUE_SIZE", 100_000, int, 1)
        # ...and bytes of the params, tags and batches in it (metrics count as operations)
        self.queue_max_bytes = env_number("AIOMLFLOW_QUEUE_MAX_BYTES", 64 * 1024 * 1024, int, 1)
        # Operations per transaction; also the queue length that wakes the worker early.
        self.batch_size = env_number("AIOMLFLOW_BATCH_SIZE", 10_000, int, 1)
        # The longest queued asynchronous data waits before the worker writes it while
        # producers keep logging (it is written at once when they pause).
        self.flush_interval = env_number("AIOMLFLOW_FLUSH_INTERVAL", 0.5, float, 0.001)
        # At interpreter exit or SIGTERM: how long to wait for pending data.
        self.exit_flush_timeout = env_number("AIOMLFLOW_EXIT_FLUSH_TIMEOUT", 60.0, float, 0)
        # How much lower than the application's the CPU priority of the engine's threads
        # is (a nice increment, Linux): beside a busy service, its writes take the CPU
        # the service leaves idle instead of time slices from the service's own thread.
        self.nice = env_number("AIOMLFLOW_ENGINE_NICE", 10, int, 0)
        # ...and whether they take only CPU time the machine leaves idle (SCHED_IDLE,
        # Linux) until the engine falls behind or the process exits (workers/priority.py)
        self.idle = env_bool("AIOMLFLOW_ENGINE_IDLE", True)


def spool_dir() -> str:
    """AIOMLFLOW_SPOOL_DIR: root of the on-disk journals of undelivered remote logging.

    Default: a per-user cache directory, ``$XDG_CACHE_HOME/aiomlflow/spool`` (that is
    ``~/.cache/aiomlflow/spool`` when XDG_CACHE_HOME is unset).
    """
    raw = os.environ.get("AIOMLFLOW_SPOOL_DIR", "").strip()
    if raw:
        return os.path.abspath(os.path.expanduser(raw))
    cache = os.environ.get("XDG_CACHE_HOME", "").strip() or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "aiomlflow", "spool")


def journal_max_bytes() -> int:
    """AIOMLFLOW_JOURNAL_MAX_BYTES: the most bytes of unsent operations a journal keeps.

    Default 1 GiB.  An append that would pass it fails (the journal is full) instead of
    filling the disk during a long outage.
    """
    try:
        return env_number("AIOMLFLOW_JOURNAL_MAX_BYTES", 1 << 30, int, 1)
    except ValueError as exc:
        raise MlflowException(str(exc), INVALID_PARAMETER_VALUE) from None


def async_logging_default() -> bool:
    """MLFLOW_ENABLE_ASYNC_LOGGING: whether ``synchronous=None`` means asynchronous."""
    return env_bool("MLFLOW_ENABLE_ASYNC_LOGGING", False)


def synchronous_mode(synchronous: bool | None) -> bool:
    """A call's ``synchronous`` argument, with None read from MLFLOW_ENABLE_ASYNC_LOGGING."""
    return not async_logging_default() if synchronous is None else synchronous


# System metrics: MLflow's variables, which its setters (and ours) write.
SYSTEM_METRICS_ENABLED = "MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING"
SYSTEM_METRICS_INTERVAL = "MLFLOW_SYSTEM_METRICS_SAMPLING_INTERVAL"
SYSTEM_METRICS_SAMPLES = "MLFLOW_SYSTEM_METRICS_SAMPLES_BEFORE_LOGGING"
SYSTEM_METRICS_NODE_ID = "MLFLOW_SYSTEM_METRICS_NODE_ID"


def system_metrics_enabled(argument: bool | None) -> bool:
    """``start_run(log_system_metrics=)``, else MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING,
    else False (MLflow's precedence); an unreadable variable raises ValueError."""
    if argument is not None:
        return bool(argument)
    return env_bool(SYSTEM_METRICS_ENABLED, False)


def system_metrics_settings() -> tuple[float, int, str | None]:
    """(sampling interval in seconds, samples averaged per logged step, node id): the
    MLFLOW_SYSTEM_METRICS_* variables, else 10 s, 1 and None.  A value that does not
    parse, or is not positive, raises ValueError naming its variable."""
    interval = env_number(SYSTEM_METRICS_INTERVAL, 10.0, float)
    if not interval > 0 or interval == float("inf"):
        raise ValueError(f"{SYSTEM_METRICS_INTERVAL}={os.environ[SYSTEM_METRICS_INTERVAL]!r} "
                         "must be a positive number of seconds")
    samples = env_number(SYSTEM_METRICS_SAMPLES, 1, int, 1)
    node_id = os.environ.get(SYSTEM_METRICS_NODE_ID) or None
    return interval, samples, node_id
