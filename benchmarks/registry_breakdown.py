#!/usr/bin/env python3
"""Where aiomlflow's search_model_versions time goes, case by case of
benchmarks/registry.py: SQLite (executing the statements and fetching their rows), the
rest of the call (parsing, JSON decoding, building the versions, the collector), and the
caller reading every field of every version.

Usage:
    python benchmarks/registry_breakdown.py                # 10,000 versions, 15 rounds
    python benchmarks/registry_breakdown.py --repeat 30

Times are the calling thread's CPU time (the searches run on it), for the round with the
smallest total.  This looks inside aiomlflow (it wraps the SQLite connection a search is
given), so it has no mlflow column: registry.py is the comparison.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import registry  # noqa: E402  (this directory's benchmark: store, cases, read_all)

clock = time.thread_time


class _TimedCursor:
    def __init__(self, cursor, spent: list):
        self._cursor, self._spent = cursor, spent

    def _timed(self, method, *args):
        start = clock()
        try:
            return method(*args)
        finally:
            self._spent[0] += clock() - start

    def fetchall(self):
        return self._timed(self._cursor.fetchall)

    def fetchmany(self, size):
        return self._timed(self._cursor.fetchmany, size)

    def fetchone(self):
        return self._timed(self._cursor.fetchone)

    def close(self):
        self._cursor.close()


class _TimedConnection:
    """A sqlite3 connection whose execute and fetch calls add to ``spent[0]``."""

    def __init__(self, db, spent: list):
        self._db, self._spent = db, spent

    def execute(self, *args):
        start = clock()
        try:
            return _TimedCursor(self._db.execute(*args), self._spent)
        finally:
            self._spent[0] += clock() - start

    def __getattr__(self, name):
        return getattr(self._db, name)


def breakdown(uri: str, repeat: int) -> dict:
    import aiomlflow as mlflow
    from aiomlflow.transports.sqlite import registry as sqlite_registry

    spent = [0.0]
    search = sqlite_registry.search_registry
    sqlite_registry.search_registry = (
        lambda db, query: search(_TimedConnection(db, spent), query))
    mlflow.set_tracking_uri(uri)
    mlflow.search_model_versions(filter_string=registry.WARM_UP)
    results = {}
    for case, filter_string in registry.CASES.items():
        best = None
        for _ in range(repeat):
            spent[0] = 0.0
            start = clock()
            found = mlflow.search_model_versions(filter_string=filter_string)
            called = clock()
            registry.read_all(found)
            done = clock()
            del found
            row = (done - start, spent[0], called - start - spent[0], done - called)
            if best is None or row[0] < best[0]:
                best = row
        results[case] = best
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="aiomlflow registry search: time by part")
    ap.add_argument("--versions", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        uri = registry.build_store(directory, args.versions)
        results = breakdown(uri, args.repeat)
    print(f"aiomlflow search_model_versions over {args.versions:,} versions, then every "
          f"field read; CPU ms of the best of {args.repeat} rounds")
    print(f"{'case':8} {'total':>8} {'SQLite':>8} {'share':>6} {'rest of call':>13} "
          f"{'reading':>8}")
    for case, (total, sqlite_time, rest, reading) in results.items():
        print(f"{case:8} {total * 1e3:8.2f} {sqlite_time * 1e3:8.2f} "
              f"{sqlite_time / total:6.0%} {rest * 1e3:13.2f} {reading * 1e3:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
