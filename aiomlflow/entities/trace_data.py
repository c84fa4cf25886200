"""TraceData: the spans of a trace."""

from __future__ import annotations

from typing import Any

SPAN_INPUTS = "mlflow.spanInputs"
SPAN_OUTPUTS = "mlflow.spanOutputs"


class TraceData:
    """The spans of a trace, root first."""

    def __init__(self, spans: list | None = None, **kwargs: Any):
        self.spans = [] if spans is None else spans

    def _root(self):
        for span in self.spans:
            if span.parent_id is None:
                return span
        return None

    @property
    def request(self) -> str | None:
        """The root span's inputs as their JSON string, or None."""
        root = self._root()
        return None if root is None else root._raw_attribute(SPAN_INPUTS)

    @property
    def response(self) -> str | None:
        """The root span's outputs as their JSON string, or None."""
        root = self._root()
        return None if root is None else root._raw_attribute(SPAN_OUTPUTS)

    @property
    def intermediate_outputs(self) -> dict[str, Any] | None:
        """Outputs of the non-root spans by span name (None for a single-span trace)."""
        root = self._root()
        if root is None:
            return None
        flat = root.get_attribute("mlflow.trace.intermediate_outputs")
        if flat is not None:
            return flat
        children = [s for s in self.spans if s.parent_id is not None]
        return {s.name: s.outputs for s in children} if children else None

    def to_dict(self) -> dict[str, Any]:
        """``{"spans": [span dict, ...]}``."""
        return {"spans": [span.to_dict() for span in self.spans]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TraceData":
        """Parse ``{"spans": [...]}``."""
        from aiomlflow.entities.span import Span

        return cls([Span.from_dict(s) for s in d.get("spans") or ()])

    def __eq__(self, other) -> bool:
        return isinstance(other, TraceData) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"TraceData(spans={self.spans!r})"
