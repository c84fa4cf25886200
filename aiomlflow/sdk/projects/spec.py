"""The MLproject file: environments, entry points, their parameters and commands.

Facts kept from MLflow 3.17.2: the file is named ``MLproject`` (any case); at most one of
``docker_env`` / ``python_env`` / ``conda_env``; without one, ``python_env.yaml`` then
``conda.yaml`` in the project directory name the environment, else a plain Python one.
A parameter is ``name: type`` or ``name: {type, default}`` (type "string" by default);
only ``uri`` and ``path`` values are checked.  Values are shell-quoted into the command
(and logged quoted); parameters the entry point does not declare are appended as
``--key value``.
"""

from __future__ import annotations

import os
import shlex
import urllib.parse
from dataclasses import dataclass, field

from ...exceptions import ExecutionException, MlflowException
from ...transports.projects import files

DOCKER, PYTHON, CONDA = "docker_env", "python_env", "conda_env"
ENV_FIELDS = (DOCKER, PYTHON, CONDA)
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_FILE = "conda.yaml"


@dataclass
class Parameter:
    """One declared parameter of an entry point."""

    name: str
    type: str = "string"
    default: object = None

    @classmethod
    def from_yaml(cls, name: str, spec) -> "Parameter":
        if isinstance(spec, str):
            return cls(name, spec, None)
        if not isinstance(spec, dict):
            raise ExecutionException(
                f"Project configuration (MLproject file) was invalid: parameter {name!r} must "
                f"be a type name or a mapping with 'type' and 'default', got {spec!r}")
        return cls(name, spec.get("type", "string"), spec.get("default"))

    def resolve(self, value, storage_dir: str | None, position: int):
        """The value substituted for this parameter (a local path for ``path`` ones when
        ``storage_dir`` is given: remote URIs are downloaded under it)."""
        if self.type == "uri":
            if not urllib.parse.urlparse(str(value)).scheme:
                raise ExecutionException(
                    f"Expected URI for parameter {self.name} but got {value}")
            return value
        if self.type == "path" and storage_dir:
            return _resolve_path(self.name, str(value), storage_dir, position)
        return value


def _local_path_or_none(value: str) -> str | None:
    parsed = urllib.parse.urlparse(value)
    if not parsed.scheme:
        return value
    if parsed.scheme == "file" and not parsed.netloc:
        return urllib.parse.unquote(parsed.path)
    return None


def _resolve_path(name: str, value: str, storage_dir: str, position: int) -> str:
    local = _local_path_or_none(value)
    if local is not None:
        if not os.path.exists(local):
            raise ExecutionException(
                f"Got value {value} for parameter {name}, but no such file or directory was "
                "found.")
        return os.path.abspath(local)
    from ... import artifacts  # the artifact download of the tracking store's engine

    target = files.new_dir(os.path.join(storage_dir, f"param_{position}"))
    return artifacts.download_artifacts(artifact_uri=value, dst_path=target)


def _quote(value) -> str:
    return shlex.quote(str(value))


@dataclass
class EntryPoint:
    """A named command with declared parameters."""

    name: str
    command: str
    parameters: dict = field(default_factory=dict)

    def check_required(self, user_parameters: dict) -> None:
        """Raise ExecutionException naming declared parameters with no value and no default."""
        missing = [name for name, param in self.parameters.items()
                   if name not in user_parameters and param.default is None]
        if missing:
            raise ExecutionException("No value given for missing parameters: "
                                     + ", ".join(f"'{name}'" for name in missing))

    def compute_parameters(self, user_parameters: dict, storage_dir: str | None):
        """(declared values, extra values), both shell-quoted: what is logged (with no
        ``storage_dir``) and what goes into the command."""
        self.check_required(user_parameters)
        declared = {}
        for position, (name, param) in enumerate(self.parameters.items()):
            value = user_parameters[name] if name in user_parameters else param.default
            declared[str(name)] = _quote(param.resolve(value, storage_dir, position))
        extra = {_quote(key): _quote(value) for key, value in user_parameters.items()
                 if key not in self.parameters}
        return declared, extra

    def compute_command(self, user_parameters: dict, storage_dir: str | None) -> str:
        """The shell command: the template filled in, then ``--key value`` per extra."""
        declared, extra = self.compute_parameters(user_parameters, storage_dir)
        if not isinstance(self.command, str):
            raise ExecutionException(
                f"Project configuration (MLproject file) was invalid: entry point "
                f"{self.name!r} has no command")
        try:
            command = self.command.format(**declared)
        except (KeyError, IndexError, ValueError) as exc:
            raise ExecutionException(
                f"The command of entry point {self.name!r} ({self.command!r}) could not be "
                f"filled in with its parameters {sorted(declared)}: {exc!r}") from None
        return " ".join([command] + [f"--{key} {value}" for key, value in extra.items()])


