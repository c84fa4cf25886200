"""RunTag: tag object associated with a run."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class RunTag(_KeyValue):
    """Tag object associated with a run."""

    __slots__ = ()
