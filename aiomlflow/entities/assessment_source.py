"""AssessmentSource and AssessmentSourceType: who or what produced an assessment."""

from __future__ import annotations

import warnings
from typing import Any

from aiomlflow.entities._record import _Record
from aiomlflow.exceptions import INVALID_PARAMETER_VALUE, MlflowException


class AssessmentSourceType:
    """The kinds of assessment source: HUMAN, LLM_JUDGE, CODE (and SOURCE_TYPE_UNSPECIFIED).

    ``AssessmentSourceType("llm_judge")`` validates a name case-insensitively; its
    ``str()`` is the canonical name.  The legacy ``AI_JUDGE`` still works, with a
    FutureWarning, and means LLM_JUDGE.
    """

    SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED"
    LLM_JUDGE = "LLM_JUDGE"
    AI_JUDGE = "AI_JUDGE"  # deprecated spelling of LLM_JUDGE
    HUMAN = "HUMAN"
    CODE = "CODE"
    _SOURCE_TYPES = [SOURCE_TYPE_UNSPECIFIED, LLM_JUDGE, HUMAN, CODE]

    def __init__(self, source_type: str) -> None:
        self._source_type = AssessmentSourceType._parse(source_type)

    @staticmethod
    def _parse(source_type: str) -> str:
        """The canonical name of ``source_type``; INVALID_PARAMETER_VALUE if unknown."""
        if not isinstance(source_type, (str, AssessmentSourceType)):
            raise _invalid_type(repr(source_type))
        name = str(source_type).upper()
        if name == AssessmentSourceType.AI_JUDGE:
            warnings.warn("AI_JUDGE is deprecated. Use LLM_JUDGE instead.", FutureWarning)
            name = AssessmentSourceType.LLM_JUDGE
        if name not in AssessmentSourceType._SOURCE_TYPES:
            raise _invalid_type(name)
        return name

    def __str__(self) -> str:
        return self._source_type

    @staticmethod
    def _standardize(source_type: str) -> str:
        return str(AssessmentSourceType(source_type))


def _invalid_type(shown: str) -> MlflowException:
    return MlflowException(f"Invalid assessment source type: {shown}. "
                           f"Valid source types: {AssessmentSourceType._SOURCE_TYPES}",
                           error_code=INVALID_PARAMETER_VALUE)


class AssessmentSource(_Record):
    """The source of an assessment: its type (``AssessmentSourceType``) and an id such as
    a reviewer's e-mail or a judge model's name (``"default"`` if not given)."""

    _FIELDS = ("source_type", "source_id")
    source_id = "default"  # the class-level default, as a dataclass exposes it

    def __init__(self, source_type: str, source_id: str | None = "default") -> None:
        self.source_type = AssessmentSourceType._standardize(source_type)
        self.source_id = source_id

    def to_dictionary(self) -> dict[str, Any]:
        """``{"source_type": ..., "source_id": ...}``."""
        return {"source_type": self.source_type, "source_id": self.source_id}

    @classmethod
    def from_dictionary(cls, source_dict: dict[str, Any]) -> "AssessmentSource":
        """The inverse of ``to_dictionary``."""
        return cls(**source_dict)

    def _to_message_dict(self) -> dict[str, Any]:
        # protobuf JSON: an unset id is left out
        out: dict[str, Any] = {"source_type": self.source_type}
        if self.source_id is not None:
            out["source_id"] = self.source_id
        return out
