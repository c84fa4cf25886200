"""The SQLite transport's connection thread: one call at a time, idle checkpoints.

aiomlflow only.
"""

from __future__ import annotations

import threading

import anyio
import pytest

import aiomlflow
from aiomlflow.batches import METRIC, group_by_run
from aiomlflow.transports.sqlite import transport as sqlite_transport


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    aiomlflow.sdk.fluent._reset_for_tests()


def test_concurrent_calls_take_turns_on_the_one_connection(fresh):
    transport = sqlite_transport.SqliteTransport(f"sqlite:///{fresh}/mlflow.db")
    results, errors = [], []

    async def main():
        await transport.open()
        try:
            run = await transport.create_run("0", "me", 1, [], "r")
            run_id = run.info.run_id

            async def write(n):
                batches = group_by_run([(n, METRIC, run_id, f"m{n}", float(n), 1, 0)])
                results.append(await transport.write_runs(batches))

            async def read():
                try:
                    results.append(await transport.get_run(run_id))
                except Exception as exc:  # pragma: no cover - what the test guards
                    errors.append(exc)

            async with anyio.create_task_group() as tg:
                for n in range(20):
                    tg.start_soon(write, n)
                    tg.start_soon(read)
            return (await transport.get_run(run_id)).data.metrics
        finally:
            await transport.close()

    metrics = anyio.run(main)
    assert errors == []
    assert metrics == {f"m{n}": float(n) for n in range(20)}
    assert sum(1 for r in results if r == []) == 20


def test_the_store_checkpoints_its_wal_when_logging_pauses(fresh, monkeypatch):
    checkpoints = []
    done = threading.Event()
    checkpoint = sqlite_transport.checkpoint

    def spy(db):
        checkpoint(db)
        checkpoints.append(db)
        done.set()

    monkeypatch.setattr(sqlite_transport, "checkpoint", spy)
    aiomlflow.set_tracking_uri(f"sqlite:///{fresh}/mlflow.db")
    with aiomlflow.start_run():
        for step in range(sqlite_transport._IDLE_CHECKPOINT_ROWS + 10):
            aiomlflow.log_metric("loss", 1.0, step=step, synchronous=False)
        # no flush: the engine's worker writes the queue once logging pauses, and then
        # has its idle moment
        assert done.wait(60)
    assert len(checkpoints) == 1
