"""ModelVersion: one version of a registered model."""

from __future__ import annotations

from aiomlflow.entities.model_registry._entity import (
    DEFAULT_WORKSPACE, _RegistryEntity, rest_int,
)
from aiomlflow.entities.model_registry.model_version_deployment_job_state import (
    ModelVersionDeploymentJobState,
)
from aiomlflow.entities.model_registry.model_version_tag import ModelVersionTag

# the tag that marks a registered model (or version) as a prompt
IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"


_new = object.__new__


class ModelVersion(_RegistryEntity):
    """MLflow entity for Model Version.

    Its fields are instance attributes, where MLflow's are properties over private ones:
    a search returns tens of thousands of versions and a caller reads every field of
    each, and an attribute reads several times faster than a property (a C getter
    included).  They hold what MLflow's properties return:

    - name: String. Unique name within Model Registry.
    - version: Version.
    - creation_timestamp: Integer. Model version creation timestamp (milliseconds since
      the Unix epoch).
    - last_updated_timestamp: Integer. Timestamp of last update for this model version
      (milliseconds since the Unix epoch).
    - description: String. Description.
    - user_id: String. User ID that created this model version.
    - current_stage: String. Current stage of this model version.
    - source: String. Source path for the model.
    - run_id: String. MLflow run ID that generated this model.
    - run_link: String. MLflow run link referring to the exact run that generated this
      model version.
    - status: String. Current Model Registry status for this model.
    - status_message: String. Descriptive message for error status conditions.
    - tags: Dictionary of tag key (string) -> tag value for the current model version.
    - aliases: List of aliases (string) for the current model version.
    - model_id: String. ID of the model associated with this version.
    - params: List of parameters associated with this model version.
    - metrics: List of metrics associated with this model version.
    - deployment_job_state: Deployment job state for the current model version.
    - workspace: Workspace of the model version.

    The one difference: every field can be assigned, where MLflow's entity lets only
    name, last_updated_timestamp, description, current_stage and aliases be.
    """

    _ATTRIBUTES = ("name", "version", "creation_timestamp", "last_updated_timestamp",
                   "description", "user_id", "current_stage", "source", "run_id", "run_link",
                   "status", "status_message", "tags", "aliases", "model_id", "params",
                   "metrics", "deployment_job_state", "workspace")

    def __init__(self, name: str, version: str, creation_timestamp: int,
                 last_updated_timestamp: int | None = None, description: str | None = None,
                 user_id: str | None = None, current_stage: str | None = None,
                 source: str | None = None, run_id: str | None = None,
                 status: str = "READY", status_message: str | None = None,
                 tags: list | None = None, run_link: str | None = None,
                 aliases: list[str] | None = None, model_id: str | None = None,
                 params: list | None = None, metrics: list | None = None,
                 deployment_job_state: ModelVersionDeploymentJobState | None = None,
                 workspace: str | None = None):
        self.name = name
        self.version = version
        self.creation_timestamp = creation_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.description = description
        self.user_id = user_id
        self.current_stage = current_stage
        self.source = source
        self.run_id = run_id
        self.run_link = run_link
        self.status = status
        self.status_message = status_message
        self.tags = {tag.key: tag.value for tag in (tags or [])}
        self.aliases = aliases or []
        self.model_id = model_id
        self.params = params
        self.metrics = metrics
        self.deployment_job_state = deployment_job_state
        self.workspace = workspace or DEFAULT_WORKSPACE

    def _is_prompt(self) -> bool:
        return self.tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"

    def _add_tag(self, tag: ModelVersionTag) -> None:
        self.tags[tag.key] = tag.value

    @classmethod
    def _from_row(cls, row, aliases: list, workspace: str) -> "ModelVersion":
        """A version as a store row gives it: ``row`` is (name, version, creation time,
        last update time, description, user id, stage, source, run id, status, status
        message, run link, tags as a dict).  A search builds tens of thousands: the
        fields are set here in ``__init__``'s order, which lets CPython keep them in the
        instance's compact shared-key layout."""
        (name, version, creation_timestamp, last_updated_timestamp, description, user_id,
         current_stage, source, run_id, status, status_message, run_link, tags) = row
        entity = _new(cls)
        entity.name = name
        entity.version = version
        entity.creation_timestamp = creation_timestamp
        entity.last_updated_timestamp = last_updated_timestamp
        entity.description = description
        entity.user_id = user_id
        entity.current_stage = current_stage
        entity.source = source
        entity.run_id = run_id
        entity.run_link = run_link
        entity.status = status
        entity.status_message = status_message
        entity.tags = tags
        entity.aliases = aliases
        entity.model_id = None
        entity.params = None
        entity.metrics = None
        entity.deployment_job_state = None
        entity.workspace = workspace
        return entity

    @classmethod
    def from_dict(cls, d: dict) -> "ModelVersion":
        """Parse a ``model_version`` of MLflow's REST JSON, with the values MLflow's REST
        client gives unset fields (``""`` for strings it reads unconditionally)."""
        state = d.get("deployment_job_state")
        return cls(
            d.get("name", ""), d.get("version", ""), rest_int(d.get("creation_timestamp", 0)),
            rest_int(d.get("last_updated_timestamp", 0)), d.get("description"),
            d.get("user_id", ""), d.get("current_stage", ""), d.get("source", ""),
            d.get("run_id"), d.get("status", "PENDING_REGISTRATION"), d.get("status_message"),
            [ModelVersionTag.from_dict(t) for t in d.get("tags", ())],
            run_link=d.get("run_link", ""), aliases=list(d.get("aliases", ())),
            deployment_job_state=(None if state is None
                                  else ModelVersionDeploymentJobState.from_dict(state)))
