"""The (deprecated) stages a model version can be in, and their canonical spelling."""

from __future__ import annotations

from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException

STAGE_NONE = "None"
STAGE_STAGING = "Staging"
STAGE_PRODUCTION = "Production"
STAGE_ARCHIVED = "Archived"
# what a deleted version's stage becomes in the store (its row stays)
STAGE_DELETED_INTERNAL = "Deleted_Internal"

ALL_STAGES = [STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED]
DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS = [STAGE_STAGING, STAGE_PRODUCTION]
_CANONICAL = {stage.lower(): stage for stage in ALL_STAGES}


def get_canonical_stage(stage: str) -> str:
    """``"production"`` → ``"Production"``; INVALID_PARAMETER_VALUE for an unknown stage."""
    key = str(stage).lower()
    if key not in _CANONICAL:
        raise MlflowException(
            f"Invalid Model Version stage: {stage}. Value must be one of "
            f"{', '.join(ALL_STAGES)}.", INVALID_PARAMETER_VALUE)
    return _CANONICAL[key]
