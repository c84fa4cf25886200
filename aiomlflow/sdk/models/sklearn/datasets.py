"""The training data as an ``mlflow.data`` dataset: the run's ``train`` input (with
``log_datasets``) and the dataset the training metrics are linked to; the data of a
tracked prediction, the run's ``eval`` input."""

from __future__ import annotations

import logging

_logger = logging.getLogger("aiomlflow.autolog")


def code_source():
    """The dataset source autologging gives data: the code running now."""
    from ...data.sources import CodeDatasetSource
    from ...run_context import default_run_tags

    return CodeDatasetSource(default_run_tags())


def training_dataset(X, y, source=None):
    """A NumpyDataset / PandasDataset of ``X`` (and targets ``y``, if not None) with a
    code source (``source``, or one made now): the training data, or an evaluation
    set; None for data of another kind."""
    import numpy as np

    from ...data.datasets import from_numpy, from_pandas

    if source is None:
        source = code_source()
    if type(X).__module__.startswith("pandas") and type(X).__name__ == "DataFrame":
        return from_pandas(df=X, source=source)
    if hasattr(X, "toarray") and type(X).__module__.startswith("scipy.sparse"):
        features = X.toarray()
        targets = y.toarray() if hasattr(y, "toarray") else y
        return from_numpy(features=features, targets=targets, source=source)
    if isinstance(X, np.ndarray):
        return from_numpy(features=X, targets=y, source=source)
    if type(X).__module__.startswith("polars"):
        return None  # (polars datasets are not implemented)
    _logger.warning("Unrecognized dataset type %s. Dataset logging skipped.", type(X))
    return None


def dataset_inputs(dataset, context: str = "train") -> list:
    """The DatasetInput list of ``dataset`` with its ``mlflow.data.context`` tag."""
    from ...data.inputs import create_dataset_input

    return [create_dataset_input(dataset, context)]


def log_dataset_input(engine, run_id: str, dataset, context: str = "train") -> None:
    """Queue ``dataset`` as an input of the run (in order with its other writes)."""
    from ....batches import CALL
    from ...data import inputs

    datasets = inputs.validate_dataset_inputs(dataset_inputs(dataset, context))
    engine.submit(CALL, None, "log_inputs", (run_id, datasets, []))
