"""A model's environment files, as MLflow 3.17.2 writes them: ``conda.yaml``,
``python_env.yaml``, ``requirements.txt`` (and ``constraints.txt`` when constraints are
given).

Requirements are never inferred by importing the model in a subprocess (that is
where MLflow's log_model spends its seconds): a flavour passes its default list
(``mlflow==3.17.2`` plus the packages its files need, pinned at their installed
versions); ``pip_requirements`` replaces it, ``extra_pip_requirements`` extends it,
``conda_env`` gives the whole environment.
"""

from __future__ import annotations

import functools
import os
import re
import sys

from ...exceptions import MlflowException
from .mlmodel import MLFLOW_VERSION

CONDA_ENV_FILE_NAME = "conda.yaml"
PYTHON_ENV_FILE_NAME = "python_env.yaml"
REQUIREMENTS_FILE_NAME = "requirements.txt"
CONSTRAINTS_FILE_NAME = "constraints.txt"
PYTHON_VERSION = "{}.{}.{}".format(*sys.version_info[:3])
_BUILD_PACKAGES = ("pip", "setuptools", "wheel")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@functools.lru_cache(maxsize=None)
def package_version(package: str) -> str | None:
    """The installed version of ``package`` (None when it is not installed)."""
    from importlib import metadata

    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def pinned(package: str) -> str:
    """``package==<installed version>`` (the bare name when it is not installed)."""
    version = package_version(package)
    return f"{package}=={version}" if version else package


def mlflow_requirement() -> str:
    """The MLflow requirement our models carry: the MLflow version of the format."""
    return f"mlflow=={MLFLOW_VERSION}"


def _name(requirement: str) -> str | None:
    match = _NAME.match(requirement)
    return match.group(1).lower().replace("_", "-") if match else None


def _parse(requirements) -> tuple[list[str], list[str]]:
    """(requirements, constraints) of a list of strings or a requirements file path."""
    if isinstance(requirements, (str, os.PathLike)):
        path = os.fspath(requirements)
        if not os.path.isfile(path):
            raise MlflowException.invalid_parameter_value(
                f"Requirements file not found: {path!r}")
        with open(path) as f:
            lines = f.read().splitlines()
    elif isinstance(requirements, (list, tuple)) and all(
            isinstance(r, str) for r in requirements):
        lines = list(requirements)
    else:
        raise TypeError("`pip_requirements` must be either a string path to a pip requirements "
                        f"file on the local filesystem or an iterable of pip requirement strings, "
                        f"but got `{type(requirements).__name__}`")
    reqs, constraints = [], []
    for line in lines:
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-c "):
            with open(line[3:].strip()) as f:
                constraints += [c.strip() for c in f.read().splitlines()
                                if c.strip() and not c.startswith("#")]
        else:
            reqs.append(line)
    return reqs, constraints


def _deduplicate(requirements: list[str]) -> list[str]:
    """Later entries of a package replace earlier ones (the user's pin wins over a
    default), keeping first-seen order."""
    by_name: dict = {}
    for req in requirements:
        by_name[_name(req) or req] = req
    return list(by_name.values())


def _with_mlflow(requirements: list[str]) -> list[str]:
    if any(_name(r) in ("mlflow", "mlflow-skinny") for r in requirements):
        return requirements
    return [mlflow_requirement()] + requirements


def conda_env_dict(pip_requirements: list[str]) -> dict:
    """The conda environment MLflow writes around a list of pip requirements."""
    pip = package_version("pip")
    dependencies: list = [f"python={PYTHON_VERSION}"]
    if pip_requirements:
        dependencies.append(f"pip<={pip}" if pip else "pip")
        dependencies.append({"pip": list(pip_requirements)})
    return {"name": "mlflow-env", "channels": ["conda-forge"], "dependencies": dependencies}


def _pip_of_conda(conda_env: dict) -> list[str]:
    for dep in conda_env.get("dependencies", []) or []:
        if isinstance(dep, dict) and "pip" in dep:
            return list(dep["pip"])
    return []


