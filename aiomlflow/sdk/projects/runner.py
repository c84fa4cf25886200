"""``mlflow.run``: run an MLflow project's entry point locally, in a tracked run.

What is supported: the "local" backend, local directories, ZIP files and Git URIs, the
local environment (``env_manager="local"``).  What is not (Databricks, Kubernetes,
docker, conda, virtualenv and uv environments) raises MlflowException naming it before
anything is created; nothing asked for is ever silently replaced by something else.

Everything that can fail on the caller's input (project, entry point, parameters,
downloads of ``path`` parameters) is checked before the run is created, so a bad call
leaves no RUNNING run behind (MLflow creates the run first).
"""

from __future__ import annotations

import logging
import os

from ...entities import Param
from ...exceptions import ExecutionException, MlflowException
from ...transports.projects import fetch, files, git, process
from .. import fluent, run_context, tracking_uri
from ..client import MlflowClient
from . import spec
from .submitted_run import LocalSubmittedRun, wait_at_exit

_logger = logging.getLogger("aiomlflow.projects")

ENV_MANAGERS = ["local", "conda", "virtualenv", "uv"]
# The backend_config key MLflow's local backend reads (the run to resume).
RUN_ID_CONFIG = "_mlflow_local_backend_run_id"
PROJECT_BACKEND = "mlflow.project.backend"
PROJECT_ENTRY_POINT = "mlflow.project.entryPoint"


def run(uri, entry_point="main", version=None, parameters=None, docker_args=None,
        experiment_name=None, experiment_id=None, backend="local", backend_config=None,
        storage_dir=None, synchronous=True, run_id=None, run_name=None, env_manager=None,
        build_image=False, docker_auth=None) -> LocalSubmittedRun:
    """Run an MLflow project (a local path or a Git URI) and return its SubmittedRun.

    With ``synchronous=True`` wait for it and raise ExecutionException if it failed;
    otherwise return at once (this process waits for the run when it exits)."""
    run_id = _check_options(backend, backend_config, env_manager, docker_args, build_image,
                            docker_auth, run_id)
    if not isinstance(entry_point, str):
        raise MlflowException.invalid_parameter_value(
            f"entry_point must be a string, got {entry_point!r}")
    if parameters is not None and not isinstance(parameters, dict):
        raise MlflowException.invalid_parameter_value(
            f"parameters must be a dict of parameter names to values, got {parameters!r}")
    parameters = dict(parameters or {})
    client = MlflowClient(tracking_uri.get_tracking_uri())
    experiment_id = _resolve_experiment_id(client, experiment_name, experiment_id)

    fetched = fetch.fetch_project(uri, version)
    project = spec.load_project(fetched.work_dir)
    entry = project.get_entry_point(entry_point)
    entry.check_required(parameters)
    _check_env_manager(project, env_manager)
    # What is logged: the values as given (a `path` stays as typed), quoted as in the command.
    logged, extra = entry.compute_parameters(parameters, storage_dir=None)
    command = entry.compute_command(parameters, _storage_dir_for_run(storage_dir))

    if run_id:
        run_id = client.get_run(run_id).info.run_id
        params = []
    else:
        run_id = client.create_run(
            experiment_id, tags=_run_tags(uri, fetched, version, entry_point)).info.run_id
        params = [Param(k, v) for k, v in list(logged.items()) + list(extra.items())]
    _record_launch(client, run_id, params, backend, run_name)
    submitted = _launch(client, run_id, experiment_id, command, fetched.work_dir, synchronous)
    if synchronous:
        _wait_for(submitted)
    else:
        wait_at_exit(submitted)
    return submitted


