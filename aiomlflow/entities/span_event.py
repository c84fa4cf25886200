"""An event within a span's lifetime, such as an exception being raised."""

from __future__ import annotations

import time
import traceback
from typing import Any


class SpanEvent:
    """A named moment in a span (time in ns since the epoch) with primitive attributes."""

    __slots__ = ("name", "timestamp", "attributes")

    def __init__(self, name: str, timestamp: int | None = None,
                 attributes: dict[str, Any] | None = None):
        self.name = name
        self.timestamp = time.time_ns() if timestamp is None else timestamp
        self.attributes = {} if attributes is None else attributes

    @classmethod
    def from_exception(cls, exception: BaseException) -> "SpanEvent":
        """The ``exception`` event OpenTelemetry records: message, type and stack trace."""
        try:
            stack = "".join(traceback.format_exception(exception)).strip()
        except Exception:
            stack = repr(exception)
        return cls("exception", attributes={
            "exception.message": str(exception),
            "exception.type": type(exception).__name__,
            "exception.stacktrace": stack,
        })

    def to_dict(self) -> dict[str, Any]:
        """The event as stored in span JSON."""
        return {"name": self.name, "time_unix_nano": self.timestamp,
                "attributes": dict(self.attributes)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SpanEvent":
        """Parse the stored form."""
        return cls(data["name"], data.get("time_unix_nano"), dict(data.get("attributes") or {}))

    def __eq__(self, other) -> bool:
        return (isinstance(other, SpanEvent) and self.name == other.name
                and self.timestamp == other.timestamp and self.attributes == other.attributes)

    def __repr__(self) -> str:
        return (f"SpanEvent(name={self.name!r}, timestamp={self.timestamp!r}, "
                f"attributes={self.attributes!r})")
