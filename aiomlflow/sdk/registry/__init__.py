"""The model registry: registered models, their versions, tags and aliases.

``register_model`` is what flavors' ``log_model(registered_model_name=...)`` calls;
``uris.resolve_model_uri`` is what model loaders call for ``models:/`` URIs.  Both load
on first use (MlflowClient imports only ``client`` to mix its methods in).
"""

import importlib as _importlib

_LAZY = {
    "register_model": "fluent", "search_model_versions": "fluent",
    "search_registered_models": "fluent", "set_model_version_tag": "fluent",
    "resolve_model_uri": "uris",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
