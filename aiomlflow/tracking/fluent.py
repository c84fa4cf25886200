"""``mlflow.tracking.fluent``: where MLflow defines the fluent API's functions."""

from aiomlflow.sdk.fluent import *  # noqa: F401,F403
from aiomlflow.sdk.fluent import __all__  # noqa: F401
# integrations call MLflow's private helper by this name
from aiomlflow.sdk.fluent import _current_experiment_id as _get_experiment_id  # noqa: F401
