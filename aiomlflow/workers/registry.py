"""The engines of this process: one per tracking URI, started on first use.

After a fork, the child's engines start over empty (the queued operations belong to
the parent, which writes them) and restart lazily, so runs inherited from the parent
keep working.
"""

from __future__ import annotations

import os
import threading

from . import process_hooks
from .engine import Engine

_engines: dict[str, Engine] = {}
_registry_lock = threading.Lock()
# Transports inherited from a forking parent: kept alive, unused, since closing their
# SQLite connections in the child could checkpoint or release locks under the parent.
_inherited_transports: list = []


def get_engine(tracking_uri: str, transport_factory=None) -> Engine:
    """The running engine for ``tracking_uri`` in this process, started on first use."""
    if not process_hooks.sigterm_installed():
        process_hooks.install_sigterm_handler()  # at the first call from the main thread
    engine = _engines.get(tracking_uri)
    if engine is not None and engine.running():
        return engine
    if transport_factory is None:
        from ..transports import create_transport as transport_factory
    with _registry_lock:
        engine = _engines.get(tracking_uri)
        if engine is None or engine.closed():
            engine = Engine(tracking_uri, transport_factory)
        engine.start()
        _engines[tracking_uri] = engine
        return engine


def running_engines() -> list[Engine]:
    """Engines of this process that are running."""
    return [e for e in list(_engines.values()) if e.running()]


def flush_all(timeout: float | None = None, raise_errors: bool = True) -> None:
    """Flush every running engine of this process."""
    for engine in running_engines():
        engine.flush(timeout, raise_errors)


def close_all(timeout: float | None = None) -> None:
    """Flush and stop every engine of this process (a later call starts new ones)."""
    for engine in running_engines():
        engine.close(timeout)
    _engines.clear()


def _after_fork_in_child() -> None:
    global _registry_lock
    for engine in _engines.values():
        _inherited_transports.append(engine.start_over())
    _registry_lock = threading.Lock()


process_hooks.track(running_engines)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