@dataclass
class Project:
    """A loaded project: its name, environment and entry points."""

    name: str | None
    env_type: str
    env_config_path: str | None
    entry_points: dict
    docker_env: dict | None = None

    def get_entry_point(self, entry_point: str) -> EntryPoint:
        """The declared entry point, else a ``.py`` / ``.sh`` / ``.R`` file run as a script."""
        if entry_point in self.entry_points:
            return self.entry_points[entry_point]
        runners = {".py": "python", ".sh": os.environ.get("SHELL", "bash")}
        ext = os.path.splitext(entry_point)[1]
        if ext in runners:
            return EntryPoint(entry_point, f"{runners[ext]} {_quote(entry_point)}")
        if ext == ".R":
            return EntryPoint(entry_point,
                              f"Rscript -e \"mlflow::mlflow_source('{_quote(entry_point)}')\" "
                              "--args")
        raise ExecutionException(
            f"Could not find {entry_point} among entry points {list(self.entry_points)} or "
            f"interpret {entry_point} as a runnable script. Supported script file "
            f"extensions: {list(runners)}")


def load_project(directory: str) -> Project:
    """Read ``directory``'s MLproject file (a project without one has no entry points)."""
    path = files.find_mlproject(directory)
    spec = (files.read_mlproject(path) if path is not None else None) or {}
    if not isinstance(spec, dict):
        raise ExecutionException(
            f"Project configuration (MLproject file) was invalid: expected a mapping, got "
            f"{type(spec).__name__}")
    env_fields = [key for key in ENV_FIELDS if key in spec]
    if len(env_fields) > 1:
        raise ExecutionException(
            f"Project cannot contain multiple environment fields: {set(env_fields)}")
    if "databricks_spark_job" in spec:
        raise MlflowException("MLproject 'databricks_spark_job' runs on Databricks, which "
                              "aiomlflow does not support", error_code="NOT_IMPLEMENTED")
    entry_points = {}
    for name, entry in (spec.get("entry_points") or {}).items():
        entry = entry or {}
        params = {key: Parameter.from_yaml(key, value)
                  for key, value in (entry.get("parameters") or {}).items()}
        entry_points[name] = EntryPoint(name, entry.get("command"), params)
    name = spec.get("name")
    docker_env = spec.get(DOCKER)
    if docker_env:
        if not docker_env.get("image"):
            raise ExecutionException(
                "Project configuration (MLproject file) was invalid: Docker environment "
                "specified but no image attribute found.")
        return Project(name, DOCKER, None, entry_points, docker_env)
    for key, env_type, what in ((PYTHON, PYTHON, "python_env file"),
                                (CONDA, CONDA, "conda environment file")):
        if spec.get(key):
            env_path = os.path.join(directory, spec[key])
            if not os.path.exists(env_path):
                raise ExecutionException(
                    f"Project specified {what} {env_path}, but no such file was found.")
            return Project(name, env_type, env_path, entry_points)
    for file_name, env_type in ((PYTHON_ENV_FILE, PYTHON), (CONDA_ENV_FILE, CONDA)):
        env_path = os.path.join(directory, file_name)
        if os.path.exists(env_path):
            return Project(name, env_type, env_path, entry_points)
    return Project(name, PYTHON, None, entry_points)
