"""A bounded cross-thread operation queue with backpressure.

Producers append without taking a lock (deque.append is atomic); only a producer that
finds the queue full takes the slow path and waits for the consumer to make room.
"""

from __future__ import annotations

import threading
from collections import deque


class OperationQueue:
    """Bounded FIFO between caller threads (producers) and the engine loop (consumer)."""

    __slots__ = ("items", "maxsize", "_room", "_waiting")

    def __init__(self, maxsize: int):
        self.items: deque = deque()
        self.maxsize = maxsize
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
                    self._room.wait(0.05)
            finally:
                self._waiting -= 1

    def take_leading(self, limit: int, accept) -> list:
        """Pop up to ``limit`` operations from the head while ``accept(op)`` holds."""
        items = self.items
        taken: list = []
        while items and len(taken) < limit and accept(items[0]):
            taken.append(items.popleft())
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
        if self._waiting:
            with self._room:
                self._room.notify_all()
        return taken
