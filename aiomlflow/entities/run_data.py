"""RunData: a run's metrics (latest values), params and tags."""

from __future__ import annotations

TYPE_CHECKING = False  # typing stays out of `import aiomlflow` (annotations only)
if TYPE_CHECKING:
    from typing import Any

from aiomlflow.entities._base import _MlflowObject
from aiomlflow.entities.metric import Metric
from aiomlflow.entities.param import Param
from aiomlflow.entities.run_tag import RunTag


class RunData(_MlflowObject):
    """Run data (metrics, params and tags) as key → value dicts."""

    __slots__ = ("_metric_objs", "_metrics", "_params", "_tags")

    def __init__(
        self,
        metrics: list[Metric] | None = None,
        params: list[Param] | None = None,
        tags: list[RunTag] | None = None,
    ) -> None:
        self._metric_objs = metrics or []
        # Later entries win, so a list of latest metrics read in order stays correct.
        self._metrics = {m.key: m.value for m in self._metric_objs}
        self._params = {p.key: p.value for p in (params or [])}
        self._tags = {t.key: t.value for t in (tags or [])}

    def _add_metric(self, metric: Metric) -> None:
        self._metric_objs.append(metric)
        self._metrics[metric.key] = metric.value

    def _add_param(self, param: Param) -> None:
        self._params[param.key] = param.value

    def _add_tag(self, tag: RunTag) -> None:
        self._tags[tag.key] = tag.value

    @property
    def metrics(self) -> dict[str, float]:
        """Dictionary of metric key → latest metric value."""
        return self._metrics

    @property
    def params(self) -> dict[str, str]:
        """Dictionary of param key → param value."""
        return self._params

    @property
    def tags(self) -> dict[str, str]:
        """Dictionary of tag key → tag value."""
        return self._tags

    def to_dictionary(self) -> dict[str, Any]:
        """The run data as ``{"metrics": {...}, "params": {...}, "tags": {...}}``."""
        return {"metrics": self._metrics, "params": self._params, "tags": self._tags}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunData":
        """Parse MLflow's REST JSON form: lists of metric, param and tag objects."""
        return cls(
            metrics=[Metric.from_dict(m) for m in d.get("metrics") or ()],
            params=[Param.from_dict(p) for p in d.get("params") or ()],
            tags=[RunTag.from_dict(t) for t in d.get("tags") or ()],
        )

    def to_rest_dict(self) -> dict[str, Any]:
        """The run data in MLflow's REST JSON form (empty lists omitted, as protobuf does)."""
        out: dict[str, Any] = {}
        if self._metric_objs:
            out["metrics"] = [m.to_rest_dict() for m in self._metric_objs]
        if self._params:
            out["params"] = [{"key": k, "value": v} for k, v in self._params.items()]
        if self._tags:
            out["tags"] = [{"key": k, "value": v} for k, v in self._tags.items()]
        return out
