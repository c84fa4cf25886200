"""The ``aiomlflow`` console script."""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``aiomlflow doctor`` / ``aiomlflow sync`` / ``aiomlflow --version``."""
    import aiomlflow

    parser = argparse.ArgumentParser(prog="aiomlflow", description=aiomlflow.__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"aiomlflow {aiomlflow.__version__}")
    commands = parser.add_subparsers(dest="command")
    doctor = commands.add_parser("doctor", help="print debugging information")
    doctor.add_argument("--mask-envs", action="store_true", help="hide environment values")
    sync = commands.add_parser(
        "sync", help="send logged data journaled during a tracking-server outage",
        description="Replay the journal of operations that could not reach a tracking server "
                    "(left by a process that exited or died while the server was down).")
    sync.add_argument("--tracking-uri", help="the server to replay to (default: MLFLOW_TRACKING_URI "
                      "if it is http(s), else every server with a journal)")
    sync.add_argument("--spool-dir", help="journal root (default: AIOMLFLOW_SPOOL_DIR or "
                      "~/.cache/aiomlflow/spool)")
    sync.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                      help="keep retrying an unreachable server this long (default: give up at once)")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        aiomlflow.doctor(mask_envs=args.mask_envs)
        return 0
    if args.command == "sync":
        return _sync(args)
    parser.print_help()
    return 0


def _sync(args) -> int:
    import asyncio

    from .transports.rest.journal import list_servers

    if args.spool_dir:
        os.environ["AIOMLFLOW_SPOOL_DIR"] = os.path.abspath(args.spool_dir)
    uris = [args.tracking_uri] if args.tracking_uri else []
    if not uris:
        env_uri = os.environ.get("MLFLOW_TRACKING_URI", "")
        if env_uri.lower().startswith(("http://", "https://")):
            uris = [env_uri]
        else:
            uris = [uri for uri, _ in list_servers()]
    if not uris:
        print("aiomlflow sync: no journal to replay", file=sys.stderr)
        return 0
    status = 0
    for uri in uris:
        try:
            status |= asyncio.run(_sync_one(uri, args.wait))
        except Exception as exc:
            print(f"aiomlflow sync: {uri}: {exc}", file=sys.stderr)
            status = 1
    return status


async def _sync_one(uri: str, wait: float) -> int:
    """Open the server's transport (which adopts its journal and replays it) and report."""
    import asyncio

    from .transports import create_transport

    transport = create_transport(uri)
    await transport.open()
    try:
        spool = getattr(transport, "spool", None)
        if spool is None:
            print(f"aiomlflow sync: {uri} keeps no journal", file=sys.stderr)
            return 0
        journal = spool.journal
        total = journal.pending_ops() + spool.replayed
        busy = journal.busy_segments()
        if busy:
            print(f"aiomlflow sync: {busy} journal file(s) of {spool.uri} belong to running "
                  "processes, which replay them themselves", file=sys.stderr)
        if not spool.diverting and not total:
            print(f"aiomlflow sync: nothing to replay for {spool.uri}", file=sys.stderr)
            _report_rejects(spool)  # rejects of earlier background replays
            return 0
        bar = _ProgressBar(f"sync {spool.uri}", total)
        deadline = time.monotonic() + max(0.0, wait)
        failed_at_start = spool.failed_attempts
        while spool.diverting:
            bar.update(spool.replayed)
            if spool.failed_attempts > failed_at_start and time.monotonic() >= deadline:
                break
            await asyncio.sleep(0.1)
        bar.update(spool.replayed, final=True)
        left = journal.pending_ops()
        _report_rejects(spool)
        if left:
            print(f"aiomlflow sync: {spool.uri} unreachable ({spool.last_error}); {left} operation(s) "
                  f"remain in {journal.directory}", file=sys.stderr)
            return 1
        return 0
    finally:
        await transport.close()


def _report_rejects(spool) -> None:
    """Tell where rejected operations are kept (this sync's and earlier replays')."""
    journal = spool.journal
    kept, latest = journal.rejects_summary()
    if not kept and not spool.rejected:
        return
    latest = latest or {}
    print(f"aiomlflow sync: the server rejected {spool.rejected} operation(s) in this sync; "
          f"{kept} rejected operation(s) in all are kept in {journal.rejects_path}"
          f" (latest: {latest.get('error_code')}: {latest.get('message')})", file=sys.stderr)


class _ProgressBar:
    """A one-line text progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, label: str, total: int, width: int = 30):
        self.label, self.total, self.width = label, total, width
        self.shown = None
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def update(self, done: int, final: bool = False) -> None:
        now = time.monotonic()
        if not final and (done == self.shown or (not self.tty and now - self.last < 1.0)):
            return
        total = max(self.total, done)
        filled = self.width if total == 0 else self.width * done // total
        pct = 100 if total == 0 else 100 * done // total
        line = (f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                f"{done:,}/{total:,} operations replayed ({pct}%)")
        end = "\n" if final or not self.tty else ""
        print(("\r" if self.tty else "") + line, end=end, file=sys.stderr, flush=True)
        self.shown, self.last = done, now


if __name__ == "__main__":
    sys.exit(main())
