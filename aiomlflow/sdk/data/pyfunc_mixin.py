"""What ``mlflow.evaluate`` asks of a dataset it can evaluate a model on: its inputs and
outputs for a pyfunc model (``to_pyfunc``) and its EvaluationDataset
(``to_evaluation_dataset``), as MLflow 3.17.2's ``PyFuncConvertibleDatasetMixin``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class PyFuncInputsOutputs:
    """A dataset's model inputs and (optional) expected outputs."""

    inputs: Any
    outputs: Any = None


class PyFuncConvertibleDatasetMixin:
    """Datasets ``mlflow.evaluate`` takes as ``data`` (pandas and numpy ones)."""

    def to_pyfunc(self) -> PyFuncInputsOutputs:
        """The dataset's model inputs and outputs."""
        raise NotImplementedError

    def to_evaluation_dataset(self, path=None, feature_names=None):
        """The EvaluationDataset ``mlflow.evaluate`` evaluates on: this dataset's features,
        targets and predictions, with its name and digest."""
        from ..evaluation.dataset import from_mlflow_dataset

        return from_mlflow_dataset(self, path=path, feature_names=feature_names)
