"""``mlflow.models.signature``."""

from aiomlflow.sdk.models.signature import ModelSignature, infer_signature

__all__ = ["ModelSignature", "infer_signature"]
