"""The state of a trace."""

from __future__ import annotations

from enum import Enum


class TraceState(str, Enum):
    """STATE_UNSPECIFIED, OK, ERROR or IN_PROGRESS (MLflow's names)."""

    STATE_UNSPECIFIED = "STATE_UNSPECIFIED"
    OK = "OK"
    ERROR = "ERROR"
    IN_PROGRESS = "IN_PROGRESS"

    def __str__(self) -> str:
        return self.value
