"""RegisteredModelTag and ModelVersionTag: key/value tags of the registry."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class RegisteredModelTag(_KeyValue):
    """Tag object associated with a registered model."""

    __slots__ = ()


class ModelVersionTag(_KeyValue):
    """Tag object associated with a model version."""

    __slots__ = ()
