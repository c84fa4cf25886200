"""LifecycleStage: whether an experiment or run is active or soft-deleted."""

from __future__ import annotations

from aiomlflow.entities.view_type import ViewType
from aiomlflow.exceptions import MlflowException


class LifecycleStage:
    """The lifecycle stages of experiments and runs."""

    ACTIVE = "active"
    DELETED = "deleted"
    _VALID_STAGES = {ACTIVE, DELETED}

    @classmethod
    def view_type_to_stages(cls, view_type: int = ViewType.ALL) -> list[str]:
        """The stages a view type selects (an unknown view type selects none)."""
        stages = []
        if view_type in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            stages.append(cls.ACTIVE)
        if view_type in (ViewType.DELETED_ONLY, ViewType.ALL):
            stages.append(cls.DELETED)
        return stages

    @classmethod
    def is_valid(cls, lifecycle_stage: str) -> bool:
        """Whether ``lifecycle_stage`` is ``"active"`` or ``"deleted"``."""
        return lifecycle_stage in cls._VALID_STAGES

    @classmethod
    def matches_view_type(cls, view_type: int, lifecycle_stage: str) -> bool:
        """Whether an entity in ``lifecycle_stage`` is shown under ``view_type``."""
        # MLflow raises these with the default INTERNAL_ERROR code.
        if not cls.is_valid(lifecycle_stage):
            raise MlflowException(f"Invalid lifecycle stage '{lifecycle_stage}'")
        if view_type == ViewType.ALL:
            return True
        if view_type == ViewType.ACTIVE_ONLY:
            return lifecycle_stage == cls.ACTIVE
        if view_type == ViewType.DELETED_ONLY:
            return lifecycle_stage == cls.DELETED
        raise MlflowException(f"Invalid view type '{view_type}'")
