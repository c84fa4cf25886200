"""``mlflow.exceptions``: MlflowException and friends."""

from aiomlflow.sdk.exceptions import (
    HTTP_STATUS as ERROR_CODE_TO_HTTP_STATUS,
    MlflowException,
    MlflowTracingException,
    RestException,
)

__all__ = ["ERROR_CODE_TO_HTTP_STATUS", "MlflowException", "MlflowTracingException",
           "RestException"]
