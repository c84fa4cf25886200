"""The remote transport: an aiohttp client of MLflow's tracking REST API.

``transport`` holds the Transport (and documents the journal seam), ``client`` the
pooled session with MLflow's retry policy, ``packing`` the log-batch packing, and
``settings`` MLflow's HTTP environment variables.  Importing this package does not
import aiohttp; opening a transport does.
"""

from .transport import RestTransport

__all__ = ["RestTransport"]
