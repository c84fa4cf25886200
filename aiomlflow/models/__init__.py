"""``mlflow.models``: the MLmodel format, signatures, input examples, ModelInfo."""

from aiomlflow.exceptions import MlflowException
from aiomlflow.sdk.models.mlmodel import Model
from aiomlflow.sdk.models.model_info import ModelInfo
from aiomlflow.sdk.models.signature import ModelSignature, infer_signature


def get_model_info(model_uri: str) -> ModelInfo:
    """The ModelInfo of the model at ``model_uri`` (read from its MLmodel file)."""
    model = Model.load(model_uri)
    logged = None
    if model.model_id:
        from aiomlflow.sdk.client import MlflowClient

        try:
            logged = MlflowClient().get_logged_model(model.model_id)
        except MlflowException:
            logged = None
    return model.get_model_info(logged)


def set_model(model) -> None:
    """Models from code are not supported by aiomlflow."""
    raise MlflowException("mlflow.models.set_model (models from code) is not supported by "
                          "aiomlflow: log a PythonModel instance instead.",
                          error_code="INVALID_PARAMETER_VALUE")


def convert_input_example_to_serving_input(input_example) -> str | None:
    """The serving request (JSON) for an input example, as the model server takes it."""
    import json

    from aiomlflow.sdk.models.input_example import example_payload

    if input_example is None:
        return None
    return json.dumps(example_payload(input_example)[2], indent=2)


__all__ = ["Model", "ModelInfo", "ModelSignature", "convert_input_example_to_serving_input",
           "get_model_info", "infer_signature", "set_model"]
