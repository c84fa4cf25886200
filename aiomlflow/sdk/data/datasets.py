"""The dataset classes of ``aiomlflow.data``: what ``from_numpy`` / ``from_pandas``
build and ``log_input`` records (name, digest, source, schema, profile), identical to
MLflow 3.17.2's for the same data."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np

from ...entities import Dataset as DatasetEntity
from ...entities import DatasetInput
from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException
from . import digest as digests
from . import jsontext
from ..models.types import Schema
from . import schema as schemas
from .errors import wrong_kind
from .pyfunc_mixin import PyFuncConvertibleDatasetMixin, PyFuncInputsOutputs
from .sources import CodeDatasetSource, DatasetSource, resolve_dataset_source


class Dataset:
    """A dataset for MLflow Tracking: its name, digest (hash), source, schema and profile."""

    def __init__(self, source: DatasetSource, name: str | None = None,
                 digest: str | None = None):
        self._name = name
        self._source = source
        # (subclasses set what the digest needs before calling this)
        self._digest = digest or self._compute_digest()

    def _compute_digest(self) -> str:
        """The digest of the data when none is given."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, str]:
        """``name``, ``digest``, ``source`` (JSON) and ``source_type``; subclasses add
        ``schema`` and ``profile``."""
        return {"name": self.name, "digest": self.digest, "source": self.source.to_json(),
                "source_type": self.source._get_source_type()}

    def to_json(self) -> str:
        """``to_dict`` as JSON."""
        return json.dumps(self.to_dict())

    def _get_source_type(self) -> str:
        return self.source._get_source_type()

    @property
    def name(self) -> str:
        """The dataset's name (``"dataset"`` when none was given)."""
        return self._name if self._name is not None else "dataset"

    @property
    def digest(self) -> str:
        """The dataset's digest, e.g. ``"498c7496"``."""
        return self._digest

    @property
    def source(self) -> DatasetSource:
        """Where the dataset came from."""
        return self._source

    @property
    def profile(self) -> Any | None:
        """Summary statistics of the dataset, if any."""
        return None

    @property
    def schema(self) -> Any | None:
        """The dataset's schema, if any."""
        return None

    def _to_mlflow_entity(self) -> DatasetEntity:
        """The ``aiomlflow.entities.Dataset`` recorded for this dataset."""
        config = self.to_dict()
        return DatasetEntity(name=config["name"], digest=config["digest"],
                             source_type=config["source_type"], source=config["source"],
                             schema=config.get("schema"), profile=config.get("profile"))


def _check_arrays(value, what: str) -> None:
    arrays = value.values() if isinstance(value, dict) else (value,)
    for array in arrays:
        if not isinstance(array, np.ndarray):
            raise wrong_kind(what, array, "a numpy.ndarray or a dict of numpy.ndarrays",
                             "flatten")


def _numpy_profile(value, attribute: str):
    if isinstance(value, dict):
        return {key: getattr(array, attribute) for key, array in value.items()}
    return getattr(value, attribute)


class _InferredDataset(Dataset, PyFuncConvertibleDatasetMixin):
    """A dataset of data in memory: its schema is inferred (once, and so is its JSON) and
    stored with its profile."""

    _schema_known = False
    _schema = None
    _schema_text = None

    def to_dict(self) -> dict[str, str]:
        """The base fields plus ``schema`` and ``profile`` as JSON."""
        config = super().to_dict()
        config.update({"schema": self._schema_json(), "profile": self._profile_json()})
        return config

    def _to_mlflow_entity(self) -> DatasetEntity:
        """The ``aiomlflow.entities.Dataset`` recorded for this dataset: ``to_dict``'s
        fields, without building its dict (a subclass's own ``to_dict`` is honoured)."""
        if type(self).to_dict is not _InferredDataset.to_dict:
            return super()._to_mlflow_entity()
        # The profile is read afresh, as MLflow's is (an array reshaped or a frame grown
        # in place shows in it); the schema, like MLflow's, is inferred once.
        source = self.source
        return DatasetEntity(self.name, self.digest, source._get_source_type(),
                             source.to_json(), self._schema_json(), self._profile_json())

    def _profile_json(self) -> str:
        return jsontext.dumps(self.profile)

    def _schema_json(self) -> str | None:
        if self._schema_text is None:
            text = None if self._schema_known else self._known_schema_json()
            if text is None:
                schema = self.schema
                text = self._schema_to_json(schema) if schema else None
            self._schema_text = (text,)
        return self._schema_text[0]

    def _known_schema_json(self) -> str | None:
        """The schema's JSON when data of this kind had one already, else None."""
        return None

    @property
    def schema(self):
        """The schema MLflow infers for the data (None if it cannot be inferred)."""
        if not self._schema_known:
            self._schema = self._infer_schema()
            self._schema_known = True
        return self._schema


