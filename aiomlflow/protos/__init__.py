"""``mlflow.protos``: only the error codes, without protobuf."""

from aiomlflow.lazy import submodules as _submodules

# reachable as an attribute as after `import mlflow`, loaded on first use
__getattr__ = _submodules(__name__, ("databricks_pb2",))
