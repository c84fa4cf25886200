"""Tracing: spans and traces recorded in memory at microsecond cost, exported through
the engine when a trace's root span ends (builder.py), and read back from the store.

Modules: ``spans`` (creating spans, the current span), ``decorator`` (``@trace``),
``builder`` (traces in progress, export), ``previews``, ``config`` (on/off, span
processors, destination), ``fluent`` (the ``mlflow``-module functions).
"""

from __future__ import annotations


def reset_for_tests() -> None:
    """Forget every tracing setting and in-progress trace (tests)."""
    from . import builder, config, spans

    config.reset()
    builder.forget()
    spans.current_span.set(None)
    spans._experiment_cache.clear()
