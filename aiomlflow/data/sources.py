"""``mlflow.data.sources``: the registered dataset source classes, by name."""

from aiomlflow.sdk.data import sources as _sources

globals().update(_sources.source_classes())
__all__ = [_source.__name__ for _source in _sources.get_registered_sources()]
