"""RegisteredModelAlias: a name that points at one version of a registered model."""

from __future__ import annotations

from aiomlflow.entities._base import _ValueObject


class RegisteredModelAlias(_ValueObject):
    """Alias object associated with a registered model."""

    __slots__ = ("_alias", "_version")

    def __init__(self, alias, version):
        self._alias = alias
        self._version = version

    @property
    def alias(self):
        """String name of the alias."""
        return self._alias

    @property
    def version(self):
        """String model version number that the alias points to."""
        return self._version

    @classmethod
    def from_dict(cls, d: dict) -> "RegisteredModelAlias":
        """Parse MLflow's REST JSON form ``{"alias": ..., "version": ...}``."""
        return cls(d.get("alias", ""), d.get("version", ""))

    def to_rest_dict(self) -> dict:
        """This alias in MLflow's REST JSON form."""
        return {"alias": self._alias, "version": str(self._version)}
