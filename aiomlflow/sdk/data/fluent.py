"""``mlflow.log_input``, ``log_inputs`` and ``log_outputs``: the datasets and logged
models the active run (started if needed) consumed and produced."""

from __future__ import annotations

from ...exceptions import MlflowException
from .inputs import create_dataset_input


def _client_and_run():
    from .. import fluent
    from ..client import MlflowClient

    run_id, engine = fluent._target(None)
    return MlflowClient(engine.tracking_uri), run_id


def log_input(dataset=None, context: str | None = None, tags: dict[str, str] | None = None,
              model=None) -> None:
    """Record a dataset (an ``aiomlflow.data`` Dataset, with an optional context such as
    "training" and input tags) and/or a LoggedModelInput as inputs of the active run."""
    datasets = [create_dataset_input(dataset, context, tags)] if dataset else None
    models = [model] if model else None
    client, run_id = _client_and_run()
    client.log_inputs(run_id=run_id, datasets=datasets, models=models)


def _is_databricks(uri: str) -> bool:
    return uri == "databricks" or uri.startswith("databricks:") or uri.startswith(
        "databricks-uc")


def log_inputs(datasets: list | None = None, contexts: list[str | None] | None = None,
               tags_list: list[dict[str, str] | None] | None = None,
               models: list | None = None) -> None:
    """Record several datasets as inputs of the active run: ``datasets``, ``contexts``
    and ``tags_list`` have the same length, any entry may be None (no dataset, context or
    tags).  ``models`` is for Databricks-managed MLflow only, as in MLflow."""
    from ..tracking_uri import get_tracking_uri

    datasets = datasets or []
    contexts = contexts or []
    tags_list = tags_list or []
    if not (len(datasets) == len(contexts) == len(tags_list)):
        raise MlflowException(
            "`mlflow.log_inputs` requires `datasets`, `contexts`, `tags_list` to be "
            "non-empty list and have the same length.")
    if models and not _is_databricks(get_tracking_uri()):
        raise MlflowException("'models' argument is only supported by Databricks managed MLflow.")
    # (MLflow fails on a None dataset; as its documentation says, it is "no input" here)
    dataset_inputs = [create_dataset_input(dataset, context, tags)
                      for dataset, context, tags in zip(datasets, contexts, tags_list)]
    client, run_id = _client_and_run()
    client.log_inputs(run_id=run_id, datasets=[d for d in dataset_inputs if d is not None],
                      models=models)


def log_outputs(models: list | None = None) -> None:
    """Record LoggedModelOutputs (a model id and a step) as outputs of the active run."""
    client, run_id = _client_and_run()
    client.log_outputs(run_id, models=models)
