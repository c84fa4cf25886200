"""The entity classes live in ``aiomlflow.entities`` (shared by every room); same names here."""

from aiomlflow.entities import *  # noqa: F401,F403
from aiomlflow.entities import __all__  # noqa: F401
