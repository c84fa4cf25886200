"""aiomlflow.aio, the awaitable API, and per-task active runs, on asyncio and trio."""

from __future__ import annotations

import gc
import importlib.util
import threading
import time

import anyio
import pytest

from conftest import IS_MLFLOW

pytestmark = [
    pytest.mark.skipif(IS_MLFLOW, reason="aiomlflow.aio has no mlflow counterpart"),
    pytest.mark.anyio,
]


HAVE_UVLOOP = importlib.util.find_spec("uvloop") is not None


BACKENDS = [
    "asyncio", "trio",
    pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop",
                 marks=pytest.mark.skipif(not HAVE_UVLOOP, reason="uvloop is not installed")),
]


@pytest.fixture(params=BACKENDS)
def anyio_backend(request):
    return request.param


@pytest.fixture(params=BACKENDS)
def any_backend(request):
    return request.param


@pytest.fixture
def aio(mlflow, transport):
    return mlflow.aio


def _code(exc):
    return getattr(exc, "error_code", None)


async def test_run_lifecycle_and_data(aio, mlflow):
    async with aio.start_run(run_name="svc", tags={"t0": "a"}) as run:
        assert aio.active_run().info.run_id == run.info.run_id
        assert await aio.log_param("lr", 0.1) == 0.1
        await aio.log_params({"bs": 32, "opt": "adam"})
        await aio.log_metric("loss", 0.5, step=1)
        await aio.log_metrics({"acc": 0.9, "f1": 0.8}, step=2)
        await aio.set_tag("k", "v")
        await aio.set_tags({"x": 1, "gone": "soon"})
        await aio.delete_tag("gone")
        fetched = await aio.get_run(run.info.run_id)
        assert fetched.data.params == {"lr": "0.1", "bs": "32", "opt": "adam"}
        assert fetched.data.metrics == {"loss": 0.5, "acc": 0.9, "f1": 0.8}
        assert fetched.data.tags["k"] == "v" and fetched.data.tags["x"] == "1"
        assert fetched.data.tags["t0"] == "a" and "gone" not in fetched.data.tags
        assert fetched.info.run_name == "svc"
    assert aio.active_run() is None
    ended = await aio.get_run(run.info.run_id)
    assert ended.info.status == "FINISHED"
    runs = await aio.search_runs(output_format="list")
    assert [r.info.run_id for r in runs] == [run.info.run_id]
    assert (await aio.last_active_run()).info.run_id == run.info.run_id


async def test_exception_fails_run_and_await_start_run(aio):
    with pytest.raises(ValueError):
        async with aio.start_run() as run:
            raise ValueError("boom")
    assert (await aio.get_run(run.info.run_id)).info.status == "FAILED"
    run = await aio.start_run()
    await aio.end_run("KILLED")
    assert (await aio.get_run(run.info.run_id)).info.status == "KILLED"


async def test_log_without_active_run_starts_one(aio):
    await aio.log_metric("m", 1.0)
    run = aio.active_run()
    assert run is not None
    await aio.end_run()
    assert (await aio.get_run(run.info.run_id)).data.metrics == {"m": 1.0}


async def test_asynchronous_mode_returns_run_operations(aio, mlflow):
    async with aio.start_run() as run:
        ops = [await aio.log_metric("m", float(i), step=i, synchronous=False) for i in range(50)]
        assert all(isinstance(op, mlflow.RunOperations) for op in ops)
        ops.append(await aio.log_param("p", "v", synchronous=False))
        ops.append(await aio.set_tag("t", "v", synchronous=False))
        await aio.flush()
        data = (await aio.get_run(run.info.run_id)).data
        assert data.metrics == {"m": 49.0} and data.params == {"p": "v"}


