"""LoggedModelTag: one tag of a logged model."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class LoggedModelTag(_KeyValue):
    """Tag object associated with a logged model."""

    __slots__ = ()
