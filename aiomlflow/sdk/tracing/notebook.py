"""Notebook display of traces: MLflow renders traces in Jupyter output cells; aiomlflow
has no renderer, so these only record the setting (display stays off)."""

from __future__ import annotations

_display_enabled = True


def enable_notebook_display() -> None:
    """Turn on rendering of traces in notebook cells (MLflow's default)."""
    global _display_enabled
    _display_enabled = True


def disable_notebook_display() -> None:
    """Turn off rendering of traces in notebook cells."""
    global _display_enabled
    _display_enabled = False


def notebook_display_enabled() -> bool:
    """The setting (aiomlflow itself never renders traces)."""
    return _display_enabled
