"""Unit tests of the remote transport's on-disk journal and of the spooling policy on it.

No server here: ``send`` functions record what they were given.  The end-to-end outage
tests against a real ``mlflow server`` are in test_outage.py.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from aiomlflow.transports.rest import journal as jmod
from aiomlflow.transports.rest.journal import Journal, redact_uri, server_key
from aiomlflow.transports.rest.spooler import Spooler
from aiomlflow.batches import group_by_run
from aiomlflow.batches import BATCH, DELETE_TAG, METRIC, PARAM, TERMINATE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file locks")

URI = "http://127.0.0.1:5999"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def metric(seq, run_id="r1", step=None):
    step = seq if step is None else step
    return (seq, METRIC, run_id, "m", float(step) / 2, 1_000 + step, step)


def steps(sent):
    """Steps of the metric ops in ``sent`` ([(run_id, ops)]), per run, in order."""
    out: dict[str, list] = {}
    for run_id, ops in sent:
        out.setdefault(run_id, []).extend(op[6] for op in ops if op[1] == METRIC)
    return out


class Recorder:
    """A ``send`` that records, and can fail on chosen calls."""

    def __init__(self, fail_on=()):
        self.sent: list = []
        self.calls = 0
        self.fail_on = set(fail_on)

    async def __call__(self, run_id, ops):
        self.calls += 1
        if self.calls in self.fail_on:
            raise ConnectionError("server down")
        self.sent.append((run_id, list(ops)))


def replay(journal, send, **kw):
    return asyncio.run(journal.replay(send, **kw))


def segments(journal):
    try:
        return sorted(n for n in os.listdir(journal.directory) if n.endswith(".seg"))
    except FileNotFoundError:
        return []


def run_script(code: str, *args, check=True, **kw):
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          env=env, capture_output=True, text=True, timeout=120, **kw)
    if check and proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"script failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


# --------------------------------------------------------------------------- naming


def test_server_key_ignores_credentials_and_case():
    assert redact_uri("https://user:secret@Example.COM:8443/mlflow/") == "https://example.com:8443/mlflow"
    assert server_key("http://a:b@HOST:5000") == server_key("http://host:5000/")
    assert server_key("http://host:5000") != server_key("http://host:5001")


def test_spool_dir_setting(monkeypatch, tmp_path):
    from aiomlflow import config

    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(tmp_path / "s"))
    assert config.spool_dir() == str(tmp_path / "s")
    monkeypatch.delenv("AIOMLFLOW_SPOOL_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert config.spool_dir() == str(tmp_path / "cache" / "aiomlflow" / "spool")
    assert Journal(URI).directory == os.path.join(config.spool_dir(), server_key(URI))


def test_server_file_never_holds_credentials(tmp_path):
    j = Journal("http://alice:hunter2@127.0.0.1:5999", str(tmp_path))
    j.append("r1", [metric(1)])
    text = open(os.path.join(j.directory, "server.json")).read()
    assert "hunter2" not in text and "alice" not in text
    assert jmod.list_servers(str(tmp_path)) == [("http://127.0.0.1:5999", j.directory)]
    for path in j.files():
        assert b"hunter2" not in open(path, "rb").read()
    j.close()


# --------------------------------------------------------------------------- append / replay


def test_append_and_replay_every_kind_in_order(tmp_path):
    j = Journal(URI, str(tmp_path))
    assert not j.pending()
    ops = [
        (1, METRIC, "r1", "loss", 0.5, 1000, 0),
        (2, METRIC, "r1", "loss", math.nan, 1001, 1),
        (3, PARAM, "r1", "lr", "0.01"),
        (4, BATCH, "r1", (("a", math.inf, 5, 2), ("b", -math.inf, 6, 3)), (("p", "1"),),
         (("t", "x"), ("u", "")),),
        (5, DELETE_TAG, "r1", "t"),
        (6, METRIC, "r1", "big", 1.5, 2**62, -(2**62)),
        (8, TERMINATE, "r1", "FAILED", 1_700_000_000_123),
    ]
    j.append("r1", ops[:3])
    j.append("r2", [(7, METRIC, "r2", "x", 1.0, 1, 0)])
    j.append("r1", ops[3:])
    assert j.pending() and j.pending_ops() == 8
    rec = Recorder()
    assert replay(j, rec) == 8
    assert [r for r, _ in rec.sent] == ["r1", "r2", "r1"]
    got = [op for _, batch in rec.sent for op in batch]
    want = ops[:3] + [(7, METRIC, "r2", "x", 1.0, 1, 0)] + ops[3:]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g[1:3] == w[1:3]
        assert repr(g[3:]) == repr(w[3:])  # NaN and infinities survive the round trip
    # Replayed ops are valid engine operations: the batcher groups them.
    assert [b.run_id for b in group_by_run(rec.sent[0][1])] == ["r1"]
    assert not j.pending() and j.pending_ops() == 0
    assert segments(j) == []  # fully replayed segments are deleted
    j.close()


def test_consecutive_records_of_one_run_are_sent_together(tmp_path):
    j = Journal(URI, str(tmp_path), fsync=False)
    seq = 0
    for run_id in ["a", "a", "a", "b", "a"]:
        for _ in range(2):
            seq += 1
            j.append(run_id, [metric(seq, run_id)] * 2)
    rec = Recorder()
    assert replay(j, rec, max_ops=8) == 20
    assert [(r, len(ops)) for r, ops in rec.sent] == [("a", 8), ("a", 4), ("b", 4), ("a", 4)]
    j.close()


def test_appends_during_replay_are_replayed_too(tmp_path):
    j = Journal(URI, str(tmp_path), fsync=False)
    j.append("r1", [metric(1)])
    sent = []

    async def send(run_id, ops):
        sent.extend(op[6] for op in ops)
        if len(sent) < 5:  # the process keeps logging while its journal is replayed
            j.append("r1", [metric(len(sent) + 1)])
        await asyncio.sleep(0)

    assert replay(j, send) == 5
    assert sent == [1, 2, 3, 4, 5]
    assert not j.pending() and segments(j) == []
    j.append("r1", [metric(6)])  # a new segment after the old one was finished
    rec = Recorder()
    replay(j, rec)
    assert steps(rec.sent) == {"r1": [6]}
    j.close()


# --------------------------------------------------------------------------- crash safety


def test_torn_tail_of_a_killed_writer_is_ignored(tmp_path):
    # A real crash: the writer dies (SIGKILL) in the middle of writing a record.
    run_script("""
        import os, signal, sys
        from aiomlflow.transports.rest.journal import Journal
        from aiomlflow.batches import METRIC
        j = Journal(sys.argv[1], sys.argv[2])
        for i in range(1, 4):
            j.append("r1", [(i, METRIC, "r1", "m", float(i), i, i)])
        seg = j._writer
        os.write(seg.fd, b'0badc0de 1 ["r1",[[0,"m",4.0,4')   # cut short: no newline
        os.kill(os.getpid(), signal.SIGKILL)
    """, URI, tmp_path)
    j = Journal(URI, str(tmp_path))
    assert j.pending() and j.pending_ops() == 3
    rec = Recorder()
    assert replay(j, rec) == 3
    assert steps(rec.sent) == {"r1": [1, 2, 3]}
    assert segments(j) == [] and not j.pending()
    j.close()


def test_damaged_record_is_skipped_and_the_rest_replayed(tmp_path):
    j = Journal(URI, str(tmp_path))
    for i in range(1, 4):
        j.append("r1", [metric(i)])
    path = j.files()[0]
    j.close()
    data = bytearray(open(path, "rb").read())
    lines = data.split(b"\n")
    lines[2] = lines[2].replace(b'"m"', b'"M"')  # record 2: content no longer matches its CRC
    open(path, "wb").write(b"\n".join(lines))
    j = Journal(URI, str(tmp_path))
    rec = Recorder()
    replay(j, rec)
    assert steps(rec.sent) == {"r1": [1, 3]}
    assert j.skipped_records == 1 and not j.pending()
    j.close()


def test_replay_stops_on_send_failure_and_resumes(tmp_path):
    j = Journal(URI, str(tmp_path))
    for i in range(1, 7):
        j.append("r1" if i % 2 else "r2", [metric(i, "r1" if i % 2 else "r2")])
    rec = Recorder(fail_on={3})
    with pytest.raises(ConnectionError):
        replay(j, rec)
    assert steps(rec.sent) == {"r1": [1], "r2": [2]}
    assert j.pending_ops() == 4
    j.close()  # progress is on disk: a new process resumes where this one stopped
    j = Journal(URI, str(tmp_path))
    assert j.pending_ops() == 0 and j.pending() and j.pending_ops() == 4
    rec2 = Recorder()
    assert replay(j, rec2) == 4
    assert steps(rec2.sent) == {"r1": [3, 5], "r2": [4, 6]}
    assert not j.pending()
    j.close()


_CRASH_REPLAYER = """
    import asyncio, os, signal, sys
    from aiomlflow.transports.rest.journal import Journal
    uri, spool, server_log, kill_at, point = sys.argv[1:6]
    kill_at = int(kill_at)
    j = Journal(uri, spool)
    calls = 0
    def die():
        os.kill(os.getpid(), signal.SIGKILL)
    async def send(run_id, ops):
        global calls
        calls += 1
        if calls == kill_at and point == "before_server_ack":
            die()                      # the request never reached the server
        with open(server_log, "a") as f:   # the server stores the group and answers
            f.write(" ".join(str(op[6]) for op in ops) + "\\n")
            f.flush(); os.fsync(f.fileno())
        if calls == kill_at and point == "before_journal_ack":
            die()                      # answered, but the progress was not saved yet
    def progress(n):
        if calls == kill_at and point == "after_journal_ack":
            die()
    asyncio.run(j.replay(send, max_ops=10, progress=progress))
