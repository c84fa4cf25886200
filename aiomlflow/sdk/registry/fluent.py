"""The registry's fluent functions: register_model, search_registered_models,
search_model_versions, set_model_version_tag (MLflow 3.17.2's signatures)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from ...exceptions import INTERNAL_ERROR, MlflowException
from . import uris
from .client import DEFAULT_AWAIT_MAX_SLEEP_SECONDS

_logger = logging.getLogger("aiomlflow")

MLMODEL_FILE_NAME = "MLmodel"
# the logged model tag that lists the registered versions made from it
MODEL_VERSIONS_TAG = "mlflow.modelVersions"
SEARCH_REGISTERED_MODEL_PAGE = 100
SEARCH_MODEL_VERSION_PAGE = 10_000


def _client():
    from ..client import MlflowClient

    return MlflowClient()


def _eprint(message: str) -> None:
    print(message, file=sys.stderr)


def register_model(model_uri, name, await_registration_for=DEFAULT_AWAIT_MAX_SLEEP_SECONDS, *,
                   tags: dict[str, Any] | None = None, env_pack=None):
    """Create a new version of the registered model ``name`` (created if needed) from the
    model at ``model_uri``: ``runs:/<run_id>/<path>``, ``models:/<model_id>``,
    ``models:/<name>/<version>`` or a local path saved by ``save_model``.  Waits up to
    ``await_registration_for`` seconds (0 or None: no wait) for the version to be READY.
    """
    if env_pack is not None:
        raise MlflowException.invalid_parameter_value(
            f"env_pack={env_pack!r} is not supported by aiomlflow: packing the Python "
            "environment is a Databricks Model Serving feature. Register without env_pack.")
    client = _client()
    try:
        created = client.create_registered_model(name)
        _eprint(f"Successfully registered model '{created.name}'.")
    except MlflowException as exc:
        if exc.error_code not in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
            raise
        _eprint(f"Registered model {name!r} already exists. Creating a new version of this "
                "model...")
    model_uri = str(model_uri)
    run_id = None
    model_id = None
    source = model_uri
    if model_uri.startswith("runs:"):
        run_id, source, model_id = _runs_source(client, model_uri)
    elif uris.is_models_uri(model_uri):
        parsed = uris.parse_model_uri(model_uri)
        if parsed.model_id is not None:
            model_id = parsed.model_id
        elif parsed.name is not None and parsed.version is not None:
            model_id = client.get_model_version(parsed.name, parsed.version).model_id
    version = client._create_model_version(name, source, run_id=run_id, tags=tags,
                                           await_creation_for=await_registration_for,
                                           model_id=model_id)
    _eprint(f"Created version '{version.version}' of model '{version.name}'.")
    if model_id:
        _record_on_logged_model(client, model_id, version)
    return version


def _runs_source(client, model_uri: str) -> tuple[str, str, str | None]:
    """(run id, source, model id) of a ``runs:/<run_id>/<path>`` URI: the run's artifact
    directory if it holds an MLmodel file there, else the run's logged model named
    ``<path>`` (as ``models:/<model_id>``)."""
    from ..artifacts import reads

    run_id, artifact_path = _parse_runs_uri(model_uri)
    run = client.get_run(run_id)
    root = run.info.artifact_uri
    files = reads.list_under(client._engine, root, artifact_path) if artifact_path else []
    if any(f.path.rsplit("/", 1)[-1] == MLMODEL_FILE_NAME and not f.is_dir for f in files):
        return run_id, f"{root.rstrip('/')}/{artifact_path}", None
    models = _logged_models_of(client, run, artifact_path)
    if not models:
        raise MlflowException(f"Unable to find a logged_model with artifact_path "
                              f"{artifact_path} under run {run_id}", INTERNAL_ERROR)
    if len(models) > 1:
        outputs = run.outputs
        if outputs is None:
            raise MlflowException.invalid_parameter_value(
                f"Multiple logged models found for run {run_id}. Cannot determine which model "
                "to register. Please use `models:/<model_id>` instead.")
        steps = {output.model_id: output.step for output in outputs.model_outputs}
        model_id = max(models, key=lambda m: steps.get(m.model_id, -1)).model_id
    else:
        model_id = models[0].model_id
    source = f"models:/{model_id}"
    _logger.warning("Run with id %s has no artifacts at artifact path %r, registering model "
                    "based on %s instead", run_id, artifact_path, source)
    return run_id, source, model_id


def _parse_runs_uri(uri: str) -> tuple[str, str]:
    from urllib.parse import urlparse

    parsed = urlparse(uri)
    path = parsed.path
    if parsed.scheme != "runs" or not path.startswith("/") or len(path) <= 1:
        raise MlflowException(
            f"Not a proper runs:/ URI: {uri}. Runs URIs must be of the form "
            "'runs:/<run_id>/run-relative/path/to/artifact'")
    run_id, _, artifact_path = path[1:].partition("/")
    return run_id, artifact_path


def _logged_models_of(client, run, name: str) -> list:
    """The logged models of the run's experiment named ``name`` that the run made."""
    found, token = [], None
    escaped = name.replace("'", "\\'")
    while True:
        page = client.search_logged_models(experiment_ids=[run.info.experiment_id],
                                           filter_string=f"name = '{escaped}'",
                                           page_token=token)
        found.extend(m for m in page if m.source_run_id == run.info.run_id)
        token = page.token
        if not token:
            return found


