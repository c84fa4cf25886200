"""``aiomlflow.aio``: the awaitable tracking API for asyncio and trio (sdk/aio.py)."""

from aiomlflow.sdk.aio import *  # noqa: F401,F403
from aiomlflow.sdk.aio import __all__  # noqa: F401