"""


@pytest.mark.parametrize("point", ["before_server_ack", "after_journal_ack", "before_journal_ack"])
def test_crash_mid_replay_loses_nothing_and_repeats_nothing_acknowledged(tmp_path, point):
    j = Journal(URI, str(tmp_path / "spool"))
    for i in range(100):
        j.append("r1", [metric(i)])
    j.close()
    server_log = tmp_path / "server.log"
    proc = run_script(_CRASH_REPLAYER, URI, tmp_path / "spool", server_log, 4, point)
    assert proc.returncode == -signal.SIGKILL
    first = [int(x) for line in server_log.read_text().split("\n") if line for x in line.split()]
    # The next process resumes from the saved progress.
    j = Journal(URI, str(tmp_path / "spool"))
    rec = Recorder()
    replay(j, rec, max_ops=10)
    assert not j.pending()
    j.close()
    delivered = first + steps(rec.sent).get("r1", [])
    if point == "before_journal_ack":
        # The one documented window: the group in flight when the process died was
        # stored by the server but not yet marked done, so it is sent again (MLflow's SQL
        # stores ignore identical metric rows).  Only that group, and nothing is lost.
        assert first == list(range(40))
        assert delivered == list(range(40)) + list(range(30, 100))
    else:
        assert delivered == list(range(100)), point


def test_crash_of_a_writer_keeps_everything_appended(tmp_path):
    proc = run_script("""
        import os, signal, sys
        from aiomlflow.transports.rest.journal import Journal
        from aiomlflow.batches import METRIC
        j = Journal(sys.argv[1], sys.argv[2])
        for i in range(500):
            j.append("r1", [(i, METRIC, "r1", "m", float(i), i, i)])
        os.kill(os.getpid(), signal.SIGKILL)
    """, URI, tmp_path)
    assert proc.returncode == -signal.SIGKILL
    j = Journal(URI, str(tmp_path))
    rec = Recorder()
    replay(j, rec)
    assert steps(rec.sent) == {"r1": list(range(500))}
    j.close()


# --------------------------------------------------------------------------- two writers


_WRITER = """
    import sys, time
    from aiomlflow.transports.rest.journal import Journal
    from aiomlflow.batches import METRIC
    uri, spool, name, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    j = Journal(uri, spool, fsync=False)
    for i in range(n):
        j.append(name, [(i, METRIC, name, "m", float(i), i, i), (i, METRIC, name, "n", 0.0, i, i)])
    print("written", flush=True)
    sys.stdin.readline()          # stay alive (holding the segment) until told to go
    if sys.argv[5] == "close":
        j.close()
