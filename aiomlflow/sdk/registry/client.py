"""MlflowClient's model-registry methods (mixed into MlflowClient).

The registry lives in the store of the registry URI (``registry_uri`` of the client,
else ``set_registry_uri`` / MLFLOW_REGISTRY_URI, else the tracking URI), reached through
that URI's engine: writes are queued calls (``engine.call``), reads run at once
(``engine.read``).  Arguments are checked here, with MLflow 3.17.2's codes and messages.
"""

from __future__ import annotations

import time
import warnings

from ...exceptions import INTERNAL_ERROR, RESOURCE_DOES_NOT_EXIST, MlflowException
from ...workers.registry import get_engine
from . import validation as checks

# how long register_model / create_model_version wait for READY by default (seconds)
DEFAULT_AWAIT_MAX_SLEEP_SECONDS = 300
_AWAIT_POLL_SECONDS = 3
_STAGES_DEPRECATION = ("Model registry stages will be removed in a future major release. To "
                       "learn more about the deprecation of model registry stages, see our "
                       "migration guide here: https://mlflow.org/docs/latest/model-registry.html"
                       "#migrating-from-stages")


def registry_uri_of(client_registry_uri: str | None, tracking_uri: str) -> str:
    """The registry URI a client uses: its own, else the one set for the process (or
    MLFLOW_REGISTRY_URI), else its tracking URI."""
    if client_registry_uri:
        return client_registry_uri
    import os

    from .. import tracking_uri as uris_module

    return uris_module._registry_uri or os.environ.get("MLFLOW_REGISTRY_URI") or tracking_uri


def _tag_pairs(tags, check) -> list[tuple[str, str]]:
    return [check(key, value) for key, value in (tags or {}).items()]


# the tag that marks a registered model or version as a prompt
IS_PROMPT_TAG_KEY = "mlflow.prompt.is_prompt"


def _is_prompt_tags(tags) -> bool:
    return str((tags or {}).get(IS_PROMPT_TAG_KEY, "false")).lower() == "true"


