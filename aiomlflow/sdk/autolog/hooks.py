"""Post-import hooks: run a callback once a module has been imported, or at once if it
already is.  Autologging patches a library when the user first imports it, so that
``aiomlflow.autolog()`` costs nothing for libraries the program never uses."""

from __future__ import annotations

import importlib.abc
import importlib.util
import logging
import sys
import threading

_logger = logging.getLogger("aiomlflow.autolog")

_hooks: dict[str, dict[str, object]] = {}  # module name → {hook key: callback}
_lock = threading.RLock()


def when_imported(module_name: str, key: str, callback) -> None:
    """Call ``callback(module)`` after ``module_name`` is imported (now, if it is).

    ``key`` names the hook: registering the same key again replaces the earlier hook.
    """
    with _lock:
        _hooks.setdefault(module_name, {})[key] = callback
        _install()
    module = sys.modules.get(module_name)
    if module is not None and getattr(module, "__spec__", None) is not None:
        _run(module_name, module)


def _run(module_name: str, module) -> None:
    with _lock:
        callbacks = list(_hooks.get(module_name, {}).values())
    for callback in callbacks:
        try:
            callback(module)
        except Exception as exc:  # a hook must never break the user's import
            _logger.warning("Exception raised while running an import hook for %s: %s",
                            module_name, exc)


class _NotifyingLoader(importlib.abc.Loader):
    """Wraps a module's own loader; runs the hooks once the module has executed."""

    def __init__(self, loader, name: str):
        self._loader = loader
        self._name = name

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        _run(self._name, module)

    def __getattr__(self, name):  # get_resource_reader, is_package, ...
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    _busy = threading.local()

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in _hooks or getattr(self._busy, "active", False):
            return None
        self._busy.active = True
        try:
            spec = importlib.util.find_spec(fullname)
        except (ImportError, ValueError):
            return None
        finally:
            self._busy.active = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _NotifyingLoader(spec.loader, fullname)
        return spec


def _install() -> None:
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def reset() -> None:
    """Drop every hook (tests)."""
    with _lock:
        _hooks.clear()
