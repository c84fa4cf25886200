"""SourceType: what kind of program produced a run."""

from __future__ import annotations

from aiomlflow.entities._base import lookup


class SourceType:
    """Enum for the originating source of a run."""

    NOTEBOOK = 1
    JOB = 2
    PROJECT = 3
    LOCAL = 4
    # MLflow's Python enum uses 5 here, although its proto numbers UNKNOWN 1000.
    UNKNOWN = 5

    _STRING_TO_SOURCETYPE = {"NOTEBOOK": 1, "JOB": 2, "PROJECT": 3, "LOCAL": 4, "UNKNOWN": 5}
    SOURCETYPE_TO_STRING = {v: k for k, v in _STRING_TO_SOURCETYPE.items()}

    @staticmethod
    def from_string(status_str: str) -> int:
        """The source type number for an upper-case name such as ``"LOCAL"``."""
        # The wording (which says "run status") is MLflow's own.
        return lookup(SourceType._STRING_TO_SOURCETYPE, status_str, f"Could not get run "
                      f"status corresponding to string {status_str}. Valid run status strings: ")

    @staticmethod
    def to_string(status: int) -> str:
        """The name of a source type number."""
        return lookup(SourceType.SOURCETYPE_TO_STRING, status, f"Could not get string "
                      f"corresponding to run status {status}. Valid run statuses: ")
