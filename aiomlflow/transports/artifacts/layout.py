"""Path rules every artifact store shares: run-relative paths, reserved names, where a
download lands.

The sdk checks paths before anything is queued (sdk/artifacts/paths.py); the stores check
again, cheaply and lexically, so that no caller can make one write outside its root.
"""

from __future__ import annotations

import os
import posixpath

from ...exceptions import INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, MlflowException

#: Prefix of the hidden file an upload is written to before it replaces its target; the
#: same as MLflow's LocalArtifactRepository, so each side's listing hides the other's
#: uploads in flight.
TEMP_PREFIX = ".artifact.uploading."
#: Bytes moved per read or write when streaming a file (MLflow's ARTIFACT_STREAM_CHUNK_SIZE).
CHUNK_SIZE = 1024 * 1024


def clean_path(path: str | None) -> str:
    """``path`` as a normalised relative POSIX path, "" for the root (None, "", "/", ".").

    INVALID_PARAMETER_VALUE for a path that is absolute or climbs out of the root."""
    if not path:
        return ""
    if not isinstance(path, str):
        raise MlflowException(f"Invalid artifact path: {path!r}. It must be a string.",
                              INVALID_PARAMETER_VALUE)
    normalised = posixpath.normpath(path)
    if path.startswith("/") or normalised == ".." or normalised.startswith("../"):
        raise MlflowException(
            f"Invalid artifact path: '{path}'. It must be a relative path that stays inside "
            "the run's artifact root.", INVALID_PARAMETER_VALUE)
    return "" if normalised == "." else normalised


def clean_file_path(artifact_file: str) -> str:
    """A path naming a file under the root (not the root itself), whose name is not
    MLflow's reserved upload prefix."""
    path = clean_path(artifact_file)
    if not path:
        raise MlflowException(
            f"Invalid artifact file: '{artifact_file}'. It must name a file under the "
            "artifact root.", INVALID_PARAMETER_VALUE)
    if posixpath.basename(path).startswith(TEMP_PREFIX):
        # MLflow's wording (LocalArtifactRepository._verify_artifact_file_name).
        raise MlflowException(
            f"Invalid artifact file name: '{artifact_file}'. "
            f"Artifact names starting with '{TEMP_PREFIX}' are reserved.",
            INVALID_PARAMETER_VALUE)
    return path


def check_dest_dir(dest_dir: str) -> str:
    """The absolute form of an existing local directory to download into; MLflow's
    errors when it does not exist (RESOURCE_DOES_NOT_EXIST) or is not a directory
    (INVALID_PARAMETER_VALUE)."""
    dest_dir = os.path.abspath(os.fspath(dest_dir))
    if not os.path.exists(dest_dir):
        raise MlflowException(
            "The destination path for downloaded artifacts does not exist! "
            f"Destination path: {dest_dir}", RESOURCE_DOES_NOT_EXIST)
    if not os.path.isdir(dest_dir):
        raise MlflowException(
            "The destination path for downloaded artifacts must be a directory! "
            f"Destination path: {dest_dir}", INVALID_PARAMETER_VALUE)
    return dest_dir


def local_target(dest_dir: str, path: str) -> str:
    """Where the artifact ``path`` (a clean relative path) lands under ``dest_dir``."""
    return os.path.join(dest_dir, *path.split("/")) if path else dest_dir


def no_such_artifact(path: str) -> MlflowException:
    """MLflow's error for a missing artifact (LocalArtifactRepository's wording)."""
    return MlflowException(f"No such artifact: '{path}'", RESOURCE_DOES_NOT_EXIST)


class LocalFileNotFound(MlflowException, FileNotFoundError):
    """A local file given to upload does not exist (RESOURCE_DOES_NOT_EXIST).

    Also a FileNotFoundError, which is what MLflow's stores let through."""


def missing_local_file(local_path: str, path: str) -> LocalFileNotFound:
    """The error for uploading the missing local file ``local_path`` as ``path``."""
    return LocalFileNotFound(f"No such file or directory: '{local_path}' (the local file to "
                             f"log as artifact '{path}')", RESOURCE_DOES_NOT_EXIST)


def not_a_file(local_path: str, path: str) -> MlflowException:
    """The error for uploading a local directory (or other non-file) as a file."""
    return MlflowException(f"Cannot log '{local_path}' as artifact file '{path}': it is not "
                           "a file.", INVALID_PARAMETER_VALUE)