async def test_a_run_id_call_follows_the_tracking_uri(aio, mlflow, tmp_path):
    async with aio.start_run() as run:
        run_id = run.info.run_id
        await aio.log_metric("m", 1.0, run_id=run_id, synchronous=True)
        first = mlflow.get_tracking_uri()
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path}/other.db")
        # the store the URI now names has no such run, though the last call found one
        with pytest.raises(mlflow.MlflowException) as info:
            await aio.log_metric("m", 2.0, step=1, run_id=run_id, synchronous=True)
        assert _code(info.value) == "RESOURCE_DOES_NOT_EXIST"
        mlflow.set_tracking_uri(first)
        await aio.log_metric("m", 3.0, step=2, run_id=run_id, synchronous=True)
    history = [(m.step, m.value) for m in mlflow.MlflowClient().get_metric_history(run_id, "m")]
    assert history == [(0, 1.0), (2, 3.0)]


async def test_metrics_of_new_tasks_link_to_the_active_model(aio, mlflow, monkeypatch):
    model = mlflow.create_external_model(name="svc-model")
    async with aio.start_run() as run:
        async def request(key):  # a web service's request: a task of its own
            await aio.log_metric(key, 1.0, run_id=run.info.run_id, synchronous=True)

        async with anyio.create_task_group() as tg:
            tg.start_soon(request, "before")
        # MLFLOW_ACTIVE_MODEL_ID is read by each new thread or task
        monkeypatch.setenv("MLFLOW_ACTIVE_MODEL_ID", model.model_id)
        async with anyio.create_task_group() as tg:
            tg.start_soon(request, "after")
    linked = {m.key for m in mlflow.get_logged_model(model.model_id).metrics}
    assert linked == {"after"}
    assert set((await aio.get_run(run.info.run_id)).data.metrics) == {"before", "after"}


async def test_experiments(aio):
    exp_id = await aio.create_experiment("aio-exp", tags={"a": "b"})
    experiment = await aio.set_experiment("aio-exp")
    assert experiment.experiment_id == exp_id
    await aio.set_experiment_tag("k", "v")
    await aio.set_experiment_tags({"k2": "v2"})
    await aio.delete_experiment_tag("a")
    got = await aio.get_experiment_by_name("aio-exp")
    assert got.tags.get("k") == "v" and got.tags.get("k2") == "v2" and "a" not in got.tags
    assert (await aio.get_experiment(exp_id)).name == "aio-exp"
    assert "aio-exp" in [e.name for e in await aio.search_experiments()]
    async with aio.start_run() as run:
        pass
    assert run.info.experiment_id == exp_id
    await aio.delete_experiment(exp_id)
    assert (await aio.get_experiment(exp_id)).lifecycle_stage == "deleted"


async def test_bad_input_raises_at_the_await(aio, mlflow):
    async with aio.start_run() as run:
        coro = aio.log_metric("bad key!", 1.0)
        with pytest.raises(mlflow.MlflowException) as info:
            await coro
        assert _code(info.value) == "INVALID_PARAMETER_VALUE"
        for call in (aio.log_param("", 1), aio.set_tag("", 1), aio.log_metrics({"a/../b": 1}),
                     aio.log_params({"x" * 1000: 1}), aio.end_run("NOPE"),
                     aio.log_metric("m", "not a number", synchronous=False)):
            with pytest.raises(mlflow.MlflowException) as info:
                await call
            assert _code(info.value) == "INVALID_PARAMETER_VALUE", call
        with pytest.raises(mlflow.MlflowException) as info:
            await aio.get_run("0" * 32)
        assert _code(info.value) == "RESOURCE_DOES_NOT_EXIST"
        # nothing lost, the engine keeps running
        await aio.log_metric("ok", 2.0)
        assert aio.active_run().info.run_id == run.info.run_id
    assert (await aio.get_run(run.info.run_id)).data.metrics == {"ok": 2.0}


async def test_cancelled_task_never_leaves_a_half_written_batch(aio):
    async with aio.start_run() as run:
        metrics = {f"m{i}": float(i) for i in range(500)}
        params = {f"p{i}": i for i in range(100)}
        for _ in range(5):
            with anyio.move_on_after(0):  # cancelled at its first checkpoint
                await aio.log_metrics(metrics)
            with anyio.CancelScope() as scope:
                scope.cancel()
                await aio.log_params(params)
        await aio.flush()
        data = (await aio.get_run(run.info.run_id)).data
        assert data.metrics in ({}, metrics)
        assert data.params in ({}, {k: str(v) for k, v in params.items()})


