"""``ModelInfo``: what ``log_model`` returns, MLflow 3.17.2's fields."""

from __future__ import annotations

from typing import Any


class ModelInfo:
    """The metadata of a logged MLflow Model (its MLmodel fields, and the id, name,
    params, tags, metrics and creation time of its LoggedModel)."""

    def __init__(self, artifact_path: str, flavors: dict[str, Any], model_uri: str,
                 model_uuid: str, run_id: str, saved_input_example_info: dict | None,
                 signature, utc_time_created: str, mlflow_version: str,
                 metadata: dict | None = None, registered_model_version: int | None = None,
                 env_vars: list[str] | None = None, prompts: list[str] | None = None,
                 logged_model=None):
        self._artifact_path = artifact_path
        self._flavors = flavors
        self._model_uri = model_uri
        self._model_uuid = model_uuid
        self._run_id = run_id
        self._saved_input_example_info = saved_input_example_info
        self._signature = signature
        self._utc_time_created = utc_time_created
        self._mlflow_version = mlflow_version
        self._metadata = metadata
        self._prompts = prompts
        self._registered_model_version = registered_model_version
        self._env_vars = env_vars
        self._logged_model = logged_model

    def _model(name):  # noqa: N805
        return property(lambda self: getattr(self._logged_model, name)
                        if self._logged_model else None)

    def _own(name):  # noqa: N805
        return property(lambda self: getattr(self, "_" + name))

    artifact_path = _own("artifact_path")
    flavors = _own("flavors")
    model_uri = _own("model_uri")
    model_uuid = _own("model_uuid")
    run_id = _own("run_id")
    saved_input_example_info = _own("saved_input_example_info")
    signature = _own("signature")
    utc_time_created = _own("utc_time_created")
    mlflow_version = _own("mlflow_version")
    metadata = _own("metadata")
    prompts = _own("prompts")
    model_id = _model("model_id")
    metrics = _model("metrics")
    params = _model("params")
    tags = _model("tags")
    creation_timestamp = _model("creation_timestamp")
    name = _model("name")
    del _model, _own

    @property
    def env_vars(self) -> list[str] | None:
        """Environment variables the model used during inference, if recorded."""
        return self._env_vars

    @env_vars.setter
    def env_vars(self, value) -> None:
        self._env_vars = value

    @property
    def registered_model_version(self) -> int | None:
        """The registered model version, when log_model registered the model."""
        return self._registered_model_version

    @registered_model_version.setter
    def registered_model_version(self, value) -> None:
        self._registered_model_version = value


__all__ = ["ModelInfo"]
