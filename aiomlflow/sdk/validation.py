"""MLflow 3.17.2's input rules for the run-tracking API, applied in the caller's thread.

Every ``validate_*`` function returns the normalized value(s) or raises
:class:`MlflowException` with the error code and message text MLflow 3.17.2 produces for
the same input (checked differentially in ``tests/test_validation.py``).  The rules come
from three places in MLflow, and each function says which one it reproduces:

* the *client* (``TrackingServiceClient`` / ``MlflowClient`` / fluent API): metric value
  conversion, ``str()`` of param and tag values, run-status parsing, ``runs:`` artifact
  locations, experiment id types, log-batch chunking;
* ``mlflow.utils.validation``, called by the *store*: key names, lengths, metric
  value/timestamp/step types, batch limits, duplicate param keys, experiment names;
* the *store* itself (``SqlAlchemyStore``): errors that need the database (missing run,
  inactive run, changed param, existing experiment name...).  Those are message builders
  at the end of this module (``run_not_found`` etc.), so every transport raises the same
  text.

Where MLflow lets a plain ``TypeError`` escape (a non-string key, an unhashable status...),
we raise :class:`MlflowTypeError`, which is both an ``MlflowException`` and a ``TypeError``
with the same message: code written against either still catches it.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
import posixpath
import re
import sys

from aiomlflow.entities.metric import Metric
from aiomlflow.entities.param import Param
from aiomlflow.entities.run_tag import RunTag
from aiomlflow.exceptions import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    MlflowException,
)
from aiomlflow.batches import (  # noqa: F401  (re-exported: validation's limits)
    MAX_BATCH_LOG_REQUEST_SIZE,
    MAX_ENTITIES_PER_BATCH,
    MAX_METRICS_PER_BATCH,
    MAX_PARAMS_TAGS_PER_BATCH,
)
from aiomlflow.utils.time import get_current_time_millis as now_ms

_logger = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- limits
# Values of mlflow/utils/validation.py in 3.17.2.
MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH = 2048  # MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH default

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")  # proto order
_RUN_STATUS_SET = frozenset(RUN_STATUSES)

# SQLite INTEGER is a signed 64-bit integer; MLflow's store fails on anything wider.
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1

# The text MLflow's client appends to an INVALID_PARAMETER_VALUE error of a synchronous
# ``log_param`` (see ``with_param_hint``).
PARAM_VALIDATION_MSG = """

The cause of this error is typically due to repeated calls
to an individual run_id event logging.

Incorrect Example:
---------------------------------------
with mlflow.start_run():
    mlflow.log_param("depth", 3)
    mlflow.log_param("depth", 5)
---------------------------------------

Which will throw an MlflowException for overwriting a
logged parameter.

Correct Example:
---------------------------------------
with mlflow.start_run():
    with mlflow.start_run(nested=True):
        mlflow.log_param("depth", 3)
    with mlflow.start_run(nested=True):
        mlflow.log_param("depth", 5)
---------------------------------------

