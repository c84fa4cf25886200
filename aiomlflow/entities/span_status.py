"""Status of a span (OpenTelemetry's three codes) and its description."""

from __future__ import annotations

from enum import Enum

from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException


class SpanStatusCode(str, Enum):
    """A span's status code, as OpenTelemetry defines them."""

    UNSET = "UNSET"
    OK = "OK"
    ERROR = "ERROR"

    def to_otel_proto_status_code_name(self) -> str:
        """The OTLP enum name (``STATUS_CODE_OK``, ...), as stored in span JSON."""
        return "STATUS_CODE_" + self.value

    @staticmethod
    def from_otel_proto_status_code_name(name: str) -> "SpanStatusCode":
        """Parse ``STATUS_CODE_OK``-style names (and the bare ``OK`` form)."""
        bare = name[len("STATUS_CODE_"):] if isinstance(name, str) and name.startswith(
            "STATUS_CODE_") else name
        try:
            return SpanStatusCode(bare)
        except ValueError:
            raise MlflowException(
                f"Invalid status code name: {name}. Valid values are: STATUS_CODE_UNSET, "
                "STATUS_CODE_OK, STATUS_CODE_ERROR", INVALID_PARAMETER_VALUE) from None


class SpanStatus:
    """Status of a span or a trace: a code and, for ERROR, a description."""

    __slots__ = ("status_code", "description")

    def __init__(self, status_code: SpanStatusCode | str, description: str = ""):
        if isinstance(status_code, str) and not isinstance(status_code, SpanStatusCode):
            try:
                status_code = SpanStatusCode(status_code)
            except ValueError:
                raise MlflowException(
                    f"{status_code} is not a valid SpanStatusCode value. Please use one of "
                    f"{[code.value for code in SpanStatusCode]}",
                    error_code=INVALID_PARAMETER_VALUE) from None
        self.status_code = status_code
        self.description = description

    def __eq__(self, other) -> bool:
        return (isinstance(other, SpanStatus) and self.status_code == other.status_code
                and self.description == other.description)

    def __repr__(self) -> str:
        return f"SpanStatus(status_code={self.status_code!r}, description={self.description!r})"
