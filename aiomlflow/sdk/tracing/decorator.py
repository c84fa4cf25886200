"""``@trace``: a span around each call of a function, coroutine, generator or async
generator (inputs bound to parameter names, ``self``/``cls`` left out)."""

from __future__ import annotations

import functools
import inspect
import logging

from ...entities.span import FUNCTION_NAME, NoOpSpan, SpanEvent, dump_attribute_value
from ...exceptions import MlflowException
from . import config
from .spans import (current_span, finish_span, open_span, reset_current, set_inputs_fast,
                    use_span)

_logger = logging.getLogger("aiomlflow")
CHUNK_EVENT = "mlflow.chunk.item.{index}"
CHUNK_VALUE = "mlflow.chunk.value"


def trace(func=None, name: str | None = None, span_type: str = "UNKNOWN",
          attributes: dict | None = None, output_reducer=None, trace_destination=None,
          sampling_ratio_override: float | None = None, log_level=None, links=None,
          description: str | None = None):
    """Trace ``func`` (or, without ``func``, return a decorator doing so): every call
    records a span with its inputs, outputs and any exception, which propagates."""

    def decorator(fn):
        if isinstance(fn, (classmethod, staticmethod)):
            return type(fn)(decorator(fn.__func__))
        if not callable(fn):
            raise MlflowException.invalid_parameter_value(
                f"@mlflow.trace can only decorate callables, got {type(fn)}.")
        generator = inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn)
        if output_reducer is not None and not generator:
            raise MlflowException.invalid_parameter_value(
                "The output_reducer argument is only supported for generator functions.")
        options = _Options(fn, name, span_type, attributes, trace_destination,
                           sampling_ratio_override, log_level, links, description)
        if inspect.isasyncgenfunction(fn):
            wrapper = _async_generator_wrapper(fn, options, output_reducer)
        elif inspect.isgeneratorfunction(fn):
            wrapper = _generator_wrapper(fn, options, output_reducer)
        elif inspect.iscoroutinefunction(fn):
            wrapper = _coroutine_wrapper(fn, options)
        else:
            wrapper = _function_wrapper(fn, options)
        wrapped = functools.wraps(fn)(wrapper)
        try:
            wrapped.__signature__ = inspect.signature(fn)
        except (TypeError, ValueError):
            pass
        wrapped.__mlflow_traced__ = True
        return wrapped

    return decorator if func is None else decorator(func)


class _Options:
    """What each call of one traced function needs, computed once at decoration."""

    __slots__ = ("fn", "name", "span_type", "attributes", "experiment_id", "sampling",
                 "log_level", "links", "description", "function_name", "signature",
                 "names", "defaults")

    def __init__(self, fn, name, span_type, attributes, destination, sampling, log_level,
                 links, description):
        self.fn = fn
        self.name = name or getattr(fn, "__name__", type(fn).__name__)
        self.span_type = span_type
        self.attributes = attributes
        self.experiment_id = getattr(destination, "experiment_id", None)
        self.sampling = sampling
        self.log_level = log_level
        self.links = links
        self.description = description
        self.function_name = dump_attribute_value(getattr(fn, "__name__", self.name))
        try:
            self.signature = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None
        # Plain parameters only (no *args, **kwargs, keyword-only, or self/cls to drop):
        # inputs are then built without Signature.bind, the cost of most traced calls.
        self.names = self.defaults = None
        if self.signature is not None:
            params = list(self.signature.parameters.values())
            if all(p.kind is p.POSITIONAL_OR_KEYWORD for p in params) and not (
                    params and params[0].name in ("self", "cls")):
                self.names = tuple(p.name for p in params)
                self.defaults = {p.name: p.default for p in params
                                 if p.default is not p.empty}

    def start(self, args, kwargs):
        span = open_span(self.name, self.span_type, current_span.get(), self.attributes,
                         self.experiment_id, None, self.log_level, self.links,
                         self.description, sampling_ratio=self.sampling)
        if not isinstance(span, NoOpSpan):
            span._attributes[FUNCTION_NAME] = self.function_name
            set_inputs_fast(span, self.inputs(args, kwargs))
        return span

    def inputs(self, args, kwargs):
        names = self.names
        if names is not None and len(args) <= len(names):
            inputs = dict(zip(names, args))
            if kwargs or len(args) < len(names):
                for name in names[len(args):]:
                    if name in kwargs:
                        inputs[name] = kwargs[name]
                    elif name in self.defaults:
                        inputs[name] = self.defaults[name]
                    else:
                        break  # a missing argument: the call itself will say so
                else:
                    if len(kwargs) + len(args) <= len(names) and all(
                            k in inputs for k in kwargs):
                        return inputs
            else:
                return inputs
        if self.signature is None:
            return None
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:
            _logger.warning("Failed to capture inputs for function %s.", self.name)
            return None
        bound.apply_defaults()
        arguments = bound.arguments
        if arguments.get("self"):
            del arguments["self"]
        first = next(iter(arguments), None)
        if first == "cls" and isinstance(arguments["cls"], type):
            del arguments["cls"]
        return dict(arguments)