Which will create a new nested run for each individual
model and prevent parameter key collisions within the
tracking store."""

_MISSING_KEY = "A key name must be provided."
_IS_WINDOWS = os.name == "nt"
# Allowed key characters: word characters (unicode), '/', '.', '-', ' ' and, except on
# Windows, ':'.  ``$`` (not ``\Z``) on purpose: MLflow's check accepts one trailing
# newline, and so must we.
_KEY_CHARS = re.compile(r"[\w/. -]*$" if _IS_WINDOWS else r"[\w/.: -]*$")
_BAD_CHARS_MSG = (
    "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.),"
    " spaces ( )" + ("" if _IS_WINDOWS else ", colon(:)") + " and slashes (/)."
)
_RUN_ID_CHARS = re.compile(r"[a-zA-Z0-9][\w\-]{0,255}$")
_DURATION = re.compile(r"[1-9][0-9]*[mhd]")
_ARCHIVAL_RETENTION_KEY = "mlflow.trace.archivalRetention"
_ARCHIVE_NOW_KEY = "mlflow.trace.archiveNow"


class MlflowTypeError(MlflowException, TypeError):
    """A bad-typed input where MLflow raises a bare TypeError: catchable as either."""

    def __init__(self, message):
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)


class MlflowOverflowError(MlflowException, OverflowError):
    """A number too large to convert where MLflow raises a bare OverflowError."""

    def __init__(self, message):
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)


# ----------------------------------------------------------------------------- messages


def _invalid(path, value, detail=None) -> MlflowException:
    # MLflow renders the offending value as compact, key-sorted JSON; a value JSON cannot
    # encode makes MLflow fail with json's TypeError, which we surface the same way.
    import json  # error paths only: json is not part of `import aiomlflow`

    try:
        shown = json.dumps(value, sort_keys=True, separators=(",", ":"))
    except TypeError as e:
        return MlflowTypeError(str(e))
    if detail:
        msg = f"Invalid value {shown} for parameter '{path}' supplied: {detail}"
    else:
        msg = f"Invalid value {shown} for parameter '{path}' supplied."
    return MlflowException(msg, error_code=INVALID_PARAMETER_VALUE)


def _missing(path) -> MlflowException:
    return MlflowException(
        f"Missing value for required parameter '{path}'.", error_code=INVALID_PARAMETER_VALUE
    )


def _too_long(what, limit) -> MlflowException:
    return MlflowException(
        f"'{what}' exceeds the maximum length of {limit} characters",
        error_code=INVALID_PARAMETER_VALUE,
    )


def _join(path, field):
    # MLflow's JSON-path join: "" + "key" -> "key", "params[3]" + "key" -> "params[3].key"
    return f"{path}.{field}" if path else field


# ----------------------------------------------------------------------------- keys

# Keys that passed the name and length rules (identical for metrics, params, run tags and
# experiment tags).  Bounded so a stream of distinct keys cannot grow it without limit;
# once full we simply stop remembering, every key is still checked.
# Keys that passed every key rule (shared by metrics, params and tags); the hot path
# of log_metric checks membership instead of re-validating.
KNOWN_KEYS: dict[str, None] = {}
KNOWN_KEYS_MAX = 100_000


def _check_key_name(name, path, kind):
    """Raise unless ``name`` uses MLflow's key characters and is a canonical path.
    ``kind`` picks MLflow's message for a None key, which differs per entity."""
    if name is None:
        if kind == "metric":
            raise _invalid(path, None, f"Metric name cannot be None. {_MISSING_KEY}")
        if kind == "param":
            raise _invalid(path, "", _MISSING_KEY)
        raise _missing(path)
    try:
        ok = _KEY_CHARS.match(name)
    except TypeError as e:  # a non-str key: MLflow lets re's TypeError escape
        raise MlflowTypeError(str(e)) from None
    if ok is None:
        raise _invalid(path, name, _BAD_CHARS_MSG)
    # Keys may become file names, so they must not normalize to another name.
    norm = posixpath.normpath(name)
    if norm != name or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise _invalid(
            path,
            name,
            "Names may be treated as files in certain cases, and must not resolve to other"
            f" names when treated as such. This name would resolve to {norm!r}",
        )


def _remember(key):
    if type(key) is str and len(KNOWN_KEYS) < KNOWN_KEYS_MAX:
        KNOWN_KEYS[key] = None


def _truncate_enabled() -> bool:
    # MLFLOW_TRUNCATE_LONG_VALUES (default true), parsed as MLflow's boolean env vars.
    raw = os.environ.get("MLFLOW_TRUNCATE_LONG_VALUES")
    if raw is None:
        return True
    low = raw.lower()
    if low not in ("true", "false", "1", "0"):
        raise ValueError(
            "MLFLOW_TRUNCATE_LONG_VALUES value must be one of ['true', 'false', '1', '0']"
            f" (case-insensitive), but got {raw}"
        )
    return low in ("true", "1")


def _limit_value(what, limit, value, truncate):
    """MLflow's length rule for values: None passes; too long truncates (with a warning)
    when allowed and MLFLOW_TRUNCATE_LONG_VALUES is on, else raises."""
    if value is None:
        return None
    try:
        size = len(value)
    except TypeError as e:
        raise MlflowTypeError(str(e)) from None
    if size <= limit:
        return value
    if truncate and _truncate_enabled():
        _logger.warning(
            "%s '%s...' (%d characters) is truncated to %d characters to meet the length limit.",
            what, value[:100], size, limit,
        )
        return value[:limit]
    raise _too_long(what, limit)


# ----------------------------------------------------------------------------- metrics


