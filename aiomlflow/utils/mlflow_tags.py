"""``mlflow.utils.mlflow_tags``: names of MLflow's system tags."""

from aiomlflow.sdk.run_context import (  # noqa: F401
    GIT_BRANCH as MLFLOW_GIT_BRANCH,
    GIT_COMMIT as MLFLOW_GIT_COMMIT,
    GIT_REPO_URL as MLFLOW_GIT_REPO_URL,
    NOTE as MLFLOW_RUN_NOTE,
    PARENT_RUN_ID as MLFLOW_PARENT_RUN_ID,
    RUN_NAME as MLFLOW_RUN_NAME,
    SOURCE_NAME as MLFLOW_SOURCE_NAME,
    SOURCE_TYPE as MLFLOW_SOURCE_TYPE,
    USER as MLFLOW_USER,
)

MLFLOW_ARTIFACT_LOCATION = "mlflow.artifactLocation"
MLFLOW_GIT_DIRTY = "mlflow.source.git.dirty"
MLFLOW_LOGGED_MODELS = "mlflow.log-model.history"
MLFLOW_AUTOLOGGING = "mlflow.autologging"
