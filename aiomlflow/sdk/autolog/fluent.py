"""``aiomlflow.autolog()``: configure every autologging integration at once."""

from __future__ import annotations

import importlib
import inspect
import logging

from . import config, hooks, integrations

_logger = logging.getLogger("aiomlflow.autolog")
_announced: set[str] = set()  # libraries whose "not supported" line was logged


def autolog(log_input_examples: bool = False, log_model_signatures: bool = True,
            log_models: bool = True, log_datasets: bool = True, log_traces: bool = True,
            disable: bool = False, exclusive: bool = False,
            disable_for_unsupported_versions: bool = False, silent: bool = False,
            extra_tags: dict[str, str] | None = None,
            exclude_flavors: list[str] | None = None) -> None:
    """Enable (or disable) and configure autologging for every supported integration.

    Each integration is set up when its library is imported (at once if it already is),
    with the arguments its own ``autolog()`` accepts; a configuration the user set with
    the integration's own ``autolog()`` is kept.  Integrations aiomlflow does not
    implement log one line when their library is imported, and are skipped."""
    arguments = dict(locals())
    arguments.pop("exclude_flavors")
    targets = {**integrations.LIBRARIES, **integrations.GENAI_LIBRARIES}
    if exclude_flavors:
        excluded = {f"mlflow.{flavor}" for flavor in exclude_flavors}
        targets = {lib: mod for lib, mod in targets.items() if mod not in excluded}

    def set_up(module) -> None:
        library = module.__name__
        flavor_module = targets[library]
        implementation = integrations.IMPLEMENTED.get(flavor_module)
        if implementation is None:
            if not disable and not silent and library not in _announced:
                _announced.add(library)
                _logger.info("Autologging for %s (%s.autolog) is not supported by aiomlflow; "
                             "skipping it.", library, flavor_module)
            return
        with config.lock:
            autolog_fn = importlib.import_module(implementation).autolog
            name = autolog_fn.integration_name
            previous = config.stored(name)
            if previous and not previous.get(config.GLOBALLY_CONFIGURED, False):
                return  # the user's own <flavour>.autolog() call wins
            accepted = inspect.signature(autolog_fn).parameters
            autolog_fn(**{k: v for k, v in arguments.items() if k in accepted})
            config.mark_global(name)
            if not config.is_disabled(name) and not silent:
                _logger.info("Autologging successfully enabled for %s.", library)

    for library in sorted(targets):
        hooks.when_imported(library, "aiomlflow.autolog", set_up)


def _reset_for_tests() -> None:
    _announced.clear()
