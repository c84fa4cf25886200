"""``mlflow.protos.databricks_pb2``: MLflow's error-code constants and ErrorCode lookups."""

from aiomlflow.exceptions import ERROR_CODES


class ErrorCode:
    """Name/number lookups over MLflow's ErrorCode enum (protobuf-free)."""

    @staticmethod
    def Name(number: int) -> str:  # noqa: N802 - protobuf's spelling
        for name, value in ERROR_CODES.items():
            if value == number:
                return name
        raise ValueError(f"Enum ErrorCode has no name defined for value {number!r}")

    @staticmethod
    def Value(name: str) -> int:  # noqa: N802 - protobuf's spelling
        try:
            return ERROR_CODES[name]
        except KeyError:
            raise ValueError(f"Enum ErrorCode has no value defined for name {name!r}") from None

    @staticmethod
    def items():
        return list(ERROR_CODES.items())


globals().update(ERROR_CODES)
