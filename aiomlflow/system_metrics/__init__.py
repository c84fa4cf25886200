"""``mlflow.system_metrics``: switch system-metrics logging and its settings.

The logic lives in ``aiomlflow.sdk.system_metrics``; nothing here imports psutil.
"""

from aiomlflow.sdk.system_metrics import (
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    set_system_metrics_node_id,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
)

__all__ = [
    "disable_system_metrics_logging", "enable_system_metrics_logging",
    "set_system_metrics_node_id", "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
]
