"""RunStatus: the integer codes of a run's status and their names."""

from __future__ import annotations

from aiomlflow.entities._base import code_for_name, name_for_code


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
        return code_for_name(RunStatus._STRING_TO_STATUS, status_str)

    @staticmethod
    def to_string(status: int) -> str:
        """The status name for a status number."""
        return name_for_code(RunStatus._STATUS_TO_STRING, status)

    @staticmethod
    def is_terminated(status: int) -> bool:
        """Whether a status number is final (FINISHED, FAILED or KILLED)."""
        return status in RunStatus._TERMINATED_STATUSES

    @staticmethod
    def all_status() -> list[int]:
        """Every status number."""
        return list(RunStatus._STATUS_TO_STRING.keys())
