"""ViewType: which lifecycle stages a search returns."""

from __future__ import annotations

from aiomlflow.entities._base import lookup


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
        return lookup(cls._STRING_TO_VIEW, view_str, "Could not get valid view type "
                      f"corresponding to string {view_str}. Valid view types are ")

    @classmethod
    def to_string(cls, view_type: int) -> str:
        """The lower-case name of a view type."""
        return lookup(cls._VIEW_TO_STRING, view_type, "Could not get valid view type "
                      f"corresponding to string {view_type}. Valid view types are ")

    # The proto enum shares these numbers, so conversion is the identity.
    @classmethod
    def from_proto(cls, proto_view_type) -> int:
        """The view type for a proto ViewType number."""
        return int(proto_view_type)

    @classmethod
    def to_proto(cls, view_type: int) -> int:
        """The proto ViewType number for a view type."""
        return int(view_type)