def _record_on_logged_model(client, model_id: str, version) -> None:
    """Append ``{name, version}`` to the logged model's ``mlflow.modelVersions`` tag."""
    entry = [{"name": version.name, "version": version.version}]
    try:
        model = client.get_logged_model(model_id)
        existing = model.tags.get(MODEL_VERSIONS_TAG)
        if existing:
            entry = json.loads(existing) + entry
        client.set_logged_model_tags(model_id, {MODEL_VERSIONS_TAG: json.dumps(entry)})
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        _logger.warning("Unable to update logged model tags for model ID '%s': the logged "
                        "model does not exist in the current workspace. No model version link "
                        "will be recorded on the logged model.", model_id)


def _all_pages(search, page_size: int, max_results: int | None) -> list:
    """Every result of a paged search, up to ``max_results`` (all for None)."""
    results: list = []
    token = None
    while True:
        wanted = page_size if max_results is None else min(page_size, max_results - len(results))
        if wanted <= 0:
            return results
        page = search(wanted, token)
        results.extend(page)
        token = page.token
        if not token:
            return results


def search_registered_models(max_results: int | None = None, filter_string: str | None = None,
                             order_by: list[str] | None = None) -> list:
    """Registered models matching ``filter_string`` (``name``, ``tags.<key>``; =, !=,
    LIKE, ILIKE), ordered by ``order_by``; all of them unless ``max_results``."""
    client = _client()
    return _all_pages(
        lambda n, token: client.search_registered_models(filter_string, n, order_by, token),
        SEARCH_REGISTERED_MODEL_PAGE, max_results)


def search_model_versions(max_results: int | None = None, filter_string: str | None = None,
                          order_by: list[str] | None = None) -> list:
    """Model versions matching ``filter_string`` (``name``, ``run_id``, ``source_path``,
    ``version_number``, ``tags.<key>``), ordered by ``order_by``; all of them unless
    ``max_results``."""
    client = _client()
    return _all_pages(
        lambda n, token: client.search_model_versions(filter_string, n, order_by, token),
        SEARCH_MODEL_VERSION_PAGE, max_results)


def set_model_version_tag(name: str, version: str | None = None, key: str | None = None,
                          value: Any = None) -> None:
    """Set a tag on a model version."""
    return _client().set_model_version_tag(name=name, version=version, key=key, value=value)
