"""The built-in evaluators by name, and which of them (with which config) an
``evaluate`` call runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...exceptions import MlflowException


def _registry() -> dict:
    from .classifier import ClassifierEvaluator
    from .default import DefaultEvaluator
    from .explainability import ShapEvaluator
    from .regressor import RegressorEvaluator

    return {"default": DefaultEvaluator, "classifier": ClassifierEvaluator,
            "regressor": RegressorEvaluator, "shap": ShapEvaluator}


def list_evaluators() -> list:
    """Names of the available evaluators."""
    return list(_registry())


def get_evaluator(name: str):
    """A new evaluator instance of ``name``."""
    registry = _registry()
    if name not in registry:
        raise MlflowException.invalid_parameter_value(
            f"Could not find a registered model evaluator for: {name}. Currently registered "
            f"evaluator names are: {list(registry)}")
    return registry[name]()


@dataclass
class EvaluatorBundle:
    """An evaluator to run, by name, with its config."""

    name: str
    evaluator: object
    config: dict = field(default_factory=dict)


def _default_evaluators(model_type, config) -> list:
    """What "default" means for ``model_type``: the dedicated built-in evaluators that can
    evaluate it (classifier or regressor, and shap), else the default evaluator."""
    chosen = [EvaluatorBundle(name, get_evaluator(name), config) for name in _registry()
              if name != "default"
              and get_evaluator(name).can_evaluate(model_type=model_type, evaluator_config=config)]
    return chosen or [EvaluatorBundle("default", get_evaluator("default"), config)]


def resolve(evaluators, evaluator_config, model_type) -> list:
    """The evaluators (with their config) that ``evaluate`` runs.

    ``evaluators=None`` runs every evaluator that can evaluate the model type, the default
    one only when no dedicated one can; a flat ``evaluator_config`` applies to all of them
    and a dict keyed by evaluator names to each. Unknown names raise."""
    names = list(_registry())
    if evaluators is None:
        config = evaluator_config or {}
        if not any(name in config for name in names):
            config = dict.fromkeys(names, config)
        resolved = []
        for name in names:
            evaluator = get_evaluator(name)
            own = config.get(name, {})
            if evaluator.can_evaluate(model_type=model_type, evaluator_config=own):
                resolved.append(EvaluatorBundle(name, evaluator, own))
        default = next((b for b in resolved if b.name == "default"), None)
        others = [b for b in resolved if b.name != "default"]
        if default and others:
            resolved.remove(default)
            for bundle in others:
                bundle.config = bundle.config or default.config
        return resolved
    if isinstance(evaluators, str):
        if not (evaluator_config is None or isinstance(evaluator_config, dict)):
            raise MlflowException.invalid_parameter_value(
                "If `evaluators` argument is the name of an evaluator, evaluator_config must be "
                "None or a dict containing config items for the evaluator.")
        config = evaluator_config or {}
        if evaluators == "default":
            return _default_evaluators(model_type, config)
        return [EvaluatorBundle(evaluators, get_evaluator(evaluators), config)]
    if isinstance(evaluators, list):
        if evaluator_config is not None and not (
                isinstance(evaluator_config, dict)
                and all(k in evaluators and isinstance(v, dict)
                        for k, v in evaluator_config.items())):
            raise MlflowException.invalid_parameter_value(
                "If `evaluators` argument is an evaluator name list, evaluator_config must be a "
                "dict containing mapping from evaluator name to individual evaluator config "
                "dict.")
        config = evaluator_config or {}
        resolved = []
        for name in evaluators:
            own = config.get(name, {})
            if name == "default":
                resolved.extend(_default_evaluators(model_type, own))
            else:
                resolved.append(EvaluatorBundle(name, get_evaluator(name), own))
        return resolved
    raise MlflowException.invalid_parameter_value(
        "Invalid `evaluators` and `evaluator_config` arguments. Please refer to the "
        "documentation for correct usage.")
