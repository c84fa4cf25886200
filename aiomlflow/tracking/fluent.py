"""``mlflow.tracking.fluent``: where MLflow defines the fluent API's functions."""

from aiomlflow.sdk.fluent import *  # noqa: F401,F403
from aiomlflow.sdk.fluent import __all__  # noqa: F401
# integrations call MLflow's private helper by this name
from aiomlflow.sdk.fluent import _current_experiment_id as _get_experiment_id  # noqa: F401
# the logged-model and active-model functions MLflow defines here too
from aiomlflow.sdk.models.active import (  # noqa: E402,F401
    ActiveModelContext, get_active_model_id_global as _get_active_model_id_global,
)
from aiomlflow.sdk.models.fluent import *  # noqa: E402,F401,F403
from aiomlflow.sdk.models.fluent import (  # noqa: E402,F401
    _reset_last_logged_model_id, _set_active_model,
)
