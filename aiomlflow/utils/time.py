"""``mlflow.utils.time``: MLflow's clock helpers."""

import time as _time


def get_current_time_millis() -> int:
    """Milliseconds since the epoch, MLflow's timestamp unit."""
    return _time.time_ns() // 1_000_000


def to_rfc3339(ms: int) -> str:
    """Epoch milliseconds as protobuf's JSON Timestamp (``2026-12-05T17:24:22.568Z``,
    the fraction left out when it is zero)."""
    seconds, millis = divmod(int(ms), 1000)
    text = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(seconds))
    return f"{text}.{millis:03d}Z" if millis else text + "Z"


_RFC3339 = None


def _days_from_civil(year: int, month: int, day: int) -> int:
    # days since 1970-01-01 of a proleptic Gregorian date (no datetime import needed)
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def from_rfc3339(text) -> int:
    """Parse protobuf's JSON Timestamp (any UTC offset, up to nanoseconds) into epoch
    milliseconds; an int is taken as milliseconds already."""
    global _RFC3339
    if isinstance(text, int):
        return text
    if _RFC3339 is None:
        import re

        _RFC3339 = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
                              r"(Z|[+-]\d\d:\d\d)$", re.IGNORECASE)
    match = _RFC3339.match(str(text).strip())
    if match is None:
        from ..exceptions import MlflowException

        raise MlflowException.invalid_parameter_value(
            f"Invalid timestamp {text!r}: expected RFC 3339, e.g. '2024-01-15T10:00:00Z'.")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    if offset.upper() != "Z":
        sign = 1 if offset[0] == "+" else -1
        seconds -= sign * (int(offset[1:3]) * 3600 + int(offset[4:6]) * 60)
    return seconds * 1000 + int((fraction or "0").ljust(3, "0")[:3])


def duration_to_ms(text: str) -> int:
    """Protobuf's JSON Duration (``"0.029s"``) as whole milliseconds, truncated as
    protobuf's ToMilliseconds (no float rounding)."""
    text = text.strip().rstrip("s")
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-+").partition(".")
    ms = int(whole or 0) * 1000 + int((fraction + "000")[:3])
    return -ms if negative else ms
