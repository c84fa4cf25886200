"""What ``mlflow.evaluate(model=...)`` accepts, as one predictable object: a pyfunc model
(ours or real MLflow's), a model URI (loaded with ``aiomlflow.pyfunc.load_model``) or a
callable; and how to get predictions and the raw scikit-learn model out of it."""

from __future__ import annotations

from ...exceptions import MlflowException

# Flavors whose raw model the evaluators call directly (predict_proba, score).
_RAW_MODEL_FLAVORS = ("mlflow.catboost", "mlflow.sklearn", "mlflow.xgboost")


class FunctionModel:
    """A callable used as a model: ``predict(df)`` is ``fn(df)``."""

    metadata = None
    model_id = None

    def __init__(self, fn):
        self._fn = fn

    def predict(self, model_input, params=None):
        """The callable's output for ``model_input``."""
        return self._fn(model_input)


def is_pyfunc_model(model) -> bool:
    """Whether ``model`` is a loaded pyfunc model (it carries its MLmodel metadata)."""
    return (callable(getattr(model, "predict", None)) and hasattr(model, "metadata")
            and not isinstance(model, FunctionModel))


def model_id_of_uri(uri: str) -> str | None:
    """The logged model id a ``models:/`` URI stands for: ``models:/<model_id>``'s, or
    the registered version's (``models:/<name>/<version>``) model id; None otherwise (other
    URIs, stages, aliases, ``latest``), as MLflow 3.17.2's evaluate."""
    from ..registry.uris import is_models_uri, parse_model_uri

    if not is_models_uri(uri):
        return None
    parsed = parse_model_uri(uri)
    if parsed.model_id is not None:
        return parsed.model_id
    if parsed.name is not None and parsed.version is not None:
        from ..client import MlflowClient

        return MlflowClient().get_model_version(parsed.name, parsed.version).model_id
    return None


def resolve(model, env_manager: str, model_config):
    """(model object or None, model id it carries or None) for ``evaluate``'s ``model``."""
    if isinstance(model, str):
        if model.startswith(("endpoints:/", "apps:/")):
            raise MlflowException.invalid_parameter_value(
                f"Evaluating an MLflow Deployments endpoint ({model!r}) is not supported by "
                "aiomlflow yet; pass a pyfunc model, a model URI or a callable.")
        if env_manager != "local":
            raise MlflowException.invalid_parameter_value(
                f"env_manager={env_manager!r} is not supported by aiomlflow yet: only 'local' "
                "(the current Python environment) can load the model.")
        from ..pyfunc.loading import load_model

        model_id = model_id_of_uri(model)
        if model_config is not None:
            loaded = load_model(model, model_config=model_config)
        else:
            loaded = load_model(model)
        return loaded, model_id
    if env_manager != "local":
        raise MlflowException.invalid_parameter_value(
            "The model argument must be a string URI referring to an MLflow model when a "
            "non-local env_manager is specified.")
    if is_pyfunc_model(model):
        if model_config:
            raise MlflowException.invalid_parameter_value(
                "Indicating ``model_config`` when passing a `PyFuncModel`` object as model "
                "argument is not allowed. If you need to change the model configuration for "
                "the evaluation model, use ``mlflow.pyfunc.load_model(model_uri, "
                "model_config=<value>)`` and indicate the desired configuration there.")
        return model, getattr(model, "model_id", None)
    if callable(model):
        return FunctionModel(model), None
    if model is not None:
        raise MlflowException.invalid_parameter_value(
            "The model argument must be a string URI referring to an MLflow model, an MLflow "
            "Deployments endpoint URI, an instance of `mlflow.pyfunc.PyFuncModel`, a function, "
            "or None.")
    return None, None


def loader_module(model) -> str | None:
    """The pyfunc loader module of a loaded model (``"mlflow.sklearn"``...), else None."""
    metadata = getattr(model, "metadata", None)
    if metadata is None:
        return None
    try:
        return metadata.flavors["python_function"]["loader_module"]
    except (AttributeError, KeyError, TypeError):
        return None


def raw_model(model):
    """The underlying scikit-learn/XGBoost/CatBoost model of a pyfunc model, else None
    (the evaluators then call only ``predict``)."""
    if loader_module(model) not in _RAW_MODEL_FLAVORS:
        return None
    impl = getattr(model, "_model_impl", None)
    if impl is not None:
        get_raw = getattr(impl, "get_raw_model", None)
        return get_raw() if callable(get_raw) else impl
    get_raw = getattr(model, "get_raw_model", None)
    return get_raw() if callable(get_raw) else None


def predict_fn(model):
    """The function predictions come from: the raw model's ``predict`` when there is one
    (it skips the pyfunc schema checks, as MLflow), else the model's."""
    raw = raw_model(model)
    if raw is not None:
        return raw.predict
    return model.predict if model is not None else None


def predict_proba_fn(model):
    """The raw model's ``predict_proba`` (classifier probabilities), else None."""
    raw = raw_model(model)
    return getattr(raw, "predict_proba", None) if raw is not None else None
