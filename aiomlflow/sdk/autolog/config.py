"""Each integration's autolog() arguments, as its last call set them.

An integration with no stored configuration is disabled.  ``GLOBALLY_CONFIGURED``
marks a configuration that ``aiomlflow.autolog()`` set (so a later integration-specific
call wins over it, and ``autolog()`` does not override a user's own call).
"""

from __future__ import annotations

import contextlib
import threading

GLOBALLY_CONFIGURED = "globally_configured"

_configs: dict[str, dict] = {}
# enable/disable calls (and import hooks applying them) run one at a time
lock = threading.RLock()
_suspended = 0  # >0 while disabled() is active: every integration skips logging


def store(integration: str, params: dict) -> None:
    """Record ``integration``'s autolog() arguments (replacing earlier ones)."""
    _configs[integration] = dict(params)


def get(integration: str, key: str, default=None):
    """One configuration value of ``integration``, or ``default``."""
    config = _configs.get(integration)
    return default if config is None else config.get(key, default)


def stored(integration: str) -> dict | None:
    """The stored configuration of ``integration``, or None."""
    return _configs.get(integration)


def mark_global(integration: str) -> None:
    """Note that ``aiomlflow.autolog()`` set ``integration``'s configuration."""
    if integration in _configs:
        _configs[integration][GLOBALLY_CONFIGURED] = True


def is_disabled(integration: str) -> bool:
    """Whether ``integration`` logs nothing now (never configured, disabled, or suspended)."""
    return _suspended > 0 or get(integration, "disable", True)


@contextlib.contextmanager
def disabled():
    """Suspend every integration's logging inside the block (as MLflow around
    cross-validation helpers, whose many inner fits are not runs of their own)."""
    global _suspended
    _suspended += 1
    try:
        yield
    finally:
        _suspended -= 1


def reset() -> None:
    """Forget every configuration (tests)."""
    _configs.clear()
