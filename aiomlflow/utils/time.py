"""``mlflow.utils.time``: MLflow's clock helpers."""

import time as _time


def get_current_time_millis() -> int:
    """Milliseconds since the epoch, MLflow's timestamp unit."""
    return _time.time_ns() // 1_000_000
