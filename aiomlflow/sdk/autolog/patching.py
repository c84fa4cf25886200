"""Safe patches of a library's training functions.

A patched function calls the integration's ``patch_fn(original, self, *args, **kwargs)``
while the integration is enabled.  What the user called always behaves as before:
errors raised by the original function reach the caller unchanged, errors of the
logging around it are logged as one warning and never break the user's ``fit``, and
the original runs (once) even when the logging code failed before calling it.
"""

from __future__ import annotations

import functools
import logging
import threading
import warnings

from . import config, runs

_logger = logging.getLogger("aiomlflow.autolog")
ERROR_MESSAGE = "Encountered unexpected error during {} autologging: {}"


class _SilentFilter(logging.Filter):
    """Drops aiomlflow's records in a thread running silent (``silent=True``) autologging
    code; the library's own code (the original fit) is never silenced."""

    state = threading.local()

    def filter(self, record) -> bool:
        return not getattr(self.state, "on", False)


_silencer = _SilentFilter()
for _name in ("aiomlflow", "aiomlflow.autolog"):
    logging.getLogger(_name).addFilter(_silencer)


def _silence(on: bool) -> bool:
    previous = getattr(_SilentFilter.state, "on", False)
    _SilentFilter.state.on = on
    return previous

# integration → [(owner, attribute name, what owner.__dict__ held before, or _ABSENT)]
_patches: dict[str, list] = {}
_ABSENT = object()
_lock = threading.RLock()


def _original_of(function):
    return getattr(function, "__aiomlflow_original__", function)


def patch_method(integration: str, owner, name: str, patch_fn, *, manage_run: bool,
                 extra_tags: dict | None = None, bypass=None) -> bool:
    """Patch ``owner.<name>`` (a plain function, possibly inherited, or an ``available_if``
    descriptor's function); return whether it was patched.

    ``bypass(args)``, when given, is asked first on every call: True calls the original
    at once (the cheap path of calls that will not log, e.g. ``predict`` of an estimator
    autologging did not train)."""
    raw = None
    for klass in owner.__mro__:
        if name in klass.__dict__:
            raw = klass.__dict__[name]
            break
    if raw is None:
        return False
    if callable(getattr(raw, "fn", None)) and not isinstance(raw, type):
        # sklearn's available_if / if_delegate_has_method: patch the function it guards
        holder, attribute, current = raw, "fn", raw.fn
        if getattr(current, "__aiomlflow_integration__", None) == integration:
            return True  # the descriptor is shared with a class patched already
    elif callable(raw) and not isinstance(raw, (staticmethod, classmethod, type, property)):
        holder, attribute, current = owner, name, raw
    else:
        return False
    original = _original_of(current)
    wrapper = _make_wrapper(integration, original, patch_fn, manage_run, extra_tags, bypass)
    with _lock:
        before = holder.__dict__.get(attribute, _ABSENT) if isinstance(holder, type) \
            else getattr(holder, attribute)
        setattr(holder, attribute, wrapper)
        _patches.setdefault(integration, []).append((holder, attribute, before))
    return True


def patch_function(integration: str, module, name: str, patch_fn, bypass=None) -> None:
    """Patch the module-level function ``module.<name>`` (no run management); ``bypass``
    as in patch_method."""
    current = getattr(module, name)
    wrapper = _make_wrapper(integration, _original_of(current), patch_fn, False, None, bypass)
    with _lock:
        setattr(module, name, wrapper)
        _patches.setdefault(integration, []).append((module, name, current))


def revert(integration: str) -> None:
    """Undo every patch of ``integration`` (newest first)."""
    with _lock:
        patches = _patches.pop(integration, [])
    for holder, attribute, before in reversed(patches):
        try:
            if before is _ABSENT:
                delattr(holder, attribute)
            else:
                setattr(holder, attribute, before)
        except (AttributeError, TypeError):
            pass


def _make_wrapper(integration: str, original, patch_fn, manage_run: bool, extra_tags,
                  bypass=None):
    if bypass is None:
        def patched(*args, **kwargs):
            if config.is_disabled(integration) or runs.skip_for_exclusive(integration):
                return original(*args, **kwargs)
            return _call_safely(integration, original, patch_fn, manage_run, extra_tags,
                                args, kwargs)
    else:
        def patched(*args, **kwargs):
            if bypass(args) or config.is_disabled(integration) \
                    or runs.skip_for_exclusive(integration):
                return original(*args, **kwargs)
            return _call_safely(integration, original, patch_fn, manage_run, extra_tags,
                                args, kwargs)

    functools.update_wrapper(patched, original)
    patched.__aiomlflow_original__ = original
    patched.__aiomlflow_integration__ = integration
    return patched


class _Call:
    """What happened to the original function during one patched call."""

    __slots__ = ("called", "failed", "result")

    def __init__(self):
        self.called = False
        self.failed = False
        self.result = None


def _call_safely(integration, original, patch_fn, manage_run, extra_tags, args, kwargs):
    state = _Call()
    silent = config.get(integration, "silent", False)

    user_filters = warnings.filters[:]

    def call_original(*og_args, **og_kwargs):
        state.called = True
        loud = _silence(False)
        try:
            with warnings.catch_warnings():
                # the library's own warnings reach the user, also in silent mode
                warnings.filters[:] = user_filters
                state.result = original(*og_args, **og_kwargs)
        except BaseException:
            state.failed = True
            raise
        finally:
            _silence(loud)
        return state.result

    functools.update_wrapper(call_original, original)
    previous = _silence(silent)
    try:
        return _run_patch(integration, original, patch_fn, manage_run, extra_tags, args,
                          kwargs, state, silent, call_original)
    finally:
        _silence(previous)


def _run_patch(integration, original, patch_fn, manage_run, extra_tags, args, kwargs, state,
               silent, call_original):
    managed = None
    try:
        with warnings.catch_warnings():
            if silent:
                warnings.simplefilter("ignore")
            if manage_run:
                managed = runs.start_managed_run(integration, extra_tags)
            patch_fn(call_original, *args, **kwargs)
    except BaseException as exc:
        if managed is not None:
            runs.end_managed_run(managed, "FAILED" if state.failed or not state.called
                                 else "FINISHED")
            managed = None
        if state.failed or not isinstance(exc, Exception):
            raise  # the user's own error (or an interrupt): theirs to see
        if not silent:
            _logger.warning(ERROR_MESSAGE.format(integration, exc))
    if managed is not None:
        try:
            runs.end_managed_run(managed, "FINISHED")
        except Exception as exc:
            if not silent:
                _logger.warning(ERROR_MESSAGE.format(integration, exc))
    if state.called:
        return state.result
    return original(*args, **kwargs)
