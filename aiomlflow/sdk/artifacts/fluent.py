"""The fluent artifact functions: ``mlflow.log_artifact`` and friends on the active run
(started if there is none), or on ``run_id`` where MLflow takes one."""

from __future__ import annotations

from ...workers.registry import get_engine, running_engines
from .. import tracking_uri
from ..fluent import _active_run_or_start, _current_experiment_id, _target
from . import operations, roots

__all__ = [
    "flush_artifact_async_logging", "get_artifact_uri", "load_table", "log_artifact",
    "log_artifacts", "log_dict", "log_figure", "log_image", "log_table", "log_text",
]


def log_artifact(local_path: str, artifact_path: str | None = None,
                 run_id: str | None = None) -> None:
    """Log a local file or directory as an artifact of the active run (or ``run_id``)."""
    run_id, engine = _target(run_id)
    operations.log_file(engine, run_id, local_path, artifact_path)


def log_artifacts(local_dir: str, artifact_path: str | None = None,
                  run_id: str | None = None) -> None:
    """Log every file of a local directory as artifacts of the active run (or ``run_id``)."""
    run_id, engine = _target(run_id)
    operations.log_tree(engine, run_id, local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    """Log text as an artifact file."""
    run_id, engine = _target(run_id)
    operations.log_text(engine, run_id, text, artifact_file)


def log_dict(dictionary: dict, artifact_file: str, run_id: str | None = None) -> None:
    """Log a JSON/YAML-serialisable object; YAML for .yml/.yaml files, else JSON."""
    run_id, engine = _target(run_id)
    operations.log_dict(engine, run_id, dictionary, artifact_file)


def log_figure(figure, artifact_file: str, *, save_kwargs: dict | None = None) -> None:
    """Log a matplotlib or plotly figure as an artifact file (format by extension)."""
    run_id, engine = _target(None)
    operations.log_figure(engine, run_id, figure, artifact_file, save_kwargs)


def log_image(image, artifact_file: str | None = None, key: str | None = None,
              step: int | None = None, timestamp: int | None = None,
              synchronous: bool | None = False) -> None:
    """Log an image as a file (``artifact_file``) or as a step of a time series (``key``)."""
    run_id, engine = _target(None)
    operations.log_image(engine, run_id, image, artifact_file, key, step, timestamp,
                         synchronous)


def log_table(data, artifact_file: str, run_id: str | None = None) -> None:
    """Log a dict or DataFrame as a JSON table artifact, appending to an existing one."""
    run_id, engine = _target(run_id)
    operations.log_table(engine, run_id, data, artifact_file, None)


def load_table(artifact_file: str, run_ids: list[str] | None = None,
               extra_columns: list[str] | None = None):
    """Load a table logged with log_table from ``run_ids`` (or every run of the current
    experiment that has it) as one DataFrame."""
    engine = get_engine(tracking_uri.get_tracking_uri())
    return operations.load_table(engine, _current_experiment_id(), artifact_file, run_ids,
                                 extra_columns)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    """The URI of ``artifact_path`` in the active run's artifacts (its root for None)."""
    active = _active_run_or_start()
    return roots.under(roots.run_root(active._engine, active._run_id), artifact_path)


def flush_artifact_async_logging() -> None:
    """Wait for every artifact logged asynchronously so far; raise the first failure."""
    for engine in running_engines():
        engine.artifacts.flush()