class NumpyDataset(_InferredDataset):
    """A numpy dataset: features (an array or a dict of arrays) and optional targets."""

    def __init__(self, features, source: DatasetSource, targets=None, name: str | None = None,
                 digest: str | None = None):
        _check_arrays(features, "numpy dataset features")
        if targets is not None:
            _check_arrays(targets, "numpy dataset targets")
        self._features = features
        self._targets = targets
        super().__init__(source=source, name=name, digest=digest)

    def _compute_digest(self) -> str:
        return digests.numpy_digest(self._features, self._targets)

    def _known_schema_json(self) -> str | None:
        cls = type(self)
        if cls.schema is not _InferredDataset.schema or \
                cls._infer_schema is not NumpyDataset._infer_schema:
            return None  # a subclass's own schema
        return schemas.known_tensor_schema_json(self._features, self._targets)

    def _profile_json(self) -> str:
        features = self._features
        if (self._targets is None and type(features) is np.ndarray
                and type(self).profile is NumpyDataset.profile):  # the usual case, directly
            return (f'{{"features_shape": {jsontext.int_list(features.shape)}, '
                    f'"features_size": {features.size}, "features_nbytes": {features.nbytes}}}')
        return jsontext.dumps(self.profile)

    @staticmethod
    def _schema_to_json(schema) -> str:
        return schema.to_json()

    def to_pyfunc(self) -> PyFuncInputsOutputs:
        """The features as model inputs, the targets as outputs."""
        return PyFuncInputsOutputs(self._features, self._targets)

    @property
    def features(self):
        """The features: an array or a dict of arrays."""
        return self._features

    @property
    def targets(self):
        """The targets, or None."""
        return self._targets

    @property
    def profile(self) -> dict:
        """Shapes, sizes and byte counts of the features (and targets)."""
        features = self._features
        if self._targets is None and type(features) is np.ndarray:  # the usual case
            return {"features_shape": features.shape, "features_size": features.size,
                    "features_nbytes": features.nbytes}
        profile = {f"features_{a}": _numpy_profile(features, a)
                   for a in ("shape", "size", "nbytes")}
        if self._targets is not None:
            profile.update({f"targets_{a}": _numpy_profile(self._targets, a)
                            for a in ("shape", "size", "nbytes")})
        return profile

    def _infer_schema(self) -> schemas.TensorDatasetSchema | None:
        """The tensor schema of the features and targets (None if it cannot be inferred)."""
        return schemas.tensor_schema(self._features, self._targets)


