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
    """Whether ``run`` was started by another task than the current one."""
    owner = getattr(run, "_owner", None)
    return owner is not None and owner is not current_task()
