"""The model registry: registered models, their versions, tags and aliases.

``register_model`` is what flavors' ``log_model(registered_model_name=...)`` calls;
``uris.resolve_model_uri`` is what model loaders call for ``models:/`` URIs.
"""

from .fluent import (
    register_model,
    search_model_versions,
    search_registered_models,
    set_model_version_tag,
)
from .uris import resolve_model_uri

__all__ = ["register_model", "resolve_model_uri", "search_model_versions",
           "search_registered_models", "set_model_version_tag"]
