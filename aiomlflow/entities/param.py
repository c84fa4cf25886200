"""Param: a run parameter (key/value strings, logged once per key)."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class Param(_KeyValue):
    """Parameter object."""

    __slots__ = ()

    # MLflow identifies a param by its key alone: a run holds one value per key.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, self.__class__):
            return self._key == other._key
        return False

    def __hash__(self) -> int:
        return hash(self._key)
