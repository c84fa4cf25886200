"""What the linked SQLite library can do, probed once per process."""

from __future__ import annotations

import random
import sqlite3
import struct

_json_functions: bool | None = None
_json_doubles_exact: bool | None = None


def json_functions() -> bool:
    """Whether SQLite has its JSON functions (json_each, json_extract, json_group_object;
    built in since 3.38, optional before)."""
    global _json_functions
    if _json_functions is None:
        probe = sqlite3.connect(":memory:")
        try:
            probe.execute("SELECT json_group_object('a', json_extract('[7]', '$[0]')) "
                          "FROM json_each('[1]')").fetchall()
            _json_functions = True
        except sqlite3.OperationalError:
            _json_functions = False
        finally:
            probe.close()
    return _json_functions


_json_nests_subquery: bool | None = None


def json_nests_subquery() -> bool:
    """Whether a JSON value a scalar subquery returns (``(SELECT json_group_object(..))``)
    keeps its JSON subtype, so json_array() embeds it as an object rather than a string
    (the subtype does not cross a subquery in every SQLite version)."""
    global _json_nests_subquery
    if _json_nests_subquery is None:
        _json_nests_subquery = False
        if json_functions():
            probe = sqlite3.connect(":memory:")
            try:
                (text,), = probe.execute(
                    "SELECT json_array(1, (SELECT json_group_object('a', 'b')))").fetchall()
                _json_nests_subquery = text == '[1,{"a":"b"}]'
            finally:
                probe.close()
    return _json_nests_subquery


def json_doubles_exact() -> bool:
    """Whether SQLite reads back every double orjson writes, bit for bit.

    The bulk metric insert passes values through JSON text; SQLite's text-to-double
    conversion is exact where it computes in extended precision (x86-64, aarch64) or
    since 3.43, but this checks it on this build rather than trusting that."""
    global _json_doubles_exact
    if _json_doubles_exact is None:
        _json_doubles_exact = json_functions() and _round_trips_exactly()
    return _json_doubles_exact


def _round_trips_exactly() -> bool:
    import orjson

    rng = random.Random(20261127)
    values = [v for v in (struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
                          for _ in range(2000)) if v - v == 0]
    values += [rng.random() * 10.0 ** rng.randint(-30, 30) for _ in range(500)]
    values += [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.1, 1 / 3, -0.0]
    probe = sqlite3.connect(":memory:")
    try:
        # the bulk insert's shape: an array of rows, values read with json_extract
        back = [row[0] for row in probe.execute(
            "SELECT json_extract(value, '$[1]') FROM json_each(?) ORDER BY key",
            (orjson.dumps([(n, v) for n, v in enumerate(values)]),))]
    except sqlite3.Error:
        return False
    finally:
        probe.close()
    pack = struct.Struct("<d").pack
    return len(back) == len(values) and all(
        type(b) is float and pack(a) == pack(b) for a, b in zip(values, back))
