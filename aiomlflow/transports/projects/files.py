"""Files ``mlflow.run`` reads and creates: the MLproject file, a JSON backend config,
the directory where ``path`` parameters are downloaded."""

from __future__ import annotations

import json
import os
import tempfile

from ...exceptions import ExecutionException
from ...utils.optional import require


def find_mlproject(directory: str) -> str | None:
    """The path of ``directory``'s MLproject file (the name in any case), or None."""
    for name in os.listdir(directory):
        if name.lower() == "mlproject":
            return os.path.join(directory, name)
    return None


def read_mlproject(path: str):
    """The parsed YAML of the MLproject file at ``path`` (ExecutionException if it is
    not YAML)."""
    yaml = require("yaml", "Running MLflow projects (reading the MLproject file)")
    with open(path) as f:
        try:
            return yaml.safe_load(f)
        except yaml.YAMLError as exc:
            raise ExecutionException(
                f"Project configuration (MLproject file) was invalid: {exc}") from None


def read_json(path) -> object:
    """The parsed JSON file at ``path`` (OSError or ValueError as json raises them)."""
    with open(path) as f:
        return json.load(f)


def new_storage_dir(parent: str | None) -> str:
    """A new temporary directory (under ``parent``, created if needed, when given)."""
    if parent is not None:
        os.makedirs(parent, exist_ok=True)
    return tempfile.mkdtemp(dir=parent)


def new_dir(path: str) -> str:
    """Create the directory ``path`` (its parent must exist); return it."""
    os.mkdir(path)
    return path
