"""Bad dataset input where MLflow raises a bare Python error: ours is an MlflowException
(INVALID_PARAMETER_VALUE) that ``except AttributeError`` / ``except TypeError`` still
catches, with MLflow's own wording kept at the end of the message."""

from __future__ import annotations

from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from ..validation import MlflowTypeError

__all__ = ["MlflowAttributeError", "MlflowTypeError", "wrong_kind"]


class MlflowAttributeError(MlflowException, AttributeError):
    """An object of the wrong kind where MLflow fails with an AttributeError."""

    def __init__(self, message: str):
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)


def wrong_kind(what: str, value, expected: str, missing: str) -> MlflowAttributeError:
    """``what`` is not ``expected``; MLflow's error would be the missing attribute."""
    kind = type(value).__name__
    return MlflowAttributeError(
        f"Unsupported {what} of type '{kind}': expected {expected} "
        f"('{kind}' object has no attribute '{missing}').")
