"""ModelVersionStatus: the registration status of a model version (MLflow's proto enum)."""

from __future__ import annotations


class ModelVersionStatus:
    """Enum for status of a :class:`ModelVersion`."""

    PENDING_REGISTRATION = 1
    FAILED_REGISTRATION = 2
    READY = 3

    _STRING_TO_STATUS = {"PENDING_REGISTRATION": 1, "FAILED_REGISTRATION": 2, "READY": 3}
    _STATUS_TO_STRING = {value: key for key, value in _STRING_TO_STATUS.items()}

    @staticmethod
    def from_string(status_str):
        """The status number of a status name."""
        if status_str not in ModelVersionStatus._STRING_TO_STATUS:
            raise Exception(
                f"Could not get model version status corresponding to string {status_str}. "
                f"Valid status strings: {list(ModelVersionStatus._STRING_TO_STATUS)}")
        return ModelVersionStatus._STRING_TO_STATUS[status_str]

    @staticmethod
    def to_string(status):
        """The status name of a status number."""
        if status not in ModelVersionStatus._STATUS_TO_STRING:
            raise Exception(
                f"Could not get string corresponding to model version status {status}. "
                f"Valid statuses: {list(ModelVersionStatus._STATUS_TO_STRING)}")
        return ModelVersionStatus._STATUS_TO_STRING[status]

    @staticmethod
    def all_status():
        """Every status number."""
        return list(ModelVersionStatus._STATUS_TO_STRING)
