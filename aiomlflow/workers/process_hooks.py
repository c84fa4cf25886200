"""Process hooks: flush at interpreter exit, on SIGTERM and after an uncaught exception.

Contract:

- ``install_sigterm_handler`` runs at import and at the first engine call from the
  main thread (only Python's main thread may install a handler); it chains to the
  handler in place and leaves an ignored SIGTERM ignored.
- ``install_exit_hooks`` runs when a process's first engine starts: the exit flush
  runs from threading's exit hooks (before non-daemon threads are joined, while the
  transports' threads still work) and from multiprocessing's finalizers (a
  fork-started child ends with ``os._exit``).
- Before the engines flush, the ``register_before_exit`` callbacks run with the reason:
  "exit", "exception" (an uncaught exception ends the program) or "SIGTERM".
- On a SIGTERM whose default disposition follows (the process dies), every producer
  but the handler's thread is held for good, so no call returns after the last flush.
- The engines come from ``track(running_engines)``, called by the registry.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from ..config import EngineSettings

_running_engines = list  # replaced by the registry's running_engines (see track)
_hooks_installed_pid = None
_hooks_lock = threading.Lock()
_previous_sigterm = None
_sigterm_installed = False
_before_exit: list = []
_uncaught_exception = False


def track(running_engines) -> None:
    """Use ``running_engines()`` (the registry's) as the engines to flush."""
    global _running_engines
    _running_engines = running_engines


def sigterm_installed() -> bool:
    """Whether the SIGTERM handler is in place (or SIGTERM is ignored)."""
    return _sigterm_installed


def install_exit_hooks() -> None:
    """Flush at interpreter exit and on SIGTERM; runs once per process."""
    global _hooks_installed_pid
    with _hooks_lock:
        if _hooks_installed_pid == os.getpid():
            return
        _hooks_installed_pid = os.getpid()
    # threading's exit hooks run in reverse order, and concurrent.futures registers the
    # one that refuses new executor work (which aiohttp's DNS lookups need) when first
    # imported: import it now so ours runs first.
    import concurrent.futures.thread

    del concurrent  # only the import mattered

    try:
        threading._register_atexit(_shutdown_all)
    except (AttributeError, RuntimeError):  # pragma: no cover - very old/odd runtimes
        import atexit

        atexit.register(_shutdown_all)
    if "multiprocessing" in sys.modules:
        from multiprocessing import util

        util.Finalize(None, _shutdown_all, exitpriority=100)
    install_sigterm_handler()


def install_sigterm_handler() -> None:
    """Flush on SIGTERM, chaining to the handler in place (main thread only)."""
    global _previous_sigterm, _sigterm_installed
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
        if previous is not _on_sigterm and previous is not signal.SIG_IGN:
            signal.signal(signal.SIGTERM, _on_sigterm)
            _previous_sigterm = previous
    except (ValueError, OSError):  # pragma: no cover - embedded interpreters
        pass
    _sigterm_installed = True


def register_before_exit(callback) -> None:
    """Run ``callback(reason)`` before the engines flush at the end of the process;
    ``reason`` is "exit", "exception" or "SIGTERM" (e.g. to end the active runs with a
    matching status)."""
    _before_exit.append(callback)


def _on_sigterm(signum, frame) -> None:
    engines = _running_engines()
    for engine in engines:
        # This thread was interrupted mid-write: that write finishes first, then the
        # handler runs.
        if engine.writer.defer_if_writing(_on_sigterm, signum, frame):
            return
    timeout = EngineSettings().exit_flush_timeout
    previous = _previous_sigterm
    dying = not callable(previous)
    if dying:
        # the default disposition follows: the process dies here, its runs with it
        _run_before_exit("SIGTERM")
        for engine in engines:
            # runs still sampled log their last system metrics before producers stop
            engine.system_metrics.stop_all(min(timeout, 10.0))
            engine.hold_producers()
    for engine in engines:
        try:
            if dying:  # a producer past its slow-path check before the hold appends now
                engine.flush(timeout, raise_errors=False)
            engine.flush_for_exit(timeout, "SIGTERM")
        except Exception as exc:
            print(f"aiomlflow: flush on SIGTERM failed: {exc}", file=sys.stderr)
    if callable(previous):
        previous(signum, frame)
    elif previous in (signal.SIG_DFL, None):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


def _run_before_exit(reason: str) -> None:
    if not _running_engines():
        return
    for callback in _before_exit:
        try:
            callback(reason)
        except Exception as exc:
            print(f"aiomlflow: at {reason}: {exc}", file=sys.stderr)


def _shutdown_all() -> None:
    timeout = EngineSettings().exit_flush_timeout
    _run_before_exit("exception" if _uncaught_exception else "exit")
    for engine in _running_engines():
        engine.close(timeout, reason="exit")


def _install_excepthook() -> None:
    """Note an uncaught exception in the main program (then run the hook in place)."""
    previous = sys.excepthook

    def excepthook(exc_type, exc, tb):
        global _uncaught_exception
        _uncaught_exception = True
        previous(exc_type, exc, tb)

    sys.excepthook = excepthook


def _after_fork_in_child() -> None:
    # a parent thread may have held the lock; the child installs its own exit hooks
    global _hooks_lock, _hooks_installed_pid
    _hooks_lock = threading.Lock()
    _hooks_installed_pid = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
install_sigterm_handler()
_install_excepthook()
