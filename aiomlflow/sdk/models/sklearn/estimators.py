"""Which scikit-learn classes autologging patches, and facts about estimators."""

from __future__ import annotations

import inspect

# Data-preparation routines are not runs of their own (unless inside a Pipeline).
_EXCLUDED_MODULES = ("sklearn.preprocessing", "sklearn.impute", "sklearn.feature_extraction",
                     "sklearn.feature_selection")
_EXCLUDED_CLASSES = ("sklearn.compose._column_transformer.ColumnTransformer",)
# cross-validation helpers whose many inner fits autologging leaves alone
AUTOLOG_DISABLED_APIS = ("cross_validate", "cross_val_predict", "cross_val_score",
                         "learning_curve", "permutation_test_score", "validation_curve")
FIT_METHODS = ("fit", "fit_transform", "fit_predict")


def estimators_to_patch() -> list[type]:
    """Every estimator of ``sklearn.utils.all_estimators()`` plus the meta-estimators
    (GridSearchCV, RandomizedSearchCV, Pipeline), less data-preparation classes."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.utils import all_estimators

    classes = {cls for _, cls in all_estimators()} | {GridSearchCV, RandomizedSearchCV,
                                                       Pipeline}
    return sorted((cls for cls in classes
                   if not cls.__module__.startswith(_EXCLUDED_MODULES)
                   and f"{cls.__module__}.{cls.__name__}" not in _EXCLUDED_CLASSES),
                  key=lambda cls: (cls.__module__, cls.__name__))


def is_parameter_search(estimator) -> bool:
    """Whether ``estimator`` is a GridSearchCV / RandomizedSearchCV."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV

    return isinstance(estimator, (GridSearchCV, RandomizedSearchCV))


def info_tags(estimator) -> dict:
    """The ``estimator_name`` and ``estimator_class`` tags."""
    kind = type(estimator)
    return {"estimator_name": kind.__name__,
            "estimator_class": f"{kind.__module__}.{kind.__name__}"}


_fit_arguments: dict = {}  # class → names of fit's arguments


def _fit_arg_names(estimator) -> list[str]:
    kind = type(estimator)
    names = _fit_arguments.get(kind)
    if names is None:
        try:
            names = list(inspect.signature(estimator.fit).parameters)
        except (TypeError, ValueError):
            names = ["X", "y"]
        _fit_arguments[kind] = names
    return names


def training_data(estimator, args: tuple, kwargs: dict):
    """(X, y, sample_weight) of a fit call, as ``fit``'s own argument names say."""
    names = _fit_arg_names(estimator)
    x_name, y_name = (names + ["X", "y"])[:2]
    if len(args) >= 2:
        X, y = args[0], args[1]
    elif len(args) == 1:
        X, y = args[0], kwargs.get(y_name)
    else:
        X, y = kwargs.get(x_name), kwargs.get(y_name)
    sample_weight = None
    if "sample_weight" in names:
        index = names.index("sample_weight")
        sample_weight = args[index] if len(args) > index else kwargs.get("sample_weight")
    return X, y, sample_weight


def version_tuple(text: str) -> tuple | None:
    """(major, minor, micro) of a release version, None for a pre/dev release."""
    parts = []
    for piece in text.split(".")[:3]:
        if not piece.isdigit():
            return None
        parts.append(int(piece))
    return tuple(parts + [0] * (3 - len(parts)))


# scikit-learn versions MLflow 3.17.2's sklearn autologging is tested with
SUPPORTED_VERSIONS = ((1, 6, 0), (1, 9, 1))


def version_supported(version: str) -> bool:
    """Whether autologging is known to work with this scikit-learn version."""
    parsed = version_tuple(version)
    return parsed is not None and SUPPORTED_VERSIONS[0] <= parsed <= SUPPORTED_VERSIONS[1]
