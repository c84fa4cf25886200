"""Bad input: every validation rule, in synchronous and asynchronous mode.

For each bad call:

* it raises ``MlflowException`` with MLflow's error code and a message that names the
  offending value;
* in asynchronous mode, errors knowable at the call site (keys, values, steps, ids,
  statuses) still raise at the call; store-level errors (unknown/deleted run, param
  conflict) surface from ``.wait()`` / ``flush_async_logging()`` (or at the call);
* afterwards the engine keeps running: nothing enqueued before the bad call is lost and
  a good call still logs.

Design differences from real mlflow (which validates asynchronous input in its worker
thread and reports it as INTERNAL_ERROR from ``wait()``, and raises a bare ``Exception``
for an unknown run status) are reported as xfail on the mlflow target only.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

import pytest

from conftest import IS_MLFLOW

pytestmark = pytest.mark.usefixtures("transport")

UNKNOWN_RUN = "0123456789abcdef0123456789abcdef"


@pytest.fixture(params=[True, False], ids=["sync", "async"])
def synchronous(request, mlflow, monkeypatch):
    if not request.param:
        # calls without a `synchronous` argument follow the process-wide switch
        monkeypatch.setenv("MLFLOW_ENABLE_ASYNC_LOGGING", "true")
    return request.param


@dataclasses.dataclass
class Ctx:
    mlflow: object
    client: object
    sync: bool
    run_id: str  # the active run
    deleted_run_id: str

    @property
    def entities(self):
        return self.mlflow.entities


@pytest.fixture
def ctx(mlflow, transport, synchronous):
    client = mlflow.MlflowClient()
    deleted = client.create_run("0")
    client.delete_run(deleted.info.run_id)
    run = mlflow.start_run()
    mlflow.log_param("conf", "1")
    return Ctx(mlflow, client, synchronous, run.info.run_id, deleted.info.run_id)


@dataclasses.dataclass
class Case:
    id: str
    call: Callable[[Ctx], object]
    code: str
    needles: tuple[str, ...]  # regexes the message must match
    at_call: bool  # knowable at the call site: must raise at the call in async mode


def _m(ctx, *args, **kw):
    return ctx.mlflow.log_metric(*args, synchronous=ctx.sync, **kw)


def _end_and(fn):
    def call(ctx):
        ctx.mlflow.end_run()
        return fn(ctx)

    return call


IPV = "INVALID_PARAMETER_VALUE"
RDNE = "RESOURCE_DOES_NOT_EXIST"

CASES = [
    # ---- metric keys
    Case("metric-key-bad-char", lambda c: _m(c, "bad!key", 1.0), IPV, (r"bad!key",), True),
    Case("metric-key-parent-dir", lambda c: _m(c, "../escape", 1.0), IPV, (r"\.\./escape",), True),
    Case("metric-key-absolute", lambda c: _m(c, "/abs", 1.0), IPV, (r"/abs",), True),
    Case("metric-key-too-long", lambda c: _m(c, "k" * 251, 1.0), IPV, (r"250",), True),
    Case("metric-key-empty", lambda c: _m(c, "", 1.0), IPV, (r"name|key",), True),
    Case("metric-key-none", lambda c: _m(c, None, 1.0), IPV, (r"None|null",), True),
    Case(
        "metrics-dict-bad-key",
        lambda c: c.mlflow.log_metrics({"fine": 1.0, "bad key!": 2.0}, synchronous=c.sync),
        IPV,
        (r"bad key!",),
        True,
    ),
    # ---- metric values, steps, timestamps
    Case("metric-value-text", lambda c: _m(c, "m", "abc"), IPV, (r"abc",), True),
    Case("metric-value-none", lambda c: _m(c, "m", None), IPV, (r"value",), True),
    Case("metric-step-text", lambda c: _m(c, "m", 1.0, step="xyz"), IPV, (r"step", r"xyz"), True),
    Case(
        "metric-timestamp-text",
        lambda c: _m(c, "m", 1.0, timestamp="later"),
        IPV,
        (r"timestamp", r"later"),
        True,
    ),
    Case(
        "metric-timestamp-negative",
        lambda c: _m(c, "m", 1.0, timestamp=-5),
        IPV,
        (r"timestamp", r"-5"),
        True,
    ),
    # ---- params
    Case(
        "param-key-bad-char",
        lambda c: c.mlflow.log_param("p!", "v", synchronous=c.sync),
        IPV,
        (r"p!",),
        True,
    ),
    Case(
        "param-key-too-long",
        lambda c: c.mlflow.log_param("p" * 251, "v", synchronous=c.sync),
        IPV,
        (r"250",),
        True,
    ),
    Case(
        "params-dict-bad-key",
        lambda c: c.mlflow.log_params({"ok": 1, "bad/../key": 2}, synchronous=c.sync),
        IPV,
        (r"bad/\.\./key",),
        True,
    ),
    Case(
        "param-relogged-other-value",
        lambda c: c.mlflow.log_param("conf", "2", synchronous=c.sync),
        IPV,
        (r"conf", r"\b2\b"),
        False,
    ),
    Case(
        "params-relogged-other-value",
        lambda c: c.mlflow.log_params({"conf": "3"}, synchronous=c.sync),
        IPV,
        (r"conf", r"\b3\b"),
        False,
    ),
    # ---- tags
    Case(
        "tag-key-bad-char",
        lambda c: c.mlflow.set_tag("t!", "v", synchronous=c.sync),
        IPV,
        (r"t!",),
        True,
    ),
    Case(
        "tag-key-too-long",
        lambda c: c.mlflow.set_tag("t" * 251, "v", synchronous=c.sync),
        IPV,
        (r"250",),
        True,
    ),
    Case(
        "tags-dict-bad-key",
        lambda c: c.mlflow.set_tags({"ok": 1, "bad!tag": 2}, synchronous=c.sync),
        IPV,
        (r"bad!tag",),
        True,
    ),
    Case(
        "experiment-tag-bad-key",
        lambda c: c.mlflow.set_experiment_tag("e!", "v"),
        IPV,
        (r"e!",),
        True,
    ),
    Case(
        "experiment-tag-value-too-long",
        lambda c: c.mlflow.set_experiment_tag("e", "v" * 20001),
        IPV,
        (r"20000",),
        True,
    ),
    # ---- run ids
    Case(
        "run-id-malformed",
        lambda c: _m(c, "m", 1.0, run_id="bad id!"),
        IPV,
        (r"bad id!",),
        True,
    ),
    Case(
        "run-id-unknown-metric",
        lambda c: _m(c, "m", 1.0, run_id=UNKNOWN_RUN),
        RDNE,
        (UNKNOWN_RUN,),
        False,
    ),
    Case(
        "run-id-unknown-params",
        lambda c: c.mlflow.log_params({"a": 1}, run_id=UNKNOWN_RUN, synchronous=c.sync),
        RDNE,
        (UNKNOWN_RUN,),
        False,
    ),
    Case(
        "run-id-unknown-client-tag",
        lambda c: c.client.set_tag(UNKNOWN_RUN, "a", "b", synchronous=c.sync),
        RDNE,
        (UNKNOWN_RUN,),
        False,
    ),
    Case(
        "run-id-unknown-get-run",
        lambda c: c.mlflow.get_run(UNKNOWN_RUN),
        RDNE,
        (UNKNOWN_RUN,),
        True,
    ),
    Case(
        "run-id-unknown-delete-run",
        lambda c: c.mlflow.delete_run(UNKNOWN_RUN),
        RDNE,
        (UNKNOWN_RUN,),
        True,
    ),
    Case(
        "run-id-unknown-resume",
        _end_and(lambda c: c.mlflow.start_run(run_id=UNKNOWN_RUN)),
        RDNE,
        (UNKNOWN_RUN,),
        True,
    ),
    # ---- deleted runs
    Case(
        "deleted-run-metric",
        lambda c: _m(c, "m", 1.0, run_id=c.deleted_run_id),
        IPV,
        (r"deleted",),
        False,
    ),
    Case(
        "deleted-run-params",
        lambda c: c.mlflow.log_params({"a": 1}, run_id=c.deleted_run_id, synchronous=c.sync),
        IPV,
        (r"deleted",),
        False,
    ),
    Case(
        "deleted-run-client-tag",
        lambda c: c.client.set_tag(c.deleted_run_id, "a", "b", synchronous=c.sync),
        IPV,
        (r"deleted",),
        False,
    ),
    Case(
        "deleted-run-client-batch",
        lambda c: c.client.log_batch(
            c.deleted_run_id, metrics=[c.entities.Metric("m", 1.0, 1, 0)], synchronous=c.sync
        ),
        IPV,
        (r"deleted",),
        False,
    ),
    # ---- run statuses
    Case("status-end-run", lambda c: c.mlflow.end_run("BOGUS"), IPV, (r"BOGUS",), True),
    Case(
        "status-set-terminated",
        lambda c: c.client.set_terminated(c.run_id, "NOT_A_STATUS"),
        IPV,
        (r"NOT_A_STATUS",),
        True,
    ),
    Case(
        "status-update-run",
        lambda c: c.client.update_run(c.run_id, status="WHATEVER"),
        IPV,
        (r"WHATEVER",),
        True,
    ),
    # ---- experiments
    Case(
        "experiment-duplicate-name",
        lambda c: (c.mlflow.create_experiment("twin"), c.mlflow.create_experiment("twin")),
        "RESOURCE_ALREADY_EXISTS",
        (r"twin",),
        True,
    ),
    Case("experiment-empty-name", lambda c: c.mlflow.create_experiment(""), IPV, (r"name",), True),
    Case(
        "experiment-missing-get",
        lambda c: c.mlflow.get_experiment("424242"),
        RDNE,
        (r"424242",),
        True,
    ),
    Case(
        "experiment-missing-set",
        lambda c: c.mlflow.set_experiment(experiment_id="424242"),
        RDNE,
        (r"424242",),
        True,
    ),
    Case(
        "experiment-missing-delete",
        lambda c: c.mlflow.delete_experiment("424242"),
        RDNE,
        (r"424242",),
        True,
    ),
    Case(
        "experiment-missing-start-run",
        _end_and(lambda c: c.mlflow.start_run(experiment_id="424242")),
        RDNE,
        (r"424242",),
        True,
    ),
    Case(
        "experiment-deleted-set",
        lambda c: (
            c.mlflow.delete_experiment(c.mlflow.create_experiment("binned")),
            c.mlflow.set_experiment("binned"),
        ),
        IPV,
        (r"binned",),
        True,
    ),
    Case(
        "experiment-tag-missing-delete",
        lambda c: c.client.delete_experiment_tag("0", "no-such-tag"),
        RDNE,
        (r"no-such-tag",),
        True,
    ),
    Case(
        "run-tag-missing-delete",
        lambda c: c.mlflow.delete_tag("no-such-tag"),
        RDNE,
        (r"no-such-tag",),
        True,
    ),
]


def _wait(result):
    if result is not None and callable(getattr(result, "wait", None)):
        result.wait()


def _flush_swallowing(mlflow):
    """Flush; an error already reported for the bad call may be raised again here."""
    try:
        mlflow.flush_async_logging()
    except mlflow.MlflowException:
        pass


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(ctx, case):
    mlflow = ctx.mlflow
    # work enqueued before the bad call
    for step in range(3):
        mlflow.log_metric("before", float(step), step=step, run_id=ctx.run_id, synchronous=ctx.sync)

    err = None
    raised_at = None
    try:
        result = case.call(ctx)
    except Exception as exc:  # noqa: BLE001 - the type is checked below
        err, raised_at = exc, "call"
    else:
        try:
            if isinstance(result, tuple):
                for r in result:
                    _wait(r)
            else:
                _wait(result)
            mlflow.flush_async_logging()
        except Exception as exc:  # noqa: BLE001
            err, raised_at = exc, "wait"

    # the engine keeps running: earlier work is durable and a good call still logs
    _flush_swallowing(mlflow)
    good = mlflow.log_metric("after", 1.0, run_id=ctx.run_id, synchronous=ctx.sync)
    _wait(good)
    mlflow.flush_async_logging()
    client = mlflow.MlflowClient()
    before = client.get_metric_history(ctx.run_id, "before")
    assert sorted(m.step for m in before) == [0, 1, 2]
    assert [m.value for m in client.get_metric_history(ctx.run_id, "after")] == [1.0]

    assert err is not None, f"{case.id}: no error raised"
    differences = []
    if not ctx.sync and case.at_call and raised_at != "call":
        differences.append("mlflow validates asynchronous input in its worker thread")
    if not isinstance(err, mlflow.MlflowException):
        differences.append(f"mlflow raises {type(err).__name__}, not MlflowException")
    elif err.error_code != case.code and raised_at == "wait" and err.error_code == "INTERNAL_ERROR":
        differences.append("mlflow reports asynchronous failures as INTERNAL_ERROR")
    if differences and IS_MLFLOW:
        # a TypeError out of mlflow's REST client (protobuf's) names no value
        if not (isinstance(err, TypeError) or "TypeError(" in str(err)):
            for needle in case.needles:
                assert re.search(needle, str(err)), (needle, str(err))
        pytest.xfail("design difference from mlflow: " + "; ".join(differences))
    assert not differences, differences
    assert isinstance(err, mlflow.MlflowException)
    assert err.error_code == case.code, (err.error_code, str(err))
    if IS_MLFLOW and "Missing value for required parameter" in str(err):
        # mlflow's client leaves a None key to the server, whose message names the field
        pytest.xfail("mlflow's server names the missing parameter, not the value None")
    for needle in case.needles:
        assert re.search(needle, str(err)), (needle, str(err))


# ------------------------------------------------------------------ values that are kept


def test_long_param_value_is_truncated_to_6000(ctx):
    mlflow = ctx.mlflow
    r = mlflow.log_param("long", "v" * 6001, synchronous=ctx.sync)
    _wait(r)
    mlflow.log_params({"long2": "w" * 7000}, synchronous=ctx.sync)
    mlflow.flush_async_logging()
    params = mlflow.get_run(ctx.run_id).data.params
    assert params["long"] == "v" * 6000
    assert params["long2"] == "w" * 6000


def test_param_value_of_6000_is_kept(ctx):
    mlflow = ctx.mlflow
    _wait(mlflow.log_param("p6000", "x" * 6000, synchronous=ctx.sync))
    mlflow.flush_async_logging()
    assert mlflow.get_run(ctx.run_id).data.params["p6000"] == "x" * 6000


def test_long_tag_value_is_truncated_to_8000(ctx):
    mlflow = ctx.mlflow
    _wait(mlflow.set_tag("t5001", "v" * 5001, synchronous=ctx.sync))
    _wait(mlflow.set_tag("long", "v" * 8001, synchronous=ctx.sync))
    mlflow.flush_async_logging()
    tags = mlflow.get_run(ctx.run_id).data.tags
    assert tags["t5001"] == "v" * 5001
    assert tags["long"] == "v" * 8000


def test_metric_key_limits_accept_250_chars_and_allowed_characters(ctx):
    mlflow = ctx.mlflow
    for key in ["k" * 250, "a-b_c.d e/f:g"]:
        _wait(mlflow.log_metric(key, 1.0, synchronous=ctx.sync))
    mlflow.flush_async_logging()
    metrics = mlflow.get_run(ctx.run_id).data.metrics
    assert metrics["k" * 250] == 1.0
    assert metrics["a-b_c.d e/f:g"] == 1.0


def test_negative_step_is_allowed(ctx):
    mlflow = ctx.mlflow
    _wait(mlflow.log_metric("neg", 1.0, step=-3, synchronous=ctx.sync))
    mlflow.flush_async_logging()
    hist = mlflow.MlflowClient().get_metric_history(ctx.run_id, "neg")
    assert [m.step for m in hist] == [-3]


# ------------------------------------------------------------------ batches fail alone


def test_bad_batch_logs_nothing_of_itself(ctx):
    mlflow = ctx.mlflow
    with pytest.raises(Exception):
        _wait(mlflow.log_metrics({"good": 1.0, "bad!": 2.0}, synchronous=ctx.sync))
        mlflow.flush_async_logging()
    with pytest.raises(Exception):
        _wait(mlflow.log_params({"okp": 1, "bad!p": 2}, synchronous=ctx.sync))
        mlflow.flush_async_logging()
    with pytest.raises(Exception):
        _wait(mlflow.set_tags({"okt": 1, "bad!t": 2}, synchronous=ctx.sync))
        mlflow.flush_async_logging()
    _flush_swallowing(mlflow)
    run = mlflow.get_run(ctx.run_id)
    assert "good" not in run.data.metrics
    assert "okp" not in run.data.params
    assert "okt" not in run.data.tags


def test_store_error_fails_alone_among_good_calls(ctx):
    """A conflicting param between good calls: the good ones all land."""
    mlflow = ctx.mlflow
    ops = []
    for step in range(20):
        ops.append(mlflow.log_metric("m", float(step), step=step, synchronous=ctx.sync))
    try:
        bad = mlflow.log_param("conf", "different", synchronous=ctx.sync)
    except mlflow.MlflowException:
        bad = None
    for step in range(20, 40):
        ops.append(mlflow.log_metric("m", float(step), step=step, synchronous=ctx.sync))
    mlflow.set_tag("after-bad", "yes", synchronous=ctx.sync)
    if bad is not None:
        with pytest.raises(mlflow.MlflowException):
            bad.wait()
    for op in ops:
        _wait(op)
    _flush_swallowing(mlflow)
    hist = mlflow.MlflowClient().get_metric_history(ctx.run_id, "m")
    assert sorted(m.step for m in hist) == list(range(40))
    run = mlflow.get_run(ctx.run_id)
    assert run.data.params["conf"] == "1"
    assert run.data.tags["after-bad"] == "yes"


def test_flush_after_reported_error_is_clean(ctx):
    """Once an asynchronous failure has been reported, later flushes do not repeat it."""
    mlflow = ctx.mlflow
    try:
        _wait(mlflow.log_metric("m", 1.0, run_id=ctx.deleted_run_id, synchronous=ctx.sync))
    except mlflow.MlflowException:
        pass
    _flush_swallowing(mlflow)
    mlflow.log_metric("m", 2.0, synchronous=ctx.sync)
    mlflow.flush_async_logging()
    mlflow.flush_async_logging()
    assert mlflow.get_run(ctx.run_id).data.metrics["m"] == 2.0


def test_many_bad_calls_then_good(ctx):
    mlflow = ctx.mlflow
    for i in range(30):
        with pytest.raises(Exception):
            _wait(mlflow.log_metric(f"bad!{i}", 1.0, synchronous=ctx.sync))
            mlflow.flush_async_logging()
    _flush_swallowing(mlflow)
    for i in range(30):
        mlflow.log_metric("good", float(i), step=i, synchronous=ctx.sync)
    mlflow.flush_async_logging()
    hist = mlflow.MlflowClient().get_metric_history(ctx.run_id, "good")
    assert len(hist) == 30


def test_a_failed_operation_raises_on_every_wait(ctx):
    """Like MLflow's RunOperations: its failure is raised by each wait, even after a
    flush reported it (flush itself reports a failure only once)."""
    if ctx.sync:
        pytest.skip("a synchronous call returns no handle")
    handle = ctx.mlflow.log_param("conf", "different", synchronous=False)
    if IS_MLFLOW:
        ctx.mlflow.flush_async_logging()  # mlflow's flush logs the failure, raises nothing
    else:
        with pytest.raises(ctx.mlflow.MlflowException):
            ctx.mlflow.flush_async_logging()
    # mlflow wraps asynchronous failures in an INTERNAL_ERROR
    code = "INTERNAL_ERROR" if IS_MLFLOW else "INVALID_PARAMETER_VALUE"
    for _ in range(2):
        with pytest.raises(ctx.mlflow.MlflowException) as info:
            handle.wait()
        assert info.value.error_code == code
    ctx.mlflow.flush_async_logging()


def test_a_none_tag_value_in_log_batch_loses_nothing_around_it(ctx, transport):
    """MLflow's SQL store keeps a None tag value as NULL (a server, as an empty string);
    it is never a delete, and the calls around it, on two runs, all land."""
    if IS_MLFLOW and transport.startswith("http"):
        pytest.skip("MLflow's REST client raises TypeError for a None tag value")
    if IS_MLFLOW and not ctx.sync:
        pytest.xfail("mlflow's asynchronous worker drops a batch holding a None tag value")
    client, Metric, RunTag = ctx.client, ctx.entities.Metric, ctx.entities.RunTag
    other = client.create_run("0").info.run_id
    for step in range(3):
        _wait(client.log_batch(ctx.run_id, [Metric("m", 1.0, 1, step)], synchronous=ctx.sync))
    client.set_tag(ctx.run_id, "k", "set before")
    _wait(client.log_batch(ctx.run_id, tags=[RunTag("k", None)], synchronous=ctx.sync))
    for step in range(3):
        _wait(client.log_batch(other, [Metric("m", 1.0, 1, step)], synchronous=ctx.sync))
    ctx.mlflow.flush_async_logging()
    expected = "" if transport.startswith("http") else None
    assert client.get_run(ctx.run_id).data.tags["k"] == expected
    for run_id in (ctx.run_id, other):
        assert [m.step for m in client.get_metric_history(run_id, "m")] == [0, 1, 2]
