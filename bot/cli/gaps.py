"""`medcoder-bot kb gaps [--top N]`: what the knowledge base should learn next.

Why a report from the bot's own database: members' questions that fell back or only got "did you
mean" are counted there by cleaned text (no member id), and answers carry helpful / not helpful
votes. The most asked unanswered questions and the answers most often voted not helpful are where a
maintainer's next entry or rewrite pays off most. Reads the database named by `MEDCODER_DB` or
`MEDCODER_DATABASE_URL`, like the bot.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys

from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.store import StoreError, open_store
from bot.settings import InvalidSettings, Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_TOP = 10


def _titles(kb_dir: str | None) -> dict[str, str]:
    """Entry id -> title, to name voted entries; empty if the knowledge base can't be loaded."""
    try:
        return {entry.id: entry.title for entry in load_knowledge(kb_dir)}
    except KnowledgeError:
        return {}


def format_report(
    unanswered: list[tuple[str, int]], counts: dict[str, tuple[int, int]], titles: dict[str, str], top: int
) -> str:
    """The report's text: unanswered questions by count, then entries by "not helpful" votes."""
    lines = [f"Most asked questions the knowledge base could not answer (top {top}):"]
    if unanswered:
        width = len(str(unanswered[0][1]))
        lines += [f"  {count:>{width}}  {text}" for text, count in unanswered]
    else:
        lines.append("  none recorded")
    unhelpful = sorted(
        ((entry_id, yes, no) for entry_id, (yes, no) in counts.items() if no > 0),
        key=lambda item: (-item[2], item[1], item[0]),
    )[:top]
    lines += ["", f'Answers most often voted "not helpful" (top {top}):']
    if unhelpful:
        width = len(str(unhelpful[0][2]))
        for entry_id, yes, no in unhelpful:
            title = titles.get(entry_id, "no longer in the knowledge base")
            lines.append(f"  {no:>{width}} not helpful, {yes} helpful  {entry_id} ({title})")
    else:
        lines.append("  none recorded")
    return "\n".join(lines)


async def _read(settings: Settings, top: int) -> tuple[list[tuple[str, int]], dict[str, tuple[int, int]]]:
    async with await open_store(settings.db, settings.database_dsn) as store:
        return await store.unanswered_top(top), await store.vote_counts()


def run_gaps(top: int = DEFAULT_TOP, *, kb_dir: str | None = None) -> int:
    if top < 1:
        print("--top must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = Settings()
    except InvalidSettings as error:
        print(f"invalid settings: {error}", file=sys.stderr)
        return EXIT_USAGE
    if settings.database_dsn is None and not settings.db.exists():
        # Opening would create an empty database; there is simply nothing to report yet.
        print(f"No database at {settings.db} yet: nothing recorded, nothing to report.")
        return EXIT_OK
    try:
        unanswered, counts = asyncio.run(_read(settings, top))
    except (StoreError, OSError, sqlite3.Error) as error:
        print(f"cannot read {settings.database_label}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    if not unanswered and not counts:
        print(f"Nothing recorded yet in {settings.database_label}: no unanswered questions and no votes.")
        return EXIT_OK
    print(format_report(unanswered, counts, _titles(kb_dir), top))
    return EXIT_OK
