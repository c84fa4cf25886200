"""Chat-model span helpers."""

from __future__ import annotations

from ...entities.span import CHAT_TOOLS, LiveSpan
from ...exceptions import MlflowException


def set_span_chat_tools(span: LiveSpan, tools: list) -> None:
    """Record the tools a chat model was offered (``mlflow.chat.tools``): a list of
    OpenAI-style tool dicts (``{"type": "function", "function": {...}}``) or objects
    with ``model_dump()``."""
    if not isinstance(tools, list):
        raise MlflowException.invalid_parameter_value(
            f"tools must be a list of ChatTool, got {type(tools)}.")
    checked = []
    for tool in tools:
        value = tool.model_dump(exclude_unset=True) if hasattr(tool, "model_dump") else tool
        if not (isinstance(value, dict) and value.get("type") == "function"
                and isinstance(value.get("function"), dict) and "name" in value["function"]):
            raise MlflowException.invalid_parameter_value(
                f"Invalid tool {tool!r}: expected a ChatTool, i.e. a dict "
                "{'type': 'function', 'function': {'name': ..., ...}}.")
        checked.append(value)
    span.set_attribute(CHAT_TOOLS, checked)