class RegistryClientMethods:
    """The registry half of MlflowClient (``self._registry_engine`` is the registry
    store's engine)."""

    @property
    def _registry_engine(self):
        return get_engine(registry_uri_of(self._registry_uri, self.tracking_uri))

    def _raise_if_prompt(self, name) -> None:
        # MLflow's client looks the model up before most changes: an unknown name fails
        # there, and a prompt (a registered model tagged as one) is not a model
        if self.get_registered_model(name)._is_prompt():
            raise MlflowException(f"Registered Model with name={name!r} not found.",
                                  RESOURCE_DOES_NOT_EXIST)

    # ---------------------------------------------------------------- registered models
    def create_registered_model(self, name: str, tags: dict | None = None,
                                description: str | None = None,
                                deployment_job_id: str | None = None):
        """Create a registered model (RESOURCE_ALREADY_EXISTS if the name is taken)."""
        if deployment_job_id is not None:
            raise MlflowException.invalid_parameter_value(
                "deployment_job_id is a Databricks model registry feature; aiomlflow's stores "
                "do not support it.")
        if _is_prompt_tags(tags):
            raise MlflowException.invalid_parameter_value(
                "Prompts cannot be registered as models.")
        checks.validate_model_name(name)
        pairs = _tag_pairs(tags, checks.registered_model_tag)
        return self._registry_engine.call("create_registered_model", name, pairs, description)

    def get_registered_model(self, name: str):
        """The registered model with this name, its tags, aliases and latest versions."""
        checks.validate_model_name(name)
        return self._registry_engine.read("get_registered_model", name)

    def rename_registered_model(self, name: str, new_name: str) -> None:
        """Give a registered model (and its versions) a new name.  Returns None, as
        MLflow 3.17.2's client does (read the model back with get_registered_model)."""
        self._raise_if_prompt(name)
        checks.validate_new_name(new_name)
        self._registry_engine.call("rename_registered_model", name, new_name)

    def update_registered_model(self, name: str, description: str | None = None,
                                deployment_job_id: str | None = None):
        """Set a registered model's description."""
        if deployment_job_id is not None:
            raise MlflowException.invalid_parameter_value(
                "deployment_job_id is a Databricks model registry feature; aiomlflow's stores "
                "do not support it.")
        self._raise_if_prompt(name)
        return self._registry_engine.call("update_registered_model", name, description)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model with its versions, tags and aliases."""
        self._raise_if_prompt(name)
        self._registry_engine.call("delete_registered_model", name)

    def search_registered_models(self, filter_string: str | None = None,
                                 max_results: int = 100, order_by: list[str] | None = None,
                                 page_token: str | None = None):
        """One page of registered models matching ``filter_string``: a PagedList whose
        ``token`` fetches the next page."""
        from ..search.query import PagedList
        from ..search.registry import registered_model_search

        query = registered_model_search(filter_string, max_results, order_by, page_token)
        items, token = self._registry_engine.read("search_registry", query)
        return PagedList(items, token)

    def set_registered_model_tag(self, name, key, value) -> None:
        """Set a tag (value stringified) on a registered model."""
        self._raise_if_prompt(name)
        key, value = checks.registered_model_tag(key, value)
        self._registry_engine.call("set_registered_model_tag", name, key, value)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Delete a tag of a registered model (no error if it has none)."""
        self._raise_if_prompt(name)
        checks.validate_tag_key(key)
        self._registry_engine.call("delete_registered_model_tag", name, key)

    def get_latest_versions(self, name: str, stages: list[str] | None = None):
        """The latest version of each stage (of ``stages`` only, if given)."""
        from ...entities.model_registry import get_canonical_stage

        self._raise_if_prompt(name)
        for stage in stages or ():
            get_canonical_stage(stage)
        return self._registry_engine.read("get_latest_versions", name, list(stages or ()))

    # ---------------------------------------------------------------- model versions
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict | None = None, run_link: str | None = None,
                             description: str | None = None,
                             await_creation_for: int = DEFAULT_AWAIT_MAX_SLEEP_SECONDS,
                             model_id: str | None = None):
        """Create a new version of a registered model from the model files at ``source``
        (a ``runs:/``, ``models:/`` or artifact URI, or a local path)."""
        return self._create_model_version(name, source, run_id, tags, run_link, description,
                                          await_creation_for, model_id=model_id)

    def _create_model_version(self, name, source, run_id=None, tags=None, run_link=None,
                              description=None,
                              await_creation_for=DEFAULT_AWAIT_MAX_SLEEP_SECONDS,
                              model_id=None):
        if _is_prompt_tags(tags):
            raise MlflowException.invalid_parameter_value(
                "Prompts cannot be registered as models.")
        checks.validate_model_name(name)
        pairs = _tag_pairs(tags, checks.model_version_tag)
        from . import uris

        source = str(source)
        storage_location = source
        if uris.is_models_uri(source):
            # the files behind a models:/ source are found now, as MLflow's SQL store does
            parsed = uris.parse_model_uri(source)
            try:
                if parsed.model_id is not None:
                    model = self.get_logged_model(parsed.model_id)
                    storage_location = model.artifact_location
                    run_id = run_id or model.source_run_id
                else:
                    storage_location = self.get_model_version_download_uri(parsed.name,
                                                                          parsed.version)
            except Exception as exc:
                raise MlflowException(
                    "Unable to fetch model from model URI source artifact location "
                    f"'{source}'.Error: {exc}", INTERNAL_ERROR) from exc
        if not run_id and model_id:
            run_id = self.get_logged_model(model_id).source_run_id
        version = self._registry_engine.call("create_model_version", name, source, run_id,
                                             pairs, run_link, description, model_id,
                                             storage_location)
        if await_creation_for and await_creation_for > 0:
            version = self._await_ready(version, await_creation_for)
        return version

    def _await_ready(self, version, await_creation_for):
        """Poll a new version until it leaves PENDING_REGISTRATION (MLflow's wait; our
        stores create versions READY, a server's registry may not)."""
        deadline = time.monotonic() + await_creation_for
        while version.status == "PENDING_REGISTRATION":
            if time.monotonic() > deadline:
                raise MlflowException(
                    f"Exceeded max wait time for model name: {version.name} version: "
                    f"{version.version} to become READY. Status: {version.status} Wait Time: "
                    f"{await_creation_for}.")
            time.sleep(min(_AWAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            version = self.get_model_version(version.name, version.version)
        if version.status != "READY":
            raise MlflowException(
                f"Model version creation failed for model name: {version.name} version: "
                f"{version.version} with status: {version.status} and message: "
                f"{version.status_message}")
        return version

    def get_model_version(self, name: str, version: str):
        """One version of a registered model (RESOURCE_DOES_NOT_EXIST if unknown)."""
        checks.validate_model_name(name)
        return self._registry_engine.read("get_model_version", name,
                                          checks.validate_version(version))

    def update_model_version(self, name: str, version: str, description: str | None = None):
        """Set a version's description."""
        self._raise_if_prompt(name)
        return self._registry_engine.call("update_model_version", name,
                                          checks.validate_version(version), description)

    def transition_model_version_stage(self, name: str, version: str, stage: str,
                                       archive_existing_versions: bool = False):
        """Move a version to a stage (deprecated in MLflow; kept for its users)."""
        from ...entities.model_registry import (
            DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS, get_canonical_stage,
        )

        warnings.warn("mlflow.tracking.client.MlflowClient.transition_model_version_stage is "
                      f"deprecated. {_STAGES_DEPRECATION}", FutureWarning, stacklevel=2)
        self._raise_if_prompt(name)
        canonical = get_canonical_stage(stage)
        if archive_existing_versions and canonical not in DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS:
            raise MlflowException(
                "Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are "
                f"{DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS}")
        return self._registry_engine.call("transition_model_version_stage", name,
                                          checks.validate_version(version), stage,
                                          bool(archive_existing_versions))

    def delete_model_version(self, name: str, version: str) -> None:
        """Delete a version (its aliases go with it)."""
        self._raise_if_prompt(name)
        self._registry_engine.call("delete_model_version", name,
                                   checks.validate_version(version))

    def get_model_version_download_uri(self, name: str, version: str) -> str:
        """Where the files of a version can be downloaded from."""
        self._raise_if_prompt(name)
        return self._registry_engine.read("get_model_version_download_uri", name,
                                          checks.validate_version(version))

    def search_model_versions(self, filter_string: str | None = None,
                              max_results: int = 10_000, order_by: list[str] | None = None,
                              page_token: str | None = None):
        """One page of model versions matching ``filter_string``: a PagedList whose
        ``token`` fetches the next page."""
        from ..search.query import PagedList
        from ..search.registry import model_version_search

        query = model_version_search(filter_string, max_results, order_by, page_token)
        items, token = self._registry_engine.read("search_registry", query)
        return PagedList(items, token)

    def _version_of_stage(self, name, version, stage, method: str):
        checks.version_or_stage(version, stage)
        self._raise_if_prompt(name)
        if not stage:
            return version
        warnings.warn(f"The `stage` parameter of the `{method}` API is deprecated. "
                      f"{_STAGES_DEPRECATION}", FutureWarning, stacklevel=3)
        latest = self.get_latest_versions(name, stages=[stage])
        if not latest:
            raise MlflowException(f"Could not find any model version for {stage} stage")
        return latest[0].version

    def set_model_version_tag(self, name: str, version: str | None = None,
                              key: str | None = None, value=None,
                              stage: str | None = None) -> None:
        """Set a tag on a version (or on the latest version of ``stage``)."""
        version = self._version_of_stage(name, version, stage, "set_model_version_tag")
        checks.validate_model_name(name)
        number = checks.validate_version(version)
        key, value = checks.model_version_tag(key, value)
        self._registry_engine.call("set_model_version_tag", name, number, key, value)

    def delete_model_version_tag(self, name: str, version: str | None = None,
                                 key: str | None = None, stage: str | None = None) -> None:
        """Delete a tag of a version (or of the latest version of ``stage``)."""
        version = self._version_of_stage(name, version, stage, "delete_model_version_tag")
        checks.validate_model_name(name)
        number = checks.validate_version(version)
        checks.validate_tag_key(key)
        self._registry_engine.call("delete_model_version_tag", name, number, key)

    def copy_model_version(self, src_model_uri, dst_name):
        """Copy a registered version (``models:/<name>/<version>`` or ``@alias``) to a new
        version of ``dst_name`` (created if needed) whose source is ``src_model_uri``."""
        from . import uris

        if not uris.is_models_uri(src_model_uri):
            raise MlflowException(
                f"Unsupported source model URI: '{src_model_uri}'. The `copy_model_version` "
                "API only copies models stored in the 'models:/' scheme.")
        try:
            src_name, src_version = uris.name_and_version(self, src_model_uri)
            source = self.get_model_version(src_name, src_version)
        except MlflowException as exc:
            raise MlflowException(
                f"Failed to fetch model version from source model URI: '{src_model_uri}'. "
                f"Error: {exc}") from exc
        try:
            self.create_registered_model(dst_name)
            _eprint(f"Successfully registered model '{dst_name}'.")
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        copy = self._create_model_version(
            dst_name, f"models:/{source.name}/{source.version}", run_id=source.run_id,
            tags=source.tags, run_link=source.run_link, description=source.description)
        _eprint(f"Copied version '{source.version}' of model '{source.name}' to version "
                f"'{copy.version}' of model '{copy.name}'.")
        return copy

    # ---------------------------------------------------------------- aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        """Point ``alias`` at a version of a registered model."""
        self._raise_if_prompt(name)
        checks.validate_settable_alias(alias)
        self._registry_engine.call("set_registered_model_alias", name, alias,
                                   checks.validate_version(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias of a registered model."""
        self._raise_if_prompt(name)
        checks.validate_alias(alias)
        self._registry_engine.call("delete_registered_model_alias", name, alias)

    def get_model_version_by_alias(self, name: str, alias: str):
        """The version an alias points at (``latest``: the highest version)."""
        checks.validate_model_name(name)
        checks.validate_alias(alias)
        return self._registry_engine.read("get_model_version_by_alias", name, alias)


def _eprint(message: str) -> None:
    import sys

    print(message, file=sys.stderr)
