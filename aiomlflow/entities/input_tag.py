"""InputTag: input tag object associated with a dataset input."""

from __future__ import annotations

from aiomlflow.entities._base import _KeyValue


class InputTag(_KeyValue):
    """Input tag object associated with a dataset input."""

    __slots__ = ()
