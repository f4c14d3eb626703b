"""`medcoder-bot migrate-data --from sqlite:///medcoder.db --to postgresql://…`: move to PostgreSQL.

Why a command and not a dump script: moving from one process on SQLite to several sharing PostgreSQL
(issue 7) must keep every member's checklist, timezone, pending notice and reminders, including the
reminder ids that buttons on DMs already sent refer to. The copy is idempotent (upserts keyed by the
same primary keys: members, checklists, reminders and servers' digests, answer votes, study-group
memberships, servers' settings, and the member-less counts of unanswered questions and /ask topics),
so it can be run again after a failure, or once more just before switching the bot over to pick up
what changed meanwhile. Both databases are migrated to the current schema first.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.clock import SystemClock
from bot.core.store import SQLiteStore, StoreError, is_postgres_url

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
SQLITE_PREFIX = "sqlite:///"
REMINDER_COLUMNS = (
    "id", "user_id", "note", "step_id", "due_at", "recurrence", "timezone", "anchor_at", "status",
    "created_at", "attempt_at", "attempts", "claim_token", "finished_at", "guild_id",
)  # fmt: skip
GUILD_COLUMNS = (
    "guild_id", "timezone", "digest_channel_id", "digest_weekday", "digest_time", "digest_sent_for",
    "digest_counts", "digest_problem",
)  # fmt: skip


@dataclass(frozen=True)
class Copied:
    members: int
    steps: int
    reminders: int
    conflicts: int  # reminders whose id belongs to another member in the target: left alone

    def summary(self, source: str, target: str) -> str:
        return (
            f"copied {self.members} member(s), {self.steps} checklist step(s) and {self.reminders} reminder(s)"
            f" from {source} to {target}"
        )


Rows = list[tuple[Any, ...]]


@dataclass(frozen=True)
class Source:
    members: Rows
    steps: Rows
    reminders: Rows
    votes: Rows
    unanswered: Rows
    groups: Rows
    guilds: Rows
    topics: Rows


def _read_sqlite(path: Path) -> Source:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as raw:
        rows = raw.execute("SELECT user_id, timezone, notice_pending FROM members")
        members = [(user_id, timezone, bool(notice)) for user_id, timezone, notice in rows]
        steps = raw.execute("SELECT user_id, step_id, done_at FROM checklist").fetchall()
        reminders = raw.execute(f"SELECT {', '.join(REMINDER_COLUMNS)} FROM reminders ORDER BY id").fetchall()
        rows = raw.execute("SELECT user_id, entry_id, helpful, voted_at FROM feedback")
        votes = [(user_id, entry, bool(helpful), at) for user_id, entry, helpful, at in rows]
        unanswered = raw.execute("SELECT text, count, first_seen, last_seen FROM unanswered").fetchall()
        rows = raw.execute("SELECT guild_id, user_id, show_name, joined_at FROM group_members")
        groups = [(guild_id, user_id, bool(shown), at) for guild_id, user_id, shown, at in rows]
        guilds = raw.execute(f"SELECT {', '.join(GUILD_COLUMNS)} FROM guilds").fetchall()
        topics = raw.execute("SELECT guild_id, hour, entry_id, count FROM guild_topics").fetchall()
    return Source(members, steps, reminders, votes, unanswered, groups, guilds, topics)


async def copy_sqlite_to_postgres(path: Path, dsn: str) -> Copied:
    """Copy everything from the SQLite file to PostgreSQL in one transaction; safe to repeat."""
    import asyncpg  # noqa: PLC0415  (only this command and the PostgreSQL store need it)

    from bot.core.store.postgres import PostgresStore  # noqa: PLC0415

    async with await SQLiteStore.open(path, clock=SystemClock()):  # brings the file to the current schema
        pass
    source = _read_sqlite(path)
    members, steps, reminders = source.members, source.steps, source.reminders
    member_reminders = [r for r in reminders if r[-1] is None]  # guild_id is the last column
    digests = [r for r in reminders if r[-1] is not None]
    async with await PostgresStore.open(dsn, clock=SystemClock()):  # creates or upgrades the schema
        pass
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO members (user_id, timezone, notice_pending) VALUES ($1, $2, $3)"
                " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone,"
                " notice_pending = excluded.notice_pending",
                members,
            )
            await conn.executemany(
                "INSERT INTO checklist (user_id, step_id, done_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (user_id, step_id) DO UPDATE SET done_at = excluded.done_at",
                steps,
            )
            await conn.executemany(
                "INSERT INTO group_members (guild_id, user_id, show_name, joined_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (guild_id, user_id) DO UPDATE SET show_name = excluded.show_name,"
                " joined_at = excluded.joined_at",
                source.groups,
            )
            await conn.executemany(
                f"INSERT INTO guilds ({', '.join(GUILD_COLUMNS)}) VALUES ({_placeholders(GUILD_COLUMNS)})"
                f" ON CONFLICT (guild_id) DO UPDATE SET {_updates(GUILD_COLUMNS[1:])}",
                source.guilds,
            )
            await conn.executemany(
                "INSERT INTO guild_topics (guild_id, hour, entry_id, count) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (guild_id, hour, entry_id) DO UPDATE SET count = excluded.count",
                source.topics,
            )
            # Members' reminders keep their ids (buttons on DMs already sent refer to them); an id is
            # only updated when it belongs to the same member in both.
            await conn.executemany(
                f"INSERT INTO reminders ({', '.join(REMINDER_COLUMNS)}) VALUES ({_placeholders(REMINDER_COLUMNS)})"
                f" ON CONFLICT (id) DO UPDATE SET {_updates(REMINDER_COLUMNS[2:])}"
                " WHERE reminders.user_id = excluded.user_id",
                member_reminders,
            )
            await conn.executemany(
                "INSERT INTO feedback (user_id, entry_id, helpful, voted_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (user_id, entry_id) DO UPDATE"
                " SET helpful = excluded.helpful, voted_at = excluded.voted_at",
                source.votes,
            )
            # Unanswered questions carry no member id; the source's counts replace the target's.
            await conn.executemany(
                "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (text) DO UPDATE SET count = excluded.count, first_seen = excluded.first_seen,"
                " last_seen = excluded.last_seen",
                source.unanswered,
            )
            # Rows now holding the source's (id, member) pairs: the ones copied, whether new or updated.
            applied = await conn.fetchval(
                "SELECT COUNT(*) FROM reminders r JOIN unnest($1::bigint[], $2::bigint[]) AS s (id, user_id)"
                " ON r.id = s.id AND r.user_id = s.user_id",
                [r[0] for r in member_reminders], [r[1] for r in member_reminders],
            )  # fmt: skip
            # New reminders in PostgreSQL must get ids after the copied ones.
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('reminders', 'id'), GREATEST(MAX(id), 1)) FROM reminders"
            )
            # A server's digest is its one schedule, referred to by nothing else: it replaces the target's
            # and takes a fresh id, so it can never collide with a member's reminder.
            await conn.executemany("DELETE FROM reminders WHERE guild_id = $1", [(r[-1],) for r in digests])
            await conn.executemany(
                f"INSERT INTO reminders ({', '.join(REMINDER_COLUMNS[1:])})"
                f" VALUES ({_placeholders(REMINDER_COLUMNS[1:])})",
                [r[1:] for r in digests],
            )
    finally:
        await conn.close()
    copied = int(applied) + len(digests)
    return Copied(len(members), len(steps), copied, len(member_reminders) - int(applied))


def _placeholders(columns: tuple[str, ...]) -> str:
    return ", ".join(f"${n}" for n in range(1, len(columns) + 1))


def _updates(columns: tuple[str, ...]) -> str:
    return ", ".join(f"{c} = excluded.{c}" for c in columns)


def run_migrate_data(source: str, target: str) -> int:
    """The CLI: check the URLs, copy, print one line; exit 0, 1 (failure) or 2 (bad usage)."""
    if not source.startswith(SQLITE_PREFIX):
        print(f"medcoder-bot: --from must be {SQLITE_PREFIX}PATH (e.g. sqlite:///medcoder.db)", file=sys.stderr)
        return EXIT_USAGE
    if not is_postgres_url(target):
        print("medcoder-bot: --to must be a postgresql:// URL", file=sys.stderr)
        return EXIT_USAGE
    path = Path(source.removeprefix(SQLITE_PREFIX))
    if not path.is_file():
        print(f"medcoder-bot: no SQLite database at {path}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        copied = asyncio.run(copy_sqlite_to_postgres(path, target))
    except (StoreError, OSError) as error:
        print(f"medcoder-bot: migrate-data failed: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        if type(error).__module__.startswith("asyncpg"):
            print(f"medcoder-bot: migrate-data failed: {error}", file=sys.stderr)
            return EXIT_FAILURE
        raise
    print(copied.summary(str(path), _without_password(target)))
    if copied.conflicts:
        print(
            f"medcoder-bot: {copied.conflicts} reminder(s) not copied: their id belongs to another member in the"
            " target database (was it used by another bot?)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return EXIT_OK


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit  # noqa: PLC0415

    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"
