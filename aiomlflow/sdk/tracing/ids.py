"""Trace and span ids as OpenTelemetry makes them: random 128- and 64-bit numbers.

``random`` is reseeded in a forked child by Python itself, so parent and child never
share ids.
"""

from __future__ import annotations

from random import getrandbits


def new_trace_id() -> str:
    """An MLflow trace id: ``tr-`` and 32 hex digits of a non-zero random 128-bit id."""
    value = getrandbits(128)
    while not value:
        value = getrandbits(128)
    return "tr-%032x" % value


def new_span_id() -> str:
    """A span id: 16 hex digits of a non-zero random 64-bit id."""
    value = getrandbits(64)
    while not value:
        value = getrandbits(64)
    return "%016x" % value
