"""Ids of the rows that link datasets to runs (``datasets.dataset_uuid``,
``inputs.input_uuid``): 32 hex digits, as MLflow stores its ``uuid4().hex``.

These columns are indexed, and random keys scatter one ``log_inputs`` of a hundred
datasets over every leaf page of four indexes, so the commit writes the whole index
again once the tables have grown.  We hand out UUIDv7s instead (RFC 9562: the Unix time
in milliseconds first, then random bits): the rows of one call sit next to each other,
at the end of each index.  MLflow only ever compares these ids for equality.
"""

from __future__ import annotations

import os
import time

# RFC 9562 method 1: the last 16 of rand_b's 62 bits count the ids of one head, whose
# other 46 bits (and rand_a's 12) are random.
_PER_HEAD = 1 << 16
_VARIANT = 0b10 << 46  # the variant bits, above the 46 random bits of rand_b
_BYTE_HEX = [f"{n:02x}" for n in range(256)]  # (a format per id costs more than the rest)


def _head() -> str:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(8), "big")  # 12 bits of rand_a, 46 of rand_b
    return f"{millis & 0xFFFF_FFFF_FFFF:012x}7{rand >> 52:03x}" \
           f"{_VARIANT | (rand & ((1 << 46) - 1)):012x}"


def ordered_ids(count: int) -> list[str]:
    """``count`` distinct UUIDv7s as 32 hex digits (up to 65,536 in a row in increasing
    order)."""
    ids: list[str] = []
    while len(ids) < count:
        head = _head()
        ids += [head + _BYTE_HEX[n >> 8] + _BYTE_HEX[n & 255]
                for n in range(min(count - len(ids), _PER_HEAD))]
    return ids