def _to_float(value):
    """The client's metric value conversion (before any validation): floats pass,
    single-item ndarrays/tensors become float, anything ``float()`` accepts becomes
    float, and what ``float()`` rejects with ValueError is left for the validator."""
    if value is None or type(value) is float:
        return value
    if isinstance(value, float):  # numpy.float64 and other float subclasses
        return float(value)
    mods = sys.modules
    if "numpy" in mods and isinstance(value, mods["numpy"].ndarray):
        return float(_item(value))
    if "tensorflow" in mods and isinstance(value, mods["tensorflow"].Tensor):
        try:
            return float(value)
        except Exception as e:
            raise MlflowException(
                f"Failed to convert metric value to float: {e!r}",
                error_code=INVALID_PARAMETER_VALUE,
            ) from None
    if "torch" in mods and isinstance(value, mods["torch"].Tensor):
        return float(_item(value.detach().cpu()))
    try:
        return float(value)
    except ValueError:
        return value
    except TypeError as e:  # lists, dicts, complex...: MLflow's float() TypeError
        raise MlflowTypeError(str(e)) from None
    except OverflowError as e:  # an int beyond float range
        raise MlflowOverflowError(str(e)) from None


def _item(array):
    try:
        return array.item()
    except Exception as e:
        raise MlflowException(
            f"Failed to convert metric value to float: {e}", error_code=INVALID_PARAMETER_VALUE
        ) from None


def _as_int(x):
    """Normalize an accepted timestamp/step: integral numbers (numpy ints, bool,
    integral floats, Decimal) become a Python int; anything else MLflow would store
    as given (e.g. 1.5) is kept, as a float where possible."""
    if type(x) is int:
        return x
    if isinstance(x, numbers.Integral):
        return int(x)
    try:
        f = float(x)
    except (TypeError, ValueError, OverflowError):
        return x
    if math.isfinite(f) and f.is_integer() and f == x:
        return int(f)
    return f


def _check_i64(name, x):
    # What MLflow's SQLite store answers for an out-of-range integer (INTERNAL_ERROR);
    # raised here so asynchronous calls fail at the call site too.
    if type(x) is int and not (_I64_MIN <= x <= _I64_MAX):
        raise MlflowException("Python int too large to convert to SQLite INTEGER", INTERNAL_ERROR)


def _check_metric(key, value, timestamp, step, path):
    """MLflow's metric rules in MLflow's order, on an already converted value;
    returns the normalized (key, value, timestamp, step)."""
    known = type(key) is str and key in KNOWN_KEYS  # passed every key rule before
    if not known:
        _check_key_name(key, _join(path, "name"), "metric")
    if value is None:
        raise _missing(_join(path, "value"))
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise _invalid(
            _join(path, "value"),
            value,
            f"(timestamp={timestamp}). Please specify value as a valid double (64-bit floating point)",
        )
    try:
        bad_ts = not isinstance(timestamp, numbers.Number) or timestamp < 0
    except TypeError as e:  # e.g. a complex timestamp
        raise MlflowTypeError(str(e)) from None
    if bad_ts:
        raise _invalid(
            _join(path, "timestamp"),
            timestamp,
            f"metric '{key}' (value={value}). Timestamp must be a nonnegative long (64-bit integer) ",
        )
    if not isinstance(step, numbers.Number):
        raise _invalid(
            _join(path, "step"),
            step,
            f"metric '{key}' (value={value}). Step must be a valid long (64-bit integer).",
        )
    if not known:
        if len(key) > MAX_ENTITY_KEY_LENGTH:
            raise _too_long("Metric name", MAX_ENTITY_KEY_LENGTH)
        _remember(key)
    timestamp = _as_int(timestamp)
    step = _as_int(step)
    _check_i64("timestamp", timestamp)
    _check_i64("step", step)
    if type(value) is not float and isinstance(value, numbers.Real):
        value = float(value)
    return key, value, timestamp, step


