"""The durability layer of the remote transport: an append-only on-disk journal.

When the tracking server stays unreachable, run data goes here instead of being dropped
or blocking the training loop; it is replayed, in order, once the server answers again:
by the same process, by the next process that logs to the same server, or by
``aiomlflow sync``.

Layout (one directory per tracking server, so two servers never mix)::

    <AIOMLFLOW_SPOOL_DIR or ~/.cache/aiomlflow/spool>/<server key>/
        server.json                  {"uri": "http://host:5000"}  (never credentials)
        <time_ns>-<pid>-<rand>.seg   one segment per writing process, append-only
        <time_ns>-<pid>-<rand>.ack   replay progress of that segment (byte offset)
        rejects.jsonl                replayed operations the server rejected: one JSON
                                     line each (time, run_id, op, error_code, message),
                                     written before the ack; never compacted

Records.  A segment is a sequence of lines ``<crc32:8 hex> <n> <json>\\n``: ``n`` is
the number of operations in the record, ``json`` (orjson) is ``[run_id, [op, ...]]``
and the CRC covers ``<n> <json>``.  orjson never writes a raw newline, so a line is a
record.  A line cut short by a crash (no newline at the end of a dead writer's
segment) is ignored on replay; a complete line whose CRC does not match is skipped
with a warning.  The first line of a segment is a header record (``n`` = 0).  Only
run data is journaled (metrics, params, tags, tag deletions): queued calls such as
create_run or end_run still need the server.

Crash safety and fsync policy.  ``append`` writes a record with one ``write`` on an
O_APPEND descriptor and then fsyncs the segment (one fsync per append; the remote
transport appends whole per-run batches, so this is one fsync per thousands of
operations).  A process killed at any point therefore loses nothing ``append``
returned for, and a power cut loses at most the record being written.  New segments
and deletions also fsync the directory.

Threads.  On an event loop, every disk access goes through ``anyio.to_thread``, so
an fsync never stalls the loop: ``append_async`` (appends keep the order of the calls:
an asyncio lock queues them), replay's big reads, acks, deletions and adoption.  A
record counts as pending from the moment its append begins, and replay reads only up
to the end of the last record fully written (``_Segment.end``), so a replayer never
sends half a record, never deletes a segment an append is writing to, and never
declares the journal empty while an append is still on its way.

Disk cap.  The records a journal holds that the server has not acknowledged may take
at most ``max_bytes`` (AIOMLFLOW_JOURNAL_MAX_BYTES, 1 GiB); an append that would pass
it fails with RESOURCE_EXHAUSTED and writes nothing.  Adopted segments count from the
moment they are adopted, so a restarted process knows what the journal holds.

Two processes.  Every segment is owned by the process holding an exclusive ``flock``
on it: its writer while it lives, then whoever adopts it.  A replayer only touches
segments it could lock, so a live process's journal is never replayed behind its
back, and a dead process's journal is adopted by the next process (the kernel drops a
dead process's locks).  Writers never share a file, so records never interleave.  A
forked child closes the descriptors it inherited and starts its own journal.

Replay progress.  After the server acknowledged a group of records, their end offset
is written to the segment's ``.ack`` file (write to a temporary file, fsync, rename).
A segment is deleted (segment first, then its ``.ack``) only once everything in it
was acknowledged.  A crash during replay therefore re-sends at most the one group
that was in flight when it died (at-least-once for that group, and MLflow's SQL
stores ignore a metric row that is logged again identically); nothing acknowledged
is ever sent twice, and nothing unacknowledged is lost.  (Likewise a direct delivery
that was cut short is journaled whole, including any part the server already took.)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import math
import os
import secrets
import threading
import time
import weakref
import zlib
from urllib.parse import urlsplit

import anyio.to_thread
import orjson

from ...config import journal_max_bytes
from ...config import spool_dir as _default_spool_dir
from ...exceptions import ERROR_CODES, MlflowException
from ...batches import BATCH, DELETE_TAG, LINKED, METRIC, PARAM, TERMINATE

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: The journal needs POSIX file locks and positional reads; elsewhere the REST transport
#: runs without one (undeliverable operations then fail, as they would in MLflow).
SUPPORTED = fcntl is not None and hasattr(os, "pread")

_logger = logging.getLogger("aiomlflow")

FORMAT_VERSION = 1
_SEG = ".seg"
_ACK = ".ack"
REJECTS = "rejects.jsonl"  # replayed operations the server refused (append-only, never compacted)
_READ_CHUNK = 4 << 20  # bytes parsed per read during replay
_INLINE_READ = 64 << 10  # replay reads more than this in a worker thread

# --------------------------------------------------------------------------- naming


def redact_uri(uri: str) -> str:
    """``uri`` without credentials, query or fragment; scheme and host lower-cased."""
    parts = urlsplit(uri.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def server_key(uri: str) -> str:
    """The directory name of a tracking server's journal: a hash of its redacted URI."""
    return hashlib.sha256(redact_uri(uri).encode()).hexdigest()[:16]