async def test_durable_awaits_from_many_tasks_some_cancelled(aio, mlflow):
    # Each awaited (durable) log is stored once its await returns, whether the task's
    # own helper wrote it or another task's did; a task cancelled mid-write leaves only
    # whole calls behind.
    run = await aio.start_run()
    run_id = run.info.run_id
    returned: dict[int, list] = {i: [] for i in range(20)}

    async def task(i):
        for step in range(30):
            await aio.log_metric(f"t{i}", float(step), step=step, run_id=run_id,
                                 synchronous=True)
            returned[i].append(step)

    async with anyio.create_task_group() as tg:
        scopes = []
        for i in range(20):
            scope = anyio.CancelScope()
            scopes.append(scope)

            async def run_in(scope=scope, i=i):
                with scope:
                    await task(i)
            tg.start_soon(run_in)
        await anyio.sleep(0.01)
        for scope in scopes[::2]:
            scope.cancel()
    await aio.flush()
    client = mlflow.MlflowClient()
    for i in range(20):
        stored = [m.step for m in client.get_metric_history(run_id, f"t{i}")]
        assert set(returned[i]) <= set(stored), i  # durable when the await returned
        assert sorted(stored) == list(range(len(stored))), i  # whole calls, in order
        if i % 2:
            assert returned[i] == list(range(30)), i
    await aio.end_run()


async def test_cancelled_task_ends_its_run_killed(aio):
    started = anyio.Event()
    box = {}

    async def worker():
        async with aio.start_run() as run:
            box["run"] = run
            started.set()
            await anyio.sleep(30)

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker)
        await started.wait()
        tg.cancel_scope.cancel()
    assert (await aio.get_run(box["run"].info.run_id)).info.status == "KILLED"


async def test_child_tasks_inherit_the_run_but_never_end_it(aio, mlflow):
    async with aio.start_run() as parent:
        seen = {}

        async def child(name):
            seen[name] = aio.active_run().info.run_id
            await aio.log_param(name, 1)
            await aio.end_run()  # leaves this task's stack only
            seen[name + "-after"] = aio.active_run()
            mlflow.end_run()  # the sync API follows the same rule
            async with aio.start_run(run_name=name) as own:
                seen[name + "-own"] = own.info.run_id

        async with anyio.create_task_group() as tg:
            for name in ("a", "b"):
                tg.start_soon(child, name)
        assert seen["a"] == seen["b"] == parent.info.run_id
        assert seen["a-after"] is None and seen["b-after"] is None
        assert aio.active_run().info.run_id == parent.info.run_id
        got = await aio.get_run(parent.info.run_id)
        assert got.info.status == "RUNNING" and got.data.params == {"a": "1", "b": "1"}
        for name in ("a", "b"):
            own = await aio.get_run(seen[name + "-own"])
            assert own.info.status == "FINISHED" and own.info.run_name == name
    assert (await aio.get_run(parent.info.run_id)).info.status == "FINISHED"


async def test_a_thread_the_task_hands_its_context_to_acts_for_it(aio, mlflow):
    run = mlflow.start_run()
    await anyio.to_thread.run_sync(mlflow.log_param, "p", "v")
    await anyio.to_thread.run_sync(mlflow.end_run)
    assert mlflow.active_run() is not None  # the thread ended it on a copy of the stack
    got = await aio.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.params == {"p": "v"}
    mlflow.end_run()  # only leaves the stack: the run is over already


async def test_sync_api_in_a_task_sees_the_task_run(aio, mlflow):
    async def one(i, out):
        async with aio.start_run() as run:
            await anyio.sleep(0.01)
            assert mlflow.active_run().info.run_id == run.info.run_id
            mlflow.log_param("i", i)
            out[i] = run.info.run_id

    out = {}
    async with anyio.create_task_group() as tg:
        for i in range(5):
            tg.start_soon(one, i, out)
    for i, run_id in out.items():
        assert mlflow.get_run(run_id).data.params == {"i": str(i)}