def validate_metric(key, value, timestamp=None, step=None, path=""):
    """Validate one ``log_metric`` call; returns ``(key, float value, timestamp, step)``.

    Client semantics of ``MlflowClient.log_metric``: ``timestamp=None`` is now (ms) and
    ``step=None`` is 0 (the fluent ``mlflow.log_metric`` also maps 0/falsy values so:
    callers pass ``timestamp or None``).  ``path`` prefixes parameter names in messages
    (``"metrics[3]"`` in a batch).  The common case — a key seen before, a float value,
    int timestamp and step — is a handful of type checks and one dict lookup.
    """
    if timestamp is None:
        timestamp = now_ms()
    if step is None:
        step = 0
    if type(value) is int and -9007199254740992 <= value <= 9007199254740992:
        value = float(value)  # exact for |value| <= 2**53, as float() in MLflow's client
    try:
        if (
            type(value) is float
            and type(step) is int
            and type(timestamp) is int
            and key in KNOWN_KEYS
            and 0 <= timestamp <= 9223372036854775807
            and -9223372036854775808 <= step <= 9223372036854775807
        ):
            return key, value, timestamp, step
    except TypeError:  # unhashable key: the slow path reports it as MLflow does
        pass
    return _check_metric(key, _to_float(value), timestamp, step, path)


# ----------------------------------------------------------------------------- params, tags


def validate_param(key, value, path=""):
    """Validate one param; returns ``(key, str(value))`` (the client stringifies).

    A value longer than 6000 characters is truncated (MLflow's default) unless
    MLFLOW_TRUNCATE_LONG_VALUES is false.  Store-level rule; a synchronous
    ``log_param`` adds ``PARAM_VALIDATION_MSG`` to the message (``with_param_hint``).
    """
    value = value if type(value) is str else str(value)
    if type(key) is str and len(value) <= MAX_PARAM_VAL_LENGTH and key in KNOWN_KEYS:
        return key, value
    kpath = _join(path, "key")
    _check_key_name(key, kpath, "param")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise _too_long("Param key", MAX_ENTITY_KEY_LENGTH)
    _remember(key)
    return key, _limit_value("Param value", MAX_PARAM_VAL_LENGTH, value, True)


def validate_tag(key, value, path="", *, stringify=True):
    """Validate one run tag; returns ``(key, value)`` with the value stringified.

    Values longer than 8000 characters are truncated by default (as MLflow).
    ``stringify=False`` is ``MlflowClient.log_batch``, which passes ``RunTag`` values
    through unconverted (a non-str value then fails as in MLflow).
    """
    if stringify and type(value) is not str:
        value = str(value)
    if (
        type(key) is str
        and type(value) is str
        and len(value) <= MAX_TAG_VAL_LENGTH
        and key in KNOWN_KEYS
    ):
        return key, value
    kpath = _join(path, "key")
    _check_key_name(key, kpath, "tag")
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise _too_long(kpath, MAX_ENTITY_KEY_LENGTH)
    _remember(key)
    return key, _limit_value(_join(path, "value"), MAX_TAG_VAL_LENGTH, value, True)


def validate_experiment_tag(key, value, *, stringify=True):
    """Validate an experiment tag; returns ``(key, value)``.  No truncation: a value over
    20000 characters is an error.  Keys ``mlflow.trace.archivalRetention`` /
    ``mlflow.trace.archiveNow`` also need MLflow's JSON duration config.
    ``stringify=False`` is ``create_experiment(tags=...)``, which does not convert."""
    if stringify and type(value) is not str:
        value = str(value)
    _check_key_name(key, "key", "tag")
    if len(key) > MAX_EXPERIMENT_TAG_KEY_LENGTH:
        raise _too_long("key", MAX_EXPERIMENT_TAG_KEY_LENGTH)
    _limit_value("value", MAX_EXPERIMENT_TAG_VAL_LENGTH, value, False)
    if key == _ARCHIVAL_RETENTION_KEY:
        _check_archival_config(value, "value", "duration", False)
    elif key == _ARCHIVE_NOW_KEY:
        _check_archival_config(value, "older_than", None, True)
    return key, value


