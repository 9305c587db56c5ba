"""``python -m myagent.devdb serve (--memory | --data DIR)``: run the dev/test database."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from myagent.devdb.launcher import DevServerError, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m myagent.devdb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run SecantusDB until SIGTERM/SIGINT or parent exit")
    storage = serve_parser.add_mutually_exclusive_group(required=True)
    storage.add_argument("--memory", action="store_true", help="in-memory store, gone when the server stops")
    storage.add_argument("--data", type=Path, metavar="DIR", help="persistent data folder (one server per folder)")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve_parser.add_argument("--ready-file", type=Path, metavar="PATH", help="receives the URI once ready")
    serve_parser.add_argument(
        "--owner-pid",
        type=int,
        metavar="PID",
        help="exit once this process is no longer our parent (default: the parent at startup)",
    )
    serve_parser.add_argument(
        "--no-compat",
        dest="compat",
        action="store_false",
        help="skip myagent.devdb.compat (canary tests only: shows SecantusDB's own behaviour)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    storage = ":memory:" if args.memory else str(args.data.resolve())
    try:
        serve(
            storage=storage,
            host=args.host,
            port=args.port,
            ready_file=args.ready_file,
            compat=args.compat,
            owner_pid=args.owner_pid,
        )
    except DevServerError as exc:
        print(f"devdb: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