def journal_dir(uri: str, spool_dir: str | None = None) -> str:
    """Where the journal of the server at ``uri`` lives."""
    return os.path.join(spool_dir or _default_spool_dir(), server_key(uri))


def list_servers(spool_dir: str | None = None) -> list[tuple[str, str]]:
    """``(uri, directory)`` of every server with a journal directory under ``spool_dir``."""
    root = spool_dir or _default_spool_dir()
    found = []
    with contextlib.suppress(FileNotFoundError):
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name)
            try:
                with open(os.path.join(path, "server.json"), "rb") as f:
                    uri = orjson.loads(f.read())["uri"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            found.append((uri, path))
    return found


# --------------------------------------------------------------------------- encoding
# Operations are stored without their (process-local) sequence number or run id:
#   METRIC [0, key, value, ts, step]   PARAM [1, key, value]   DELETE_TAG [3, key]
#   BATCH  [2, [[key, value, ts, step], ...], [[key, value], ...], [[key, value], ...]]
#   LINKED [5, [[key, value, ts, step, model_id, dataset_name, dataset_digest], ...], params,
#           tags]  (as BATCH; the links are null when unset)
# Non-finite metric values are stored as the strings "NaN", "Infinity", "-Infinity"
# (JSON has no such numbers; metric values are otherwise always numbers).


def _enc_value(value):
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _dec_value(value):
    return float(value) if type(value) is str else value


def encode_op(op: tuple) -> list:
    """The journal form of one engine operation tuple ``(seq, kind, run_id, ...)``."""
    kind = op[1]
    if kind == METRIC:
        return [METRIC, op[3], _enc_value(op[4]), op[5], op[6]]
    if kind == PARAM:
        return [PARAM, op[3], op[4]]
    if kind == BATCH:
        return [BATCH, [[k, _enc_value(v), ts, step] for k, v, ts, step in op[3]],
                [list(p) for p in op[4]], [list(t) for t in op[5]]]
    if kind == LINKED:
        return [LINKED, [[m[0], _enc_value(m[1]), *m[2:]] for m in op[3]],
                [list(p) for p in op[4]], [list(t) for t in op[5]]]
    if kind == DELETE_TAG:
        return [DELETE_TAG, op[3]]
    if kind == TERMINATE:
        return [TERMINATE, op[3], op[4]]
    raise ValueError(f"operation kind {kind} is not run data and cannot be journaled")


def decode_op(item: list, seq: int, run_id: str) -> tuple:
    """An engine operation tuple from its journal form (with a fresh sequence number)."""
    kind = item[0]
    if kind == METRIC:
        return (seq, METRIC, run_id, item[1], _dec_value(item[2]), item[3], item[4])
    if kind == PARAM:
        return (seq, PARAM, run_id, item[1], item[2])
    if kind == BATCH:
        return (seq, BATCH, run_id,
                tuple((k, _dec_value(v), ts, step) for k, v, ts, step in item[1]),
                tuple((k, v) for k, v in item[2]), tuple((k, v) for k, v in item[3]))
    if kind == LINKED:
        return (seq, LINKED, run_id,
                tuple((m[0], _dec_value(m[1]), *m[2:]) for m in item[1]),
                tuple((k, v) for k, v in item[2]), tuple((k, v) for k, v in item[3]))
    if kind == DELETE_TAG:
        return (seq, DELETE_TAG, run_id, item[1])
    if kind == TERMINATE:
        return (seq, TERMINATE, run_id, item[1], item[2])
    raise ValueError(f"unknown journaled operation kind {kind!r}")


def _line(n: int, payload: bytes) -> bytes:
    body = b"%d %s" % (n, payload)
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _parse_line(line: bytes):
    """``(n, payload)`` of a complete line, or None when it is damaged."""
    if len(line) < 11 or line[8:9] != b" ":
        return None
    body = line[9:]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        n_raw, payload = body.split(b" ", 1)
        return int(n_raw), payload
    except ValueError:
        return None


def _fsync_dir(path: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --------------------------------------------------------------------------- journal


class _Segment:
    """One locked segment file: ours to append to (``writable``) or adopted."""

    __slots__ = ("name", "path", "ack_path", "fd", "writable", "acked", "end", "pending_ops",
                 "pending_records", "appending")

    def __init__(self, directory: str, name: str, fd: int, writable: bool):
        self.name = name
        self.path = os.path.join(directory, name + _SEG)
        self.ack_path = os.path.join(directory, name + _ACK)
        self.fd = fd
        self.writable = writable
        self.acked = 0  # bytes of the file acknowledged (or skipped), header included
        self.end = 0  # bytes of complete records in the file (its size when adopted)
        self.pending_ops = 0
        self.pending_records = 0
        self.appending = False  # an append is writing past ``end``: not to be deleted

    def size(self) -> int:
        return os.fstat(self.fd).st_size


class _Ticket:
    """One append on its way: counted as pending until it is written or has failed."""

    __slots__ = ("ops", "written")

    def __init__(self, ops: int):
        self.ops = ops
        self.written = False


_open_journals: "weakref.WeakSet[Journal]" = weakref.WeakSet()


class Journal:
    """The append-only journal of run-data operations for one tracking server.

    ``append`` may be called from any thread; ``append_async`` and ``replay`` run on
    an event loop (one replay at a time per journal) and do their disk work in worker
    threads.  Counters: ``appended_records`` grows with every append begun or record
    adopted, ``done_records`` with every record acknowledged by the server or skipped
    as damaged, and every append that failed.
    """

    def __init__(self, server_uri: str, spool_dir: str | None = None, *, fsync: bool = True,
                 max_bytes: int | None = None):
        self.uri = redact_uri(server_uri)
        self.directory = journal_dir(server_uri, spool_dir)
        self.fsync = fsync
        # Unacknowledged bytes this journal may hold (AIOMLFLOW_JOURNAL_MAX_BYTES).
        self.max_bytes = journal_max_bytes() if max_bytes is None else max_bytes
        # _lock guards the in-memory state and is never held across slow I/O, so the
        # event loop may take it while a worker thread fsyncs.
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()  # one append at a time: records never interleave
        self._scan_lock = threading.Lock()  # one adoption pass at a time
        self._rejects_lock = threading.Lock()
        self._alock: asyncio.Lock | None = None  # orders append_async calls (see _async_lock)
        self._alock_loop = None
        self._inflight = 0  # appends begun and not finished
        self._inflight_ops = 0  # their operations, not yet in a segment's pending_ops
        self._segments: dict[str, _Segment] = {}  # locked by us, replay in name order
        self._writer: _Segment | None = None
        self._busy: set[str] = set()  # segments locked by another live process
        self._closed = False
        self._pid = os.getpid()
        self.appended_records = 0
        self.done_records = 0
        self.skipped_records = 0
        _open_journals.add(self)

    def __repr__(self) -> str:
        return f"<Journal {self.uri} at {self.directory}: {self.pending_ops()} pending>"

    # ----------------------------------------------------------------- writing
    def append(self, run_id: str, ops) -> None:
        """Durably record ``ops`` (engine operation tuples of one run, in order).

        Blocks for the write and the fsync (on an event loop, use ``append_async``).
        Raises MlflowException RESOURCE_EXHAUSTED, recording nothing, when the record
        would take the journal past ``max_bytes``.
        """
        ops = list(ops)
        if not ops:
            return
        ticket = self._begin(len(ops))
        try:
            self._write(run_id, ops, ticket)
        finally:
            self._end(ticket)

    async def append_async(self, run_id: str, ops) -> None:
        """``append`` with the encoding, write and fsync in a worker thread.

        The event loop keeps running meanwhile; concurrent calls are recorded in the
        order they were made.
        """
        ops = list(ops)
        if not ops:
            return
        ticket = self._begin(len(ops))  # pending from now on: replay and flush wait for it
        try:
            async with self._async_lock():  # FIFO: the records keep the order of the calls
                await anyio.to_thread.run_sync(self._write, run_id, ops, ticket)
        finally:
            self._end(ticket)

    async def wait_appends(self) -> None:
        """Return once every ``append_async`` begun before this call has finished."""
        if self._inflight:
            async with self._async_lock():  # queued behind them
                pass

    def appends_in_flight(self) -> int:
        """Appends begun and not finished yet."""
        return self._inflight

    def _async_lock(self) -> asyncio.Lock:
        # An asyncio lock belongs to one loop; a journal outlives a loop in tests and in
        # ``aiomlflow sync``, which runs one loop per server.
        loop = asyncio.get_running_loop()
        if self._alock is None or self._alock_loop is not loop:
            self._alock, self._alock_loop = asyncio.Lock(), loop
        return self._alock

    def _begin(self, n_ops: int) -> _Ticket:
        with self._lock:
            self._check_open()
            self._inflight += 1
            self._inflight_ops += n_ops
            self.appended_records += 1  # a settle() begun now waits for this record too
        return _Ticket(n_ops)

    def _end(self, ticket: _Ticket) -> None:
        with self._lock:
            self._inflight -= 1
            if not ticket.written:  # failed: nothing to replay, nothing to wait for
                self._inflight_ops -= ticket.ops
                self.done_records += 1

    def _write(self, run_id: str, ops: list, ticket: _Ticket) -> None:
        """Encode, write and fsync one record (blocking; any thread)."""
        payload = orjson.dumps([run_id, [encode_op(op) for op in ops]])
        data = _line(len(ops), payload)
        with self._write_lock:
            with self._lock:
                self._check_open()
                used = self.used_bytes()
                if used + len(data) > self.max_bytes:
                    raise self._full(used, len(data), len(ops), run_id)
                seg = self._writer
                if seg is not None:
                    seg.appending = True
            if seg is None:
                seg = self._new_segment()  # registered with appending set
            start = seg.end  # our own segment: its size
            try:
                written = os.write(seg.fd, data)
                if written != len(data):
                    raise OSError(errno.EIO, f"short write to {seg.path}")
                if self.fsync:
                    os.fsync(seg.fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(seg.fd, start)  # leave no partial record behind
                with self._lock:
                    seg.appending = False
                raise
            with self._lock:  # visible to replay only now, whole and durable
                seg.end = start + len(data)
                seg.appending = False
                seg.pending_ops += len(ops)
                seg.pending_records += 1
                self._inflight_ops -= len(ops)
                ticket.written = True

    def used_bytes(self) -> int:
        """Bytes of records not yet acknowledged in the segments this journal owns."""
        with self._lock:
            return sum(max(0, seg.end - seg.acked) for seg in self._segments.values())

    def _full(self, used: int, size: int, n_ops: int, run_id: str) -> MlflowException:
        return MlflowException(
            f"The journal at {self.directory} is full: {used} bytes of operations not yet "
            f"sent to {self.uri} are kept there and {n_ops} more operation(s) of run "
            f"{run_id} ({size} bytes) would pass its cap of {self.max_bytes} bytes "
            "(AIOMLFLOW_JOURNAL_MAX_BYTES), so they were not journaled; what the journal "
            "already holds is safe. Run `aiomlflow sync --tracking-uri "
            f"{self.uri}` once the server is back (a running process also replays it by "
            "itself when the server answers), or raise AIOMLFLOW_JOURNAL_MAX_BYTES.",
            ERROR_CODES["RESOURCE_EXHAUSTED"])

    def _new_segment(self) -> _Segment:
        # Called by _write, holding _write_lock (not _lock: this does slow I/O).
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        self._write_server_file()
        name = f"{time.time_ns():020d}-{os.getpid()}-{secrets.token_hex(3)}"
        path = os.path.join(self.directory, name + _SEG)
        # Created, locked and given its header under a name no scanner looks at, then
        # renamed: a replayer never sees a segment its writer does not hold yet.
        tmp = path + ".new"
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            header = orjson.dumps({"journal": FORMAT_VERSION, "uri": self.uri, "pid": os.getpid(),
                                   "created": time.time()})
            os.write(fd, _line(0, header))
            if self.fsync:
                os.fsync(fd)
            os.rename(tmp, path)
            if self.fsync:
                _fsync_dir(self.directory)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        seg = _Segment(self.directory, name, fd, writable=True)
        seg.acked = seg.end = seg.size()  # the header needs no replay
        seg.appending = True
        with self._lock:
            self._segments[name] = seg
            self._writer = seg
        return seg

    def _write_server_file(self) -> None:
        path = os.path.join(self.directory, "server.json")
        if os.path.exists(path):
            return
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(orjson.dumps({"uri": self.uri}))
        os.replace(tmp, path)

    # ----------------------------------------------------------------- rejects
    @property
    def rejects_path(self) -> str:
        """The append-only file of replayed operations the server rejected."""
        return os.path.join(self.directory, REJECTS)

    def record_rejects(self, run_id: str, rejects) -> None:
        """Durably append ``rejects`` (``[(op, error)]``) to ``rejects.jsonl``.

        Called before the replayed group is acknowledged, so a rejected operation is
        always either still in a segment or in this file.
        """
        now = time.time()
        data = b"".join(
            orjson.dumps({"time": now, "run_id": run_id, "op": encode_op(op),
                          "error_code": getattr(error, "error_code", None) or type(error).__name__,
                          "message": getattr(error, "message", None) or str(error)}) + b"\n"
            for op, error in rejects)
        if not data:
            return
        with self._rejects_lock:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            created = not os.path.exists(self.rejects_path)
            fd = os.open(self.rejects_path,
                         os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
            try:
                # One write on O_APPEND: lines of two processes never mix.
                if os.write(fd, data) != len(data):
                    raise OSError(errno.EIO, f"short write to {self.rejects_path}")
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            if created and self.fsync:
                _fsync_dir(self.directory)  # else a power cut could lose the new file

    def rejects_summary(self) -> tuple[int, dict | None]:
        """``(count, latest entry)`` of ``rejects.jsonl``, streamed (it is never compacted)."""
        count, last = 0, b""
        try:
            with open(self.rejects_path, "rb") as f:
                tail = b""
                while chunk := f.read(_READ_CHUNK):
                    count += chunk.count(b"\n")
                    lines = (tail + chunk).rsplit(b"\n", 2)
                    tail = lines[-1]
                    if len(lines) > 1 and lines[-2]:
                        last = lines[-2]
        except FileNotFoundError:
            return 0, None
        try:
            latest = orjson.loads(last) if last else None
        except ValueError:
            latest = None
        return count, latest

    # ----------------------------------------------------------------- adopting
    def scan(self) -> None:
        """Lock (adopt) every segment no live process holds: journals of dead processes.

        Blocking (it reads what it adopts): on an event loop, run it in a thread.
        """
        with self._scan_lock:
            with self._lock:
                self._check_open()
            try:
                names = os.listdir(self.directory)
            except FileNotFoundError:
                return
            segs = {n[:-len(_SEG)] for n in names if n.endswith(_SEG)}
            busy = set()
            for name in sorted(segs):
                with self._lock:
                    if name in self._segments:
                        continue
                if self._try_adopt(name) is None:
                    busy.add(name)
            with self._lock:
                # Less our own: a segment our writer created during the scan.
                self._busy = (busy & segs) - set(self._segments)
            for n in names:
                path = os.path.join(self.directory, n)
                if n.endswith(_ACK) and n[:-len(_ACK)] not in segs:
                    # Its segment is gone: a crash between the two unlinks.
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                elif n.endswith(_SEG + ".new"):
                    self._drop_unborn(path)

    @staticmethod
    def _drop_unborn(path: str) -> None:
        """Remove a segment its writer died creating (it holds no record)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.unlink(path)
        except OSError:  # being created right now, or already gone
            pass
        finally:
            os.close(fd)

    def _try_adopt(self, name: str) -> _Segment | None:
        path = os.path.join(self.directory, name + _SEG)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # The previous owner may have deleted it between our open and our lock.
            st, now = os.fstat(fd), os.stat(path)
            if (st.st_ino, st.st_dev) != (now.st_ino, now.st_dev):
                raise FileNotFoundError(path)
        except (BlockingIOError, FileNotFoundError):
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        seg = _Segment(self.directory, name, fd, writable=False)
        try:
            seg.end = seg.size()  # counts toward max_bytes from now on (minus what is acked)
            seg.acked = self._read_ack(seg)
            self._count_pending(seg)  # not registered yet: reads outside _lock are safe
        except BaseException:
            os.close(fd)
            raise
        with self._lock:
            self._segments[name] = seg
            self.appended_records += seg.pending_records
        return seg

    def _read_ack(self, seg: _Segment) -> int:
        try:
            with open(seg.ack_path, "rb") as f:
                return int(f.read().split()[0])
        except FileNotFoundError:
            return 0
        except (OSError, ValueError, IndexError):
            _logger.warning("unreadable replay progress %s; replaying %s from its start",
                            seg.ack_path, seg.path)
            return 0

    def _count_pending(self, seg: _Segment) -> None:
        ops = records = 0
        offset = seg.acked
        while True:
            found = self._records(seg, offset, _READ_CHUNK)
            if not found:
                break
            if offset == 0 and found[0][1] == 0 and found[0][2] is not None:
                seg.acked = found[0][0]  # the header: nothing to replay, not counted as used
            for _, n, payload in found:
                if n and payload is not None:
                    ops += n
                    records += 1
            offset = found[-1][0]
        seg.pending_ops, seg.pending_records = ops, records

    def _records(self, seg: _Segment, offset: int, limit: int) -> list:
        """``(end_offset, n, payload)`` of the complete lines in about ``limit`` bytes
        from ``offset`` (more if one line is longer); ``payload`` is None for a damaged
        line.  An empty list: no complete line left (at most a torn tail)."""
        while True:
            with self._lock:
                size, fd = seg.end, seg.fd  # whole records only: never one being written
            if fd < 0 or offset >= size:
                return []
            want = min(size - offset, limit)
            chunk = os.pread(fd, want, offset)
            end = chunk.rfind(b"\n")
            if end >= 0:
                break
            if want >= size - offset:
                return []  # a torn tail
            limit *= 2  # one line longer than the chunk: read more
        found = []
        pos = 0
        while pos <= end:
            nl = chunk.index(b"\n", pos)
            parsed = _parse_line(chunk[pos:nl])
            found.append((offset + nl + 1, *(parsed if parsed else (0, None))))
            pos = nl + 1
        return found

    # ----------------------------------------------------------------- state
    def pending(self) -> bool:
        """Whether this journal holds operations not yet acknowledged (adopts orphans)."""
        self.scan()
        return self.pending_ops() > 0

    def pending_ops(self) -> int:
        """Operations waiting in the segments this journal owns, or being appended (no scan)."""
        with self._lock:
            return sum(seg.pending_ops for seg in self._segments.values()) + self._inflight_ops

    def busy_segments(self) -> int:
        """Segments of this server held by other live processes (seen at the last scan)."""
        return len(self._busy)

    def files(self) -> list[str]:
        """Paths of the segments this journal owns."""
        with self._lock:
            return [seg.path for seg in self._segments.values()]

    # ----------------------------------------------------------------- replay
    async def replay(self, send, *, max_ops: int = 10_000, progress=None) -> int:
        """Send every pending operation, oldest segment first, in order; return how many.

        ``await send(run_id, ops)`` delivers the operations of consecutive records of one
        run (at most ``max_ops`` unless a single record is larger) and raises if they
        were not delivered: replay then stops, keeping them and everything after them
        for the next call.  ``progress(n)`` is called with the running count.
        """
        await anyio.to_thread.run_sync(self.scan)
        sent = 0
        while True:
            with self._lock:
                self._check_open()
                order = sorted(self._segments)
            if not order:
                return sent
            progressed = False
            for name in order:
                seg = self._segments.get(name)
                if seg is None:
                    continue
                n = await self._replay_segment(seg, send, max_ops, progress, sent)
                if n:
                    sent += n
                    progressed = True
            if not progressed:  # everything we own is acknowledged (finished ones deleted)
                return sent

    async def _replay_segment(self, seg, send, max_ops, progress, base) -> int:
        sent = 0
        while True:
            decoded = await self._read(seg, seg.acked)
            if not decoded:
                await anyio.to_thread.run_sync(self._finish_if_done, seg)
                return sent
            i = 0
            while i < len(decoded):
                end, n, record = decoded[i]
                if record is None:  # the header, or a damaged record (skipped)
                    await anyio.to_thread.run_sync(self._ack, seg, end, n, 1 if n else 0)
                    i += 1
                    continue
                # Consecutive records of the same run go out together.
                run_id, ops = record
                ops = list(ops)
                count, j = n, i + 1
                while j < len(decoded):
                    end_j, n_j, record_j = decoded[j]
                    if record_j is None or record_j[0] != run_id or count + n_j > max_ops:
                        break
                    ops += record_j[1]
                    count += n_j
                    end = end_j
                    j += 1
                ops = [(k, *op[1:]) for k, op in enumerate(ops, 1)]
                await send(run_id, ops)
                await anyio.to_thread.run_sync(self._ack, seg, end, count, j - i)
                sent += count
                if progress is not None:
                    progress(base + sent)
                i = j

    async def _read(self, seg: _Segment, offset: int) -> list:
        """``(end_offset, n, (run_id, ops) or None)`` of the records from ``offset``,
        read and parsed in a worker thread unless there is little to read."""
        with self._lock:
            big = seg.end - offset > _INLINE_READ
        if big:
            return await anyio.to_thread.run_sync(self._read_decoded, seg, offset)
        return self._read_decoded(seg, offset)

    def _read_decoded(self, seg: _Segment, offset: int) -> list:
        return [(end, n, self._decode(seg, n, payload))
                for end, n, payload in self._records(seg, offset, _READ_CHUNK)]

    def _decode(self, seg: _Segment, n: int, payload):
        """``(run_id, ops)`` of a record, or None for the header or a damaged record."""
        if payload is None or n == 0:
            if payload is None:
                self.skipped_records += 1
                _logger.warning("skipped a damaged record in %s", seg.path)
            return None
        try:
            run_id, items = orjson.loads(payload)
            ops = [decode_op(item, 0, run_id) for item in items]
            if len(ops) != n or not isinstance(run_id, str):
                raise ValueError("operation count does not match")
            return run_id, ops
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            self.skipped_records += 1
            _logger.warning("skipped an unreadable record in %s: %s", seg.path, exc)
            return None

    def _ack(self, seg: _Segment, offset: int, ops: int, records: int) -> None:
        """Durably note that ``seg`` is acknowledged up to ``offset`` (blocking)."""
        with self._lock:
            if seg.fd < 0:
                return
        tmp = seg.ack_path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b"%d\n" % offset)
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, seg.ack_path)
        with self._lock:  # on disk first: memory never claims more than a restart finds
            seg.acked = offset
            seg.pending_ops = max(0, seg.pending_ops - ops)
            seg.pending_records = max(0, seg.pending_records - records)
            self.done_records += records

    def _finish_if_done(self, seg: _Segment) -> None:
        """Delete a segment whose every complete record is acknowledged (blocking).

        Our own segment is done when acknowledged to its end and no append is writing
        to it (the next append starts a new one); an adopted one may end in a torn
        record, which is dropped.
        """
        with self._lock:
            if seg.fd < 0 or seg.appending:
                return
            torn = seg.end - seg.acked
            if torn > 0 and seg.writable:
                return  # cannot happen (appends are whole lines); keep it to be safe
            # Forgotten first: no append picks it from now on.
            del self._segments[seg.name]
            if self._writer is seg:
                self._writer = None
            fd, seg.fd = seg.fd, -1
        try:
            if torn > 0:
                _logger.warning("ignored a torn record (%d bytes) at the end of %s",
                                torn, seg.path)
            os.unlink(seg.path)  # segment first: a leftover .ack alone is harmless
            with contextlib.suppress(FileNotFoundError):
                os.unlink(seg.ack_path)
            if self.fsync:
                _fsync_dir(self.directory)
        finally:
            os.close(fd)  # drops our lock, after the unlink: nobody adopts it meanwhile

    # ----------------------------------------------------------------- lifecycle
    def _check_open(self) -> None:
        if self._closed:
            raise MlflowException(f"the journal at {self.directory} is closed")
        if self._pid != os.getpid():
            raise MlflowException("a journal cannot be used in a forked child process")

    def close(self) -> None:
        """Release the segments (unreplayed data stays on disk for the next process).

        Waits for an append being written by a thread (the spooler awaits
        ``wait_appends`` first, so the event loop does not wait here).
        """
        with self._write_lock, self._lock:
            if self._closed:
                return
            self._closed = True
            for seg in self._segments.values():
                if seg.fd >= 0:
                    os.close(seg.fd)  # drops the lock
                    seg.fd = -1
            self._segments.clear()
            self._writer = None

    def _forget_after_fork(self) -> None:
        # The child inherited our descriptors (and so shares the parent's locks): close
        # them without touching the files, which still belong to the parent.
        for seg in self._segments.values():
            if seg.fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(seg.fd)
                seg.fd = -1
        self._segments.clear()
        self._writer = None
        self._closed = True
        # A parent's thread may have held any of them at the fork.
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._scan_lock = threading.Lock()
        self._rejects_lock = threading.Lock()
        self._alock = self._alock_loop = None
        self._inflight = self._inflight_ops = 0


def _after_fork_in_child() -> None:
    for journal in list(_open_journals):
        journal._forget_after_fork()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
