"""`medcoder-bot`: the command-line entry point.

Why one entry point with subcommands: a newcomer runs `medcoder-bot` and gets the terminal chat
(no token needed) or, with `DISCORD_TOKEN` set, the Discord bot; graders and scripts use
`ask --json`; maintainers use `kb check`, `kb gaps` and `salary --chart`. Exit codes: 0 ok, 1 a checked
failure (invalid knowledge base, rejected token, unwritable file), 2 bad usage or missing configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata

from bot.cli import ask, kb


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="medcoder-bot",
        description="A career coach for future medical coders: Discord bot and terminal chat.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p_help = sub.add_parser("help", help="this help, or a command's (medcoder-bot help salary)")
    p_help.add_argument("topic", nargs="?", metavar="COMMAND", help="the command to explain")

    p_ask = sub.add_parser("ask", help="answer one question, or questions from stdin with --json")
    p_ask.add_argument("question", nargs="*", help="the question (omit with --json)")
    p_ask.add_argument("--json", action="store_true", help="read questions from stdin, write JSON lines")
    p_ask.add_argument("--explain", action="store_true", help="print every stage of the answer pipeline for it")
    p_ask.add_argument("--kb", metavar="DIR", help="knowledge base directory (default: the packaged one)")

    p_chat = sub.add_parser("chat", help="interactive chat in the terminal (no token, no network)")
    p_chat.add_argument(
        "--json", action="store_true", help="one message per stdin line, one JSON line out each (one conversation)"
    )
    p_chat.add_argument("--kb", metavar="DIR", help="knowledge base directory (default: the packaged one)")

    p_salary = sub.add_parser("salary", help="pay figures with sources, or --chart FILE.png to draw them")
    p_salary.add_argument(
        "--chart", metavar="FILE.png", help="write the view's bar chart to this file: .png, or .jpg/.jpeg for a JPEG"
    )
    p_salary.add_argument(
        "--view",
        choices=["overview", "position", "sector", "states"],  # bot.core.charts.SALARY_VIEWS, without importing Pillow
        help="which figures (default: position; charts exist for position and sector)",
    )
    p_salary.add_argument("--kb", metavar="DIR", help="knowledge base directory (default: the packaged one)")

    p_kb = sub.add_parser("kb", help="knowledge base tools")
    kb_sub = p_kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    p_check = kb_sub.add_parser("check", help="validate a knowledge base and list every problem")
    p_check.add_argument("directory", nargs="?", help="directory (default: the packaged one)")
    p_check.add_argument(
        "--coverage",
        nargs="?",
        const="../shared/seed/article.txt",
        metavar="ARTICLE",
        help="also list the article's sentences no answer covers (a report; default ../shared/seed/article.txt)",
    )
    p_check.add_argument(
        "--matching",
        action="store_true",
        help="also check every phrasing and must_not_match probe through the pipeline",
    )
    p_gaps = kb_sub.add_parser("gaps", help="most asked unanswered questions and answers voted not helpful")
    p_gaps.add_argument("--top", type=int, default=10, metavar="N", help="how many of each (default: 10)")

    p_migrate = sub.add_parser("migrate-data", help="copy every member's data from SQLite to PostgreSQL (idempotent)")
    p_migrate.add_argument("--from", dest="source", required=True, metavar="sqlite:///FILE", help="the SQLite database")
    p_migrate.add_argument("--to", dest="target", required=True, metavar="postgresql://…", help="the PostgreSQL URL")

    p_run = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    p_run.add_argument(
        "--shard-count", type=int, metavar="N", help="total shards across all processes (MEDCODER_SHARD_COUNT)"
    )
    p_run.add_argument("--shards", metavar="A-B", help="the shards this process runs, e.g. 0-3 (MEDCODER_SHARDS)")
    p_sync = sub.add_parser("sync", help="publish the slash commands to Discord")
    target = p_sync.add_mutually_exclusive_group()
    target.add_argument("--guild", type=int, metavar="ID", help="sync to one server only (instant)")
    target.add_argument(
        "--global", dest="force_global", action="store_true", help="sync globally even if MEDCODER_DEV_GUILD is set"
    )
    return parser


def package_version() -> str:
    try:
        return metadata.version("medcoder-bot")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "help":
        # `help` works like --help; `help COMMAND` like `COMMAND --help` (argparse exits 0 after printing).
        parser.parse_args([args.topic, "--help"] if args.topic else ["--help"])
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `medcoder-bot ask --json | head` closed our stdout: not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    match args.command:
        case "ask":
            return ask.run_ask(args.question, as_json=args.json, kb_dir=args.kb, explain=args.explain)
        case "chat":
            return ask.run_chat(kb_dir=args.kb, as_json=args.json)
        case "salary":
            # Imported here so `ask` and `chat` never pay for Pillow.
            from bot.cli.salary import run_salary

            return run_salary(args.chart, args.view, kb_dir=args.kb)
        case "kb" if args.kb_command == "gaps":
            from bot.cli.gaps import run_gaps

            return run_gaps(args.top)
        case "kb":
            return kb.run_check(args.directory, coverage=args.coverage, matching=args.matching)
        case "migrate-data":
            from bot.cli.migrate import run_migrate_data

            return run_migrate_data(args.source, args.target)
        case "run":
            return _run_discord(shard_count=args.shard_count, shards=args.shards)
        case "sync":
            from bot.runner import sync_commands

            return sync_commands(args.guild, force_global=args.force_global)
        case _:
            # No subcommand: the one-command quick start. Discord when a token is configured,
            # otherwise the terminal chat, so a newcomer can try it without any set-up.
            if _token_configured():
                return _run_discord()
            print("No DISCORD_TOKEN configured: starting the terminal chat.", file=sys.stderr)
            return ask.run_chat(kb_dir=None)


def _run_discord(*, shard_count: int | None = None, shards: str | None = None) -> int:
    from bot.runner import run_bot

    return run_bot(shard_count=shard_count, shards=shards)


def _token_configured() -> bool:
    if os.environ.get("DISCORD_TOKEN", "").strip():
        return True
    from bot.settings import InvalidSettings, Settings

    try:
        token = Settings().discord_token
    except InvalidSettings:
        return True  # let the Discord runner report the bad setting in one clear line
    return token is not None and bool(token.get_secret_value().strip())
