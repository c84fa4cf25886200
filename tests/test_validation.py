"""Differential tests: aiomlflow.sdk.validation against real mlflow 3.17.2.

Each case runs our function and the real MLflow code path it reproduces (MLflow's own
validators from ``mlflow.utils.validation``, its client-side conversions, or its SQLite
store) and asserts the same outcome: the same normalized value, or the same error code
and message.  Where MLflow lets a bare TypeError escape, ours must be a TypeError with
the same message (and is also an MlflowException).
"""

from __future__ import annotations

import decimal
import fractions
import math
import sqlite3
import time

import numpy as np
import pytest

from aiomlflow import store_errors as E
from aiomlflow.sdk import validation as V
from aiomlflow.exceptions import MlflowException

real = pytest.importorskip("mlflow")
from mlflow.entities import Metric, Param, RunStatus, RunTag  # noqa: E402
from mlflow.exceptions import MlflowException as RealMlflowException  # noqa: E402
from mlflow.tracking.metric_value_conversion_utils import (  # noqa: E402
    convert_metric_value_to_float_if_possible,
)
from mlflow.utils import validation as MV  # noqa: E402

TS = 1_700_000_000_000


# ----------------------------------------------------------------------------- helpers


def run(fn):
    """("ok", result) or ("err", exception)."""
    try:
        return "ok", fn()
    except Exception as e:  # noqa: BLE001
        return "err", e


def assert_same_error(ours: Exception, theirs: Exception):
    if isinstance(theirs, RealMlflowException):
        assert isinstance(ours, MlflowException), f"expected MlflowException, got {ours!r}"
        assert ours.error_code == theirs.error_code
        assert ours.message == theirs.message
    else:
        # MLflow raised a plain exception (TypeError, Exception...): ours is that class
        # too (or, for bare Exception, an MlflowException, itself an Exception).
        assert isinstance(ours, type(theirs)), f"{ours!r} is not a {type(theirs).__name__}"
        assert str(ours) == str(theirs)


def same_number(a, b):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


def diff(ours_fn, real_fn, check_ok=None):
    o_kind, o_val = run(ours_fn)
    r_kind, r_val = run(real_fn)
    assert o_kind == r_kind, f"ours {o_kind}: {o_val!r}; mlflow {r_kind}: {r_val!r}"
    if o_kind == "err":
        assert_same_error(o_val, r_val)
    elif check_ok is not None:
        # a check either asserts itself (returns None) or returns the comparison
        verdict = check_ok(o_val, r_val)
        assert verdict is None or verdict is True, f"ours {o_val!r}; mlflow {r_val!r}"
    return o_val


# ----------------------------------------------------------------------------- keys

