"""A bounded cross-thread operation queue with backpressure.

Producers append without taking a lock (deque.append is atomic); only a producer that
finds the queue full takes the slow path and waits for the consumer to make room.  The
bound counts operations and, for operations carrying strings (params, tags, batches),
their bytes: a producer reserves them first, the consumer releases them on taking.
"""

from __future__ import annotations

import threading
from collections import deque

from ..batches import payload_bytes


class OperationQueue:
    """Bounded FIFO between caller threads (producers) and the engine loop (consumer)."""

    __slots__ = ("items", "maxsize", "max_bytes", "bytes", "_room", "_waiting")

    def __init__(self, maxsize: int, max_bytes: int):
        self.items: deque = deque()
        self.maxsize = maxsize
        self.max_bytes = max_bytes
        self.bytes = 0  # reserved by queued sized operations (changed under _room)
        # Reentrant: a SIGTERM handler that flushes may interrupt a producer waiting here.
        self._room = threading.Condition(threading.RLock())
        self._waiting = 0

    def __len__(self) -> int:
        return len(self.items)

    def wait_for_room(self, wake, alive) -> None:
        """Block the producer until the queue is below its bound.

        ``wake`` nudges the consumer; ``alive`` tells whether the consumer still runs,
        so a dead engine raises instead of hanging its producers.
        """
        wake()
        with self._room:
            self._waiting += 1
            try:
                while len(self.items) >= self.maxsize:
                    alive()
                    self._room.wait()  # woken by take/take_leading and wake_waiters
            finally:
                self._waiting -= 1

    def reserve(self, size: int, wake, alive) -> None:
        """Count ``size`` bytes for an operation about to be appended; wait while that
        would pass the byte bound (one operation alone may exceed it)."""
        with self._room:
            if self.bytes and self.bytes + size > self.max_bytes:
                wake()
                self._waiting += 1
                try:
                    while self.bytes and self.bytes + size > self.max_bytes:
                        alive()
                        self._room.wait()
                finally:
                    self._waiting -= 1
            self.bytes += size

    def try_reserve(self, size: int) -> bool:
        """reserve() for a producer that must not block: False, and nothing counted,
        when ``size`` more bytes would pass the byte bound now (or another thread holds
        the bound's lock: a signal handler may have interrupted it there)."""
        if not self._room.acquire(blocking=False):
            return False
        try:
            if self.bytes and self.bytes + size > self.max_bytes:
                return False
            self.bytes += size
            return True
        finally:
            self._room.release()

    def _release(self, taken: list) -> None:
        size = sum(payload_bytes(op) for op in taken)
        if size:
            with self._room:
                self.bytes -= size
                self._room.notify_all()

    def wake_waiters(self) -> None:
        """Wake blocked producers to re-check ``alive`` (the consumer stopped)."""
        with self._room:
            self._room.notify_all()

    def take_leading(self, limit: int, accept) -> list:
        """Pop up to ``limit`` operations from the head while ``accept(op)`` holds."""
        items = self.items
        taken: list = []
        while items and len(taken) < limit and accept(items[0]):
            taken.append(items.popleft())
        if self.bytes:
            self._release(taken)
        if taken and self._waiting:
            with self._room:
                self._room.notify_all()
        return taken

    def take(self, limit: int) -> list:
        """Pop up to ``limit`` operations in FIFO order (consumer side)."""
        items = self.items
        n = min(len(items), limit)
        popleft = items.popleft
        taken = [popleft() for _ in range(n)]
        if self.bytes:
            self._release(taken)
        if self._waiting:
            with self._room:
                self._room.notify_all()
        return taken
