"""Metric: one logged value of a metric key at a timestamp and step."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _MlflowObject, _float, _float_to_rest, _int, _put
from aiomlflow.exceptions import MlflowException, INVALID_PARAMETER_VALUE

_REQUIRED_KEYS = ("key", "value", "timestamp", "step")


class Metric(_MlflowObject):
    """Metric object: key, value, timestamp (ms), step, and the optional model/dataset links."""

    __slots__ = ("_key", "_value", "_timestamp", "_step", "_model_id",
                 "_dataset_name", "_dataset_digest", "_run_id")

    def __init__(
        self,
        key: str,
        value: float,
        timestamp: int,
        step: int,
        model_id: str | None = None,
        dataset_name: str | None = None,
        dataset_digest: str | None = None,
        run_id: str | None = None,
    ) -> None:
        self._key = key
        self._value = value
        self._timestamp = timestamp
        self._step = step
        self._model_id = model_id
        self._dataset_name = dataset_name
        self._dataset_digest = dataset_digest
        self._run_id = run_id

    @property
    def key(self) -> str:
        """String key corresponding to the metric name."""
        return self._key

    @property
    def value(self) -> float:
        """Float value of the metric."""
        return self._value

    @property
    def timestamp(self) -> int:
        """Metric timestamp as an integer (milliseconds since the Unix epoch)."""
        return self._timestamp

    @property
    def step(self) -> int:
        """Integer metric step (x-coordinate)."""
        return self._step

    @property
    def model_id(self) -> str | None:
        """ID of the logged model the metric is associated with, if any."""
        return self._model_id

    @property
    def dataset_name(self) -> str | None:
        """Name of the dataset the metric was computed on, if any."""
        return self._dataset_name

    @property
    def dataset_digest(self) -> str | None:
        """Digest of the dataset the metric was computed on, if any."""
        return self._dataset_digest

    @property
    def run_id(self) -> str | None:
        """ID of the run the metric belongs to, if known."""
        return self._run_id

    def _tuple(self) -> tuple:
        return (self._key, self._value, self._timestamp, self._step, self._model_id,
                self._dataset_name, self._dataset_digest, self._run_id)

    def __eq__(self, other: object) -> bool:
        # MLflow accepts subclasses here (isinstance), unlike most other entities.
        if isinstance(other, self.__class__):
            return self._tuple() == other._tuple()
        return False

    def __hash__(self) -> int:
        return hash(self._tuple())

    def to_dictionary(self) -> dict[str, Any]:
        """The metric as a dict, in MLflow's key order."""
        return {
            "key": self._key,
            "value": self._value,
            "timestamp": self._timestamp,
            "step": self._step,
            "model_id": self._model_id,
            "dataset_name": self._dataset_name,
            "dataset_digest": self._dataset_digest,
            "run_id": self._run_id,
        }

    @classmethod
    def from_dictionary(cls, metric_dict: dict[str, Any]) -> "Metric":
        """Build a Metric from ``to_dictionary()`` output; key, value, timestamp, step are required."""
        missing = [k for k in _REQUIRED_KEYS if k not in metric_dict]
        if missing:
            raise MlflowException(
                f"Missing required keys {missing} in metric dictionary",
                INVALID_PARAMETER_VALUE,
            )
        return cls(**metric_dict)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Metric":
        """Parse MLflow's REST JSON form of a metric (int64 may be strings, NaN as "NaN")."""
        return cls(
            key=d.get("key", ""),
            value=_float(d.get("value", 0.0)),
            timestamp=_int(d.get("timestamp"), 0),
            step=_int(d.get("step"), 0),
            # MLflow's proto reader turns empty optional ids into None.
            model_id=d.get("model_id") or None,
            dataset_name=d.get("dataset_name") or None,
            dataset_digest=d.get("dataset_digest") or None,
            run_id=d.get("run_id") or None,
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The metric in MLflow's REST JSON form."""
        out: dict[str, Any] = {
            "key": self._key,
            "value": _float_to_rest(self._value),
            "timestamp": self._timestamp,
            "step": self._step,
        }
        _put(out, "dataset_name", self._dataset_name)
        _put(out, "dataset_digest", self._dataset_digest)
        _put(out, "model_id", self._model_id)
        _put(out, "run_id", self._run_id)
        return out
