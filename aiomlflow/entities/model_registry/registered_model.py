"""RegisteredModel: a named model of the registry, its tags, aliases and latest versions."""

from __future__ import annotations

from aiomlflow.entities.model_registry._entity import (
    DEFAULT_WORKSPACE, _RegistryEntity, rest_int,
)
from aiomlflow.entities.model_registry.model_version import IS_PROMPT_TAG_KEY, ModelVersion


class RegisteredModel(_RegistryEntity):
    """MLflow entity for Registered Model."""

    def __init__(self, name, creation_timestamp=None, last_updated_timestamp=None,
                 description=None, latest_versions=None, tags=None, aliases=None,
                 deployment_job_id=None, deployment_job_state=None,
                 workspace: str | None = None):
        self._name = name
        self._creation_time = creation_timestamp
        self._last_updated_timestamp = last_updated_timestamp
        self._description = description
        self._latest_version = latest_versions
        self._tags = {tag.key: tag.value for tag in (tags or [])}
        self._aliases = {alias.alias: alias.version for alias in (aliases or [])}
        self._deployment_job_id = deployment_job_id
        self._deployment_job_state = deployment_job_state
        self._workspace = workspace or DEFAULT_WORKSPACE

    @property
    def name(self):
        """String. Registered model name."""
        return self._name

    @name.setter
    def name(self, new_name):
        self._name = new_name

    @property
    def creation_timestamp(self):
        """Integer. Model version creation timestamp (milliseconds since the Unix epoch)."""
        return self._creation_time

    @property
    def last_updated_timestamp(self):
        """Integer. Timestamp of last update for this model version (milliseconds since the
        Unix epoch)."""
        return self._last_updated_timestamp

    @last_updated_timestamp.setter
    def last_updated_timestamp(self, updated_timestamp):
        self._last_updated_timestamp = updated_timestamp

    @property
    def description(self):
        """String. Description"""
        return self._description

    @description.setter
    def description(self, description):
        self._description = description

    @property
    def latest_versions(self):
        """List of the latest :class:`ModelVersion` of each stage."""
        return self._latest_version

    @latest_versions.setter
    def latest_versions(self, latest_versions):
        self._latest_version = latest_versions

    @property
    def tags(self):
        """Dictionary of tag key (string) -> tag value for the current registered model."""
        return {k: v for k, v in self._tags.items() if k != IS_PROMPT_TAG_KEY}

    @property
    def aliases(self):
        """Dictionary of aliases (string) -> version for the current registered model."""
        return self._aliases

    @property
    def workspace(self) -> str:
        """Workspace name for the registered model."""
        return self._workspace

    @property
    def deployment_job_id(self):
        """Deployment job ID for the current registered model."""
        return self._deployment_job_id

    @deployment_job_id.setter
    def deployment_job_id(self, deployment_job_id):
        self._deployment_job_id = deployment_job_id

    @property
    def deployment_job_state(self):
        """Deployment job state for the current registered model."""
        return self._deployment_job_state

    def _is_prompt(self) -> bool:
        return self._tags.get(IS_PROMPT_TAG_KEY, "false").lower() == "true"

    def _add_tag(self, tag) -> None:
        self._tags[tag.key] = tag.value

    def _add_alias(self, alias) -> None:
        self._aliases[alias.alias] = alias.version

    @classmethod
    def from_dict(cls, d: dict) -> "RegisteredModel":
        """Parse a ``registered_model`` of MLflow's REST JSON, with the values MLflow's
        REST client gives unset fields."""
        model = cls(d.get("name", ""), rest_int(d.get("creation_timestamp", 0)),
                    rest_int(d.get("last_updated_timestamp", 0)), d.get("description", ""),
                    [ModelVersion.from_dict(v) for v in d.get("latest_versions", ())])
        for tag in d.get("tags", ()):
            model._tags[tag.get("key", "")] = tag.get("value", "")
        for alias in d.get("aliases", ()):
            model._aliases[alias.get("alias", "")] = alias.get("version", "")
        model._deployment_job_id = d.get("deployment_job_id", "")
        model._deployment_job_state = d.get("deployment_job_state",
                                            "DEPLOYMENT_JOB_CONNECTION_STATE_UNSPECIFIED")
        return model
