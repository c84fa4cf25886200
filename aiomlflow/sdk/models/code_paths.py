"""The code a model carries: ``code_paths`` copied into the model directory's ``code``
folder, as every MLflow flavour's ``save_model`` does."""

from __future__ import annotations

import os
import shutil

from ...exceptions import MlflowException


def copy_code_paths(code_paths, path: str) -> str | None:
    """Copy ``code_paths`` (files or directories) into ``<path>/code``; the flavour's
    ``code`` entry (``"code"``, or None without code paths), as MLflow's flavours."""
    if code_paths is None:
        return None
    if not isinstance(code_paths, list):
        raise TypeError(f"Argument code_paths should be a list, not {type(code_paths)}")
    target = os.path.join(path, "code")
    os.makedirs(target, exist_ok=True)
    for code_path in code_paths:
        code_path = os.fspath(code_path)
        destination = os.path.join(target, os.path.basename(os.path.normpath(code_path)))
        try:
            if os.path.isdir(code_path):
                shutil.copytree(code_path, destination, dirs_exist_ok=True)
            else:
                shutil.copy2(code_path, destination)
        except OSError as exc:
            raise MlflowException.invalid_parameter_value(
                f"Failed to copy the specified code path '{code_path}' into the model "
                "artifacts. It appears that your code path includes file(s) that cannot be "
                "copied. Please specify a code path that does not include such files and try "
                "again.") from exc
    return "code"
