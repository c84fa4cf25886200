"""``models:/`` URIs: parsing them as MLflow 3.17.2 does, and resolving one to the URI
its files can be downloaded from.

``resolve_model_uri`` is what ``pyfunc.load_model`` (and any other loader) calls for
``models:/<name>/<version>``, ``models:/<name>/<stage>``, ``models:/<name>/latest``,
``models:/<name>@<alias>`` and ``models:/<model_id>``.
"""

from __future__ import annotations

import urllib.parse
from typing import NamedTuple

from ...exceptions import MlflowException

LATEST = "latest"


class ParsedModelUri(NamedTuple):
    """One of: a logged model's id; a name with a version, a stage or an alias; or a
    name alone (its latest version)."""

    model_id: str | None = None
    name: str | None = None
    version: str | None = None
    stage: str | None = None
    alias: str | None = None


def _improper(uri) -> MlflowException:
    return MlflowException(
        f"Not a proper models:/ URI: {uri}. Models URIs must be of the form "
        "'models:/name/suffix' or 'models:/name@alias' where suffix is a version, stage, or "
        "the string 'latest' and where alias is a registered model alias. Only one of suffix "
        "or alias can be defined at a time.")


def is_models_uri(uri) -> bool:
    """Whether ``uri`` is a ``models:/`` URI."""
    return urllib.parse.urlparse(str(uri)).scheme == "models"


def parse_model_uri(uri) -> ParsedModelUri:
    """Split a ``models:/`` URI into its parts (INTERNAL_ERROR for a malformed one, as
    MLflow's)."""
    parsed = urllib.parse.urlparse(str(uri), allow_fragments=False)
    path = parsed.path
    if parsed.scheme != "models" or not path.startswith("/") or len(path) <= 1:
        raise _improper(uri)
    parts = path.lstrip("/").split("/")
    if len(parts) > 2 or parts[0].strip() == "":
        raise _improper(uri)
    if len(parts) == 2:
        name, suffix = parts
        if suffix.strip() == "":
            raise _improper(uri)
        if suffix.isdigit():
            return ParsedModelUri(name=name, version=suffix)
        if suffix.lower() == LATEST:
            return ParsedModelUri(name=name)
        return ParsedModelUri(name=name, stage=suffix)
    if "@" in path:
        name, _, alias = parts[0].rpartition("@")
        if not name or alias.strip() == "":
            raise _improper(uri)
        return ParsedModelUri(name=name, alias=alias)
    return ParsedModelUri(model_id=parts[0])


def latest_version(client, name: str, stage: str | None) -> str:
    """The highest version of a model (of one stage, if given)."""
    latest = client.get_latest_versions(name, None if stage is None else [stage])
    if not latest:
        stage_text = "" if stage is None else f" and stage '{stage}'"
        raise MlflowException(f"No versions of model with name '{name}'{stage_text} found")
    return str(max(int(v.version) for v in latest))


def name_and_version(client, uri) -> tuple[str, str]:
    """The (name, version) a registry ``models:/`` URI designates."""
    parsed = parse_model_uri(uri)
    if parsed.model_id is not None:
        raise _improper(uri)
    if parsed.version is not None:
        return parsed.name, parsed.version
    if parsed.alias is not None:
        return parsed.name, str(client.get_model_version_by_alias(parsed.name, parsed.alias).version)
    return parsed.name, latest_version(client, parsed.name, parsed.stage)


def resolve_model_uri(uri, client=None) -> str:
    """The URI the files of the model behind a ``models:/`` URI can be downloaded from:
    a registered version's storage location (or source), or a logged model's artifact
    location for ``models:/<model_id>``."""
    if client is None:
        from ..client import MlflowClient

        client = MlflowClient()
    parsed = parse_model_uri(uri)
    if parsed.model_id is not None:
        return client.get_logged_model(parsed.model_id).artifact_location
    name, version = name_and_version(client, uri)
    return client.get_model_version_download_uri(name, version)
