"""LoggedModelStatus: where a logged model is in its life (PENDING until finalized)."""

from __future__ import annotations

from enum import Enum

from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

# status <-> the integer stored in logged_models.status <-> the REST enum name
_INTS = {"UNSPECIFIED": 0, "PENDING": 1, "READY": 2, "FAILED": 3}
_REST = {"UNSPECIFIED": "LOGGED_MODEL_STATUS_UNSPECIFIED", "PENDING": "LOGGED_MODEL_PENDING",
         "READY": "LOGGED_MODEL_READY", "FAILED": "LOGGED_MODEL_UPLOAD_FAILED"}


def _unknown(status) -> MlflowException:
    return MlflowException(f"Unknown model status: {status}", INVALID_PARAMETER_VALUE)


class LoggedModelStatus(str, Enum):
    """Enum for status of an :py:class:`aiomlflow.entities.LoggedModel`."""

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    FAILED = "FAILED"

    def __str__(self) -> str:
        return self.value

    @staticmethod
    def is_finalized(status) -> bool:
        """Whether ``status`` is final (READY or FAILED): no further updates follow."""
        return status in (LoggedModelStatus.READY, LoggedModelStatus.FAILED)

    def to_int(self) -> int:
        """The integer MLflow's SQL store keeps in ``logged_models.status``."""
        return _INTS[self.value]

    @classmethod
    def from_int(cls, status_int: int) -> "LoggedModelStatus":
        """The status stored as ``status_int`` (0-3)."""
        for name, number in _INTS.items():
            if number == status_int:
                return cls(name)
        raise _unknown(status_int)

    def to_proto(self) -> int:
        """The ``LoggedModelStatus`` number of MLflow's service.proto (as ``to_int``)."""
        return self.to_int()

    @classmethod
    def from_proto(cls, proto) -> "LoggedModelStatus":
        """The status for a service.proto number or its REST (JSON) enum name."""
        if isinstance(proto, str):
            return cls.from_rest(proto)
        return cls.from_int(proto)

    def to_rest(self) -> str:
        """The enum name MLflow's REST API spells this status with."""
        return _REST[self.value]

    @classmethod
    def from_rest(cls, name: str | None) -> "LoggedModelStatus":
        """The status a REST answer names (a missing field is UNSPECIFIED)."""
        if name is None:
            return cls.UNSPECIFIED
        for status, rest in _REST.items():
            if rest == name:
                return cls(status)
        if isinstance(name, int) or (isinstance(name, str) and name.isdigit()):
            return cls.from_int(int(name))
        raise _unknown(name)
