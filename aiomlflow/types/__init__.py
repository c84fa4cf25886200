"""``mlflow.types``: the schema types of model signatures."""

from aiomlflow.types.schema import *  # noqa: F401,F403
from aiomlflow.types.schema import __all__  # noqa: F401