def _check_archival_config(value, duration_key, expected_type, allow_missing):
    if value is None:
        return
    bad_json = MlflowException(
        "Trace archival config must be encoded as a JSON object.", INVALID_PARAMETER_VALUE
    )
    import json

    try:
        payload = json.loads(value)
    except Exception:
        raise bad_json from None
    if not isinstance(payload, dict):
        raise bad_json
    if expected_type is not None and payload.get("type") != expected_type:
        raise MlflowException(
            f"Trace archival config must use type '{expected_type}'.", INVALID_PARAMETER_VALUE
        )
    duration = payload.get(duration_key)
    if duration is None and allow_missing:
        return
    bad_form = MlflowException(
        "Trace archival retention must be in the form `<int><unit>`, "
        "where unit is one of 'm', 'h', or 'd'.",
        INVALID_PARAMETER_VALUE,
    )
    if not isinstance(duration, str):
        raise bad_form
    duration = duration.strip()
    if len(duration) > 32:
        raise MlflowException(
            "Trace archival duration must be at most 32 characters.", INVALID_PARAMETER_VALUE
        )
    if _DURATION.fullmatch(duration) is None:
        raise bad_form


def validate_delete_tag_key(key):
    """MLflow applies no rule to the key of ``delete_tag``/``delete_experiment_tag``: any
    key that is not set (including None) is ``run_tag_not_found`` from the store."""
    return key


def with_param_hint(exc: MlflowException) -> MlflowException:
    """What a synchronous ``log_param`` raises for a store error: INVALID_PARAMETER_VALUE
    messages get MLflow's ``PARAM_VALIDATION_MSG`` appended, others pass unchanged
    (so do our TypeError/OverflowError twins: MLflow's client does not catch those)."""
    if exc.error_code != "INVALID_PARAMETER_VALUE" or isinstance(exc, (TypeError, OverflowError)):
        return exc
    return MlflowException(exc.message + PARAM_VALIDATION_MSG, error_code=INVALID_PARAMETER_VALUE)


# ----------------------------------------------------------------------------- batches


def validate_batch_limits(metrics, params, tags):
    """MLflow's LogBatch limits (store/server level): 1000 metrics, 100 params, 100 tags,
    1000 entities in all.  The client never trips them: it chunks first."""
    for name, limit, n in (
        ("metrics", MAX_METRICS_PER_BATCH, len(metrics)),
        ("params", MAX_PARAMS_TAGS_PER_BATCH, len(params)),
        ("tags", MAX_PARAMS_TAGS_PER_BATCH, len(tags)),
        ("metrics, params, and tags", MAX_ENTITIES_PER_BATCH,
         len(metrics) + len(params) + len(tags)),
    ):
        if n > limit:
            raise MlflowException(
                f"A batch logging request can contain at most {limit} {name}. Got {n} {name}."
                f" Please split up {name} across multiple requests and try again.",
                error_code=INVALID_PARAMETER_VALUE,
            )


def _key_of(item):
    return item[0] if type(item) is tuple else item.key


def validate_param_keys_unique(params):
    """Raise if a batch repeats a param key.  ``params``: ``(key, value)`` tuples or
    Param-like objects.  Every repeat is listed, in order (['a', 'a'] for three 'a')."""
    seen = set()
    dupes = []
    for p in params:
        k = _key_of(p)
        if k in seen:
            dupes.append(k)
        else:
            seen.add(k)
    if dupes:
        raise MlflowException(
            f"Duplicate parameter keys have been submitted: {dupes}. Please ensure the request"
            " contains only one param value per param key.",
            error_code=INVALID_PARAMETER_VALUE,
        )


def validate_batch_request_size(body):
    """The server's cap on a LogBatch request body (bytes or str)."""
    if len(body) > MAX_BATCH_LOG_REQUEST_SIZE:
        raise MlflowException(
            f"Batched logging API requests must be at most {MAX_BATCH_LOG_REQUEST_SIZE} bytes,"
            f" got a request of size {len(body)}.",
            error_code=INVALID_PARAMETER_VALUE,
        )


def _fields(item, n):
    kind = type(item)
    if kind is tuple:
        return item
    if n == 4:
        if kind is Metric:  # its properties read these slots: a batch of 1000 reads them once
            return item._key, item._value, item._timestamp, item._step
        return item.key, item.value, item.timestamp, item.step
    if kind is Param or kind is RunTag:
        return item._key, item._value
    return item.key, item.value


def log_metrics_rows(run_id, metrics, timestamp, step) -> list:
    """``log_metrics``' validated rows, ``[(key, value, timestamp, step)]`` (empty: there
    is nothing to log)."""
    rows = plain_metric_rows(metrics, timestamp, step)
    if rows is None:
        rows, _, _ = validate_log_batch(
            run_id, [(k, v, timestamp, step) for k, v in metrics.items()])
    return rows