def _end_with(span, result) -> None:
    span.set_outputs(result)
    finish_span(span)


def _function_wrapper(fn, options: _Options):
    def wrapper(*args, **kwargs):
        if not config._enabled:
            return fn(*args, **kwargs)
        span = options.start(args, kwargs)
        token = current_span.set(span)
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:
            reset_current(token)
            finish_span(span, exc)
            raise
        reset_current(token)
        _end_with(span, result)
        return result

    return wrapper


def _coroutine_wrapper(fn, options: _Options):
    async def wrapper(*args, **kwargs):
        if not config._enabled:
            return await fn(*args, **kwargs)
        span = options.start(args, kwargs)
        token = current_span.set(span)
        try:
            result = await fn(*args, **kwargs)
        except BaseException as exc:
            reset_current(token)
            finish_span(span, exc)
            raise
        reset_current(token)
        _end_with(span, result)
        return result

    return wrapper


def _reduce(outputs: list, reducer):
    if reducer is None:
        return outputs
    try:
        return reducer(outputs)
    except Exception as exc:
        _logger.debug("Failed to reduce outputs from stream: %s", exc)
        return outputs


def _chunk_event(span, chunk, index: int) -> None:
    if not isinstance(span, NoOpSpan):
        span.add_event(SpanEvent(CHUNK_EVENT.format(index=index),
                                 attributes={CHUNK_VALUE: dump_attribute_value(chunk)}))


def _generator_wrapper(fn, options: _Options, reducer):
    def wrapper(*args, **kwargs):
        if not config._enabled:
            yield from fn(*args, **kwargs)
            return
        span = options.start(args, kwargs)
        generator = fn(*args, **kwargs)
        outputs: list = []
        try:
            while True:
                with use_span(span):
                    try:
                        value = next(generator)
                    except StopIteration:
                        break
                outputs.append(value)
                _chunk_event(span, value, len(outputs) - 1)
                yield value
        except GeneratorExit:
            # closed early by the consumer: the span ends with what was produced
            generator.close()
            _end_with(span, _reduce(outputs, reducer))
            raise
        except BaseException as exc:
            finish_span(span, exc)
            raise
        _end_with(span, _reduce(outputs, reducer))

    return wrapper


def _async_generator_wrapper(fn, options: _Options, reducer):
    async def wrapper(*args, **kwargs):
        if not config._enabled:
            async for value in fn(*args, **kwargs):
                yield value
            return
        span = options.start(args, kwargs)
        generator = fn(*args, **kwargs)
        outputs: list = []
        try:
            while True:
                with use_span(span):
                    try:
                        value = await generator.__anext__()
                    except StopAsyncIteration:
                        break
                outputs.append(value)
                _chunk_event(span, value, len(outputs) - 1)
                yield value
        except GeneratorExit:
            await generator.aclose()
            _end_with(span, _reduce(outputs, reducer))
            raise
        except BaseException as exc:
            finish_span(span, exc)
            raise
        _end_with(span, _reduce(outputs, reducer))

    return wrapper
