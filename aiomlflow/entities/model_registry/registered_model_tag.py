"""RegisteredModelTag: a key/value tag of a registered model."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class RegisteredModelTag(_KeyValue):
    """Tag object associated with a registered model."""

    __slots__ = ()