def plain_metric_rows(metrics, timestamp, step) -> list | None:
    """``log_metrics``' rows when every metric is the common case (a key seen before, a
    float value) and timestamp and step are in range; None otherwise, and
    validate_log_batch then checks the call (and words its errors) as MLflow does.  A
    service logging a few metrics per request pays a dict walk here instead of the
    whole batch validation."""
    if (type(timestamp) is not int or type(step) is not int
            or not 0 < len(metrics) <= MAX_METRICS_PER_BATCH
            or not 0 <= timestamp <= 9223372036854775807
            or not -9223372036854775808 <= step <= 9223372036854775807):
        return None
    rows = []
    for key, value in metrics.items():
        if type(value) is not float or key not in KNOWN_KEYS:
            return None
        rows.append((key, value, timestamp, step))
    return rows


def validate_log_batch(run_id, metrics=(), params=(), tags=(), *, stringify_tags=True):
    """Validate a whole ``log_batch``/``log_metrics``/``log_params``/``set_tags`` call the
    way MLflow does; returns ``(metrics, params, tags)`` as lists of tuples.

    ``metrics``: ``(key, value, timestamp, step)`` tuples or Metric-like objects, with
    timestamp and step already resolved (no None defaults here, as in MLflow);
    ``params``/``tags``: ``(key, value)`` tuples or Param/RunTag-like objects (param
    values are stringified, tags too unless ``stringify_tags=False``).

    MLflow first converts every metric value, then cuts the call into LogBatch-sized
    chunks (100 params/tags, up to 1000 entities) and validates each chunk; messages
    index into the chunk (``params[20].key`` for the 121st param), which we reproduce.
    An empty call is a no-op in MLflow, without even a run-id check.
    """
    metrics = [_fields(m, 4) for m in metrics]
    params = [_fields(p, 2) for p in params]
    tags = [_fields(t, 2) for t in tags]
    if not metrics and not params and not tags:
        return [], [], []
    metrics = [(k, _to_float(v), ts, s) for k, v, ts, s in metrics]
    out_m, out_p, out_t = [], [], []
    for c_metrics, c_params, c_tags in _chunks(metrics, params, tags):
        validate_run_id(run_id)
        for i, (k, v, ts, s) in enumerate(c_metrics):
            if ts is None or s is None:
                out_m.append(_check_metric(k, v, ts, s, f"metrics[{i}]"))
                continue
            try:
                out_m.append(validate_metric(k, v, ts, s))
            except MlflowException:
                out_m.append(_check_metric(k, v, ts, s, f"metrics[{i}]"))
        chunk_p = []
        for i, (k, v) in enumerate(c_params):
            try:
                chunk_p.append(validate_param(k, v))
            except MlflowException:
                chunk_p.append(validate_param(k, v, f"params[{i}]"))
        for i, (k, v) in enumerate(c_tags):
            try:
                out_t.append(validate_tag(k, v, stringify=stringify_tags))
            except MlflowException:
                out_t.append(validate_tag(k, v, f"tags[{i}]", stringify=stringify_tags))
        validate_batch_limits(c_metrics, c_params, c_tags)
        validate_param_keys_unique(chunk_p)
        out_p.extend(chunk_p)
    return out_m, out_p, out_t


def _chunks(metrics, params, tags):
    """The client's split of one call into LogBatch requests: params and tags side by
    side in hundreds, each topped up with metrics to 1000 entities, then the remaining
    metrics in thousands."""
    p_chunks = [params[i:i + MAX_PARAMS_TAGS_PER_BATCH]
                for i in range(0, len(params), MAX_PARAMS_TAGS_PER_BATCH)]
    t_chunks = [tags[i:i + MAX_PARAMS_TAGS_PER_BATCH]
                for i in range(0, len(tags), MAX_PARAMS_TAGS_PER_BATCH)]
    pos = 0
    for j in range(max(len(p_chunks), len(t_chunks))):
        cp = p_chunks[j] if j < len(p_chunks) else []
        ct = t_chunks[j] if j < len(t_chunks) else []
        n = max(min(MAX_ENTITIES_PER_BATCH - len(cp) - len(ct), MAX_METRICS_PER_BATCH), 0)
        yield metrics[pos:pos + n], cp, ct
        pos += n
    for i in range(pos, len(metrics), MAX_METRICS_PER_BATCH):
        yield metrics[i:i + MAX_METRICS_PER_BATCH], [], []


