"""Shared plumbing for the entity classes: property iteration, repr, REST value coding."""

from __future__ import annotations

import math

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any, Iterator

from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException


class _MlflowObject:
    """Base of every entity: iterates as (property, value) pairs and prints like MLflow.

    The public property names (and ``_ATTRIBUTES``) are collected once per class
    (sorted, as MLflow lists them) so that ``dict(entity)``, ``repr`` and
    ``from_dictionary`` need no per-call introspection.
    """

    __slots__ = ()
    _PROPS: tuple[str, ...] = ()
    _SLOTS: tuple[str, ...] = ()
    # Properties kept for compatibility that MLflow does not list (repr, dict(), ...).
    _HIDDEN_PROPS: frozenset[str] = frozenset()
    # Fields a class keeps as plain instance attributes; listed as MLflow lists the
    # properties it has for them.
    _ATTRIBUTES: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        names = {
            name
            for klass in cls.__mro__
            for name, value in vars(klass).items()
            if isinstance(value, property)
        }
        cls._PROPS = tuple(sorted((names | set(cls._ATTRIBUTES)) - cls._HIDDEN_PROPS))
        cls._SLOTS = tuple(
            slot
            for klass in reversed(cls.__mro__)
            for slot in vars(klass).get("__slots__", ())
        )

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for name in self._PROPS:
            yield name, getattr(self, name)

    @classmethod
    def _get_properties_helper(cls) -> list[str]:
        return list(cls._PROPS)

    @classmethod
    def _properties(cls) -> list[str]:
        return list(cls._PROPS)

    @classmethod
    def from_dictionary(cls, the_dict: dict[str, Any]):
        """Build an instance from a dict, ignoring keys that are not properties."""
        props = cls._PROPS
        return cls(**{k: v for k, v in the_dict.items() if k in props})

    def __repr__(self) -> str:
        body = ", ".join(f"{name}={_format_value(value)}" for name, value in self)
        return f"<{type(self).__name__}: {body}>"


_PLAIN_REPR_TYPES = (type(None), bool, int, float)


def _format_value(value) -> str:
    """One property value as MLflow prints it: nested entities inline, the rest via pprint.

    pprint sorts dict keys and wraps long containers and strings at 80 columns, which
    is visible in MLflow's reprs; it is imported lazily (it pulls in dataclasses) and
    skipped for values whose pprint form is plain ``repr``.
    """
    if isinstance(value, _MlflowObject) or type(value) in _PLAIN_REPR_TYPES:
        return repr(value)
    if type(value) is str and len(value) < 60:
        return repr(value)
    import pprint

    return pprint.pformat(value)


class _ValueObject(_MlflowObject):
    """An entity equal to another of exactly the same type holding equal fields.

    Like MLflow's, such entities are mutable in principle and therefore unhashable.
    """

    __slots__ = ()

    def _fields(self) -> tuple:
        return tuple(getattr(self, slot) for slot in self._SLOTS)

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._fields() == other._fields()
        return False


def _int(value, default=None):
    """An int64 REST field: protobuf's JSON form may send it as a string."""
    if value is None:
        return default
    return int(value)


def _float(value) -> float:
    """A double REST field: accepts numbers and protobuf's "NaN"/"Infinity" strings."""
    return float(value)


def _float_to_rest(value):
    # JSON has no NaN/Infinity literals; protobuf's JSON mapping spells them as strings.
    value = float(value)
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _put(out: dict, key: str, value) -> None:
    """Set ``out[key]`` unless the value is unset, as protobuf JSON omits unset fields."""
    if value is not None:
        out[key] = value


class _KeyValue(_ValueObject):
    """A key/value pair entity (params and the various tags)."""

    __slots__ = ("_key", "_value")

    def __init__(self, key: str, value: str) -> None:
        self._key = key
        self._value = value

    @property
    def key(self) -> str:
        """String key."""
        return self._key

    @property
    def value(self) -> str:
        """String value."""
        return self._value

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        """Parse MLflow's REST JSON form ``{"key": ..., "value": ...}``."""
        return cls(d.get("key", ""), d.get("value", ""))

    def to_rest_dict(self) -> dict[str, Any]:
        """This pair in MLflow's REST JSON form."""
        out: dict[str, Any] = {}
        _put(out, "key", self._key)
        _put(out, "value", self._value)
        return out



def lookup(table: dict, key, message: str):
    """``table[key]`` for the enum-like classes; otherwise MLflow's error, whose
    ``message`` is completed with the valid keys."""
    try:
        return table[key]
    except (KeyError, TypeError):
        raise MlflowException(f"{message}{list(table)}", INVALID_PARAMETER_VALUE) from None