KEYS = [
    "loss", "", "a" * 250, "a" * 251, "with space", "a/b", "a//b", "/a", "a/", "./a",
    "a/../b", "..", "..a", "a..b", ".", "a.b", "a:b", "a\n", "a\n\n", "a\tb", "métrique",
    "日本語", "a!b", "a-b_c.d e/f:g", "a\\b", None, 123, b"bytes", 1.5, ("t",),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_metric_key(key):
    def check(ours, _):
        assert ours == (key, 1.0, TS, 3)

    diff(lambda: V.validate_metric(key, 1.0, TS, 3), lambda: MV._validate_metric(key, 1.0, TS, 3),
         check)


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_param_key(key):
    def check(ours, theirs):
        assert ours == (theirs.key, theirs.value)

    diff(lambda: V.validate_param(key, "v"), lambda: MV._validate_param(key, "v"), check)


@pytest.mark.parametrize("key", KEYS, ids=repr)
@pytest.mark.parametrize("path", ["", "tags[7]"])
def test_tag_key(key, path):
    def check(ours, theirs):
        assert ours == (theirs.key, theirs.value)

    diff(lambda: V.validate_tag(key, "v", path), lambda: MV._validate_tag(key, "v", path), check)


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_experiment_tag_key(key):
    diff(lambda: V.validate_experiment_tag(key, "v"),
         lambda: MV._validate_experiment_tag(key, "v"))


def test_batch_paths_in_messages():
    diff(lambda: V.validate_metric("a!", 1.0, TS, 0, "metrics[4]"),
         lambda: MV._validate_metric("a!", 1.0, TS, 0, "metrics[4]"))
    diff(lambda: V.validate_metric(None, 1.0, TS, 0, "metrics[4]"),
         lambda: MV._validate_metric(None, 1.0, TS, 0, "metrics[4]"))
    diff(lambda: V.validate_param(None, "v", "params[2]"),
         lambda: MV._validate_param(None, "v", "params[2]"))
    diff(lambda: V.validate_tag("a" * 251, "v", "tags[3]"),
         lambda: MV._validate_tag("a" * 251, "v", "tags[3]"))


def test_cached_key_is_still_checked_for_other_rules():
    V.validate_metric("cached", 1.0, TS, 0)
    assert "cached" in V.KNOWN_KEYS
    diff(lambda: V.validate_metric("cached", "abc", TS, 0),
         lambda: MV._validate_metric("cached", "abc", TS, 0))
    diff(lambda: V.validate_param("cached", "x" * 6001),
         lambda: MV._validate_param("cached", "x" * 6001), lambda o, t: o == (t.key, t.value))


# ----------------------------------------------------------------------------- metric values


def _real_log_metric_checks(key, value, timestamp, step):
    # MlflowClient.log_metric: convert the value, default timestamp/step; then the store's
    # _validate_metric (path "" for a single metric).
    timestamp = timestamp if timestamp is not None else TS
    step = step if step is not None else 0
    converted = convert_metric_value_to_float_if_possible(value)
    MV._validate_metric(key, converted, timestamp, step)
    return converted


VALUES = [
    1.5, 0.0, -2.25, 1, 0, -7, True, False, np.float32(0.1), np.float64(0.2), np.int64(3),
    np.int8(-4), np.bool_(True), float("nan"), float("inf"), float("-inf"), None, "1.5",
    "abc", "nan", " 3 ", "", decimal.Decimal("2.5"), fractions.Fraction(1, 3), b"1.5", b"abc",
    [1], {"a": 1}, np.array([1.0]), np.array(2), np.array([1.0, 2.0]), 1 + 2j, 10**400,
    2**60, object(),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_metric_value(value):
    def check(ours, converted):
        key, v, ts, step = ours
        assert type(v) is float
        assert same_number(v, float(converted))
        assert (key, ts, step) == ("m", TS, 2)

    diff(lambda: V.validate_metric("m", value, TS, 2),
         lambda: _real_log_metric_checks("m", value, TS, 2), check)


STEPS = [0, 5, -1, 2**62, 1.0, 1.5, -0.0, np.int64(2), np.int32(7), np.uint8(9), True,
         np.float32(2.5), decimal.Decimal(4), float("nan"), "3", b"3", [1], object()]


@pytest.mark.parametrize("step", STEPS, ids=repr)
def test_metric_step(step):
    def check(ours, _):
        assert ours[:3] == ("m", 1.0, TS)
        got = ours[3]
        assert same_number(got, float(step))
        if float(step).is_integer():
            assert type(got) is int  # numpy ints, bools, integral floats normalize to int

    diff(lambda: V.validate_metric("m", 1.0, TS, step),
         lambda: _real_log_metric_checks("m", 1.0, TS, step), check)


TIMESTAMPS = [0, 1, TS, -1, 1.5, 1000.0, -1.5, np.int64(5), np.int64(-5), True, "3", [1],
              float("nan"), float("-inf"), 1 + 1j]


@pytest.mark.parametrize("ts", TIMESTAMPS, ids=repr)
def test_metric_timestamp(ts):
    def check(ours, _):
        assert ours[:2] == ("m", 1.0) and ours[3] == 0
        assert same_number(ours[2], float(ts))

    diff(lambda: V.validate_metric("m", 1.0, ts, 0),
         lambda: _real_log_metric_checks("m", 1.0, ts, 0), check)


def test_metric_error_order():
    # conversion (client) before key; key before value; value before timestamp; ...; the
    # key length last
    cases = [
        ("bad!", [1], TS, 0), ("bad!", np.array([1.0, 2.0]), TS, 0), ("bad!", "abc", TS, 0),
        ("ok", "abc", -1, "x"), ("ok", 1.0, -1, "x"), ("a" * 251, 1.0, TS, "x"),
        ("a" * 251, 1.0, TS, 0), ("a" * 251, None, TS, 0),
    ]
    for key, value, ts, step in cases:
        diff(lambda: V.validate_metric(key, value, ts, step),
             lambda: _real_log_metric_checks(key, value, ts, step))


def test_metric_defaults():
    before = int(time.time() * 1000)
    key, value, ts, step = V.validate_metric("m", 2.0)
    assert (key, value, step) == ("m", 2.0, 0)
    assert before <= ts <= int(time.time() * 1000)
    assert V.validate_metric("m", 2, 0, None) == ("m", 2.0, 0, 0)


def test_metric_out_of_int64_range_fails_at_call_site(real_store):
    # MLflow's validator accepts it and its SQLite store fails; we fail up front with the
    # store's error.
    client, run_id = real_store["client"], real_store["run_id"]
    for kwargs in ({"step": 2**70}, {"timestamp": 2**70}):
        with pytest.raises(RealMlflowException) as theirs:
            client.log_metric(run_id, "big", 1.0, **{"timestamp": TS, "step": 0, **kwargs})
        with pytest.raises(MlflowException) as ours:
            V.validate_metric("big", 1.0, kwargs.get("timestamp", TS), kwargs.get("step", 0))
        assert_same_error(ours.value, theirs.value)


# ----------------------------------------------------------------------------- params, tags

PARAM_VALUES = ["v", "", 1, 1.5, None, True, [1, 2], {"a": 1}, np.float32(0.5), "x" * 6000,
                "x" * 6001, "é" * 7000]


@pytest.mark.parametrize("value", PARAM_VALUES, ids=lambda v: repr(v)[:20])
@pytest.mark.parametrize("truncate", [None, "false"])
def test_param_value(value, truncate, monkeypatch):
    if truncate is not None:
        monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", truncate)
    diff(lambda: V.validate_param("p", value), lambda: MV._validate_param("p", str(value)),
         lambda o, t: o == (t.key, t.value))


TAG_VALUES = ["v", 3, None, "x" * 8000, "x" * 8001, "x" * 20001]


@pytest.mark.parametrize("value", TAG_VALUES, ids=lambda v: repr(v)[:20])
@pytest.mark.parametrize("truncate", [None, "0"])
def test_tag_value(value, truncate, monkeypatch):
    if truncate is not None:
        monkeypatch.setenv("MLFLOW_TRUNCATE_LONG_VALUES", truncate)
    diff(lambda: V.validate_tag("t", value), lambda: MV._validate_tag("t", str(value)),
         lambda o, t: o == (t.key, t.value))
    # MlflowClient.log_batch passes RunTag values through without str()
    diff(lambda: V.validate_tag("t", value, "tags[0]", stringify=False),
         lambda: MV._validate_tag("t", value, "tags[0]"), lambda o, t: o == (t.key, t.value))


EXP_TAGS = [
    ("k", "v"), ("k", 5), ("k", "x" * 20000), ("k", "x" * 20001), ("a" * 251, "v"),
    ("mlflow.trace.archivalRetention", '{"type": "duration", "value": "30d"}'),
    ("mlflow.trace.archivalRetention", '{"type": "duration", "value": "0d"}'),
    ("mlflow.trace.archivalRetention", '{"type": "other", "value": "30d"}'),
    ("mlflow.trace.archivalRetention", "not json"),
    ("mlflow.trace.archivalRetention", "[1]"),
    ("mlflow.trace.archivalRetention", '{"type": "duration", "value": 5}'),
    ("mlflow.trace.archivalRetention", '{"type": "duration", "value": " 12h "}'),
    ("mlflow.trace.archivalRetention", '{"type": "duration", "value": "' + "1" * 40 + 'd"}'),
    ("mlflow.trace.archiveNow", "{}"),
    ("mlflow.trace.archiveNow", '{"older_than": "5m"}'),
    ("mlflow.trace.archiveNow", '{"older_than": "5x"}'),
]


@pytest.mark.parametrize("key,value", EXP_TAGS, ids=lambda v: repr(v)[:30])
def test_experiment_tag(key, value):
    diff(lambda: V.validate_experiment_tag(key, value),
         lambda: MV._validate_experiment_tag(key, str(value)),
         lambda o, t: o == (key, str(value)))


# ----------------------------------------------------------------------------- ids, names

RUN_IDS = ["abc", "a" * 256, "a" * 257, "0-_x", "-abc", "_abc", "bad id!", "", "a\n", "ab/c",
           "日本", 123, None, b"abc"]


@pytest.mark.parametrize("run_id", RUN_IDS, ids=repr)
def test_run_id(run_id):
    diff(lambda: V.validate_run_id(run_id), lambda: MV._validate_run_id(run_id))
    diff(lambda: V.validate_run_id(run_id, "parent_run_id"),
         lambda: MV._validate_run_id(run_id, "parent_run_id"))


def _real_experiment_id(x):
    # fluent start_run: type check then int -> str; the store: falsy -> "0", int parse
    MV._validate_experiment_id_type(x)
    if x is None:
        return None
    x = str(x) if isinstance(x, int) else x
    return str(MV._parse_experiment_id(x or "0"))


EXPERIMENT_IDS = ["0", "12", 7, 0, " 3 ", "abc", "1.0", "", None, True, 1.5, ["1"],
                  np.int64(1), "1_000"]


@pytest.mark.parametrize("exp_id", EXPERIMENT_IDS, ids=repr)
def test_experiment_id(exp_id):
    diff(lambda: V.validate_experiment_id(exp_id), lambda: _real_experiment_id(exp_id),
         lambda o, t: o == t)


NAMES = ["exp", "", None, 123, "a" * 500, "a" * 501, " ", "a/b:c", ["x"]]


@pytest.mark.parametrize("name", NAMES, ids=lambda v: repr(v)[:20])
def test_experiment_name(name):
    diff(lambda: V.validate_experiment_name(name), lambda: MV._validate_experiment_name(name))


@pytest.mark.parametrize("uri", [None, "runs:/abc/x", "runs:", "file:///tmp/x", "s3://b/runs:"])
def test_artifact_location(uri):
    diff(lambda: V.validate_experiment_artifact_location(uri),
         lambda: MV._validate_experiment_artifact_location(uri))


@pytest.mark.parametrize("length", [2048, 2049])
@pytest.mark.parametrize("env", [None, "100"])
def test_artifact_location_length(length, env, monkeypatch):
    if env is not None:
        monkeypatch.setenv("MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH", env)
    uri = "file:///" + "x" * (length - 8)
    diff(lambda: V.validate_artifact_location_length(uri),
         lambda: MV._validate_experiment_artifact_location_length(uri))


@pytest.mark.parametrize("status", ["FINISHED", "FAILED", "KILLED", "RUNNING", "SCHEDULED",
                                    "finished", "DONE", None, "", ["x"], 3])
def test_run_status(status):
    # set_terminated: `status or "FINISHED"`, then RunStatus.from_string
    def theirs():
        s = status or RunStatus.to_string(RunStatus.FINISHED)
        RunStatus.from_string(s)
        return s

    diff(lambda: V.validate_run_status(status), theirs, lambda o, t: o == t)


# ----------------------------------------------------------------------------- batches


@pytest.mark.parametrize("n_metrics,n_params,n_tags", [
    (1000, 0, 0), (1001, 0, 0), (0, 101, 0), (0, 0, 101), (0, 100, 100), (900, 100, 1),
    (800, 100, 100), (0, 0, 0),
])
def test_batch_limits(n_metrics, n_params, n_tags):
    m, p, t = [None] * n_metrics, [None] * n_params, [None] * n_tags
    diff(lambda: V.validate_batch_limits(m, p, t), lambda: MV._validate_batch_log_limits(m, p, t))


@pytest.mark.parametrize("keys", [["a", "b"], ["a", "a"], ["a", "a", "a", "b", "b", "c"], []])
def test_param_keys_unique(keys):
    diff(lambda: V.validate_param_keys_unique([(k, "1") for k in keys]),
         lambda: MV._validate_param_keys_unique([Param(k, "1") for k in keys]))
    diff(lambda: V.validate_param_keys_unique([Param(k, "1") for k in keys]),
         lambda: MV._validate_param_keys_unique([Param(k, "1") for k in keys]))


def test_batch_request_size():
    diff(lambda: V.validate_batch_request_size("x" * 1_000_000),
         lambda: MV._validate_batch_log_api_req("x" * 1_000_000))
    diff(lambda: V.validate_batch_request_size("x" * 1_000_001),
         lambda: MV._validate_batch_log_api_req("x" * 1_000_001))


# ----------------------------------------------------------------------------- real store


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """A real MlflowClient on a SQLite store.  The database is created with our copy of
    MLflow's schema (migrating a fresh one with alembic takes seconds)."""
    path = tmp_path_factory.mktemp("validation") / "mlflow.db"
    try:
        from aiomlflow.transports.sqlite.schema import create_schema

        conn = sqlite3.connect(path)
        create_schema(conn)
        now = int(time.time() * 1000)
        conn.execute(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
            " creation_time, last_update_time, workspace)"
            " VALUES (0, 'Default', ?, 'active', ?, ?, 'default')",
            ((path.parent / "mlruns" / "0").as_uri(), now, now),
        )
        conn.commit()
        conn.close()
    except ImportError:
        pass  # real MLflow migrates the empty file itself
    client = real.MlflowClient(tracking_uri=f"sqlite:///{path}")
    run_id = client.create_run("0").info.run_id
    return {"client": client, "run_id": run_id, "uri": f"sqlite:///{path}"}


def _raises(fn) -> Exception:
    kind, val = run(fn)
    assert kind == "err", f"expected an error, got {val!r}"
    return val


def test_log_param_sync_hint_and_overwrite(real_store):
    client, run_id = real_store["client"], real_store["run_id"]
    client.log_param(run_id, "depth", 3)
    theirs = _raises(lambda: client.log_param(run_id, "depth", 5))
    ours = V.with_param_hint(E.param_changed_error(run_id, "depth", "3", "5"))
    assert_same_error(ours, theirs)

    theirs = _raises(lambda: client.log_param(run_id, "bad key!", 5))
    ours = _raises(lambda: V.validate_param("bad key!", 5))
    assert_same_error(V.with_param_hint(ours), theirs)

    theirs = _raises(lambda: client.log_param(run_id, 42, 5))  # TypeError, no hint
    assert_same_error(V.with_param_hint(_raises(lambda: V.validate_param(42, 5))), theirs)


def test_log_batch_param_overwrite(real_store):
    client, run_id = real_store["client"], real_store["run_id"]
    client.log_batch(run_id, params=[Param("lr", "0.1"), Param("bs", "32")])
    theirs = _raises(lambda: client.log_batch(
        run_id, params=[Param("lr", "0.2"), Param("bs", "64"), Param("new", "1")]))
    ours = E.param_overwrite_error(run_id, [("lr", "0.1", "0.2"), ("bs", "32", "64")])
    assert_same_error(ours, theirs)


@pytest.mark.parametrize("case", ["tags", "params", "metrics", "dupes", "runid", "none_step",
                                  "tag_int", "convert_first", "ok"])
def test_log_batch_chunked_paths(real_store, case):
    client, run_id = real_store["client"], real_store["run_id"]
    metrics, params, tags, rid = [], [], [], run_id
    if case == "tags":
        tags = [RunTag(f"t{i}", "1") for i in range(150)] + [RunTag("b!d", "1")]
    elif case == "params":
        params = [Param(f"x{i}", "1") for i in range(150)] + [Param("b!d", "1")]
    elif case == "metrics":
        params = [Param(f"y{i}", "1") for i in range(50)]
        metrics = [Metric("ok", 1.0, 1, 0)] * 1200 + [Metric("b!d", 1.0, 1, 0)]
    elif case == "dupes":
        params = [Param("a", "3"), Param("a", "1"), Param("b", "1"), Param("b", "1")]
    elif case == "runid":
        rid, params = "bad id!", [Param("z", "1")]
    elif case == "none_step":
        metrics = [Metric("ok", 1.0, 1, None)]
    elif case == "tag_int":
        tags = [RunTag("t", 5)]
    elif case == "convert_first":
        metrics = [Metric("b!d", 1.0, 1, 0), Metric("ok", np.array([1.0, 2.0]), 1, 0)]
    elif case == "ok":
        metrics = [Metric("ok2", np.float32(0.5), 5, np.int64(2))]
        params = [Param("okp", 7)]
        tags = [RunTag("okt", "v")]
    # MlflowClient.log_batch stringifies param values but not tag values
    real_params = [Param(p.key, str(p.value)) for p in params]
    theirs = run(lambda: client.log_batch(rid, metrics=metrics, params=real_params, tags=tags))
    ours = run(lambda: V.validate_log_batch(rid, metrics, params, tags, stringify_tags=False))
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "err":
        assert_same_error(ours[1], theirs[1])
    else:
        assert ours[1] == ([("ok2", 0.5, 5, 2)], [("okp", "7")], [("okt", "v")])


def test_log_batch_empty_is_noop():
    assert V.validate_log_batch("bad id!", [], [], []) == ([], [], [])


def test_store_messages(real_store):
    client, run_id = real_store["client"], real_store["run_id"]
    assert_same_error(E.run_not_found("nope"), _raises(lambda: client.log_metric("nope", "m", 1)))
    assert_same_error(E.experiment_not_found("999"), _raises(lambda: client.get_experiment("999")))
    client.set_tag(run_id, "keep", "1")
    assert_same_error(E.run_tag_not_found(run_id, "missing"),
                      _raises(lambda: client.delete_tag(run_id, "missing")))
    assert_same_error(E.run_tag_not_found(run_id, None),
                      _raises(lambda: client.delete_tag(run_id, None)))
    assert_same_error(E.experiment_tag_not_found("0", "missing"),
                      _raises(lambda: client.delete_experiment_tag("0", "missing")))
    assert_same_error(E.run_name_conflict("b", "a"), _raises(lambda: client.create_run(
        "0", tags={"mlflow.runName": "a"}, run_name="b")))
    # the status is checked before the run is looked up
    assert_same_error(_raises(lambda: V.validate_run_status("DONE")),
                      _raises(lambda: client.set_terminated("nope", "DONE")))

    doomed = client.create_run("0").info.run_id
    client.delete_run(doomed)
    assert_same_error(E.run_not_active(doomed, "deleted"),
                      _raises(lambda: client.log_metric(doomed, "m", 1.0)))

    exp_id = client.create_experiment("validation-exp")
    theirs = _raises(lambda: client.create_experiment("validation-exp"))
    ours = E.experiment_name_exists("validation-exp", E.sqlite_unique_violation(
        "UNIQUE constraint failed: experiments.workspace, experiments.name",
        "INSERT INTO experiments (name, workspace, artifact_location, lifecycle_stage,"
        " creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)",
        ("validation-exp", "default", None, "active", 0, 0)))
    assert ours.error_code == theirs.error_code
    head = ours.message.split("[parameters:")[0]
    assert theirs.message.startswith(head)
    assert theirs.message.endswith(ours.message.rsplit("\n", 1)[1])

    client.delete_experiment(exp_id)
    assert_same_error(E.experiment_not_active(exp_id, "deleted"),
                      _raises(lambda: client.create_run(exp_id)))
    assert_same_error(E.experiment_rename_not_active(),
                      _raises(lambda: client.rename_experiment(exp_id, "renamed")))

    old_uri = real.get_tracking_uri()
    real.set_tracking_uri(real_store["uri"])
    try:
        assert_same_error(E.set_experiment_args_error(),
                          _raises(lambda: real.set_experiment("a", "1")))
        assert_same_error(E.set_deleted_experiment_error("validation-exp"),
                          _raises(lambda: real.set_experiment("validation-exp")))
    finally:
        real.set_tracking_uri(old_uri)
