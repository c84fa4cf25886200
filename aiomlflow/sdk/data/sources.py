"""Dataset sources: where a dataset came from, stored as ``source_type`` plus a JSON
``source`` exactly as MLflow 3.17.2 writes them.

The sources MLflow registers by default, in its order (resolution prefers the last
match): local paths and ``file:`` URIs (``local``, ``{"uri": ...}``), the blob stores
``s3 r2 b2 gs wasbs ftp sftp hdfs viewfs abfss`` (``{"uri": ...}``), ``http(s)`` URLs
(``http``, ``{"url": ...}``) and the code that built the dataset (``code``,
``{"tags": {...}}``, never resolved from a raw source).
"""

from __future__ import annotations

import json
import os
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

from ...exceptions import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, MlflowException
from . import jsontext


class DatasetSource:
    """The source of a dataset (a cloud storage location, a URL, the code...)."""

    @staticmethod
    def _get_source_type() -> str:
        """The source type stored with the dataset, e.g. ``"s3"``."""
        raise NotImplementedError

    def load(self) -> Any:
        """Fetch what the source refers to (a local path, a DataFrame...)."""
        raise NotImplementedError

    @staticmethod
    def _can_resolve(raw_source: Any) -> bool:
        """Whether this kind of source can be built from ``raw_source``."""
        raise NotImplementedError

    @classmethod
    def _resolve(cls, raw_source: Any) -> "DatasetSource":
        """The source built from ``raw_source``."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict describing the source."""
        raise NotImplementedError

    def to_json(self) -> str:
        """The source as JSON (what the ``datasets`` table stores)."""
        return jsontext.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> "DatasetSource":
        """The source described by ``to_dict``'s form."""
        raise NotImplementedError

    @classmethod
    def from_json(cls, source_json: str) -> "DatasetSource":
        """The source described by ``to_json``'s form."""
        return cls.from_dict(json.loads(source_json))


def _missing_key(name: str, key: str) -> MlflowException:
    return MlflowException(f'Failed to parse {name}. Missing expected key: "{key}"',
                           INVALID_PARAMETER_VALUE)


class FileSystemDatasetSource(DatasetSource):
    """A dataset source on a filesystem or blob store, identified by a URI."""

    @property
    def uri(self) -> str:
        """The URI of the dataset's location."""
        raise NotImplementedError


def is_local_uri(uri: str) -> bool:
    """Whether an artifact URI names the local filesystem (a path or ``file:``)."""
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme == "":
        return True
    host = parsed.hostname
    remote = host and not (host == "." or host.startswith("localhost")
                           or host.startswith("127.0.0.1"))
    if parsed.scheme == "file":
        if remote:
            raise MlflowException(
                f"{uri} is not a valid remote uri. For remote access on windows, please consider "
                "using a different scheme such as SMB (e.g. smb://<hostname>/<path>).")
        return True
    if remote:
        return False
    return (os.name == "nt" and len(parsed.scheme) == 1
            and parsed.scheme.lower() == Path(uri).drive.lower()[:1])


def _artifact_source(class_name: str, scheme: str) -> type:
    """The source class of URIs with ``scheme`` (``""``: local paths)."""
    source_type = "local" if scheme in ("", "file") else scheme

    class ArtifactSource(FileSystemDatasetSource):
        def __init__(self, uri: str):
            self._uri = uri

        @property
        def uri(self) -> str:
            """The URI of the dataset's location."""
            return self._uri

        @staticmethod
        def _get_source_type() -> str:
            return source_type

        def load(self, dst_path=None) -> str:
            """Download the source to ``dst_path`` (default: a new temporary directory, or
            the local path itself); return the local path."""
            from ...artifacts import download_artifacts

            return download_artifacts(artifact_uri=self.uri, dst_path=dst_path)

        @staticmethod
        def _can_resolve(raw_source: Any) -> bool:
            local = source_type == "local"
            if not isinstance(raw_source, str) and not isinstance(raw_source, Path) and local:
                return False
            if local:
                return is_local_uri(str(raw_source))
            try:
                return urllib.parse.urlparse(str(raw_source)).scheme == scheme
            except Exception:
                return False

        @classmethod
        def _resolve(cls, raw_source: Any):
            return cls(str(raw_source))

        def to_dict(self) -> dict[str, Any]:
            return {"uri": self.uri}

        @classmethod
        def from_dict(cls, source_dict: dict[Any, Any]):
            uri = source_dict.get("uri")
            if uri is None:
                raise _missing_key(class_name, "uri")
            return cls(uri=uri)

        def __repr__(self) -> str:
            return f"{class_name}(uri={self._uri!r})"

    ArtifactSource.__name__ = ArtifactSource.__qualname__ = class_name
    ArtifactSource.__doc__ = (
        "Represents the source of a dataset stored on the local filesystem."
        if source_type == "local" else
        "Represents a filesystem-based or blob-storage-based dataset source identified by a "
        f"URI with scheme '{scheme}'.")
    return ArtifactSource


