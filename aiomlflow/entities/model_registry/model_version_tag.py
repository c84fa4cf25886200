"""ModelVersionTag: a key/value tag of a model version."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class ModelVersionTag(_KeyValue):
    """Tag object associated with a model version."""

    __slots__ = ()