def _check_options(backend, backend_config, env_manager, docker_args, build_image,
                   docker_auth, run_id) -> str | None:
    """Reject what the local backend cannot do; the run to resume, if any."""
    config = _backend_config(backend_config)
    if env_manager is not None and env_manager not in ENV_MANAGERS:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for `env_manager`: {env_manager}. Must be one of {ENV_MANAGERS}")
    _check_backend(backend)
    _reject_docker_options(docker_args, build_image, docker_auth)
    configured_run_id = config.pop(RUN_ID_CONFIG, None)
    if config:
        raise MlflowException.invalid_parameter_value(
            f"backend_config keys {sorted(config)} are not used by the local backend, which "
            f"reads only {RUN_ID_CONFIG!r}")
    return run_id if run_id is not None else configured_run_id


def _record_launch(client: MlflowClient, run_id: str, params: list, backend: str,
                   run_name) -> None:
    """Log the params and the backend / run name tags (a run they fail on ends FAILED)."""
    try:
        if params:
            client.log_batch(run_id, params=params, synchronous=True)
        client.set_tag(run_id, PROJECT_BACKEND, backend, synchronous=True)
        if run_name is not None:
            client.set_tag(run_id, run_context.RUN_NAME, run_name, synchronous=True)
    except MlflowException:
        client.set_terminated(run_id, "FAILED")  # e.g. a too-long param value
        raise


def _launch(client: MlflowClient, run_id: str, experiment_id: str, command: str,
            work_dir: str, synchronous: bool) -> LocalSubmittedRun:
    """Start ``command`` in ``work_dir`` with the run's environment variables (in a
    session of its own when asynchronous, so that cancel() stops its whole tree)."""
    env = dict(os.environ, MLFLOW_RUN_ID=run_id, MLFLOW_TRACKING_URI=client.tracking_uri,
               MLFLOW_EXPERIMENT_ID=str(experiment_id))
    if synchronous:
        _logger.info("=== Running command '%s' in run with ID '%s' === ", command, run_id)
    else:
        _logger.info("=== Asynchronously launching MLflow run with ID %s ===", run_id)
    try:
        child = process.start_command(command, work_dir, env, own_session=not synchronous)
    except OSError as exc:
        client.set_terminated(run_id, "FAILED")
        raise ExecutionException(f"Could not start the command of run (ID '{run_id}'): "
                                 f"{exc}") from None
    return LocalSubmittedRun(run_id, child, client.tracking_uri)


def _wait_for(submitted: LocalSubmittedRun) -> None:
    run_id = submitted.run_id
    try:
        succeeded = submitted.wait()
    except KeyboardInterrupt:
        _logger.error("=== Run (ID '%s') interrupted, cancelling run ===", run_id)
        submitted.stop("FAILED")
        raise
    if not succeeded:
        raise ExecutionException(f"Run (ID '{run_id}') failed")
    _logger.info("=== Run (ID '%s') succeeded ===", run_id)


def _backend_config(backend_config) -> dict:
    if backend_config is None:
        return {}
    if isinstance(backend_config, dict):
        return dict(backend_config)
    if isinstance(backend_config, (str, os.PathLike)) and \
            os.path.splitext(os.fspath(backend_config))[1] == ".json":
        try:
            loaded = files.read_json(backend_config)
        except (OSError, ValueError) as exc:
            raise MlflowException.invalid_parameter_value(
                f"Error when attempting to load and parse JSON cluster spec from file "
                f"{backend_config}: {exc}") from None
        if not isinstance(loaded, dict):
            raise MlflowException.invalid_parameter_value(
                f"backend_config file {backend_config} must hold a JSON object, got "
                f"{type(loaded).__name__}")
        return loaded
    raise MlflowException.invalid_parameter_value(
        f"backend_config must be a dict or the path of a JSON file (ending in '.json'), "
        f"got {backend_config!r}")


def _check_backend(backend) -> None:
    if backend == "local":
        return
    if backend in ("databricks", "kubernetes"):
        raise MlflowException(
            f"backend={backend!r} is not supported by aiomlflow: projects run with the "
            "'local' backend only", error_code="NOT_IMPLEMENTED")
    raise ExecutionException(
        f"Got unsupported execution mode {backend}. Supported values: ['local']")


