"""Loading on first use, so that ``import aiomlflow`` stays cheap.

``submodules``: a package ``__getattr__`` that imports the named submodules when they
are first reached as attributes (``mlflow.utils.validation.MAX_TAG_VAL_LENGTH`` with no
import of its own, as with MLflow, whose ``import mlflow`` loads them eagerly).

``attach``: methods of a class whose implementation module loads on first use.
MlflowClient carries the model-registry and logged-model methods, but most scripts
never call them: their modules (and what those import) should not be part of
``import aiomlflow``.  ``attach`` puts a placeholder under each method name; the first
access to any of them imports the module and replaces every placeholder with the real
attribute, so later calls cost nothing extra, and ``dir``, ``help``, ``inspect`` and
``super()`` see ordinary methods.
"""

from __future__ import annotations

import importlib


class _Placeholder:
    """Stands for one attribute of ``mixin`` until the mixin's module is imported."""

    __slots__ = ("target", "module", "mixin", "name")

    def __init__(self, target: type, module: str, mixin: str, name: str):
        self.target, self.module, self.mixin, self.name = target, module, mixin, name

    def __get__(self, obj, owner=None):
        mixin = getattr(importlib.import_module(self.module), self.mixin)
        for name, value in vars(mixin).items():
            if isinstance(vars(self.target).get(name), _Placeholder):
                setattr(self.target, name, value)
        real = vars(self.target)[self.name]
        if isinstance(real, _Placeholder):  # the mixin no longer defines it
            raise AttributeError(f"{self.mixin} has no attribute {self.name!r}")
        return real.__get__(obj, owner) if hasattr(real, "__get__") else real


def attach(target: type, module: str, mixin: str, names) -> None:
    """Give ``target`` the attributes ``names`` of class ``mixin`` in ``module``, which
    is imported when one of them is first looked up.  A name ``target`` defines itself
    keeps its own definition, as a base class's method would be overridden."""
    for name in names:
        if name not in vars(target):
            setattr(target, name, _Placeholder(target, module, mixin, name))


def mixin_members(cls: type) -> list[str]:
    """The names ``attach`` needs for ``cls``: every attribute it defines but dunders."""
    return sorted(name for name in vars(cls) if not (name.startswith("__")
                                                     and name.endswith("__")))


def submodules(package: str, names):
    """A module ``__getattr__`` for ``package`` that imports its submodules ``names`` on
    first access (the import then sets them as attributes of the package)."""
    known = frozenset(names)

    def __getattr__(name: str):
        if name not in known:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return importlib.import_module(f"{package}.{name}")

    return __getattr__
