"""`sse-chat serve`: the backend in the foreground (the console script lives in desktop/cli.py)."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from pathlib import Path

from backend import __version__
from backend.app import create_app
from backend.config import (
    API_KEY_ENV,
    MAX_TEMPERATURE,
    PROVIDERS,
    ProviderSettings,
    Settings,
    default_data_dir,
    is_http_url,
    new_token,
)
from backend.logs import LOG_LEVELS, configure_logging
from backend.providers import describe
from backend.server import ChatServer, bind_socket, make_config
from backend.tokens import TOKEN_ENV, TokenError, given_token

logger = logging.getLogger(__name__)


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value <= MAX_TEMPERATURE:
        raise argparse.ArgumentTypeError(f"must be between 0 and {MAX_TEMPERATURE:g}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sse-chat serve",
        description="Run the SSE Chat server: the HTTP API with Server-Sent Events, and a chat "
        "page for your browser at the address it prints.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    parser.add_argument(
        "--token",
        help=f"the API token (visible to other users: prefer ${TOKEN_ENV} or --token-file; "
        "default: a fresh random one)",
    )
    parser.add_argument(
        "--token-file", type=Path, metavar="PATH", help="read the API token from this file"
    )
    parser.add_argument(
        "--no-auth", action="store_true", help="accept requests without a token (loopback only)"
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="a browser origin allowed to call the API, with CORS (repeatable)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"where the chat history lives (default {default_data_dir()})",
    )
    parser.add_argument(
        "--echo-delay",
        type=_non_negative,
        default=Settings.echo_delay,
        metavar="SECONDS",
        help="pause between echoed characters (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=_positive_int,
        default=Settings.max_connections,
        metavar="N",
        help="open connections at most; the one waiting longest for a request makes room "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--max-reply-chars",
        type=_positive_int,
        default=Settings.max_reply_chars,
        metavar="N",
        help="cut a reply after N characters, with a note (default %(default)s)",
    )
    provider = parser.add_argument_group(
        "provider", f"where replies come from; an API key is read from ${API_KEY_ENV}"
    )
    provider.add_argument(
        "--provider",
        choices=PROVIDERS,
        help="(default: openai when --model or --base-url is given, else echo)",
    )
    provider.add_argument(
        "--base-url",
        metavar="URL",
        help="the OpenAI-compatible server, e.g. http://localhost:11434/v1 (--provider openai)",
    )
    provider.add_argument("--model", metavar="NAME", help="the model (with --provider openai)")
    provider.add_argument("--system-prompt", metavar="TEXT", help="sent before every history")
    provider.add_argument(
        "--temperature", type=_temperature, metavar="T", help="0..2 (default: the server's)"
    )
    provider.add_argument(
        "--max-tokens",
        type=_positive_int,
        metavar="N",
        help="ask the server for at most N tokens per reply (default: not sent)",
    )
    parser.add_argument(
        "--log-level", type=str.lower, choices=LOG_LEVELS, default="info", help="(default info)"
    )
    return parser


def provider_from(
    args: argparse.Namespace, parser: argparse.ArgumentParser, api_key: str
) -> ProviderSettings:
    """The provider settings the flags ask for; exits 2 (via `parser.error`) when incomplete.

    Without `--provider`, `--model` or `--base-url` imply `--provider openai` (said on stderr);
    with `--provider echo` they are ignored, with a warning.
    """
    given = [
        flag for flag, value in (("--model", args.model), ("--base-url", args.base_url)) if value
    ]
    flags, one = " and ".join(given), len(given) == 1
    if args.provider is None:
        args.provider = "openai" if given else "echo"
        if given:
            sys.stderr.write(
                f"sse-chat serve: {flags} {'implies' if one else 'imply'} --provider openai\n"
            )
    elif args.provider == "echo" and given:
        sys.stderr.write(
            f"sse-chat serve: warning: {flags} {'is' if one else 'are'} ignored"
            " with --provider echo\n"
        )
    if args.provider == "openai":
        missing = [
            flag
            for flag, value in (("--base-url", args.base_url), ("--model", args.model))
            if not (value or "").strip()
        ]
        if missing:
            example = " (e.g. --base-url http://localhost:11434/v1 for Ollama)"
            parser.error(
                f"--provider openai needs {' and '.join(missing)}"
                + (example if "--base-url" in missing else "")
            )
        if not is_http_url(args.base_url):
            parser.error(f"--base-url must be an http:// or https:// URL, not {args.base_url!r}")
    return ProviderSettings(
        provider=args.provider,
        base_url=(args.base_url or "").strip(),
        api_key=api_key.strip(),
        model=(args.model or "").strip(),
        system_prompt=args.system_prompt or "",
        temperature=args.temperature,
        echo_delay=args.echo_delay,
    )


def token_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> str | None:
    """`--token`, `--token-file` or `$SSE_CHAT_TOKEN` (None: none given); warnings on stderr."""
    try:
        given = given_token(args.token, args.token_file)
    except TokenError as exc:
        parser.error(str(exc))
    for warning in given.warnings:
        sys.stderr.write(f"sse-chat serve: {warning}\n")
    return given.token


def settings_from(
    args: argparse.Namespace, provider: ProviderSettings | None = None, token: str | None = None
) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        token=token or new_token(),
        auth=not args.no_auth,
        allow_origins=tuple(args.allow_origin),
        data_dir=args.data_dir or default_data_dir(),
        echo_delay=args.echo_delay,
        max_reply_chars=args.max_reply_chars,
        max_tokens=args.max_tokens,
        max_connections=args.max_connections,
        provider=provider,
    )


def banner(settings: Settings, port: int, *, shell_line: bool = False) -> str:
    """What `serve` prints first. `shell_line` (a terminal): also `export SSE_CHAT_TOKEN=...`,
    to paste into the shell curl runs in. Output that is not a terminal (a log, a supervisor,
    a test) gets the token once only, in the address."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{port}/"
    lines = [f"SSE Chat {__version__} serving {settings.data_dir}"]
    if settings.auth:
        if shell_line:
            lines.append(f"export {TOKEN_ENV}={shlex.quote(settings.token)}")
        lines.append(f"Open: {url}?token={settings.token}")
        hint = "the export line sets it" if shell_line else "set to the token in the address"
        lines.append(f"API clients: send 'Authorization: Bearer ${TOKEN_ENV}' ({hint})")
    else:
        lines.append(f"Open: {url} (no token needed)")
    lines.append(f"Replies: {describe(settings.provider_settings)}")
    return "\n".join(lines) + "\n"


