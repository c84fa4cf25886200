"""LoggedModel: a model logged to an experiment, with its tags, params and metrics."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _MlflowObject, _int, _put
from aiomlflow.entities.logged_model_parameter import LoggedModelParameter
from aiomlflow.entities.logged_model_status import LoggedModelStatus
from aiomlflow.entities.logged_model_tag import LoggedModelTag
from aiomlflow.entities.metric import Metric

# Large fields that MLflow's repr leaves out.
_NOT_IN_REPR = frozenset(("tags", "params", "metrics"))


def _pairs(items) -> dict[str, str]:
    if isinstance(items, list):
        return {item.key: item.value for item in items}
    return items or {}


class LoggedModel(_MlflowObject):
    """MLflow entity representing a Model logged to an MLflow Experiment."""

    __slots__ = ("_experiment_id", "_model_id", "_name", "_artifact_location",
                 "_creation_time", "_last_updated_timestamp", "_model_type", "_source_run_id",
                 "_status", "_status_message", "_tags", "_params", "_metrics", "_model_uri")

    def __init__(
        self,
        experiment_id: str,
        model_id: str,
        name: str,
        artifact_location: str,
        creation_timestamp: int,
        last_updated_timestamp: int,
        model_type: str | None = None,
        source_run_id: str | None = None,
        status: LoggedModelStatus | int = LoggedModelStatus.READY,
        status_message: str | None = None,
        tags: list[LoggedModelTag] | dict[str, str] | None = None,
        params: list[LoggedModelParameter] | dict[str, str] | None = None,
        metrics: list[Metric] | None = None,
    ) -> None:
        self._experiment_id = experiment_id
        self._model_id = model_id
        self._name = name
        self._artifact_location = artifact_location
        self._creation_time = creation_timestamp
        self._last_updated_timestamp = last_updated_timestamp
        self._model_type = model_type
        self._source_run_id = source_run_id
        self._status = (status if isinstance(status, LoggedModelStatus)
                        else LoggedModelStatus.from_int(status))
        self._status_message = status_message
        self._tags = _pairs(tags)
        self._params = _pairs(params)
        self._metrics = metrics
        self._model_uri = f"models:/{model_id}"

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self if k not in _NOT_IN_REPR)
        return f"LoggedModel({fields})"

    @property
    def experiment_id(self) -> str:
        """String. Experiment ID associated with this Model."""
        return self._experiment_id

    @experiment_id.setter
    def experiment_id(self, new_experiment_id: str) -> None:
        self._experiment_id = new_experiment_id

    @property
    def model_id(self) -> str:
        """String. Unique ID for this Model."""
        return self._model_id

    @model_id.setter
    def model_id(self, new_model_id: str) -> None:
        self._model_id = new_model_id

    @property
    def name(self) -> str:
        """String. Name for this Model."""
        return self._name

    @name.setter
    def name(self, new_name: str) -> None:
        self._name = new_name

    @property
    def artifact_location(self) -> str:
        """String. Location of the model artifacts."""
        return self._artifact_location

    @artifact_location.setter
    def artifact_location(self, new_artifact_location: str) -> None:
        self._artifact_location = new_artifact_location

    @property
    def creation_timestamp(self) -> int:
        """Integer. Model creation timestamp (milliseconds since the Unix epoch)."""
        return self._creation_time

    @property
    def last_updated_timestamp(self) -> int:
        """Integer. Timestamp of last update for this Model (milliseconds since the Unix
        epoch)."""
        return self._last_updated_timestamp

    @last_updated_timestamp.setter
    def last_updated_timestamp(self, updated_timestamp: int) -> None:
        self._last_updated_timestamp = updated_timestamp

    @property
    def model_type(self) -> str | None:
        """String. Type of the model."""
        return self._model_type

    @model_type.setter
    def model_type(self, new_model_type: str | None) -> None:
        self._model_type = new_model_type

    @property
    def source_run_id(self) -> str | None:
        """String. MLflow run ID that generated this model."""
        return self._source_run_id

    @property
    def status(self) -> LoggedModelStatus:
        """String. Current status of this Model."""
        return self._status

    @status.setter
    def status(self, updated_status: LoggedModelStatus) -> None:
        self._status = updated_status

    @property
    def status_message(self) -> str | None:
        """String. Descriptive message for error status conditions."""
        return self._status_message

    @property
    def tags(self) -> dict[str, str]:
        """Dictionary of tag key (string) -> tag value for this Model."""
        return self._tags

    @property
    def params(self) -> dict[str, str]:
        """Model parameters."""
        return self._params

    @property
    def metrics(self) -> list[Metric] | None:
        """List of metrics associated with this Model."""
        return self._metrics

    @metrics.setter
    def metrics(self, new_metrics: list[Metric] | None) -> None:
        self._metrics = new_metrics

    @property
    def model_uri(self) -> str:
        """URI of the model (``models:/<model_id>``)."""
        return self._model_uri

    def _add_tag(self, tag) -> None:
        self._tags[tag.key] = tag.value

    def to_dictionary(self) -> dict[str, Any]:
        """Every property but the derived ``model_uri``, with the status as its integer."""
        model_dict = dict(self)
        model_dict["status"] = self.status.to_int()
        del model_dict["model_uri"]
        return model_dict

    # ------------------------------------------------------------------ REST form
    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LoggedModel":
        """Parse MLflow's REST JSON form ``{"info": {...}, "data": {...}}``.

        As MLflow's client reads the protobuf, fields the server left out read as empty
        strings, except the optional ones that MLflow keeps as None when unset."""
        info = d.get("info") or {}
        data = d.get("data") or {}
        return cls(
            experiment_id=info.get("experiment_id", ""),
            model_id=info.get("model_id", ""),
            name=info.get("name", ""),
            artifact_location=info.get("artifact_uri", ""),
            creation_timestamp=_int(info.get("creation_timestamp_ms"), 0),
            last_updated_timestamp=_int(info.get("last_updated_timestamp_ms"), 0),
            model_type=info.get("model_type", ""),
            source_run_id=info.get("source_run_id", ""),
            status=LoggedModelStatus.from_rest(info.get("status")),
            status_message=info.get("status_message", ""),
            tags=[LoggedModelTag.from_dict(t) for t in info.get("tags") or ()],
            params=[LoggedModelParameter.from_dict(p) for p in data.get("params") or ()],
            metrics=[Metric.from_dict(m) for m in data.get("metrics") or ()],
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The model in MLflow's REST JSON form."""
        info: dict[str, Any] = {}
        for key, value in (("model_id", self._model_id), ("experiment_id", self._experiment_id),
                           ("name", self._name),
                           ("creation_timestamp_ms", self._creation_time),
                           ("last_updated_timestamp_ms", self._last_updated_timestamp),
                           ("artifact_uri", self._artifact_location),
                           ("status", self._status.to_rest()),
                           ("model_type", self._model_type),
                           ("source_run_id", self._source_run_id),
                           ("status_message", self._status_message)):
            _put(info, key, value)
        if self._tags:
            info["tags"] = [{"key": k, "value": v} for k, v in self._tags.items()]
        data: dict[str, Any] = {}
        if self._params:
            data["params"] = [{"key": k, "value": v} for k, v in self._params.items()]
        if self._metrics:
            data["metrics"] = [m.to_rest_dict() for m in self._metrics]
        return {"info": info, "data": data}