async def test_sync_api_inside_a_running_loop_completes(mlflow, transport):
    # as a notebook cell does: blocking calls from the loop thread
    with mlflow.start_run() as run:
        mlflow.log_param("p", 1)
        mlflow.log_metric("m", 1.0)
        mlflow.log_metric("n", 2.0, synchronous=False).wait()
        mlflow.set_tag("t", "v")
        mlflow.flush_async_logging()
        assert mlflow.get_run(run.info.run_id).data.metrics == {"m": 1.0, "n": 2.0}
        assert len(mlflow.search_runs(output_format="list")) == 1
    assert mlflow.get_run(run.info.run_id).info.status == "FINISHED"


def test_every_backend_and_loops_in_other_threads(mlflow, transport, any_backend):
    # the same calls from event loops on several threads at once, each its own run
    backend, options = any_backend if isinstance(any_backend, tuple) else (any_backend, {})
    aio = mlflow.aio
    results, errors = {}, []

    async def main(i):
        async with aio.start_run() as run:
            await aio.log_param("id", i)
            await aio.log_metric("m", float(i))
            ops = await aio.log_metric("n", float(i), synchronous=False)
            ops.wait()  # the RunOperations is the synchronous API's
            results[i] = run.info.run_id
        data = (await aio.get_run(results[i])).data
        assert data.params == {"id": str(i)} and data.metrics == {"m": i, "n": i}

    def thread_main(i):
        try:
            anyio.run(main, i, backend=backend, backend_options=options)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert len(set(results.values())) == 4


def _check_run(mlflow, run_id, i, n_metrics=100):
    data = mlflow.get_run(run_id).data
    assert data.params == {"id": str(i)}, (run_id, data.params)
    assert data.metrics == {f"m{j}": float(i) for j in range(n_metrics)}, run_id
    assert data.tags["owner"] == str(i)


def _thread_worker(mlflow, i, ids, errors, barrier=None):
    try:
        if barrier is not None:
            barrier.wait()
        with mlflow.start_run() as run:
            ids[i] = run.info.run_id
            mlflow.log_param("id", i)
            mlflow.set_tag("owner", i)
            for j in range(100):
                mlflow.log_metric(f"m{j}", float(i), synchronous=j % 10 == 0)
                assert mlflow.active_run().info.run_id == run.info.run_id
    except BaseException as exc:  # reported by the test
        errors.append(exc)


# asyncio and trio: aiomlflow has no code of uvloop's own (sniffio names it asyncio), and
# uvloop runs every other test of this module; a thousand runs on it repeat asyncio's.
@pytest.mark.parametrize("anyio_backend", ["asyncio", "trio"])
@pytest.mark.timeout(600)
async def test_a_thousand_tasks_and_64_threads_each_with_its_own_run(aio, mlflow, transport):
    if transport.startswith("http"):
        pytest.skip("1,000 runs: sqlite only (the same code path on REST is tested above)")
    ids = {}
    thread_ids, errors = {}, []

    async def task(i):
        async with aio.start_run():
            run_id = aio.active_run().info.run_id
            ids[i] = run_id
            await aio.log_param("id", i)
            await aio.set_tag("owner", i)
            for j in range(100):
                await aio.log_metric(f"m{j}", float(i), synchronous=j < 99 and j % 25 != 0)
                if j % 10 == 0:
                    await anyio.sleep(0)
                assert aio.active_run().info.run_id == run_id

    # 64 threads on the synchronous API at the same time, ids 1000..1063
    threads = [threading.Thread(target=_thread_worker, args=(mlflow, 1000 + i, thread_ids, errors))
               for i in range(64)]
    for t in threads:
        t.start()
    async with anyio.create_task_group() as tg:
        for i in range(1000):
            tg.start_soon(task, i)
    for t in threads:
        await anyio.to_thread.run_sync(t.join)
    assert not errors, errors[0]
    await aio.flush()
    assert len(set(ids.values())) == 1000 and len(set(thread_ids.values())) == 64
    assert not set(ids.values()) & set(thread_ids.values())
    for i, run_id in {**ids, **thread_ids}.items():
        _check_run(mlflow, run_id, i)


