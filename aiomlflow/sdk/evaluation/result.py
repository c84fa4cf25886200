"""``EvaluationResult``: the metrics and artifacts one ``mlflow.evaluate`` call produced."""

from __future__ import annotations

import json
import logging
import os
import pathlib
import urllib.parse

from .artifacts import NumpyEncoder

_logger = logging.getLogger(__name__)


def _class_path(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _class_from_path(path: str):
    import importlib

    module, _, name = path.rpartition(".")
    # results saved by real mlflow name mlflow's artifact classes: ours have the same names
    if module.startswith("mlflow."):
        module = "aiomlflow.sdk.evaluation.artifacts"
    return getattr(importlib.import_module(module), name)


class EvaluationResult:
    """The outputs of ``mlflow.evaluate()``: scalar ``metrics``, ``artifacts`` (plots,
    tables), the ``run_id`` they were logged to, and the logged ``tables``."""

    def __init__(self, metrics, artifacts, run_id=None):
        self._metrics = metrics
        self._artifacts = artifacts
        if run_id is None:
            from .. import fluent

            active = fluent.active_run()
            run_id = active.info.run_id if active is not None else None
        self._run_id = run_id

    @classmethod
    def load(cls, path):
        """Load an evaluation result saved with :meth:`save` from a local directory."""
        with open(os.path.join(path, "metrics.json")) as fp:
            metrics = json.load(fp)
        with open(os.path.join(path, "artifacts_metadata.json")) as fp:
            metadata = json.load(fp)
        artifacts = {}
        for name, meta in metadata.items():
            artifact = _class_from_path(meta["class_name"])(uri=meta["uri"])
            filename = pathlib.Path(urllib.parse.urlparse(meta["uri"]).path).name
            artifact._load(os.path.join(path, "artifacts", filename))
            artifacts[name] = artifact
        return EvaluationResult(metrics=metrics, artifacts=artifacts)

    def save(self, path):
        """Write the metrics and artifacts to a local directory (``metrics.json``,
        ``artifacts_metadata.json`` and ``artifacts/``, as MLflow lays them out)."""
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "metrics.json"), "w") as fp:
            json.dump(self.metrics, fp, cls=NumpyEncoder)
        metadata = {name: {"uri": a.uri, "class_name": _class_path(a)}
                    for name, a in self.artifacts.items()}
        with open(os.path.join(path, "artifacts_metadata.json"), "w") as fp:
            json.dump(metadata, fp)
        directory = os.path.join(path, "artifacts")
        os.makedirs(directory, exist_ok=True)
        for artifact in self.artifacts.values():
            filename = pathlib.Path(urllib.parse.urlparse(artifact.uri).path).name
            artifact._save(os.path.join(directory, filename))

    @property
    def metrics(self) -> dict:
        """Scalar metric names mapped to their values."""
        return self._metrics

    @property
    def artifacts(self) -> dict:
        """Artifact names (e.g. ``"roc_curve_plot"``) mapped to EvaluationArtifacts."""
        return self._artifacts

    @property
    def run_id(self) -> str:
        """The ID of the run the results were logged to."""
        return self._run_id

    @property
    def tables(self) -> dict:
        """Artifacts that are logged tables (e.g. ``"eval_results_table"``) as DataFrames."""
        tables = {}
        if self._run_id is None:
            _logger.warning("Cannot load eval_results_table because run_id is not specified.")
            return tables
        from ..artifacts.fluent import load_table

        for name, artifact in self._artifacts.items():
            filename = os.path.basename(urllib.parse.urlparse(artifact.uri).path)
            try:
                tables[name] = load_table(filename, run_ids=[self._run_id])
            except Exception:
                pass  # not a table
        return tables
