"""Evaluation artifacts: what ``EvaluationResult.artifacts`` holds (a URI and content
loaded on demand), and how a custom artifact object becomes a file."""

from __future__ import annotations

import json
import os
import pathlib
import pickle
import tempfile

import numpy as np

from ...exceptions import MlflowException


class NumpyEncoder(json.JSONEncoder):
    """JSON encoder that writes numpy scalars and arrays (and pandas objects) as lists
    and numbers."""

    def default(self, o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        to_dict = getattr(o, "to_dict", None)
        if callable(to_dict) and type(o).__module__.startswith("pandas"):
            return to_dict()
        return super().default(o)


class EvaluationArtifact:
    """A model evaluation artifact: its ``uri`` and its ``content`` (downloaded and
    loaded on first access)."""

    def __init__(self, uri, content=None):
        self._uri = uri
        self._content = content

    def _load_content_from_file(self, local_artifact_path):
        raise NotImplementedError

    def _save(self, output_artifact_path):
        raise NotImplementedError

    def _load(self, local_artifact_path=None):
        """Load the content from ``local_artifact_path``, else download it from the URI."""
        if local_artifact_path is not None:
            self._content = self._load_content_from_file(local_artifact_path)
            return self._content
        from ...artifacts import download_artifacts

        with tempfile.TemporaryDirectory() as tmp:
            local = download_artifacts(artifact_uri=self._uri, dst_path=tmp)
            if os.path.isdir(local):
                local = os.path.join(local, os.listdir(local)[0])
            self._content = self._load_content_from_file(local)
        return self._content

    @property
    def content(self):
        """The content of the artifact (its type depends on the artifact kind)."""
        if self._content is None:
            self._load()
        return self._content

    @property
    def uri(self) -> str:
        """The URI of the artifact."""
        return self._uri

    def __repr__(self):
        return f"{self.__class__.__name__}(uri='{self.uri}')"


class ImageEvaluationArtifact(EvaluationArtifact):
    """A PNG/JPEG artifact; ``content`` is a PIL image."""

    def _save(self, output_artifact_path):
        self._content.save(output_artifact_path)

    def _load_content_from_file(self, local_artifact_path):
        from PIL.Image import open as open_image

        self._content = open_image(local_artifact_path)
        self._content.load()
        return self._content


class CsvEvaluationArtifact(EvaluationArtifact):
    """A CSV artifact; ``content`` is a pandas DataFrame."""

    def _save(self, output_artifact_path):
        self._content.to_csv(output_artifact_path, index=False)

    def _load_content_from_file(self, local_artifact_path):
        import pandas as pd

        self._content = pd.read_csv(local_artifact_path)
        return self._content


class ParquetEvaluationArtifact(EvaluationArtifact):
    """A Parquet artifact; ``content`` is a pandas DataFrame."""

    def _save(self, output_artifact_path):
        self._content.to_parquet(output_artifact_path, compression="brotli")

    def _load_content_from_file(self, local_artifact_path):
        import pandas as pd

        self._content = pd.read_parquet(local_artifact_path)
        return self._content


class NumpyEvaluationArtifact(EvaluationArtifact):
    """A ``.npy`` artifact; ``content`` is a numpy array."""

    def _save(self, output_artifact_path):
        np.save(output_artifact_path, self._content, allow_pickle=False)

    def _load_content_from_file(self, local_artifact_path):
        self._content = np.load(local_artifact_path, allow_pickle=False)
        return self._content


class JsonEvaluationArtifact(EvaluationArtifact):
    """A JSON artifact; ``content`` is the decoded JSON value."""

    def _save(self, output_artifact_path):
        with open(output_artifact_path, "w") as f:
            json.dump(self._content, f)

    def _load_content_from_file(self, local_artifact_path):
        with open(local_artifact_path) as f:
            self._content = json.load(f)
        return self._content


class TextEvaluationArtifact(EvaluationArtifact):
    """A text artifact; ``content`` is a str."""

    def _save(self, output_artifact_path):
        with open(output_artifact_path, "w") as f:
            f.write(self._content)

    def _load_content_from_file(self, local_artifact_path):
        with open(local_artifact_path) as f:
            self._content = f.read()
        return self._content


class PickleEvaluationArtifact(EvaluationArtifact):
    """A pickled object; MLFLOW_ALLOW_PICKLE_DESERIALIZATION=false forbids loading it."""

    def _save(self, output_artifact_path):
        with open(output_artifact_path, "wb") as f:
            pickle.dump(self._content, f)

    def _load_content_from_file(self, local_artifact_path):
        # MLflow allows it unless MLFLOW_ALLOW_PICKLE_DESERIALIZATION is false
        if os.environ.get("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true").lower() in ("false",
                                                                                      "0"):
            raise MlflowException(
                "Deserializing evaluation artifacts using pickle is disallowed. Set "
                "environment variable 'MLFLOW_ALLOW_PICKLE_DESERIALIZATION' to 'true' to allow "
                "deserializing evaluation artifacts using pickle.")
        with open(local_artifact_path, "rb") as f:
            self._content = pickle.load(f)
        return self._content


_BY_EXTENSION = {
    ".png": ImageEvaluationArtifact, ".jpg": ImageEvaluationArtifact,
    ".jpeg": ImageEvaluationArtifact, ".json": JsonEvaluationArtifact,
    ".npy": NumpyEvaluationArtifact, ".csv": CsvEvaluationArtifact,
    ".parquet": ParquetEvaluationArtifact, ".txt": TextEvaluationArtifact,
}


def _by_object_type(raw):
    """(artifact class, extension) for DataFrames, arrays and matplotlib figures."""
    import pandas as pd

    if type(raw) is pd.DataFrame:
        return CsvEvaluationArtifact, ".csv"
    if type(raw) is np.ndarray:
        return NumpyEvaluationArtifact, ".npy"
    figure = getattr(__import__("sys").modules.get("matplotlib.figure"), "Figure", None)
    if figure is not None and type(raw) is figure:
        return ImageEvaluationArtifact, ".png"
    return None


def infer_artifact_kind(artifact_name: str, raw, function_name: str, index: int):
    """(from_path, artifact class, extension) of what a custom artifact function returned
    for ``artifact_name``: an existing file (by its extension), a JSON string, a DataFrame
    (CSV), an array (.npy), a figure (PNG), a JSON-able object, else a pickle."""
    header = (f"Custom metric function '{function_name}' at index {index} in the "
              f"`custom_metrics` parameter produced an artifact '{artifact_name}'")
    if isinstance(raw, str):
        if pathlib.Path(raw).exists():
            raw = pathlib.Path(raw)
        else:
            try:
                json.loads(raw)
            except json.JSONDecodeError:
                raise MlflowException(f"{header} with string representation '{raw}' that is "
                                      "neither a valid path to a file nor a JSON string.") from None
            return False, JsonEvaluationArtifact, ".json"
    if isinstance(raw, pathlib.Path):
        if not raw.exists():
            raise MlflowException(f"{header} with path '{raw}' does not exist.")
        if not raw.is_file():
            raise MlflowException(f"{header} with path '{raw}' is not a file.")
        if raw.suffix not in _BY_EXTENSION:
            raise MlflowException(f"{header} with path '{raw}' does not match any of the "
                                  f"supported file extensions: {', '.join(_BY_EXTENSION)}.")
        return True, _BY_EXTENSION[raw.suffix], raw.suffix
    by_type = _by_object_type(raw)
    if by_type is not None:
        return (False, *by_type)
    try:
        json.dumps(raw, cls=NumpyEncoder)
    except TypeError:
        return False, PickleEvaluationArtifact, ".pickle"
    return False, JsonEvaluationArtifact, ".json"
