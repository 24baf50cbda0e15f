"""`sse-chat`: open the window, or (`sse-chat serve ...`) run the backend alone.

Top-level imports stay free of Qt so `sse-chat serve` and `--help` never load it.
"""

from __future__ import annotations

import argparse
import difflib
import gc
import sys
from collections.abc import Sequence
from pathlib import Path

from backend.logs import LOG_LEVELS
from desktop import __version__

COMMANDS = ("serve",)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sse-chat",
        usage="%(prog)s [options]\n       %(prog)s serve [serve options]",
        description="SSE Chat: a desktop chat window that streams replies.",
        epilog="commands:\n  serve       run the backend alone: the HTTP API, and a chat page for\n"
        "              your browser at the address it prints (`sse-chat serve --help`)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sse-chat {__version__}")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="where the chat history lives")
    parser.add_argument(
        "--echo-delay",
        type=float,
        metavar="SECONDS",
        help="pause between the echo responder's chunks",
    )
    parser.add_argument(
        "--connect",
        metavar="URL",
        help="use an already running `sse-chat serve` at URL instead of starting one",
    )
    parser.add_argument(
        "--token",
        metavar="T",
        help="the access token for --connect (visible to other users: prefer "
        "$SSE_CHAT_TOKEN or --token-file)",
    )
    parser.add_argument(
        "--token-file", type=Path, metavar="PATH", help="read the --connect token from this file"
    )
    parser.add_argument(
        "--log-level",
        type=str.lower,
        choices=LOG_LEVELS,
        default="warning",
        help="(default warning)",
    )
    parser.add_argument(
        "--install-desktop-entry",
        action="store_true",
        help="add SSE Chat to your desktop's application menu (a user-level .desktop file "
        "and icons that start this very executable), then exit",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="start the backend in a temporary folder (or --data-dir), send one message "
        "through the window, check the reply and the stored history, print the verdict, exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "serve":
        from backend.cli import serve_main

        return int(serve_main(args_list[1:]) or 0)

    parser = build_parser()
    if args_list and not args_list[0].startswith("-"):
        close = difflib.get_close_matches(args_list[0], COMMANDS, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "the only command is 'serve'"
        parser.error(f"unknown command {args_list[0]!r} ({hint})")
    args = parser.parse_args(args_list)
    if args.install_desktop_entry:
        from desktop.desktop_entry import install_desktop_entry

        return install_desktop_entry()
    if args.echo_delay is not None and args.echo_delay < 0:
        parser.error("--echo-delay must be zero or more")
    if (args.token or args.token_file) and not args.connect:
        parser.error("--token and --token-file only make sense with --connect")
    token = ""
    if args.connect:
        from backend.tokens import TokenError, given_token

        try:
            given = given_token(args.token, args.token_file)
        except TokenError as exc:
            parser.error(str(exc))
        for warning in given.warnings:
            sys.stderr.write(f"sse-chat: {warning}\n")
        token = given.token or ""
    if args.connect and (args.data_dir is not None or args.echo_delay is not None):
        parser.error(
            "--data-dir and --echo-delay configure the embedded backend; "
            "they cannot be used with --connect"
        )
    if args.self_test and args.connect:
        parser.error("--self-test starts its own backend; it cannot be used with --connect")
    from desktop.logfile import configure_console, install_file_log, level_of

    configure_console(level_of(args.log_level))
    if args.self_test:
        from desktop.selftest import run_self_test

        return run_self_test(data_dir=args.data_dir, echo_delay=args.echo_delay)

    gc.disable()  # until start-up is over (`desktop.app.startup_over`)
    from desktop.app import launch_config, run
    from desktop.views.about import data_folder_of

    config = launch_config(
        data_dir=args.data_dir,
        echo_delay=args.echo_delay,
        connect_url=args.connect,
        token=token,
    )
    if config.settings is not None:
        token = config.settings.token
    install_file_log(data_folder_of(config), token or None)
    return run(config)