class HTTPDatasetSource(DatasetSource):
    """A dataset at a web location, referred to by an HTTP or HTTPS URL."""

    def __init__(self, url):
        self._url = url

    @property
    def url(self):
        """The HTTP/S URL of the dataset."""
        return self._url

    @staticmethod
    def _get_source_type() -> str:
        return "http"

    def load(self, dst_path=None) -> str:
        """Download the URL into ``dst_path`` (default: a new temporary directory), named
        by its Content-Disposition header or its path; return the local file's path."""
        import re
        import tempfile
        import urllib.request

        with urllib.request.urlopen(self.url) as response:
            name = ""
            for match in re.finditer(r"filename=(.+)",
                                     response.headers.get("Content-Disposition") or ""):
                name = match[1].strip("'\"")
                if os.path.basename(name) != name:
                    raise MlflowException.invalid_parameter_value(
                        f"Invalid filename in Content-Disposition header: {name}. "
                        "It must be a file name, not a path.")
                break
            name = name or os.path.basename(urllib.parse.urlparse(self.url).path)
            directory = dst_path if dst_path is not None else tempfile.mkdtemp()
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, name or "dataset_source")
            with open(path, "wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        return path

    @staticmethod
    def _can_resolve(raw_source: Any) -> bool:
        if not isinstance(raw_source, str):
            return False
        try:
            return urllib.parse.urlparse(raw_source).scheme in ("http", "https")
        except Exception:
            return False

    @classmethod
    def _resolve(cls, raw_source: Any) -> "HTTPDatasetSource":
        return cls(raw_source)

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url}

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> "HTTPDatasetSource":
        url = source_dict.get("url")
        if url is None:
            raise _missing_key("HTTPDatasetSource", "url")
        return cls(url=url)


class CodeDatasetSource(DatasetSource):
    """The code that built a dataset: the run context tags (user, source file...)."""

    def __init__(self, tags: dict[Any, Any]):
        self._tags = tags

    @staticmethod
    def _get_source_type() -> str:
        return "code"

    def load(self, **kwargs):
        """Not available for a code source."""
        raise NotImplementedError

    @staticmethod
    def _can_resolve(raw_source: Any) -> bool:
        return False

    @classmethod
    def _resolve(cls, raw_source: str):
        raise NotImplementedError

    def to_dict(self) -> dict[Any, Any]:
        return {"tags": self._tags}

    @classmethod
    def from_dict(cls, source_dict: dict[Any, Any]) -> "CodeDatasetSource":
        return cls(tags=source_dict.get("tags"))


_LOCAL = _artifact_source("LocalArtifactDatasetSource", "")
_BLOB_SOURCES = [
    _artifact_source(name, scheme) for name, scheme in (
        ("S3ArtifactDatasetSource", "s3"), ("R2ArtifactDatasetSource", "r2"),
        ("B2ArtifactDatasetSource", "b2"), ("GCSArtifactDatasetSource", "gs"),
        ("AzureBlobArtifactDatasetSource", "wasbs"), ("FTPArtifactDatasetSource", "ftp"),
        ("SFTPArtifactDatasetSource", "sftp"), ("HdfsArtifactDatasetSource", "hdfs"),
        ("HdfsArtifactDatasetSource", "viewfs"),
        ("AzureDataLakeArtifactDatasetSource", "abfss"))
]
# MLflow registers the local source twice (for "" and "file"): a local path resolves
# with its "interpreted in multiple ways" warning, and so does it here.
_registry: list = [_LOCAL, _artifact_source("LocalArtifactDatasetSource", "file"),
                   *_BLOB_SOURCES, HTTPDatasetSource, CodeDatasetSource]


def register_dataset_source(source: type) -> None:
    """Make a DatasetSource class available to resolution and parsing."""
    _registry.append(source)


def get_registered_sources() -> list:
    """The registered DatasetSource classes, in registration order."""
    return _registry


def resolve_dataset_source(raw_source: Any, candidate_sources: list | None = None):
    """The DatasetSource a raw source (a path, a URI, a URL) stands for: the last
    registered class that can resolve it.  RESOURCE_DOES_NOT_EXIST if none can."""
    matching = []
    for source in _registry:
        if candidate_sources and not any(issubclass(source, c) for c in candidate_sources):
            continue
        try:
            if source._can_resolve(raw_source):
                matching.append(source)
        except Exception as exc:
            warnings.warn(f"Failed to determine whether {source.__name__} can resolve source "
                          f"information for '{raw_source}'. Exception: {exc}", stacklevel=3)
    if len(matching) > 1:
        names = ", ".join(source.__name__ for source in matching)
        warnings.warn(f"The specified dataset source can be interpreted in multiple ways: "
                      f"{names}. MLflow will assume that this is a {matching[-1].__name__} "
                      "source.", stacklevel=3)
    for source in reversed(matching):
        try:
            return source._resolve(raw_source)
        except Exception as exc:
            warnings.warn(f"Encountered an unexpected error while using {source.__name__} to "
                          f"resolve source information for '{raw_source}'. Exception: {exc}",
                          stacklevel=3)
    raise MlflowException(f"Could not find a source information resolver for the specified "
                          f"dataset source: {raw_source}.", RESOURCE_DOES_NOT_EXIST)


def get_dataset_source_from_json(source_json: str, source_type: str):
    """The DatasetSource stored as ``source_json`` with ``source_type``."""
    for source in reversed(_registry):
        if source._get_source_type() == source_type:
            return source.from_json(source_json)
    raise MlflowException(f"Could not parse dataset source from JSON due to unrecognized "
                          f"source type: {source_type}.", RESOURCE_DOES_NOT_EXIST)


def source_classes() -> dict[str, type]:
    """The registered classes by name (the last of a name wins, as in ``mlflow.data.sources``)."""
    return {source.__name__: source for source in _registry}