def _say(notice: str) -> None:
    """Something the user must know whatever the log level (a damaged history recovered)."""
    sys.stderr.write(f"sse-chat serve: {notice}\n")
    sys.stderr.flush()


def serve_main(argv: list[str] | None = None) -> int:
    """Run until Ctrl+C / SIGTERM; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    api_key = os.environ.get(API_KEY_ENV, "")
    token = token_from(args, parser)
    settings = settings_from(args, provider_from(args, parser, api_key), token)
    if not settings.auth and not settings.is_loopback:
        sys.stderr.write(
            f"sse-chat serve: --no-auth is refused with the non-loopback host {settings.host}; "
            "anyone on the network could use the API\n"
        )
        return 2
    configure_logging(args.log_level, settings.token, api_key.strip() or None)
    try:
        sock = bind_socket(settings.host, settings.port)
    except RuntimeError as exc:
        sys.stderr.write(f"sse-chat serve: {exc}\n")
        return 1
    port = int(sock.getsockname()[1])
    app = create_app(settings, on_notice=_say)
    server = ChatServer(
        make_config(app, settings, access_log=True, log_level=args.log_level),
        app,
        handle_signals=True,
    )
    sys.stdout.write(banner(settings, port, shell_line=sys.stdout.isatty()))
    sys.stdout.flush()
    try:
        server.run(sockets=[sock])
    except SystemExit as exc:  # uvicorn exits this way when start-up fails
        sys.stderr.write(f"sse-chat serve: {app.state.startup_error or 'start-up failed'}\n")
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    return 0 if server.started else 1
