"""Which async task owns an active run.

The active-run stack is a context variable, so a task started inside a run inherits
the run.  The run still belongs to the task that started it: ending it from another
task only takes it off that task's own stack (sdk/fluent.py, sdk/aio.py).
"""

from __future__ import annotations

import sys


def current_task():
    """The running asyncio or trio task, or None outside one (plain threads)."""
    try:
        import sniffio

        library = sniffio.current_async_library()
    except Exception:
        return None
    if library == "asyncio":
        import asyncio

        try:
            return asyncio.current_task()
        except RuntimeError:
            return None
    if library == "trio" and "trio" in sys.modules:
        try:
            return sys.modules["trio"].lowlevel.current_task()
        except RuntimeError:  # a worker thread of a trio program
            return None
    return None


def owned_elsewhere(run) -> bool:
    """Whether the current task is another task than the one that started ``run``.

    Outside any task (a thread the context was handed to, as ``anyio.to_thread`` and
    ``contextvars.copy_context().run`` do) the caller acts for the task: not elsewhere.
    """
    owner = getattr(run, "_owner", None)
    if owner is None:
        return False
    current = current_task()
    return current is not None and current is not owner
