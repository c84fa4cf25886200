"""ViewType: which lifecycle stages a search returns."""

from __future__ import annotations

from aiomlflow.exceptions import MlflowException, INVALID_PARAMETER_VALUE


class ViewType:
    """Enum to filter requested experiment types."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    _STRING_TO_VIEW = {"active_only": 1, "deleted_only": 2, "all": 3}
    _VIEW_TO_STRING = {v: k for k, v in _STRING_TO_VIEW.items()}

    @classmethod
    def from_string(cls, view_str: str) -> int:
        """The view type for its lower-case name (``"active_only"``, ``"deleted_only"``, ``"all"``)."""
        try:
            return cls._STRING_TO_VIEW[view_str]
        except (KeyError, TypeError):
            raise MlflowException(
                f"Could not get valid view type corresponding to string {view_str}. "
                f"Valid view types are {list(cls._STRING_TO_VIEW.keys())}",
                INVALID_PARAMETER_VALUE,
            ) from None

    @classmethod
    def to_string(cls, view_type: int) -> str:
        """The lower-case name of a view type."""
        try:
            return cls._VIEW_TO_STRING[view_type]
        except (KeyError, TypeError):
            raise MlflowException(
                f"Could not get valid view type corresponding to string {view_type}. "
                f"Valid view types are {list(cls._VIEW_TO_STRING.keys())}",
                INVALID_PARAMETER_VALUE,
            ) from None

    # The proto enum shares these numbers, so conversion is the identity.
    @classmethod
    def from_proto(cls, proto_view_type) -> int:
        """The view type for a proto ViewType number."""
        return int(proto_view_type)

    @classmethod
    def to_proto(cls, view_type: int) -> int:
        """The proto ViewType number for a view type."""
        return int(view_type)
