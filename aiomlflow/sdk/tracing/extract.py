"""``search_traces(extract_fields=...)``: columns of span inputs and outputs.

A field is ``span_name.inputs``, ``span_name.outputs`` or either followed by
``.field_name``; a span or field name containing dots is written in backticks
(``"`span.name`.inputs.`field.name`"``).  The column is named by the field without its
backticks; a trace without that span (or a value without that key) gives None.
"""

from __future__ import annotations

from ...exceptions import MlflowException

_KINDS = ("inputs", "outputs")


def parse_field(text: str) -> tuple[str, str, str | None]:
    """``(span_name, "inputs" | "outputs", field_name or None)`` of one field string."""
    if not isinstance(text, str):
        raise MlflowException.invalid_parameter_value(f"Invalid field to extract: {text!r}.")
    if text.startswith("`"):
        end = text.find("`", 1)
        if end < 0:
            raise MlflowException.invalid_parameter_value(f"Expected closing backtick: '{text}'")
        name, rest = text[1:end], text[end + 1:]
    else:
        dot = text.find(".")
        name, rest = (text, "") if dot < 0 else (text[:dot], text[dot:])
    if not rest.startswith("."):
        raise MlflowException.invalid_parameter_value(f"Expected dot after span name: '{text}'")
    kind, _, field = rest[1:].partition(".")
    if kind not in _KINDS:
        raise MlflowException.invalid_parameter_value(
            f"Invalid field type: '{kind}'. Expected 'inputs' or 'outputs'.")
    if field.startswith("`"):
        if len(field) < 2 or not field.endswith("`"):
            raise MlflowException.invalid_parameter_value(f"Expected closing backtick: '{text}'")
        field = field[1:-1]
    return name, kind, field or None


def column_name(name: str, kind: str, field: str | None) -> str:
    """The DataFrame column of a parsed field: its parts joined by dots, unquoted."""
    return f"{name}.{kind}" if field is None else f"{name}.{kind}.{field}"


def value_of(trace, name: str, kind: str, field: str | None):
    """The field's value in ``trace``: of the last span so named, or None."""
    spans = [span for span in trace.data.spans if span.name == name]
    if not spans:
        return None
    value = spans[-1].inputs if kind == "inputs" else spans[-1].outputs
    if field is None:
        return value
    return value.get(field) if isinstance(value, dict) else None


def add_columns(frame, traces: list, fields: list[str]):
    """``frame`` (one row per trace, in order) with one column per field appended."""
    import pandas

    for text in fields:
        parsed = parse_field(text)
        # dtype=object keeps list and dict values whole, one per row
        frame[column_name(*parsed)] = pandas.Series(
            [value_of(trace, *parsed) for trace in traces], index=frame.index, dtype=object)
    return frame
