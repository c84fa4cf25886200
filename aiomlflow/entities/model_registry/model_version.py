"""ModelVersion: one version of a registered model."""

from __future__ import annotations

import orjson

from aiomlflow.entities.model_registry._entity import (
    DEFAULT_WORKSPACE, _RegistryEntity, rest_int,
)
from aiomlflow.entities.model_registry.model_version_deployment_job_state import (
    ModelVersionDeploymentJobState,
)
from aiomlflow.entities.model_registry.model_version_tag import ModelVersionTag

# the tag that marks a registered model (or version) as a prompt
IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"


# the fields of a row of _from_json_row, in order (then the tags)
_ROW_FIELDS = ("_name", "_version", "_creation_time", "_last_updated_timestamp", "_description",
               "_user_id", "_current_stage", "_source", "_run_id", "_status",
               "_status_message", "_run_link")

_UNSET_FIELDS = {"_model_id": None, "_params": None, "_metrics": None,
                 "_deployment_job_state": None}


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

    @property
    def name(self) -> str:
        """String. Unique name within Model Registry."""
        return self._name

    @name.setter
    def name(self, new_name: str):
        self._name = new_name

    @property
    def version(self) -> str:
        """Version"""
        return self._version

    @property
    def creation_timestamp(self) -> int:
        """Integer. Model version creation timestamp (milliseconds since the Unix epoch)."""
        return self._creation_time

    @property
    def last_updated_timestamp(self) -> int | None:
        """Integer. Timestamp of last update for this model version (milliseconds since the
        Unix epoch)."""
        return self._last_updated_timestamp

    @last_updated_timestamp.setter
    def last_updated_timestamp(self, updated_timestamp: int):
        self._last_updated_timestamp = updated_timestamp

    @property
    def description(self) -> str | None:
        """String. Description"""
        return self._description

    @description.setter
    def description(self, description: str):
        self._description = description

    @property
    def user_id(self) -> str | None:
        """String. User ID that created this model version."""
        return self._user_id

    @property
    def current_stage(self) -> str | None:
        """String. Current stage of this model version."""
        return self._current_stage

    @current_stage.setter
    def current_stage(self, stage: str):
        self._current_stage = stage

    @property
    def source(self) -> str | None:
        """String. Source path for the model."""
        return self._source

    @property
    def run_id(self) -> str | None:
        """String. MLflow run ID that generated this model."""
        return self._run_id

    @property
    def run_link(self) -> str | None:
        """String. MLflow run link referring to the exact run that generated this model
        version."""
        return self._run_link

    @property
    def status(self) -> str:
        """String. Current Model Registry status for this model."""
        return self._status

    @property
    def status_message(self) -> str | None:
        """String. Descriptive message for error status conditions."""
        return self._status_message

    @property
    def tags(self) -> dict[str, str]:
        """Dictionary of tag key (string) -> tag value for the current model version."""
        return self._tags

    @property
    def aliases(self) -> list[str]:
        """List of aliases (string) for the current model version."""
        return self._aliases

    @aliases.setter
    def aliases(self, aliases: list[str]):
        self._aliases = aliases

    @property
    def model_id(self) -> str | None:
        """String. ID of the model associated with this version."""
        return self._model_id

    @property
    def params(self) -> list | None:
        """List of parameters associated with this model version."""
        return self._params

    @property
    def metrics(self) -> list | None:
        """List of metrics associated with this model version."""
        return self._metrics

    @property
    def deployment_job_state(self) -> ModelVersionDeploymentJobState | None:
        """Deployment job state for the current model version."""
        return self._deployment_job_state

    @property
    def workspace(self) -> str:
        """Workspace of the model version."""
        return self._workspace

    def _is_prompt(self) -> bool:
        return self._tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"

    def _add_tag(self, tag: ModelVersionTag) -> None:
        self._tags[tag.key] = tag.value

    @classmethod
    def _from_store(cls, name, version, creation_timestamp, last_updated_timestamp,
                    description, user_id, current_stage, source, run_id, status,
                    status_message, run_link, tags: dict, aliases: list,
                    workspace: str) -> "ModelVersion":
        """A version as a store row gives it, tags already a dict: a search builds tens of
        thousands, so the fields are set in one step."""
        entity = cls.__new__(cls)
        entity.__dict__ = {
            "_name": name, "_version": version, "_creation_time": creation_timestamp,
            "_last_updated_timestamp": last_updated_timestamp, "_description": description,
            "_user_id": user_id, "_current_stage": current_stage, "_source": source,
            "_run_id": run_id, "_run_link": run_link, "_status": status,
            "_status_message": status_message, "_tags": tags, "_aliases": aliases,
            "_model_id": None, "_params": None, "_metrics": None,
            "_deployment_job_state": None, "_workspace": workspace}
        return entity

    @classmethod
    def _from_json_row(cls, text: str, workspace: str) -> "ModelVersion":
        """A version of a store search, kept as the JSON array its row was read as
        (the ``_from_store`` fields, tags as an object) until a field is first read: a
        search answers tens of thousands of versions, most of which nobody opens."""
        entity = cls.__new__(cls)
        entity.__dict__ = {"_json_row": text, "_workspace": workspace}
        return entity

    def __getattr__(self, name):
        # only reached for a field not set yet: that of a version built by
        # _from_json_row, whose fields are filled in now (fields set since win)
        state = self.__dict__
        text = state.get("_json_row")
        if text is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        row = orjson.loads(text)
        fields = dict(zip(_ROW_FIELDS, row))
        fields.update(_UNSET_FIELDS, _tags=row[12] or {}, _aliases=[])
        fields.update(state)
        del fields["_json_row"]
        self.__dict__ = fields
        return object.__getattribute__(self, name)

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
