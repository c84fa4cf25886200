"""A record entity: the shape of MLflow's dataclass entities (the assessment family).

MLflow declares these with ``@dataclass``: they print as ``Name(field=value, ...)``,
compare equal field by field to an instance of exactly the same class, and are
unhashable.  ``dataclasses`` pulls ``inspect`` into ``import aiomlflow`` (tens of
milliseconds), so the same behaviour is written out here over a ``_FIELDS`` tuple.
"""

from __future__ import annotations

from aiomlflow.entities._base import _MlflowObject


class _Record(_MlflowObject):
    """Fields named by ``_FIELDS``, in declaration order, held as plain attributes."""

    _FIELDS: tuple[str, ...] = ()
    __hash__ = None  # mutable and compared by value, as a dataclass with eq=True

    def _field_values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._field_values() == other._field_values()
        return NotImplemented

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._FIELDS)
        return f"{type(self).__qualname__}({body})"