@pytest.mark.timeout(600)
def test_sixty_four_threads_each_with_its_own_run(mlflow, transport):
    ids, errors = {}, []
    barrier = threading.Barrier(64)
    threads = [threading.Thread(target=_thread_worker, args=(mlflow, i, ids, errors, barrier))
               for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    mlflow.flush_async_logging()
    assert len(set(ids.values())) == 64
    for i, run_id in ids.items():
        _check_run(mlflow, run_id, i)


@pytest.mark.timeout(600)
async def test_the_loop_is_never_blocked(aio, mlflow, transport, request):
    # A blocking call shows up in every attempt; the OS descheduling this process on a
    # busy 2-core machine may show up in one.  So: a second attempt before failing.
    if transport.startswith("http"):
        pytest.skip("sqlite: a detector of blocking calls, not a transport test")
    # The test process's heap (every module earlier tests loaded) is frozen out of the
    # collector: a full collection of it, which the logging loop's allocations can
    # trigger, takes 200 ms late in a full run and is no blocking call of ours.
    gc.collect()
    gc.freeze()
    request.addfinalizer(gc.unfreeze)
    worst = []
    for _attempt in range(2):
        gaps = []
        done = anyio.Event()

        async def ticker():
            last = time.perf_counter()
            while not done.is_set():
                await anyio.sleep(0.005)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        async def logger():
            try:
                async with aio.start_run() as run:
                    for i in range(100_000):  # a tight loop: no await but the API's
                        await aio.log_metric("m", float(i), step=i, synchronous=False)
                    await aio.log_metric("last", 1.0)
                    await aio.flush()
                box["run"] = run
            finally:
                done.set()

        box = {}
        async with anyio.create_task_group() as tg:
            tg.start_soon(ticker)
            tg.start_soon(logger)
        history = mlflow.MlflowClient().get_metric_history(box["run"].info.run_id, "m")
        assert len(history) == 100_000
        worst.append(max(gaps))
        if max(gaps) < 0.100:
            break
    assert min(worst) < 0.100, f"loop blocked for {[round(w * 1000) for w in worst]} ms"


async def test_a_tight_loop_yields_but_calls_between_which_the_loop_runs_never_do(
        aio, mlflow, monkeypatch):
    """A task logging in a tight loop lets the loop run every 128-256 calls; tasks taking
    turns (a service's requests, each logging its own) never pay for a yield."""
    from aiomlflow.sdk import aio as aio_module

    yields = []
    checkpoint = aio_module.anyio.lowlevel.checkpoint

    async def counted():
        yields.append(1)
        await checkpoint()

    async with aio.start_run() as run:
        monkeypatch.setattr(aio_module.anyio.lowlevel, "checkpoint", counted)
        monkeypatch.setattr(aio_module, "_calls_since_look", 0)
        monkeypatch.setattr(aio_module._looks, "last", None, raising=False)
        for i in range(1100):
            await aio.log_metric("tight", 1.0, step=i, run_id=run.info.run_id,
                                 synchronous=False)
        # 8 looks, one every 128 calls; the first queues a marker, and a look that
        # finds it unrun yields. Trio may run the marker a step late, so two looks in
        # a row can yield.
        assert 4 <= len(yields) <= 7
        yields.clear()
        turn = [anyio.Event() for _ in range(601)]
        turn[0].set()

        async def request(i):  # each "request" task logs two metrics on its turn
            await turn[i].wait()
            await aio.log_metric("latency", 1.0, step=i, run_id=run.info.run_id,
                                 synchronous=False)
            await aio.set_tag(f"request.{i}", "ok", synchronous=False)
            turn[i + 1].set()

        async with anyio.create_task_group() as tg:
            for i in range(600):
                tg.start_soon(request, i)
        assert yields == []
        await aio.flush()
    assert len(mlflow.MlflowClient().get_metric_history(run.info.run_id, "latency")) == 600
    assert mlflow.get_run(run.info.run_id).data.tags["request.599"] == "ok"
