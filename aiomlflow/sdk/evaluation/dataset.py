"""The evaluation dataset: features, labels and (static) predictions split out of what
``mlflow.evaluate(data=...)`` was given, with MLflow's dataset hash and the ``mlflow.data``
dataset that is logged as the run's input."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import struct

import numpy as np

from ...exceptions import MlflowException

_logger = logging.getLogger(__name__)

_SAMPLE_ROWS = 5  # rows hashed at each end of a large dataset


def is_mlflow_dataset(data) -> bool:
    """Whether ``data`` is an ``mlflow.data`` dataset (ours or real MLflow's)."""
    return hasattr(data, "_to_mlflow_entity") and hasattr(data, "digest")


def to_mlflow_dataset(data, targets=None, predictions=None):
    """``data`` as an ``mlflow.data`` dataset (logged as the run's input and naming the
    dataset its metrics are linked to), or None when it cannot be.

    Lists and arrays become NumpyDatasets, DataFrames PandasDatasets, as in MLflow.
    """
    import pandas as pd

    if predictions is not None and not isinstance(data, pd.DataFrame):
        raise MlflowException.invalid_parameter_value(
            "If predictions is specified, data must be one of the following types, or an "
            f"MLflow Dataset that represents one of the following types: {[pd.DataFrame]}.")
    from ..data.datasets import from_numpy, from_pandas
    if isinstance(data, list):
        if data and not isinstance(data[0], (list, np.ndarray)):
            data = [[value] for value in data]  # a flat list: one feature per sample
        return from_numpy(np.array(data),
                          targets=np.array(targets) if targets is not None else None)
    if isinstance(data, np.ndarray):
        return from_numpy(data, targets=targets)
    if isinstance(data, pd.DataFrame):
        return from_pandas(df=data, targets=targets, predictions=predictions)
    _logger.info("Cannot convert input data to `evaluate()` to an mlflow dataset, input must "
                 "be a list, a numpy array, a panda Dataframe or a spark Dataframe, but "
                 f"received {type(data)}.")
    return None


# ----------------------------------------------------------------------------- hashing
def _pack_uint64(array) -> bytes:
    return struct.pack(f">{array.size}Q", *array)


def _hash_ndarray(array) -> bytes:
    import pandas as pd

    array = np.asarray(array)
    return (_pack_uint64(pd.util.hash_array(array.flatten(order="C")))
            + _pack_uint64(np.array(array.shape, dtype="uint64")))


def _hash_cell(value):
    """A DataFrame cell as something pandas can hash (nested values as bytes)."""
    if isinstance(value, (dict, list, np.ndarray)):
        try:
            if isinstance(value, dict):
                return _hash_ndarray(list(value.keys())) + _hash_ndarray(list(value.values()))
            return _hash_ndarray(value)
        except Exception:
            return b""
    import pandas as pd

    try:
        pd.util.hash_array(np.array([value]))
        return value
    except TypeError:
        return b""


def _hash_block(data) -> bytes:
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        mapped = data.map(_hash_cell) if hasattr(data, "map") else data.applymap(_hash_cell)
        return _pack_uint64(pd.util.hash_pandas_object(mapped).to_numpy())
    if isinstance(data, np.ndarray) and len(data) > 0 and isinstance(data[0], list):
        return _hash_ndarray(np.array([str(row) for row in data]))
    if isinstance(data, np.ndarray) and any(isinstance(row, np.ndarray) for row in data):
        try:
            return _hash_ndarray(np.array(data.tolist()))
        except ValueError:
            return b"".join(_hash_ndarray(np.asarray(row))
                            + _pack_uint64(np.array([np.size(row)], dtype="uint64"))
                            for row in data)
    return _hash_ndarray(np.asarray(data))


def _update_md5(md5, data) -> None:
    """Hash the length and the first and last rows of ``data`` (all of it when small)."""
    import pandas as pd

    md5.update(_pack_uint64(np.array([len(data)], dtype="uint64")))
    if len(data) < _SAMPLE_ROWS * 2:
        md5.update(_hash_block(data))
        return
    rows = data.iloc if isinstance(data, pd.DataFrame) else data
    md5.update(_hash_block(rows[:_SAMPLE_ROWS]))
    md5.update(_hash_block(rows[-_SAMPLE_ROWS:]))


# ----------------------------------------------------------------------------- dataset
class EvaluationDataset:
    """Features, labels and static predictions of an evaluation, with its ``name``,
    ``digest`` (of the logged ``mlflow.data`` dataset) and MLflow's content ``hash``."""

    def __init__(self, data, *, targets=None, name=None, path=None, feature_names=None,
                 predictions=None, digest=None):
        import pandas as pd

        for label, value in (("name", name), ("path", path)):
            if value is not None and '"' in value:
                raise MlflowException.invalid_parameter_value(
                    f'Dataset {label} cannot include a double quote (") but got {value}')
        if feature_names is not None and len(set(feature_names)) < len(list(feature_names)):
            raise MlflowException.invalid_parameter_value(
                "`feature_names` argument must be a list containing unique feature names.")
        self._user_specified_name = name
        self._path = path
        self._digest = digest
        self._labels_data = None
        self._targets_name = None
        self._has_targets = targets is not None
        self._predictions_data = None
        self._predictions_name = None
        self._has_predictions = predictions is not None
        if self._has_predictions and not isinstance(data, pd.DataFrame):
            raise MlflowException.invalid_parameter_value(
                "If predictions is specified, data must be one of the following types, or an "
                f"MLflow Dataset that represents one of the following types: {[pd.DataFrame]}.")

        if isinstance(data, (np.ndarray, list)):
            self._from_arrays(data, targets, feature_names)
        elif isinstance(data, pd.DataFrame):
            self._from_frame(data, targets, predictions, feature_names)
        else:
            raise MlflowException.invalid_parameter_value(
                "The data argument must be a numpy array, a list or a Pandas DataFrame, or "
                "spark DataFrame if pyspark package installed.")

        md5 = hashlib.md5(usedforsecurity=False)
        _update_md5(md5, self._features_data)
        if self._labels_data is not None:
            _update_md5(md5, self._labels_data)
        if self._predictions_data is not None:
            _update_md5(md5, self._predictions_data)
        md5.update(",".join(map(str, self._feature_names)).encode("UTF-8"))
        self._hash = md5.hexdigest()

    def _from_arrays(self, data, targets, feature_names):
        if self._has_targets and not isinstance(targets, (np.ndarray, list)):
            raise MlflowException.invalid_parameter_value(
                "If data is a numpy array or list of evaluation features, `targets` argument "
                "must be a numpy array or list of evaluation labels.")
        shape_message = (
            "If the `data` argument is a numpy array, it must be a 2-dimensional array, with "
            "the second dimension representing the number of features. If the `data` argument "
            "is a list, each of its elements must be a feature array of the numpy array or "
            "list, and all elements must have the same length.")
        if isinstance(data, list):
            try:
                data = np.array(data)
            except ValueError as e:
                raise MlflowException.invalid_parameter_value(shape_message) from e
        if len(data.shape) != 2:
            raise MlflowException.invalid_parameter_value(shape_message)
        self._features_data = data
        if self._has_targets:
            self._labels_data = np.asarray(targets)
            if len(self._features_data) != len(self._labels_data):
                raise MlflowException.invalid_parameter_value(
                    "The input features example rows must be the same length with labels "
                    "array.")
        count = data.shape[1]
        if feature_names is not None:
            feature_names = list(feature_names)
            if count != len(feature_names):
                raise MlflowException.invalid_parameter_value(
                    "feature name list must be the same length with feature data.")
            self._feature_names = feature_names
        else:
            width = math.ceil(math.log10(count + 1))
            self._feature_names = [f"feature_{str(i + 1).zfill(width)}" for i in range(count)]

    def _from_frame(self, data, targets, predictions, feature_names):
        if self._has_targets and not isinstance(targets, str):
            raise MlflowException.invalid_parameter_value(
                "If data is a Pandas DataFrame or Spark DataFrame, `targets` argument must be "
                "the name of the column which contains evaluation labels in the `data` "
                "dataframe.")
        for label, column in (("targets", targets), ("predictions", predictions)):
            if column is not None and column not in data.columns:
                raise MlflowException.invalid_parameter_value(
                    f"The {label} column {column!r} is not a column of the evaluation data: "
                    f"{list(data.columns)}")
        if self._has_targets:
            self._labels_data = data[targets].to_numpy()
            self._targets_name = targets
        if self._has_predictions:
            self._predictions_data = data[predictions].to_numpy()
            self._predictions_name = predictions
        if feature_names is not None:
            missing = [c for c in feature_names if c not in data.columns]
            if missing:
                raise MlflowException.invalid_parameter_value(
                    f"feature_names {missing} are not columns of the evaluation data: "
                    f"{list(data.columns)}")
            self._features_data = data[list(feature_names)]
            self._feature_names = feature_names
        else:
            features = data
            if self._has_targets:
                features = features.drop(columns=[targets])
            if self._has_predictions:
                features = features.drop(columns=[predictions])
            self._features_data = features
            self._feature_names = [c if isinstance(c, str) else f"feature_{c}"
                                   for c in features.columns]

    @property
    def feature_names(self):
        """Names of the feature columns."""
        return self._feature_names

    @property
    def features_data(self):
        """The features, a numpy array or a pandas DataFrame."""
        return self._features_data

    @property
    def labels_data(self):
        """The labels as a numpy array (None without targets)."""
        return self._labels_data

    @property
    def has_targets(self):
        """Whether the dataset has targets."""
        return self._has_targets

    @property
    def targets_name(self):
        """The targets column name."""
        return self._targets_name

    @property
    def predictions_data(self):
        """The static predictions as a numpy array (None without them)."""
        return self._predictions_data

    @property
    def has_predictions(self):
        """Whether the dataset has static predictions."""
        return self._has_predictions

    @property
    def predictions_name(self):
        """The predictions column name."""
        return self._predictions_name

    @property
    def name(self):
        """The dataset name given, else its hash."""
        return self._user_specified_name if self._user_specified_name is not None else self.hash

    @property
    def path(self):
        """The dataset path given to ``evaluate(dataset_path=...)``."""
        return self._path

    @property
    def hash(self):
        """MD5 over the length, first and last rows of features, labels and predictions."""
        return self._hash

    @property
    def digest(self):
        """The digest of the logged ``mlflow.data`` dataset (None when not logged)."""
        return self._digest

    @property
    def _metadata(self):
        metadata = {"name": self.name, "hash": self.hash}
        if self.path is not None:
            metadata["path"] = self.path
        return metadata

    def _log_dataset_tag(self, client, run_id, model_uuid):
        """Add this dataset (and the model that evaluated it) to the run's
        ``mlflow.datasets`` tag, a JSON list."""
        from ...entities import RunTag

        listed = json.loads(client.get_run(run_id).data.tags.get("mlflow.datasets", "[]"))
        if not any(m["hash"] == self.hash and m["name"] == self.name
                   and m["model"] == model_uuid for m in listed):
            listed.append({**self._metadata, "model": model_uuid})
        client.log_batch(run_id, tags=[RunTag("mlflow.datasets",
                                              json.dumps(listed, separators=(",", ":")))])

    def __hash__(self):
        return hash(self.hash)

    def __eq__(self, other):
        if not isinstance(other, EvaluationDataset):
            return False
        if isinstance(self._features_data, np.ndarray):
            same = np.array_equal(self._features_data, other._features_data)
        else:
            same = self._features_data.equals(other._features_data)
        return (same and np.array_equal(self._labels_data, other._labels_data)
                and self.name == other.name and self.path == other.path
                and self._feature_names == other._feature_names)


def from_mlflow_dataset(dataset, path=None, feature_names=None) -> EvaluationDataset:
    """The EvaluationDataset of an ``mlflow.data`` pandas or numpy dataset."""
    targets = getattr(dataset, "targets", None)
    if hasattr(dataset, "df"):
        return EvaluationDataset(dataset.df, targets=targets, path=path,
                                 feature_names=feature_names,
                                 predictions=getattr(dataset, "predictions", None),
                                 name=dataset.name, digest=dataset.digest)
    if hasattr(dataset, "features"):
        return EvaluationDataset(dataset.features, targets=targets, path=path,
                                 feature_names=feature_names, name=dataset.name,
                                 digest=dataset.digest)
    raise MlflowException.invalid_parameter_value(
        f"Cannot evaluate on the dataset {dataset!r}: only pandas and numpy datasets "
        "(mlflow.data.from_pandas / from_numpy) are supported.")
