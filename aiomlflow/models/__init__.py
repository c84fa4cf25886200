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


def validate_serving_input(model_uri: str, serving_input):
    """The predictions of the model at ``model_uri`` for a model-server request body
    (JSON string or dict), as a served model would compute them."""
    from aiomlflow.sdk.models.input_example import parse_serving_input
    from aiomlflow.sdk.pyfunc.loading import load_model

    data, params = parse_serving_input(serving_input)
    return load_model(model_uri).predict(data, params=params)


__all__ = ["Model", "ModelInfo", "ModelSignature", "convert_input_example_to_serving_input",
           "get_model_info", "infer_signature", "set_model", "validate_serving_input"]