"""


def test_concurrent_writer_processes(tmp_path):
    n = 300
    env = dict(os.environ, PYTHONPATH=REPO)
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(_WRITER), URI, str(tmp_path),
                               f"w{k}", str(n), "close" if k % 2 else "die"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
             for k in range(4)]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "written"
        # While they live, their segments are theirs: nobody else replays them.
        j = Journal(URI, str(tmp_path))
        assert not j.pending() and j.busy_segments() == 4
        rec = Recorder()
        assert replay(j, rec) == 0
        for p in procs:
            p.stdin.write("\n")
            p.stdin.flush()
        for p in procs:
            assert p.wait(30) == 0
        assert j.pending() and j.pending_ops() == 4 * n * 2
        replay(j, rec)
        got = steps(rec.sent)
        assert sorted(got) == [f"w{k}" for k in range(4)]
        for k in range(4):
            assert got[f"w{k}"] == [i for i in range(n) for _ in range(2)]  # each writer in order
        assert segments(j) == [] and j.busy_segments() == 0
        j.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()


def test_threads_appending_to_one_journal(tmp_path):
    j = Journal(URI, str(tmp_path), fsync=False)

    def work(k):
        for i in range(400):
            j.append(f"t{k}", [metric(i, f"t{k}")])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec = Recorder()
    assert replay(j, rec) == 8 * 400
    assert steps(rec.sent) == {f"t{k}": list(range(400)) for k in range(8)}
    j.close()


def test_two_replayers_never_share_a_segment(tmp_path):
    writer = Journal(URI, str(tmp_path))
    for i in range(10):
        writer.append("r1", [metric(i)])
    writer.close()  # the writer is gone; its segment is up for adoption
    a, b = Journal(URI, str(tmp_path)), Journal(URI, str(tmp_path))
    assert a.pending() and a.pending_ops() == 10
    assert not b.pending() and b.busy_segments() == 1  # a holds it
    rec_a, rec_b = Recorder(), Recorder()
    replay(b, rec_b)
    replay(a, rec_a)
    assert rec_b.sent == [] and steps(rec_a.sent) == {"r1": list(range(10))}
    a.close()
    b.close()


def test_forked_child_cannot_use_the_parents_journal(tmp_path):
    j = Journal(URI, str(tmp_path))
    j.append("r1", [metric(1)])
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 0
        try:
            j.append("r1", [metric(2)])
            code = 3
        except Exception:
            pass
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    rec = Recorder()
    replay(j, rec)  # the parent still owns its segment
    assert steps(rec.sent) == {"r1": [1]}
    j.close()


# --------------------------------------------------------------------------- spooler


class FakeServer:
    """A transport-shaped fake: ``send`` delivers while ``up``, else uses the seam."""

    def __init__(self):
        self.up = True
        self.hang = False
        self.received: list = []
        self.spool: Spooler | None = None

    async def send(self, batches):
        failures = []
        for batch in batches:
            if self.hang:
                await asyncio.sleep(3600)
            if not self.up:
                failures += await self.spool.undeliverable(batch.run_id, batch.ops,
                                                           ConnectionError("refused"))
                continue
            self.received.extend((batch.run_id, op[6]) for op in batch.ops if op[1] == METRIC)
        return failures

    async def probe(self):
        return self.up and not self.hang


def make_spooler(tmp_path, server, **kw):
    spool = Spooler(URI, server.send, server.probe, spool_dir=str(tmp_path),
                    probe_interval=0.02, max_probe_interval=0.05, **kw)
    server.spool = spool
    return spool


def batches_of(*ops):
    return group_by_run(list(ops))


def test_spooler_journals_an_outage_and_replays_in_order(tmp_path):
    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        assert await spool.write_runs(batches_of(metric(0), metric(1))) == []
        server.up = False
        assert await spool.write_runs(batches_of(metric(2), metric(3))) == []
        assert spool.diverting and spool.journal.pending_ops() == 2
        # While diverting, later writes queue behind the journal even if the server is back.
        assert await spool.write_runs(batches_of(metric(4))) == []
        assert await spool.settle(timeout=5) is False  # a flush during the outage returns
        server.up = True
        assert await spool.settle(timeout=5) is True
        assert not spool.diverting
        await spool.write_runs(batches_of(metric(5)))  # direct again
        assert server.received == [("r1", i) for i in range(6)]
        assert spool.note() is None
        await spool.close()

    asyncio.run(main())


def test_spooler_diverts_when_the_queue_is_full_and_the_server_is_gone(tmp_path):
    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        spool.backlog = lambda: True  # the engine's queue is full
        server.hang = True  # requests hang in their retry window
        started = time.monotonic()
        assert await spool.write_runs(batches_of(metric(0), metric(1))) == []
        assert time.monotonic() - started < 10
        assert spool.diverting and spool.journal.pending_ops() == 2
        server.hang = False
        assert await spool.settle(timeout=5)
        assert server.received == [("r1", 0), ("r1", 1)]
        await spool.close()

    asyncio.run(main())


def test_spooler_final_settle_keeps_the_rest_on_disk(tmp_path):
    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        server.hang = True
        write = asyncio.ensure_future(spool.write_runs(batches_of(metric(0), metric(1))))
        await asyncio.sleep(0.3)
        assert await spool.settle(timeout=0.5, final=True) is True  # nothing journaled yet...
        assert await write == []  # ...but the stuck delivery was moved to the journal
        assert spool.final and spool.journal.pending_ops() == 2
        assert await spool.write_runs(batches_of(metric(2))) == []  # after giving up: disk
        note = spool.note()
        assert "3 logging operation(s)" in note and spool.journal.directory in note
        assert f"aiomlflow sync --tracking-uri {URI}" in note
        assert "--spool-dir" in note
        await spool.close()

    asyncio.run(main())
    # The next process adopts the journal at open and replays it.

    async def next_process():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        assert spool.diverting
        assert await spool.settle(timeout=5)
        assert server.received == [("r1", 0), ("r1", 1), ("r1", 2)]
        await spool.close()

    asyncio.run(next_process())


def test_spooler_exit_waits_for_a_server_that_comes_back(tmp_path):
    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        server.up = False
        await spool.write_runs(batches_of(metric(0)))
        asyncio.get_running_loop().call_later(0.3, setattr, server, "up", True)
        assert await spool.settle(timeout=10, final=True) is True
        assert not spool.final and server.received == [("r1", 0)]
        await spool.close()

    asyncio.run(main())


def test_replay_rejections_are_kept_in_the_rejects_file_not_retried(tmp_path):
    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        server.up = False
        await spool.write_runs(batches_of(metric(0), metric(1)))
        real_send = server.send

        async def rejecting(batches):
            await real_send(batches)
            return [(batches[0].ops[0][0], ValueError("run deleted"))]

        spool._send_direct = rejecting
        server.up = True
        assert await spool.settle(timeout=5)
        assert spool.rejected == 1 and spool.replayed == 2
        count, latest = spool.journal.rejects_summary()
        assert count == 1 and latest["message"] == "run deleted"
        assert latest["error_code"] == "ValueError" and latest["op"][4] == 0  # step 0
        await spool.close()

    asyncio.run(main())


# --------------------------------------------------------------------------- aiomlflow sync


class FakeTransport:
    server = None

    def __init__(self, uri):
        self.uri = uri

    async def open(self):
        self.spool = make_spooler(self.spool_dir, self.server)
        await self.spool.open()

    async def close(self):
        await self.spool.close()


def test_sync_command_replays_with_a_progress_bar(tmp_path, monkeypatch, capsys):
    from aiomlflow import cli, transports

    j = Journal(URI, str(tmp_path))
    for i in range(50):
        j.append("r1", [metric(i)])
    j.close()
    server = FakeServer()
    FakeTransport.server, FakeTransport.spool_dir = server, tmp_path
    monkeypatch.setattr(transports, "create_transport", FakeTransport)
    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(tmp_path))  # restored after the test
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    server.up = False  # unreachable: nothing is lost, exit status 1
    assert cli.main(["sync", "--tracking-uri", URI, "--spool-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "50 operation(s) remain" in err
    assert server.received == []

    server.up = True
    assert cli.main(["sync", "--spool-dir", str(tmp_path)]) == 0  # every server with a journal
    err = capsys.readouterr().err
    assert "50/50 operations replayed (100%)" in err and "#" * 30 in err
    assert server.received == [("r1", i) for i in range(50)]
    assert cli.main(["sync", "--spool-dir", str(tmp_path)]) == 0


def test_records_longer_than_a_read_chunk(tmp_path, monkeypatch):
    monkeypatch.setattr(jmod, "_READ_CHUNK", 64)  # every record is longer than this
    j = Journal(URI, str(tmp_path), fsync=False)
    for i in range(20):
        j.append("r1", [metric(i)] * 3)
    j.close()
    j = Journal(URI, str(tmp_path))
    assert j.pending() and j.pending_ops() == 60
    rec = Recorder()
    assert replay(j, rec, max_ops=7) == 60
    assert steps(rec.sent) == {"r1": [i for i in range(20) for _ in range(3)]}
    j.close()


def test_an_undecodable_record_is_skipped_not_retried_forever(tmp_path):
    j = Journal(URI, str(tmp_path))
    j.append("r1", [metric(1)])
    path = j.files()[0]
    j.close()
    with open(path, "ab") as f:  # well-formed line, CRC right, content not an operation
        f.write(jmod._line(1, b'["r1",[[9,"what"]]]'))
        f.write(jmod._line(1, b'["r1",[[0,"m",1.0,3,3]]]'))
    j = Journal(URI, str(tmp_path))
    rec = Recorder()
    assert replay(j, rec) == 2
    assert steps(rec.sent) == {"r1": [1, 3]}
    assert j.skipped_records == 1 and not j.pending()
    j.close()


def test_a_waiting_settle_probes_the_server_at_once(tmp_path):
    """A flush (or a read catching up) after the server came back does not wait for the
    replayer's next scheduled probe: it asks for one now."""
    async def main():
        server = FakeServer()
        spool = Spooler(URI, server.send, server.probe, spool_dir=str(tmp_path),
                        probe_interval=60, max_probe_interval=60)
        server.spool = spool
        await spool.open()
        server.up = False
        await spool.write_runs(batches_of(metric(0), metric(1)))
        await asyncio.sleep(0.2)  # the replayer's first probe failed: next one in 60 s
        assert spool.diverting and spool.failed_attempts >= 1
        server.up = True
        started = time.monotonic()
        assert await spool.settle(timeout=30) is True
        assert time.monotonic() - started < 10
        assert server.received == [("r1", 0), ("r1", 1)]
        await spool.close()

    asyncio.run(main())


