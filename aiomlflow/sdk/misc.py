"""doctor() and login(): diagnostics and the (unsupported) Databricks login."""

from __future__ import annotations

import os

from . import tracking_uri
from ..exceptions import MlflowException
from ..redact import redact_url

_RUNTIME_DEPENDENCIES = ("aiohttp", "anyio", "numpy", "orjson", "tenacity")
# Never print these, even without mask_envs: they are credentials.
_SECRET_ENVS = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD")


def _versions(names) -> dict[str, str]:
    from importlib import metadata

    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def doctor(mask_envs: bool = False) -> None:
    """Print information useful for debugging: platform, versions, URIs, env vars."""
    import platform

    import aiomlflow
    from .fluent import active_run

    lines = [
        ("System information", f"{platform.system()} {platform.version()}"),
        ("Python version", platform.python_version()),
        ("MLflow version", f"{aiomlflow.__version__} (aiomlflow; MLflow 3.17.2 API)"),
        ("MLflow module location", aiomlflow.__file__),
        ("Tracking URI", redact_url(tracking_uri.get_tracking_uri())),
        ("Registry URI", redact_url(tracking_uri.get_registry_uri())),
    ]
    run = active_run()
    if run is not None:
        lines += [("Active experiment ID", run.info.experiment_id),
                  ("Active run ID", run.info.run_id),
                  ("Active run artifact URI", run.info.artifact_uri)]
    for key, value in lines:
        print(f"{key}: {value}")
    envs = {k: v for k, v in os.environ.items() if k.startswith(("MLFLOW_", "AIOMLFLOW_"))}
    if envs:
        print("MLflow environment variables: ")
        for key in sorted(envs):
            shown = "***" if mask_envs or key in _SECRET_ENVS else redact_url(envs[key])
            print(f"  {key}: {shown}")
    print("MLflow dependencies: ")
    for name, version in sorted(_versions(_RUNTIME_DEPENDENCIES).items()):
        print(f"  {name}: {version}")


def login(backend: str = "databricks", interactive: bool = True) -> None:
    """Not supported: aiomlflow logs to SQLite or an MLflow server, not Databricks."""
    if backend != "databricks":
        raise MlflowException(
            f"Currently only 'databricks' backend is supported, received `backend={backend}`.")
    raise MlflowException(
        "mlflow.login() (Databricks authentication) is not supported by aiomlflow. Set "
        "MLFLOW_TRACKING_URI to a sqlite:/// path or an http(s):// MLflow tracking server, "
        "with MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD for its "
        "credentials.", error_code="NOT_IMPLEMENTED")
