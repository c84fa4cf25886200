"""``mlflow.tracking.context.registry``: resolve_tags, as integrations call it."""

from aiomlflow.sdk.run_context import default_run_tags


def resolve_tags(tags: dict | None = None, ignore=None) -> dict:
    """The context tags of a new run (user, source, git) with ``tags`` applied last."""
    resolved = default_run_tags()
    resolved.update(tags or {})
    return resolved
