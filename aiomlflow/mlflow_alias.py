"""``mlflow.<submodule>`` imports, when ``sys.modules["mlflow"]`` is aiomlflow.

Code written against mlflow (third-party integrations) is pointed at aiomlflow with
``sys.modules["mlflow"] = aiomlflow``, or a ``mlflow`` shim package doing the same.
Python would then load ``mlflow.exceptions`` from aiomlflow's directory a second
time, as a separate module: ``except MlflowException`` in that code would not catch
aiomlflow's errors, and entity classes would be duplicated.  The finder below hands
out aiomlflow's own submodule instead.  It does nothing while ``mlflow`` is real
mlflow or not imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

_ALIAS, _REAL = "mlflow", "aiomlflow"


# Plain classes, not importlib.abc's: the import system only calls these methods, and
# importlib.abc would pull importlib.resources, pathlib and tempfile into `import aiomlflow`.
class _AliasLoader:
    """Loads ``mlflow.x`` as the already-importable module ``aiomlflow.x``."""

    def __init__(self, real_name: str):
        self.real_name = real_name
        self._real_spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.real_name)
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module) -> None:
        # the import system has just stamped the alias spec on the module: give it back
        # its own, which its relative imports and importlib.reload rely on
        module.__spec__ = self._real_spec


class _AliasFinder:
    """Finds ``mlflow.x`` as ``aiomlflow.x`` while ``sys.modules["mlflow"]`` is aiomlflow."""

    def invalidate_caches(self) -> None:
        """Nothing cached here (importlib.invalidate_caches calls this on every finder)."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(_ALIAS + "."):
            return None
        root = sys.modules.get(_ALIAS)
        if getattr(root, "__name__", None) != _REAL:
            return None
        real_name = _REAL + fullname[len(_ALIAS):]
        try:
            found = importlib.util.find_spec(real_name)
        except ImportError:
            return None
        if found is None:
            return None  # no such aiomlflow module: the import fails as usual
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real_name),
                                               is_package=found.submodule_search_locations
                                               is not None)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