def _replace_pip(conda_env: dict, pip_requirements: list[str]) -> dict:
    conda_env = dict(conda_env)
    deps = [d for d in conda_env.get("dependencies", []) or []
            if not (isinstance(d, dict) and "pip" in d)]
    deps.append({"pip": pip_requirements})
    conda_env["dependencies"] = deps
    return conda_env


def resolve(default_pip_requirements, pip_requirements=None, extra_pip_requirements=None,
            conda_env=None) -> tuple[dict, list[str], list[str]]:
    """(conda env, pip requirements, constraints) as MLflow derives them from a
    flavour's defaults and the user's arguments."""
    if conda_env is not None and (pip_requirements is not None
                                  or extra_pip_requirements is not None):
        raise MlflowException.invalid_parameter_value(
            "Only one of `conda_env`, `pip_requirements`, and `extra_pip_requirements` can be "
            "specified")
    if pip_requirements is not None and extra_pip_requirements is not None:
        raise MlflowException.invalid_parameter_value(
            "Only one of `conda_env`, `pip_requirements`, and `extra_pip_requirements` can be "
            "specified")
    if conda_env is not None:
        if isinstance(conda_env, (str, os.PathLike)):
            from .mlmodel import _yaml

            with open(conda_env) as f:
                conda_env = _yaml().safe_load(f)
        elif not isinstance(conda_env, dict):
            raise TypeError("Expected a string path to a conda env yaml file or a `dict` "
                            f"representing a conda env, but got `{type(conda_env).__name__}`")
        reqs, constraints = _parse(_pip_of_conda(conda_env))
        reqs = _with_mlflow(reqs)
        if constraints:
            reqs.append(f"-c {CONSTRAINTS_FILE_NAME}")
        return _replace_pip(conda_env, reqs), reqs, constraints
    constraints: list[str] = []
    if pip_requirements is not None:
        reqs, constraints = _parse(pip_requirements)
    elif extra_pip_requirements is not None:
        extra, constraints = _parse(extra_pip_requirements)
        reqs = list(default_pip_requirements) + extra
    else:
        reqs = list(default_pip_requirements)
    reqs = _deduplicate(_with_mlflow(reqs))
    if constraints:
        reqs.append(f"-c {CONSTRAINTS_FILE_NAME}")
    return conda_env_dict(reqs), reqs, constraints


def python_env_yaml() -> str:
    """python_env.yaml of this interpreter: python, build dependencies, ``-r
    requirements.txt``, in MLflow's key order."""
    lines = [f"python: {PYTHON_VERSION}", "build_dependencies:"]
    lines += [f"- {pinned(p)}" for p in _BUILD_PACKAGES]
    lines += ["dependencies:", f"- -r {REQUIREMENTS_FILE_NAME}"]
    return "\n".join(lines) + "\n"


def write_environment(path, *, default_pip_requirements, pip_requirements=None,
                      extra_pip_requirements=None, conda_env=None) -> None:
    """Write conda.yaml, python_env.yaml, requirements.txt (and constraints.txt) into the
    model directory ``path``."""
    from .mlmodel import _yaml

    conda, reqs, constraints = resolve(default_pip_requirements, pip_requirements,
                                       extra_pip_requirements, conda_env)
    path = os.fspath(path)
    with open(os.path.join(path, CONDA_ENV_FILE_NAME), "w") as f:
        _yaml().safe_dump(conda, stream=f, default_flow_style=False)
    if constraints:
        with open(os.path.join(path, CONSTRAINTS_FILE_NAME), "w") as f:
            f.write("\n".join(constraints))
    with open(os.path.join(path, REQUIREMENTS_FILE_NAME), "w") as f:
        f.write("\n".join(reqs))
    with open(os.path.join(path, PYTHON_ENV_FILE_NAME), "w") as f:
        f.write(python_env_yaml())


__all__ = ["write_environment"]
