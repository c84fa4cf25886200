"""MLflow 3.17.2's rules for registered-model names, versions, aliases and tags, applied
at the call site with MLflow's error codes and messages."""

from __future__ import annotations

import re

from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from .. import validation as _tracking

MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 100_000
MAX_ALIAS_LENGTH = 255
# the reserved alias every model has: its highest version
LATEST_ALIAS = "latest"

_ALIAS_CHARS = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")
_BAD_ALIAS_MESSAGE = "Names may only contain alphanumerics, underscores (_), and dashes (-)."


def _invalid(message: str) -> MlflowException:
    return MlflowException(message, INVALID_PARAMETER_VALUE)


def _check_length(what: str, limit: int, value) -> None:
    if value is not None and len(value) > limit:
        raise _invalid(f"'{what}' exceeds the maximum length of {limit} characters")


def _not_a_canonical_path(name: str) -> bool:
    import posixpath

    norm = posixpath.normpath(name)
    return norm != name or norm == "." or norm.startswith("..") or norm.startswith("/")


def validate_model_name(name) -> str:
    """A registered model's name: not empty, no ``/`` or ``:``, a canonical path."""
    if name is None or str(name).strip() == "":
        raise _invalid("Missing value for required parameter 'name'.")
    if "/" in name or ":" in name:
        raise _invalid(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    if _not_a_canonical_path(name):
        import json
        import posixpath

        raise _invalid(
            f"Invalid value {json.dumps(name)} for parameter 'name' supplied: Names may be "
            "treated as files in certain cases, and must not resolve to other names when "
            f"treated as such. This name would resolve to {posixpath.normpath(name)!r}")
    return name


def validate_new_name(new_name) -> str:
    """The target name of a rename."""
    if new_name is None or str(new_name).strip() == "":
        raise _invalid("Missing value for required parameter 'new_name'.")
    return validate_model_name(new_name)


def validate_version(version) -> int:
    """A version number (int or its string); INVALID_PARAMETER_VALUE otherwise."""
    try:
        return int(version)
    except (TypeError, ValueError):
        raise _invalid(f"Parameter 'version' must be an integer, got '{version}'.") from None


def validate_alias(alias) -> str:
    """An alias name: alphanumerics, ``_`` and ``-``, at most 255 characters."""
    if alias is None or alias == "":
        raise _invalid("Registered model alias name cannot be empty.")
    if not _ALIAS_CHARS.match(alias):
        raise _invalid(f"Invalid alias name: '{alias}'. {_BAD_ALIAS_MESSAGE}")
    _check_length("Registered model alias name", MAX_ALIAS_LENGTH, alias)
    return alias


def validate_settable_alias(alias) -> str:
    """An alias that may be set: valid, and neither ``latest`` nor a version (``v3``)."""
    validate_alias(alias)
    if alias.lower() == LATEST_ALIAS:
        raise _invalid("'latest' alias name (case insensitive) is reserved.")
    if _VERSION_ALIAS.match(alias):
        raise _invalid(f"Version alias name '{alias}' is reserved.")
    return alias


def validate_tag_key(key) -> str:
    """A registry tag key: MLflow's key characters, a canonical path, ≤ 250 characters."""
    _tracking._check_key_name(key, "key", "tag")
    _check_length("key", MAX_TAG_KEY_LENGTH, key)
    return key


def registered_model_tag(key, value) -> tuple[str, str]:
    """A registered model's tag as stored: (key, value stringified; None becomes "None",
    as MLflow's client makes it)."""
    value = str(value)
    validate_tag_key(key)
    _check_length("value", MAX_TAG_VALUE_LENGTH, value)
    return key, value


def model_version_tag(key, value) -> tuple[str, str]:
    """A model version's tag as stored: (key, value stringified; None becomes "None", as
    MLflow's client makes it)."""
    value = str(value)
    validate_tag_key(key)
    _check_length("value", MAX_TAG_VALUE_LENGTH, value)
    return key, value


def version_or_stage(version, stage) -> None:
    """Exactly one of ``version`` and ``stage`` (the tag methods' rule)."""
    if version and stage:
        raise _invalid("version and stage cannot be set together")
    if not (version or stage):
        raise _invalid("version or stage must be set")
