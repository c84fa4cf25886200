"""The ``aiomlflow`` console script."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``aiomlflow doctor`` / ``aiomlflow --version``."""
    import aiomlflow

    parser = argparse.ArgumentParser(prog="aiomlflow", description=aiomlflow.__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"aiomlflow {aiomlflow.__version__}")
    commands = parser.add_subparsers(dest="command")
    doctor = commands.add_parser("doctor", help="print debugging information")
    doctor.add_argument("--mask-envs", action="store_true", help="hide environment values")
    args = parser.parse_args(argv)
    if args.command == "doctor":
        aiomlflow.doctor(mask_envs=args.mask_envs)
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
