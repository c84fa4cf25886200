"""``mlflow.models.model``."""

from aiomlflow.sdk.models.mlmodel import MLMODEL_FILE_NAME, Model
from aiomlflow.sdk.models.model_info import ModelInfo

__all__ = ["MLMODEL_FILE_NAME", "Model", "ModelInfo"]
