"""Request and response previews of a trace (what the UI's trace list shows), and the
truncation MLflow applies to trace metadata.  Computed store-side, as MLflow's store
fills previews a client left unset."""

from __future__ import annotations

import json
from typing import Any

PREVIEW_MAX_CHARS = 1000  # MLflow's limit for non-Databricks stores
METADATA_MAX_CHARS = 250


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last three being ``...``."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def preview(raw_json: str | None, role: str) -> str | None:
    """The preview of a root span's inputs (role ``user``) or outputs (``assistant``):
    the text of the last chat message with that role if the value holds chat messages,
    else the JSON itself; at most 1000 characters."""
    if raw_json is None:
        return None
    content = None
    value = None
    if raw_json.startswith("{") and '"role"' in raw_json:  # else no chat messages in it
        try:
            value = json.loads(raw_json)
        except ValueError:
            pass
    if value is not None:
        messages = _messages(value)
        if messages:
            content = _text(_last_with_role(messages, role))
    return truncate(content or raw_json, PREVIEW_MAX_CHARS)


def _is_message(item: Any) -> bool:
    return isinstance(item, dict) and "role" in item and "content" in item


def _messages(value: Any) -> list | None:
    # chat completions' messages, a completion's first choice, the Responses API's
    # input / output lists, or any of those under "request"
    if not isinstance(value, dict):
        return None
    messages = value.get("messages")
    if messages and isinstance(messages, list):
        return [m for m in messages if _is_message(m)]
    choices = value.get("choices")
    if choices and isinstance(choices, list) and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if message and _is_message(message):
            return [message]
    for key in ("input", "output"):
        items = value.get(key)
        if items and isinstance(items, list):
            return [m for m in items if _is_message(m)]
    if "request" in value:
        return _messages(value["request"])
    return None


def _last_with_role(messages: list, role: str) -> dict:
    for message in reversed(messages):
        if message.get("role") == role:
            return message
    return messages[-1]


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                return part
            if isinstance(part, dict) and part.get("type") in ("text", "output_text"):
                return part.get("text")
    return ""
