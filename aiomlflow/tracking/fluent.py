"""``mlflow.tracking.fluent``: where MLflow defines the fluent API's functions."""

from aiomlflow.sdk.fluent import *  # noqa: F401,F403
from aiomlflow.sdk.fluent import __all__  # noqa: F401
# integrations call MLflow's private helper by this name
from aiomlflow.sdk.fluent import _current_experiment_id as _get_experiment_id  # noqa: F401
# the logged-model and active-model names MLflow defines here too (loaded on first use)
_MODEL_NAMES = frozenset((
    "ActiveModel", "clear_active_model", "create_external_model", "delete_logged_model_tag",
    "finalize_logged_model", "get_active_model_id", "get_logged_model",
    "initialize_logged_model", "last_logged_model", "log_model_params", "search_logged_models",
    "set_active_model", "set_logged_model_tags", "_reset_last_logged_model_id",
    "_set_active_model"))


def __getattr__(name: str):
    if name in _MODEL_NAMES:
        from aiomlflow.sdk.models import fluent as models_fluent

        return getattr(models_fluent, name)
    if name in ("ActiveModelContext", "_get_active_model_id_global"):
        from aiomlflow.sdk.models import active

        return getattr(active, "get_active_model_id_global" if name.startswith("_")
                       else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
