"""``mlflow.utils``: the few helpers and constants third-party integrations import."""

from aiomlflow.lazy import submodules as _submodules

# reachable as attributes as after `import mlflow`, loaded on first use
__getattr__ = _submodules(__name__, ("mlflow_tags", "time", "validation"))
