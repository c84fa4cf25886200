"""MlflowException and MLflow's error codes, with their HTTP status mapping."""

from __future__ import annotations


# MLflow's ErrorCode enum (databricks.proto): name -> number.
ERROR_CODES: dict[str, int] = {
    "INTERNAL_ERROR": 1, "TEMPORARILY_UNAVAILABLE": 2, "IO_ERROR": 3, "BAD_REQUEST": 4,
    "SERVICE_UNDER_MAINTENANCE": 5, "WORKSPACE_TEMPORARILY_UNAVAILABLE": 6,
    "DEADLINE_EXCEEDED": 7, "CANCELLED": 8, "RESOURCE_EXHAUSTED": 9, "ABORTED": 10,
    "NOT_FOUND": 11, "ALREADY_EXISTS": 12, "UNAUTHENTICATED": 13,
    "INVALID_PARAMETER_VALUE": 1000, "ENDPOINT_NOT_FOUND": 1001, "MALFORMED_REQUEST": 1002,
    "INVALID_STATE": 1003, "PERMISSION_DENIED": 1004, "FEATURE_DISABLED": 1005,
    "CUSTOMER_UNAUTHORIZED": 1006, "REQUEST_LIMIT_EXCEEDED": 1007, "RESOURCE_CONFLICT": 1008,
    "UNPARSEABLE_HTTP_ERROR": 1009, "NOT_IMPLEMENTED": 1010, "DATA_LOSS": 1011,
    "INVALID_STATE_TRANSITION": 2001, "COULD_NOT_ACQUIRE_LOCK": 2002,
    "RESOURCE_ALREADY_EXISTS": 3001, "RESOURCE_DOES_NOT_EXIST": 3002,
    "QUOTA_EXCEEDED": 4001, "MAX_BLOCK_SIZE_EXCEEDED": 4002, "MAX_READ_SIZE_EXCEEDED": 4003,
    "PARTIAL_DELETE": 4004, "MAX_LIST_SIZE_EXCEEDED": 4005, "DRY_RUN_FAILED": 5001,
    "RESOURCE_LIMIT_EXCEEDED": 5002, "DIRECTORY_NOT_EMPTY": 6001, "DIRECTORY_PROTECTED": 6002,
}
_CODE_NAMES = {number: name for name, number in ERROR_CODES.items()}

# Module-level constants, as `from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE`.
INTERNAL_ERROR = ERROR_CODES["INTERNAL_ERROR"]
TEMPORARILY_UNAVAILABLE = ERROR_CODES["TEMPORARILY_UNAVAILABLE"]
BAD_REQUEST = ERROR_CODES["BAD_REQUEST"]
INVALID_PARAMETER_VALUE = ERROR_CODES["INVALID_PARAMETER_VALUE"]
INVALID_STATE = ERROR_CODES["INVALID_STATE"]
ENDPOINT_NOT_FOUND = ERROR_CODES["ENDPOINT_NOT_FOUND"]
PERMISSION_DENIED = ERROR_CODES["PERMISSION_DENIED"]
FEATURE_DISABLED = ERROR_CODES["FEATURE_DISABLED"]
NOT_IMPLEMENTED = ERROR_CODES["NOT_IMPLEMENTED"]
RESOURCE_ALREADY_EXISTS = ERROR_CODES["RESOURCE_ALREADY_EXISTS"]
RESOURCE_DOES_NOT_EXIST = ERROR_CODES["RESOURCE_DOES_NOT_EXIST"]

HTTP_STATUS: dict[str, int] = {
    "INTERNAL_ERROR": 500, "INVALID_STATE": 500, "DATA_LOSS": 500, "NOT_IMPLEMENTED": 501,
    "TEMPORARILY_UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504, "REQUEST_LIMIT_EXCEEDED": 429,
    "CANCELLED": 499, "RESOURCE_EXHAUSTED": 429, "ABORTED": 409, "RESOURCE_CONFLICT": 409,
    "ALREADY_EXISTS": 409, "NOT_FOUND": 404, "ENDPOINT_NOT_FOUND": 404,
    "RESOURCE_DOES_NOT_EXIST": 404, "PERMISSION_DENIED": 403, "CUSTOMER_UNAUTHORIZED": 401,
    "UNAUTHENTICATED": 401, "BAD_REQUEST": 400, "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_PARAMETER_VALUE": 400,
}

# MLflow attaches an ANSI SQLSTATE to a few codes in its JSON form.
_SQLSTATE = {"INVALID_PARAMETER_VALUE": "KAM00"}


def error_code_name(code) -> str:
    """The ErrorCode name for a number or a name; unknown codes become INTERNAL_ERROR."""
    if isinstance(code, str) and code in ERROR_CODES:
        return code
    return _CODE_NAMES.get(code, "INTERNAL_ERROR") if isinstance(code, int) else "INTERNAL_ERROR"


class MlflowException(Exception):
    """Generic exception for failures exposed to users, carrying an MLflow error code."""

    def __init__(self, message, error_code=INTERNAL_ERROR, **kwargs):
        self.error_code = error_code_name(error_code)
        self.message = str(message)
        self.json_kwargs = kwargs
        super().__init__(self.message)

    def serialize_as_json(self) -> str:
        """The error as MLflow's REST error JSON."""
        body = {"error_code": self.error_code, "message": self.message}
        sqlstate = _SQLSTATE.get(self.error_code)
        if sqlstate:
            body["sqlstate"] = sqlstate
            body["error_class"] = self.error_code
        body.update(self.json_kwargs)
        import json  # loaded on first use: not part of `import aiomlflow`

        return json.dumps(body)

    def get_http_status_code(self) -> int:
        """The HTTP status MLflow's server answers this error with."""
        return HTTP_STATUS.get(self.error_code, 500)

    @classmethod
    def invalid_parameter_value(cls, message, **kwargs) -> "MlflowException":
        """An MlflowException with the INVALID_PARAMETER_VALUE error code."""
        return cls(message, error_code=INVALID_PARAMETER_VALUE, **kwargs)


class RestException(MlflowException):
    """An error answered by an MLflow REST server (its JSON error body)."""

    def __init__(self, json_body: dict):
        code = json_body.get("error_code", "INTERNAL_ERROR")
        message = json_body.get("message", "")
        super().__init__(f"{error_code_name(code)}: {message}", error_code=code)
        self.json = json_body


class MlflowTracingException(MlflowException):
    """Raised by tracing operations."""


class ExecutionException(MlflowException):
    """Raised when running an MLflow project fails (``mlflow.run``)."""


# MLflow's name for the status table.
ERROR_CODE_TO_HTTP_STATUS = HTTP_STATUS