# ----------------------------------------------------------------------------- ids, names

_VALID_RUN_IDS: dict[str, None] = {}


def validate_run_id(run_id, path="run_id"):
    """A run id is a letter or digit then up to 255 word characters or dashes.

    MLflow checks it in ``get_run``, ``start_run(run_id=/parent_run_id=)`` and LogBatch;
    single log/set calls on an unknown id get ``run_not_found`` from the store instead.
    """
    try:
        if run_id in _VALID_RUN_IDS:
            return run_id
    except TypeError:
        pass
    try:
        ok = _RUN_ID_CHARS.match(run_id)
    except TypeError as e:
        raise MlflowTypeError(str(e)) from None
    if ok is None:
        raise _invalid(path, run_id)
    if type(run_id) is str and len(_VALID_RUN_IDS) < 10_000:
        _VALID_RUN_IDS[run_id] = None
    return run_id


def validate_experiment_id(experiment_id):
    """Normalize an experiment id to MLflow's canonical string; None stays None.

    Client: only str, int or None are accepted (``start_run``), ints become str (so
    ``True`` becomes ``"True"``).  Store: the id must parse as an integer (``" 7 "`` is
    7); a falsy id means the Default experiment ``"0"``.
    """
    if experiment_id is None:
        return None
    if not isinstance(experiment_id, (str, int)):
        raise MlflowException(
            f"Invalid experiment id: {experiment_id} of type {type(experiment_id)}. "
            "Must be one of str, int, or None.",
            error_code=INVALID_PARAMETER_VALUE,
        )
    if type(experiment_id) is not str:
        experiment_id = str(experiment_id)
    if not experiment_id:
        return "0"
    try:
        return str(int(experiment_id))
    except ValueError:
        raise MlflowException(
            f"Invalid experiment ID '{experiment_id}'. Experiment ID must be a valid integer.",
            error_code=INVALID_PARAMETER_VALUE,
        ) from None


def validate_experiment_name(name):
    """Store rule for create/rename: a non-empty str of at most 500 characters."""
    if name == "" or name is None:
        raise MlflowException(f"Invalid experiment name: '{name}'", INVALID_PARAMETER_VALUE)
    if not isinstance(name, str):
        raise MlflowException(
            f"Invalid experiment name: {name}. Expects a string.", INVALID_PARAMETER_VALUE
        )
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise _too_long("name", MAX_EXPERIMENT_NAME_LENGTH)
    return name


def validate_experiment_artifact_location(uri):
    """Client rule of ``create_experiment``: the location cannot be a ``runs:`` URI."""
    if uri is not None and uri.startswith("runs:"):
        raise MlflowException(
            f"Artifact location cannot be a runs:/ URI. Given: '{uri}'", INVALID_PARAMETER_VALUE
        )
    return uri


def validate_artifact_location_length(uri):
    """Store rule, on the *resolved* location (local paths made absolute URIs first):
    at most MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH (2048) characters."""
    raw = os.environ.get("MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH")
    limit = int(raw) if raw is not None else DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH
    if uri and len(uri) > limit:
        raise MlflowException(
            "Invalid artifact path length. The length of the artifact path cannot be "
            f"greater than {limit} characters. To configure this limit, please set the "
            "MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable.",
            INVALID_PARAMETER_VALUE,
        )
    return uri


def validate_run_status(status):
    """Status of ``end_run``/``set_terminated``: falsy means FINISHED; otherwise one of
    RUNNING, SCHEDULED, FINISHED, FAILED, KILLED.  Checked by the client before the run
    is looked up.  (MLflow raises a bare Exception; ours is an MlflowException with the
    same text, which ``except Exception`` still catches.)"""
    if not status:
        return "FINISHED"
    try:
        ok = status in _RUN_STATUS_SET
    except TypeError as e:
        raise MlflowTypeError(str(e)) from None
    if not ok:
        raise MlflowException(
            f"Could not get run status corresponding to string {status}. Valid run "
            f"status strings: {list(RUN_STATUSES)}",
            INVALID_PARAMETER_VALUE,
        )
    return status
