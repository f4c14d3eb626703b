"""`medcoder-bot migrate-data --from sqlite:///medcoder.db --to postgresql://…`: move to PostgreSQL.

Why a command and not a dump script: moving from one process on SQLite to several sharing PostgreSQL
(issue 7) must keep every member's checklist, timezone, pending notice and reminders, including the
reminder ids that buttons on DMs already sent refer to. The copy is idempotent (upserts keyed by the
same primary keys: members, checklists, reminders and servers' digests, answer votes, study-group
memberships, servers' settings, and the member-less counts of unanswered questions and /ask topics),
so it can be run again after a failure, or once more just before switching the bot over to pick up
what changed meanwhile.

Why the source is only read: a copy tool that writes to what it copies can damage the one good copy
when something goes wrong. The SQLite file is opened read-only and never migrated; a file whose schema
is older than this code is refused (the bot brings it up to date when it next runs on it). The target's
schema and every row are written in one transaction, so a copy that fails leaves it as it was.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.store import StoreError, is_postgres_url
from bot.core.store.migrate import load_migrations
from bot.settings import parse_postgres_url

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


class SourceNotCurrent(Exception):
    """The SQLite file's schema is not this code's: said in one line, with what to do about it."""


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file, nor create anything beside it.

    `mode=ro` alone is not enough: reading a WAL-mode database (as the bot leaves it) creates `-wal`
    and `-shm` files, and leaves them behind. When neither exists, no process has the database open,
    everything is in the file itself, and `immutable=1` reads it with no locks and no side files. When
    they exist (a bot is running on it, or stopped abruptly), they must be read too, and are already there.
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if not any(path.with_name(f"{path.name}{suffix}").exists() for suffix in ("-wal", "-shm")):
        uri += "&immutable=1"
    return sqlite3.connect(uri, uri=True)


def _check_schema(raw: sqlite3.Connection, path: Path) -> None:
    latest = load_migrations(dialect="sqlite")[-1].version
    tables = raw.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").fetchall()
    current = int(raw.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]) if tables else 0
    if current < latest:
        raise SourceNotCurrent(
            f"{path} has schema version {current}, this medcoder-bot needs {latest}: run the bot on it once first"
            f" (MEDCODER_DB={path} medcoder-bot run, stopped once started), then migrate-data again"
        )
    if current > latest:
        raise SourceNotCurrent(
            f"{path} has schema version {current}, newer than this medcoder-bot ({latest}): upgrade medcoder-bot"
        )


def _read_sqlite(path: Path) -> Source:
    """Every row to copy, read in one transaction (a consistent snapshot even while a bot writes)."""
    with closing(_open_read_only(path)) as raw:
        raw.execute("BEGIN")  # ended by closing: nothing is written
        _check_schema(raw, path)
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


async def copy_to_postgres(source: Source, dsn: str) -> Copied:
    """Copy what was read from SQLite to PostgreSQL in one transaction; safe to repeat."""
    import asyncpg  # noqa: PLC0415  (only this command and the PostgreSQL store need it)

    from bot.core.store.postgres import MIGRATION_LOCK, migrate_pg  # noqa: PLC0415

    members, steps, reminders = source.members, source.steps, source.reminders
    member_reminders = [r for r in reminders if r[-1] is None]  # guild_id is the last column
    digests = [r for r in reminders if r[-1] is not None]
    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
    try:
        async with conn.transaction():
            # The schema commits with the rows, and the lock keeps a bot starting meanwhile from
            # migrating until then (it waits, then finds the schema current).
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await migrate_pg(conn)
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
    try:
        label = parse_postgres_url(target).label
    except ValueError as error:
        print(f"medcoder-bot: --to: {error}", file=sys.stderr)
        return EXIT_USAGE
    path = Path(source.removeprefix(SQLITE_PREFIX))
    if not path.is_file():
        print(f"medcoder-bot: no SQLite database at {path}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        data = _read_sqlite(path)
    except SourceNotCurrent as error:
        print(f"medcoder-bot: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except sqlite3.Error as error:
        print(f"medcoder-bot: cannot read {path}: {error}", file=sys.stderr)
        return EXIT_FAILURE
    try:
        copied = asyncio.run(copy_to_postgres(data, target))
    except (StoreError, OSError) as error:
        print(f"medcoder-bot: migrate-data failed: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        if type(error).__module__.startswith("asyncpg"):
            print(f"medcoder-bot: migrate-data failed: {error}", file=sys.stderr)
            return EXIT_FAILURE
        raise
    print(copied.summary(str(path), label))
    if copied.conflicts:
        print(
            f"medcoder-bot: {copied.conflicts} reminder(s) not copied: their id belongs to another member in the"
            " target database (was it used by another bot?)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    return EXIT_OK
