"""SourceType: what kind of program produced a run."""

from __future__ import annotations

from aiomlflow.exceptions import MlflowException, INVALID_PARAMETER_VALUE


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
        try:
            return SourceType._STRING_TO_SOURCETYPE[status_str]
        except (KeyError, TypeError):
            # The wording (which says "run status") is MLflow's own.
            raise MlflowException(
                f"Could not get run status corresponding to string {status_str}. Valid run "
                f"status strings: {list(SourceType._STRING_TO_SOURCETYPE.keys())}",
                INVALID_PARAMETER_VALUE,
            ) from None

    @staticmethod
    def to_string(status: int) -> str:
        """The name of a source type number."""
        try:
            return SourceType.SOURCETYPE_TO_STRING[status]
        except (KeyError, TypeError):
            raise MlflowException(
                f"Could not get string corresponding to run status {status}. Valid run "
                f"statuses: {list(SourceType.SOURCETYPE_TO_STRING.keys())}",
                INVALID_PARAMETER_VALUE,
            ) from None