def _reject_docker_options(docker_args, build_image, docker_auth) -> None:
    given = [name for name, value in (("docker_args", docker_args),
                                      ("build_image", build_image),
                                      ("docker_auth", docker_auth)) if value]
    if given:
        raise MlflowException(
            f"{', '.join(given)}: docker environments are not supported by aiomlflow "
            "(projects run in the local environment only)", error_code="NOT_IMPLEMENTED")


def _check_env_manager(project: spec.Project, env_manager: str | None) -> None:
    """Raise unless the project is to run in the local environment (MLflow's choice of
    env manager kept: docker_env → docker, a python env → virtualenv, conda → conda)."""
    if project.docker_env:
        raise MlflowException(
            "This project declares a docker environment (docker_env in its MLproject file): "
            "docker environments are not supported by aiomlflow, which runs projects in the "
            "local environment only", error_code="NOT_IMPLEMENTED")
    if env_manager is None:
        chosen = "conda" if project.env_type == spec.CONDA else "virtualenv"
        why = (f"its environment file {os.path.basename(project.env_config_path)}"
               if project.env_config_path else "having no python_env.yaml or conda.yaml")
        raise MlflowException(
            f"This project would run with env_manager='{chosen}' (chosen by MLflow's rule "
            f"from {why}), which aiomlflow does not support. Pass env_manager='local' to run "
            "it in the current Python environment.", error_code="NOT_IMPLEMENTED")
    if project.env_type == spec.PYTHON and env_manager == "conda":
        raise MlflowException.invalid_parameter_value(
            "python_env project cannot be executed using conda. Set `--env-manager` to "
            "'virtualenv' or 'local' to execute this project.")
    if env_manager != "local":
        raise MlflowException(
            f"env_manager='{env_manager}' is not supported by aiomlflow. Pass "
            "env_manager='local' to run the project in the current Python environment.",
            error_code="NOT_IMPLEMENTED")


def _resolve_experiment_id(client: MlflowClient, experiment_name, experiment_id) -> str:
    if experiment_name and experiment_id:
        raise MlflowException("Specify only one of 'experiment_name' or 'experiment_id'.")
    if experiment_id:
        return str(experiment_id)
    if experiment_name:
        found = client.get_experiment_by_name(experiment_name)
        if found is not None:
            return found.experiment_id
        _logger.info("'%s' does not exist. Creating a new experiment", experiment_name)
        return client.create_experiment(experiment_name)
    return fluent._resolve_experiment_id(client)


def _storage_dir_for_run(storage_dir) -> str:
    path = files.new_storage_dir(storage_dir)
    _logger.info("=== Created directory %s for downloading remote URIs passed to arguments "
                 "of type 'path' ===", path)
    return path


def _run_tags(uri, fetched: fetch.Fetched, version, entry_point: str) -> dict:
    """The tags MLflow puts on a project run: user, source, entry point, git, parent."""
    raw = os.fspath(uri)
    if fetch.is_local(raw):
        source = git.source_url(os.path.abspath(fetch.file_uri_to_path(raw)))
    else:
        source = raw
    tags = {run_context.USER: run_context.current_user(), run_context.SOURCE_NAME: source,
            run_context.SOURCE_TYPE: "PROJECT", PROJECT_ENTRY_POINT: entry_point}
    commit = git.head_commit(fetched.work_dir)
    if commit is not None:
        tags[run_context.GIT_COMMIT] = commit
    parent = fluent.active_run()
    if parent is not None:
        tags[run_context.PARENT_RUN_ID] = parent.info.run_id
    repo_url = fetched.repo_url or git.first_remote_url(fetched.work_dir)
    if repo_url is not None:
        tags[run_context.GIT_REPO_URL] = repo_url
    if version is not None and git.is_branch(fetched.work_dir, version):
        tags[run_context.GIT_BRANCH] = version
    return tags

