"""What the linked SQLite library can do, probed once per process."""

from __future__ import annotations

import sqlite3

_json_functions: bool | None = None


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
