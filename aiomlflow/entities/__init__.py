"""``aiomlflow.entities``: the same names as ``mlflow.entities`` (``from aiomlflow.entities import Run``)."""

from aiomlflow.sdk.entities import *  # noqa: F401,F403
from aiomlflow.sdk.entities import __all__  # noqa: F401
