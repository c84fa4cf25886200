"""ModelVersion: one version of a registered model."""

from __future__ import annotations

from operator import attrgetter

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
    """MLflow entity for Model Version."""

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
        self._name = name
        self._version = version
        self._creation_time = creation_timestamp
        self._last_updated_timestamp = last_updated_timestamp
        self._description = description
        self._user_id = user_id
        self._current_stage = current_stage
        self._source = source
        self._run_id = run_id
        self._run_link = run_link
        self._status = status
        self._status_message = status_message
        self._tags = {tag.key: tag.value for tag in (tags or [])}
        self._aliases = aliases or []
        self._model_id = model_id
        self._params = params
        self._metrics = metrics
        self._deployment_job_state = deployment_job_state
        self._workspace = workspace or DEFAULT_WORKSPACE

    # Read through C getters (operator.attrgetter) rather than Python functions: a search
    # returns tens of thousands of versions and a caller reads every field of each, so
    # each read skipping a Python frame is visible; they stay properties, as MLflow's.
    def _set_name(self, new_name: str):
        self._name = new_name

    def _set_last_updated_timestamp(self, updated_timestamp: int):
        self._last_updated_timestamp = updated_timestamp

    def _set_description(self, description: str):
        self._description = description

    def _set_current_stage(self, stage: str):
        self._current_stage = stage

    def _set_aliases(self, aliases: list[str]):
        self._aliases = aliases

    name = property(attrgetter("_name"), _set_name,
                    doc="String. Unique name within Model Registry.")
    version = property(attrgetter("_version"), doc="Version")
    creation_timestamp = property(
        attrgetter("_creation_time"),
        doc="Integer. Model version creation timestamp (milliseconds since the Unix epoch).")
    last_updated_timestamp = property(
        attrgetter("_last_updated_timestamp"), _set_last_updated_timestamp,
        doc="Integer. Timestamp of last update for this model version (milliseconds since "
            "the Unix epoch).")
    description = property(attrgetter("_description"), _set_description,
                           doc="String. Description")
    user_id = property(attrgetter("_user_id"),
                       doc="String. User ID that created this model version.")
    current_stage = property(attrgetter("_current_stage"), _set_current_stage,
                             doc="String. Current stage of this model version.")
    source = property(attrgetter("_source"), doc="String. Source path for the model.")
    run_id = property(attrgetter("_run_id"),
                      doc="String. MLflow run ID that generated this model.")
    run_link = property(attrgetter("_run_link"),
                        doc="String. MLflow run link referring to the exact run that "
                            "generated this model version.")
    status = property(attrgetter("_status"),
                      doc="String. Current Model Registry status for this model.")
    status_message = property(attrgetter("_status_message"),
                              doc="String. Descriptive message for error status conditions.")
    tags = property(attrgetter("_tags"),
                    doc="Dictionary of tag key (string) -> tag value for the current model "
                        "version.")
    aliases = property(attrgetter("_aliases"), _set_aliases,
                       doc="List of aliases (string) for the current model version.")
    model_id = property(attrgetter("_model_id"),
                        doc="String. ID of the model associated with this version.")
    params = property(attrgetter("_params"),
                      doc="List of parameters associated with this model version.")
    metrics = property(attrgetter("_metrics"),
                       doc="List of metrics associated with this model version.")
    deployment_job_state = property(attrgetter("_deployment_job_state"),
                                    doc="Deployment job state for the current model version.")
    workspace = property(attrgetter("_workspace"), doc="Workspace of the model version.")
    del _set_name, _set_last_updated_timestamp, _set_description, _set_current_stage, \
        _set_aliases

    def _is_prompt(self) -> bool:
        return self._tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"

    def _add_tag(self, tag: ModelVersionTag) -> None:
        self._tags[tag.key] = tag.value

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
        entity._name = name
        entity._version = version
        entity._creation_time = creation_timestamp
        entity._last_updated_timestamp = last_updated_timestamp
        entity._description = description
        entity._user_id = user_id
        entity._current_stage = current_stage
        entity._source = source
        entity._run_id = run_id
        entity._run_link = run_link
        entity._status = status
        entity._status_message = status_message
        entity._tags = tags
        entity._aliases = aliases
        entity._model_id = None
        entity._params = None
        entity._metrics = None
        entity._deployment_job_state = None
        entity._workspace = workspace
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
