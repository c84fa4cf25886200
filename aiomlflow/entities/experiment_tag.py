"""ExperimentTag: tag object associated with an experiment."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class ExperimentTag(_KeyValue):
    """Tag object associated with an experiment."""

    __slots__ = ()
