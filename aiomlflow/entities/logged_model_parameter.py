"""LoggedModelParameter: one parameter of a logged model."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _MlflowObject


class LoggedModelParameter(_MlflowObject):
    """A key/value parameter of a logged model; equal (and hashed) by key, as MLflow's."""

    __slots__ = ("_key", "_value")

    def __init__(self, key: str, value: str) -> None:
        self._key = key
        self._value = value

    @property
    def key(self) -> str:
        """String key corresponding to the parameter name."""
        return self._key

    @property
    def value(self) -> str:
        """String value of the parameter."""
        return self._value

    def __eq__(self, other: object) -> bool:
        if isinstance(other, self.__class__):
            return self._key == other._key
        return False

    def __hash__(self) -> int:
        return hash(self._key)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LoggedModelParameter":
        """Parse MLflow's REST JSON form ``{"key": ..., "value": ...}``."""
        return cls(d.get("key", ""), d.get("value", ""))

    def to_rest_dict(self) -> dict[str, Any]:
        """The parameter in MLflow's REST JSON form."""
        return {"key": self._key, "value": self._value}
