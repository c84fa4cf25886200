"""What every registry entity shares: MLflow compares them by their properties."""

from __future__ import annotations

from aiomlflow.entities._base import _MlflowObject

# The workspace MLflow 3.17.2 gives entities of a store without workspaces.
DEFAULT_WORKSPACE = "default"


class _RegistryEntity(_MlflowObject):
    """Equal to another entity holding the same property values (``dict(a) == dict(b)``)."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _MlflowObject):
            return False
        return dict(self) == dict(other)

    __hash__ = None  # mutable, like MLflow's


def rest_int(value):
    """An int64 field of MLflow's REST JSON (sent as a string), or None."""
    return None if value is None else int(value)
