"""The model registry's entities, as ``mlflow.entities.model_registry`` names them."""

from aiomlflow.entities.model_registry.model_version import ModelVersion
from aiomlflow.entities.model_registry.model_version_deployment_job_state import (
    ModelVersionDeploymentJobState,
)
from aiomlflow.entities.model_registry.model_version_stages import (
    ALL_STAGES,
    DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS,
    STAGE_ARCHIVED,
    STAGE_DELETED_INTERNAL,
    STAGE_NONE,
    STAGE_PRODUCTION,
    STAGE_STAGING,
    get_canonical_stage,
)
from aiomlflow.entities.model_registry.model_version_status import ModelVersionStatus
from aiomlflow.entities.model_registry.registered_model import RegisteredModel
from aiomlflow.entities.model_registry.registered_model_alias import RegisteredModelAlias
from aiomlflow.entities.model_registry.model_version_tag import ModelVersionTag
from aiomlflow.entities.model_registry.registered_model_tag import RegisteredModelTag

__all__ = [
    "ALL_STAGES", "DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS", "ModelVersion",
    "ModelVersionDeploymentJobState", "ModelVersionStatus", "ModelVersionTag",
    "RegisteredModel", "RegisteredModelAlias", "RegisteredModelTag", "STAGE_ARCHIVED",
    "STAGE_DELETED_INTERNAL", "STAGE_NONE", "STAGE_PRODUCTION", "STAGE_STAGING",
    "get_canonical_stage",
]
