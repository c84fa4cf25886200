"""The MLmodel file of MLflow 3.17.2: ``Model``.

An MLmodel file is YAML with sorted keys (PyYAML's ``safe_dump``, block style), as MLflow
writes it: ``artifact_path``, ``flavors``, ``is_signature_from_type_hint``, ``metadata``,
``mlflow_version``, ``model_id``, ``model_size_bytes``, ``model_uuid``, ``prompts``,
``run_id``, ``saved_input_example_info``, ``signature``, ``type_hint_from_example``,
``utc_time_created``...  Fields that are None are written as MLflow writes them: some
as ``null`` (``model_id``, ``prompts``), others left out (``artifact_path``, ``run_id``,
``metadata``, ``saved_input_example_info``...).

``mlflow_version`` is "3.17.2": the MLflow version whose format these files follow, so
real MLflow loads them with no version-mismatch warning.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from typing import Any

from ...exceptions import MlflowException

MLMODEL_FILE_NAME = "MLmodel"
MLFLOW_VERSION = "3.17.2"  # the MLflow version whose model format we write

# attributes kept out of the plain ``__dict__`` dump (written only when set)
_OPTIONAL = ("signature", "saved_input_example_info", "metadata", "model_size_bytes",
             "resources", "env_vars", "auth_policy")


def _yaml():
    from ...utils.optional import require

    return require("yaml", "Model files (MLmodel)")


class Model:
    """An MLflow Model: its flavours and metadata, as stored in an MLmodel file."""

    def __init__(self, artifact_path=None, run_id=None, utc_time_created=None, flavors=None,
                 signature=None, saved_input_example_info: dict | None = None,
                 model_uuid: Any = lambda: uuid.uuid4().hex,
                 mlflow_version: str | None = MLFLOW_VERSION, metadata: dict | None = None,
                 model_size_bytes: int | None = None, resources=None,
                 env_vars: list[str] | None = None, auth_policy=None,
                 model_id: str | None = None, prompts: list[str] | None = None, **kwargs):
        self.run_id = run_id
        self.artifact_path = artifact_path
        self.utc_time_created = str(
            utc_time_created or datetime.now(timezone.utc).replace(tzinfo=None))
        self.flavors = flavors if flavors is not None else {}
        self.model_uuid = model_uuid() if callable(model_uuid) else model_uuid
        self.mlflow_version = mlflow_version
        self.model_id = model_id
        self.prompts = prompts
        self._signature = signature
        self._saved_input_example_info = saved_input_example_info
        self._metadata = metadata
        self._model_size_bytes = model_size_bytes
        self._resources = resources
        self._env_vars = env_vars
        self._auth_policy = auth_policy
        self.__dict__.update(kwargs)

    # the optional fields, as properties (they are written only when set)
    def _get(name):  # noqa: N805
        return property(lambda self: getattr(self, "_" + name),
                        lambda self, value: setattr(self, "_" + name, value))

    signature = _get("signature")
    saved_input_example_info = _get("saved_input_example_info")
    metadata = _get("metadata")
    model_size_bytes = _get("model_size_bytes")
    resources = _get("resources")
    env_vars = _get("env_vars")
    auth_policy = _get("auth_policy")
    del _get

    def __eq__(self, other) -> bool:
        return isinstance(other, Model) and self.__dict__ == other.__dict__

    def __str__(self) -> str:
        return self.to_yaml()

    # ------------------------------------------------------------------ flavours
    def add_flavor(self, name: str, **params) -> "Model":
        """Add (or replace) a flavour entry: how to load the model in a given format."""
        self.flavors[name] = params
        return self

    def get_input_schema(self):
        """The input Schema, or None without a signature."""
        return self.signature.inputs if self.signature is not None else None

    def get_output_schema(self):
        """The output Schema, or None without a signature."""
        return self.signature.outputs if self.signature is not None else None

    def get_params_schema(self):
        """The ParamSchema, or None."""
        return getattr(self.signature, "params", None)

    def load_input_example(self, path: str | None = None):
        """The input example saved beside the model in directory ``path`` (None if none)."""
        from .input_example import load_input_example

        return load_input_example(self, path)

    # ------------------------------------------------------------------ serialization
    def to_dict(self) -> dict[str, Any]:
        """The MLmodel content as a dict (MLflow's keys and None rules)."""
        result = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}
        if self.signature is not None:
            result["signature"] = self.signature.to_dict()
            result["is_signature_from_type_hint"] = self.signature._is_signature_from_type_hint
            result["type_hint_from_example"] = self.signature._is_type_hint_from_example
        for name in _OPTIONAL[1:]:
            value = getattr(self, name)
            if value is not None:
                result[name] = value
        if self.mlflow_version is None:
            result.pop("mlflow_version", None)
        if self.artifact_path is None:
            result.pop("artifact_path", None)
        if self.run_id is None:
            result.pop("run_id", None)
        return result

    def to_yaml(self, stream=None) -> str:
        """The MLmodel YAML (written to ``stream`` when given)."""
        return _yaml().safe_dump(self.to_dict(), stream=stream, default_flow_style=False)

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict())

    def save(self, path) -> None:
        """Write the MLmodel file at local ``path``."""
        with open(path, "w") as out:
            self.to_yaml(out)

    @classmethod
    def from_dict(cls, model_dict: dict) -> "Model":
        """The Model of an MLmodel file's content."""
        from .signature import ModelSignature

        model_dict = dict(model_dict)
        if isinstance(model_dict.get("signature"), dict):
            signature = ModelSignature.from_dict(model_dict["signature"])
            signature._is_signature_from_type_hint = model_dict.pop(
                "is_signature_from_type_hint", False)
            signature._is_type_hint_from_example = model_dict.pop("type_hint_from_example",
                                                                  False)
            model_dict["signature"] = signature
        model_dict.setdefault("model_uuid", None)
        model_dict.setdefault("mlflow_version", None)
        return cls(**model_dict)

    @classmethod
    def load(cls, path) -> "Model":
        """The Model of an MLmodel file: a local file, a local model directory, or any
        model URI (``runs:/``, ``models:/``, artifact URIs), downloaded first."""
        path = os.fspath(path)
        local = path[len("file://"):] if path.startswith("file://") else path
        if "://" not in path and ":/" not in path or path.startswith("file://"):
            if not os.path.exists(local):
                raise MlflowException(
                    f'Could not find an "{MLMODEL_FILE_NAME}" configuration file at "{local}"',
                    error_code="RESOURCE_DOES_NOT_EXIST")
        else:
            from .model_loading import download_model_file

            local = download_model_file(path)
        if os.path.isdir(local):
            local = os.path.join(local, MLMODEL_FILE_NAME)
        if not os.path.exists(local):
            raise MlflowException(
                f'Could not find an "{MLMODEL_FILE_NAME}" configuration file at "{local}"',
                error_code="RESOURCE_DOES_NOT_EXIST")
        with open(local) as f:
            return cls.from_dict(_yaml().safe_load(f))

    def get_model_info(self, logged_model=None):
        """The ModelInfo of this model (and of its LoggedModel, when given)."""
        from .model_info import ModelInfo

        return ModelInfo(
            artifact_path=self.artifact_path, flavors=self.flavors,
            model_uri=(f"models:/{self.model_id}" if self.model_id
                       else f"runs:/{self.run_id}/{self.artifact_path}"),
            model_uuid=self.model_uuid, run_id=self.run_id,
            saved_input_example_info=self.saved_input_example_info, signature=self.signature,
            utc_time_created=self.utc_time_created, mlflow_version=self.mlflow_version,
            metadata=self.metadata, prompts=self.prompts, env_vars=self.env_vars,
            logged_model=logged_model)


def directory_size(path) -> int:
    """Total bytes of the files under ``path``: a flavour's ``model_size_bytes``, which
    MLflow measures after writing the model's files and before the MLmodel file."""
    path = os.fspath(path)
    return sum(os.path.getsize(os.path.join(root, name))
               for root, _, files in os.walk(path) for name in files)


__all__ = ["MLMODEL_FILE_NAME", "Model", "directory_size"]
