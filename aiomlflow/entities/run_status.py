"""RunStatus: the integer codes of a run's status and their names."""

from __future__ import annotations

from aiomlflow.entities._base import lookup


class RunStatus:
    """Enum for status of an :py:class:`aiomlflow.entities.Run`."""

    # Values are the RunStatus numbers of MLflow's service.proto.
    RUNNING = 1
    SCHEDULED = 2
    FINISHED = 3
    FAILED = 4
    KILLED = 5

    _STRING_TO_STATUS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
    _STATUS_TO_STRING = {v: k for k, v in _STRING_TO_STATUS.items()}
    _TERMINATED_STATUSES = {FINISHED, FAILED, KILLED}

    @staticmethod
    def from_string(status_str: str) -> int:
        """The status number for an upper-case status name such as ``"FINISHED"``."""
        return lookup(RunStatus._STRING_TO_STATUS, status_str, f"Could not get run status "
                      f"corresponding to string {status_str}. Valid run status strings: ")

    @staticmethod
    def to_string(status: int) -> str:
        """The status name for a status number."""
        return lookup(RunStatus._STATUS_TO_STRING, status, f"Could not get string "
                      f"corresponding to run status {status}. Valid run statuses: ")

    @staticmethod
    def is_terminated(status: int) -> bool:
        """Whether a status number is final (FINISHED, FAILED or KILLED)."""
        return status in RunStatus._TERMINATED_STATUSES

    @staticmethod
    def all_status() -> list[int]:
        """Every status number."""
        return list(RunStatus._STATUS_TO_STRING.keys())
