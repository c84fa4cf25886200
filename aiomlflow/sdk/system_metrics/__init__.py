"""System metrics: CPU, memory, disk, network and GPU usage logged beside a run's metrics.

The public functions set MLflow's environment variables, as MLflow's do (so a child
process inherits the choice); ``start_run`` reads them when it starts a run.  The
sampling itself is a task of the engine's system-metrics worker
(workers/system_metrics.py), one per run, fed the run's ``Sampler`` (probes.py); it
logs through the engine's queue like ``log_metrics`` and stops when the run ends.

psutil (host) and nvidia-ml-py (NVIDIA GPUs) come with the ``aiomlflow[system]`` extra
and are imported only when a run starts sampling.
"""

from __future__ import annotations

import logging
import math
import numbers
import operator
import os

from ... import config
from ...exceptions import MlflowException
from ...utils.optional import require
from .. import validation
from .probes import HOST_NAMES, PREFIX, Sampler, metric_prefix

__all__ = [
    "disable_system_metrics_logging", "enable_system_metrics_logging",
    "set_system_metrics_node_id", "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
]

_logger = logging.getLogger("aiomlflow")
_warned_missing_psutil = False


# ------------------------------------------------------------------------ public functions
def enable_system_metrics_logging() -> None:
    """Log system metrics for every run started from now on, unless ``start_run`` is
    given ``log_system_metrics=False``."""
    os.environ[config.SYSTEM_METRICS_ENABLED] = "True"


def disable_system_metrics_logging() -> None:
    """Log no system metrics for runs started from now on, unless ``start_run`` is
    given ``log_system_metrics=True``."""
    os.environ[config.SYSTEM_METRICS_ENABLED] = "False"


def set_system_metrics_sampling_interval(interval) -> None:
    """Sample system metrics every ``interval`` seconds (default 10; None restores it)."""
    if interval is None:
        os.environ.pop(config.SYSTEM_METRICS_INTERVAL, None)
        return
    os.environ[config.SYSTEM_METRICS_INTERVAL] = str(_positive_seconds(interval))


def set_system_metrics_samples_before_logging(samples) -> None:
    """Log a step every ``samples`` samples, their average (default 1; None restores it)."""
    if samples is None:
        os.environ.pop(config.SYSTEM_METRICS_SAMPLES, None)
        return
    os.environ[config.SYSTEM_METRICS_SAMPLES] = str(_positive_count(samples))


def set_system_metrics_node_id(node_id) -> None:
    """Name this machine in a multi-node job: metrics are then logged as
    ``system/<node_id>/<name>`` (None restores the plain ``system/<name>``)."""
    if node_id is None:
        os.environ.pop(config.SYSTEM_METRICS_NODE_ID, None)
        return
    node_id = str(node_id)
    _check_node_id(node_id, "node_id")
    os.environ[config.SYSTEM_METRICS_NODE_ID] = node_id


# ------------------------------------------------------------------------ checks
def _positive_seconds(interval) -> float:
    try:
        if isinstance(interval, bool) or not isinstance(interval, (numbers.Real, str)):
            raise ValueError
        seconds = float(interval)
    except ValueError:
        seconds = math.nan
    if not (0 < seconds < math.inf):
        raise MlflowException.invalid_parameter_value(
            f"Invalid system metrics sampling interval {interval!r}: it must be a positive "
            "number of seconds.")
    return seconds


def _positive_count(samples) -> int:
    try:
        if isinstance(samples, bool):
            raise ValueError
        count = int(samples) if isinstance(samples, str) else operator.index(samples)
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise MlflowException.invalid_parameter_value(
            f"Invalid number of system metrics samples before logging {samples!r}: it must be "
            "a positive integer.")
    return count


def _check_node_id(node_id: str, where: str) -> None:
    # the node id becomes part of every metric name: it must make valid ones
    longest = max(HOST_NAMES + ("gpu_15_memory_usage_percentage",), key=len)
    try:
        validation.validate_metric(metric_prefix(node_id) + longest, 0.0, 0, 0)
    except MlflowException as exc:
        raise MlflowException.invalid_parameter_value(
            f"Invalid system metrics node id {node_id!r} ({where}): metric names would be "
            f"invalid: {exc.message}") from None


# ------------------------------------------------------------------------ start_run's side
class Plan:
    """What ``start_run`` decided before creating the run: sample, how often, named how."""

    __slots__ = ("interval", "samples", "prefix")

    def __init__(self, interval: float, samples: int, prefix: str):
        self.interval, self.samples, self.prefix = interval, samples, prefix


def plan(log_system_metrics: bool | None) -> Plan | None:
    """The sampling a new run gets (None: none), from ``log_system_metrics``, then
    MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING; checked before the run is created, so a bad
    setting fails the ``start_run`` call instead of leaving a run behind."""
    try:
        if not config.system_metrics_enabled(log_system_metrics):
            return None
        interval, samples, node_id = config.system_metrics_settings()
    except ValueError as exc:
        raise MlflowException.invalid_parameter_value(str(exc)) from None
    if node_id:
        _check_node_id(node_id, config.SYSTEM_METRICS_NODE_ID)
    return Plan(interval, samples, metric_prefix(node_id))


def start(plan: Plan, run, engine, resumed: bool) -> None:
    """Start sampling for ``run`` (a Run just created or resumed) on ``engine``.

    Never fails the run: without psutil it warns (once per process) and the run goes
    on without system metrics; any other problem is logged as an error.
    """
    global _warned_missing_psutil
    try:
        psutil = require("psutil", "System metrics logging")
    except ImportError as exc:
        if not _warned_missing_psutil:
            _warned_missing_psutil = True
            _logger.warning("%s The run goes on without system metrics.", exc)
        return
    try:
        first_step = _next_step(run) if resumed else 0
        sampler = Sampler(psutil, plan.prefix)
        if engine.system_metrics.start(run.info.run_id, sampler, plan.interval, plan.samples,
                                       first_step):
            _logger.info("Started monitoring system metrics.")
    except Exception as exc:
        _logger.error("Failed to start system metrics monitoring: %s.", exc)


def _next_step(run) -> int:
    """A resumed run continues its system metrics after their highest step (the
    latest value of each metric carries the highest step logged for it)."""
    steps = [m.step for m in run.data._metric_objs if m.key.startswith(PREFIX)]
    return max(steps) + 1 if steps else 0


def _reset_for_tests() -> None:
    global _warned_missing_psutil
    _warned_missing_psutil = False
