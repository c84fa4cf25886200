"""Run-relative artifact paths: MLflow's rules, checked before anything is queued.

A directory (``artifact_path``) must be written in its one normal form: not absolute,
no ``..``, ``.``, empty or doubled segments, no trailing slash — so it can never name a
place outside the run's artifact root.  A file (``artifact_file``) is normalised first;
its directory part must pass the same rule.
"""

from __future__ import annotations

import posixpath

from ...exceptions import MlflowException


def _resolves_elsewhere(path: str) -> str | None:
    """The name ``path`` would resolve to, when that differs from it or leaves the root."""
    norm = posixpath.normpath(path)
    if norm != path or norm == "." or norm.startswith("..") or norm.startswith("/"):
        return norm
    return None


def check_dir(artifact_path: str | None) -> str | None:
    """Validate a run-relative directory; None and "" mean the root (returned as None)."""
    if not artifact_path:
        return None
    if not isinstance(artifact_path, str):
        artifact_path = str(artifact_path)
    norm = _resolves_elsewhere(artifact_path)
    if norm is not None:
        raise MlflowException(
            f"Invalid artifact path: '{artifact_path}'. Names may be treated as files in "
            "certain cases, and must not resolve to other names when treated as such. This "
            f"name would resolve to '{norm}'")
    return artifact_path


def check_file(artifact_file: str) -> str:
    """Validate a run-relative file path; return its normal form ("dir/file.json")."""
    if not isinstance(artifact_file, str):
        raise TypeError(f"artifact_file must be a str, got {type(artifact_file).__name__}: "
                        f"{artifact_file!r}")
    norm = posixpath.normpath(artifact_file)
    if artifact_file == "" or norm in (".", "/"):
        raise IsADirectoryError(f"artifact_file {artifact_file!r} names a directory, not a file")
    check_dir(posixpath.dirname(norm))
    return norm


def join(directory: str | None, name: str) -> str:
    """``directory/name``, or ``name`` at the root."""
    return f"{directory}/{name}" if directory else name