class PandasDataset(_InferredDataset):
    """A pandas DataFrame dataset, with optional target and prediction columns."""

    def __init__(self, df, source: DatasetSource, targets: str | None = None,
                 name: str | None = None, digest: str | None = None,
                 predictions: str | None = None):
        import pandas as pd

        if not isinstance(df, pd.DataFrame):
            raise wrong_kind("pandas dataset", df, "a pandas.DataFrame", "head")
        for column, label in ((targets, "targets"), (predictions, "predictions")):
            if column is not None and column not in df.columns:
                raise MlflowException(
                    f"The specified pandas DataFrame does not contain the specified {label} "
                    f"column '{column}'.", INVALID_PARAMETER_VALUE)
        self._df = df
        self._targets = targets
        self._predictions = predictions
        super().__init__(source=source, name=name, digest=digest)

    def _compute_digest(self) -> str:
        return digests.pandas_digest(self._df)

    @staticmethod
    def _schema_to_json(schema) -> str:
        return json.dumps({"mlflow_colspec": schema.to_dict()})

    def to_pyfunc(self) -> PyFuncInputsOutputs:
        """The DataFrame (less the targets column) as model inputs, the targets column as
        outputs."""
        if self._targets:
            return PyFuncInputsOutputs(self._df.drop(columns=[self._targets]),
                                       self._df[self._targets])
        return PyFuncInputsOutputs(self._df)

    @property
    def df(self):
        """The DataFrame."""
        return self._df

    @property
    def targets(self) -> str | None:
        """The target column's name, or None."""
        return self._targets

    @property
    def predictions(self) -> str | None:
        """The predictions column's name, or None."""
        return self._predictions

    @property
    def profile(self) -> dict:
        """``{"num_rows": ..., "num_elements": ...}``."""
        return {"num_rows": len(self._df), "num_elements": int(self._df.size)}

    def _infer_schema(self) -> Schema | None:
        """The column schema (ColSpecs) MLflow infers (None if it cannot be inferred)."""
        return schemas.column_schema(self._df)


class MetaDataset(Dataset):
    """A dataset known only by its metadata (a source, a name, an optional schema): the
    digest hashes that metadata."""

    def __init__(self, source: DatasetSource, name: str | None = None,
                 digest: str | None = None, schema=None):
        self._schema = schema
        super().__init__(source=source, name=name, digest=digest)

    def _compute_digest(self) -> str:
        config = {"name": self.name, "source": self.source.to_json(),
                  "source_type": self.source._get_source_type(),
                  "schema": self.schema.to_dict() if self.schema else ""}
        return hashlib.sha256(json.dumps(config).encode("utf-8")).hexdigest()[:8]

    @property
    def schema(self):
        """The schema given, or None."""
        return self._schema

    def to_dict(self) -> dict[str, str]:
        """The base fields, plus ``schema`` when there is one."""
        config = super().to_dict()
        if self.schema:
            config["schema"] = json.dumps({"mlflow_colspec": self.schema.to_dict()})
        return config


def _resolve_source(source) -> DatasetSource:
    if source is None:
        from ..run_context import default_run_tags

        return CodeDatasetSource(tags=default_run_tags())
    if isinstance(source, DatasetSource):
        return source
    return resolve_dataset_source(source)


def from_numpy(features, source=None, targets=None, name: str | None = None,
               digest: str | None = None) -> NumpyDataset:
    """A NumpyDataset of ``features`` (an array or a dict of arrays) and optional
    ``targets``; ``source`` is a path, URI, URL or DatasetSource (default: the code
    running this)."""
    return NumpyDataset(features=features, source=_resolve_source(source), targets=targets,
                        name=name, digest=digest)


def from_pandas(df, source=None, targets: str | None = None, name: str | None = None,
                digest: str | None = None, predictions: str | None = None) -> PandasDataset:
    """A PandasDataset of ``df`` with optional ``targets`` and ``predictions`` columns;
    ``source`` as in from_numpy."""
    from ...utils.optional import require

    require("pandas", "mlflow.data.from_pandas")
    return PandasDataset(df=df, source=_resolve_source(source), targets=targets, name=name,
                         digest=digest, predictions=predictions)


def get_source(dataset) -> DatasetSource:
    """The source of a dataset, a Dataset entity or a DatasetInput."""
    from .sources import get_dataset_source_from_json

    if isinstance(dataset, DatasetInput):
        dataset = dataset.dataset
    if isinstance(dataset, DatasetEntity):
        return get_dataset_source_from_json(dataset.source, dataset.source_type)
    if isinstance(dataset, Dataset):
        return dataset.source
    raise MlflowException(
        f"Unrecognized dataset type {type(dataset)}. Expected one of: "
        "`mlflow.data.dataset.Dataset`, `mlflow.entities.Dataset`, "
        "`mlflow.entities.DatasetInput`.", INVALID_PARAMETER_VALUE)