def test_sync_keeps_rejected_operations_in_the_rejects_file(tmp_path, monkeypatch, capsys):
    import orjson

    from aiomlflow import cli, transports
    from aiomlflow.exceptions import MlflowException

    class RejectingServer(FakeServer):
        async def send(self, batches):
            failures = []
            for batch in batches:
                if batch.run_id == "gone":  # a run deleted while its data was journaled
                    failures += [(op[0], MlflowException(f"Run '{batch.run_id}' not found",
                                                         "RESOURCE_DOES_NOT_EXIST"))
                                 for op in batch.ops]
                else:
                    failures += await super().send([batch])
            return failures

    j = Journal(URI, str(tmp_path))
    j.append("r1", [metric(0)])
    j.append("gone", [metric(1, "gone"), metric(2, "gone")])
    j.close()
    server = RejectingServer()
    FakeTransport.server, FakeTransport.spool_dir = server, tmp_path
    monkeypatch.setattr(transports, "create_transport", FakeTransport)
    monkeypatch.setenv("AIOMLFLOW_SPOOL_DIR", str(tmp_path))  # sync sets it; restored after
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    assert cli.main(["sync", "--tracking-uri", URI, "--spool-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    path = os.path.join(jmod.journal_dir(URI, str(tmp_path)), "rejects.jsonl")
    with open(path, "rb") as f:
        entries = [orjson.loads(line) for line in f.read().splitlines()]
    assert [(e["run_id"], e["op"][4], e["error_code"]) for e in entries] == [
        ("gone", 1, "RESOURCE_DOES_NOT_EXIST"), ("gone", 2, "RESOURCE_DOES_NOT_EXIST")]
    assert "Run 'gone' not found" in entries[0]["message"] and entries[0]["time"] > 0
    assert server.received == [("r1", 0)]
    assert "rejected 2 operation(s)" in err and path in err and "Run 'gone' not found" in err
    assert "dropped" not in err
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.endswith(".seg")]

    # A later sync with nothing to replay still points at rejects of earlier replays.
    assert cli.main(["sync", "--tracking-uri", URI, "--spool-dir", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "2 rejected operation(s) in all" in err and path in err


def test_rejects_summary_streams_the_file(tmp_path, monkeypatch):
    from aiomlflow.exceptions import MlflowException

    monkeypatch.setattr(jmod, "_READ_CHUNK", 7)  # entries span many reads
    j = Journal(URI, str(tmp_path))
    assert j.rejects_summary() == (0, None)
    j.record_rejects("r1", [(metric(i), MlflowException(f"no {i}", "RESOURCE_DOES_NOT_EXIST"))
                            for i in range(5)])
    with open(j.rejects_path, "ab") as f:
        f.write(b'{"torn')  # a writer killed mid-line: not counted
    count, latest = j.rejects_summary()
    assert count == 5 and latest["message"] == "no 4" and latest["run_id"] == "r1"
    j.close()


# --------------------------------------------------------------------------- disk cap


def test_a_full_journal_refuses_appends_until_replay_frees_space(tmp_path):
    from aiomlflow.exceptions import MlflowException

    record = len(jmod._line(1, b'["r1",[[0,"m",0.5,1001,1]]]'))  # one metric record
    j = Journal(URI, str(tmp_path), max_bytes=2 * record)
    j.append("r1", [metric(1)])
    j.append("r1", [metric(2)])
    assert j.used_bytes() == 2 * record
    with pytest.raises(MlflowException) as info:
        j.append("r1", [metric(3)])
    assert info.value.error_code == "RESOURCE_EXHAUSTED"
    message = info.value.message
    assert "is full" in message and j.directory in message and str(2 * record) in message
    assert "AIOMLFLOW_JOURNAL_MAX_BYTES" in message and "aiomlflow sync" in message
    assert j.pending_ops() == 2  # nothing journaled before is lost

    # A restart counts what the segments still hold.
    j.close()
    j = Journal(URI, str(tmp_path), max_bytes=2 * record)
    assert j.pending() and j.used_bytes() == 2 * record
    with pytest.raises(MlflowException, match="is full"):
        j.append("r1", [metric(3)])

    rec = Recorder()
    assert replay(j, rec) == 2 and steps(rec.sent) == {"r1": [1, 2]}
    assert j.used_bytes() == 0
    j.append("r1", [metric(3)])  # replay freed the space
    j.append("r1", [metric(4)])
    assert replay(j, rec) == 2 and steps(rec.sent) == {"r1": [1, 2, 3, 4]}
    j.close()


def test_journal_max_bytes_setting(tmp_path, monkeypatch):
    from aiomlflow.exceptions import MlflowException

    assert Journal(URI, str(tmp_path)).max_bytes == 1 << 30  # 1 GiB by default
    monkeypatch.setenv("AIOMLFLOW_JOURNAL_MAX_BYTES", "5000")
    assert Journal(URI, str(tmp_path)).max_bytes == 5000
    monkeypatch.setenv("AIOMLFLOW_JOURNAL_MAX_BYTES", "lots")
    with pytest.raises(MlflowException, match="AIOMLFLOW_JOURNAL_MAX_BYTES") as info:
        Journal(URI, str(tmp_path))
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_spooler_fails_what_a_full_journal_cannot_take_and_keeps_running(tmp_path):
    record = len(jmod._line(1, b'["r1",[[0,"m",0.5,1001,1]]]'))

    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server, journal=Journal(URI, str(tmp_path),
                                                               max_bytes=2 * record))
        await spool.open()
        server.up = False
        assert await spool.write_runs(batches_of(metric(1), metric(2, "r2"))) == []
        failures = await spool.write_runs(batches_of(metric(3), metric(4, "r2")))
        assert [seq for seq, _ in failures] == [3, 4]  # each run's operation fails
        assert all(e.error_code == "RESOURCE_EXHAUSTED" and "AIOMLFLOW_JOURNAL_MAX_BYTES"
                   in e.message for _, e in failures)
        server.up = True
        assert await spool.settle(timeout=5)
        assert sorted(server.received) == [("r1", 1), ("r2", 2)]  # the journaled data
        server.up = False  # a second outage: the journal has room again
        assert await spool.write_runs(batches_of(metric(5), metric(6, "r2"))) == []
        server.up = True
        assert await spool.settle(timeout=5)
        assert sorted(server.received) == [("r1", 1), ("r1", 5), ("r2", 2), ("r2", 6)]
        await spool.close()

    asyncio.run(main())


# --------------------------------------------------------------------------- off the loop


@pytest.fixture
def slow_fsync(monkeypatch):
    """os.fsync blocks until ``release`` is set; ``started`` is set when one is waiting."""
    started, release = threading.Event(), threading.Event()
    real = os.fsync

    def fsync(fd):
        started.set()
        if not release.wait(5):  # a blocked event loop cannot release it: fail, not hang
            raise OSError(5, "test: fsync was never released")
        real(fd)

    monkeypatch.setattr(jmod.os, "fsync", fsync)
    yield started, release
    release.set()


async def _until(event: threading.Event) -> None:
    while not event.is_set():
        await asyncio.sleep(0.01)


def test_a_slow_fsync_does_not_block_the_event_loop(tmp_path, slow_fsync):
    started, release = slow_fsync

    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        server.up = False
        write = asyncio.ensure_future(spool.write_runs(batches_of(metric(1), metric(2))))
        await _until(started)
        ran = []

        async def other():
            ran.append(True)

        await asyncio.wait_for(other(), 5)  # the loop runs while the append waits on fsync
        assert ran and not write.done()
        assert spool.journal.pending_ops() == 2  # counted while being written
        server.up = True  # the replayer must wait for the record, not send half of it
        settle = asyncio.ensure_future(spool.settle(timeout=30))
        await asyncio.sleep(0)
        release.set()
        assert await write == []
        assert await settle is True
        assert server.received == [("r1", 1), ("r1", 2)]
        await spool.close()

    asyncio.run(main())


def test_close_waits_for_an_append_in_flight(tmp_path, slow_fsync):
    started, release = slow_fsync

    async def main():
        server = FakeServer()
        spool = make_spooler(tmp_path, server)
        await spool.open()
        server.up = False
        write = asyncio.ensure_future(spool.write_runs(batches_of(metric(1))))
        await _until(started)
        close = asyncio.ensure_future(spool.close())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not close.done()
        release.set()
        await close
        assert await write == []

    asyncio.run(main())
    j = Journal(URI, str(tmp_path))
    rec = Recorder()
    assert replay(j, rec) == 1 and steps(rec.sent) == {"r1": [1]}  # on disk, whole
    j.close()


def test_concurrent_async_appends_keep_their_order(tmp_path):
    async def main():
        j = Journal(URI, str(tmp_path))
        await asyncio.gather(*(j.append_async("r1", [metric(i)]) for i in range(40)))
        rec = Recorder()
        assert await j.replay(rec) == 40
        assert steps(rec.sent) == {"r1": list(range(40))}
        j.close()

    asyncio.run(main())
