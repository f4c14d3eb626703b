"""The store's logic, written once for both databases.

Why one implementation: a schema or behaviour change used to be four edits (two store classes and
two migration folders) that could drift apart. Here every query is written once, in SQL that both
SQLite and PostgreSQL accept, with `?` placeholders. What really differs between them lives in a
`Database` (`bot.core.store.sqlite`, `bot.core.store.postgres`), one small class each:

- how a connection and a transaction are obtained (SQLite: one connection behind a lock and
  `BEGIN IMMEDIATE`; PostgreSQL: a pool, with `REPEATABLE READ` for a consistent export);
- placeholders (PostgreSQL's `$1` are produced from `?`) and the driver's errors;
- the claim statement (PostgreSQL adds `FOR UPDATE SKIP LOCKED` so concurrent dispatchers take
  disjoint batches without waiting on each other);
- locking a member's row for read-then-write operations (SQLite's `BEGIN IMMEDIATE` already
  serialises writers; PostgreSQL locks the row);
- cross-process wake-ups (PostgreSQL's LISTEN/NOTIFY; nothing with one SQLite process).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.store.base import MAX_ACTIVE_REMINDERS, LimitError, Store, Unlisten, nothing_to_stop
from bot.core.store.models import (
    DigestClaim,
    GroupMembership,
    GroupProgress,
    GuildSettings,
    MemberExport,
    Reminder,
    UnansweredCount,
    check_note,
    from_timestamp,
    to_timestamp,
    unanswered_rows,
    unanswered_to_drop,
)

REMINDER_COLUMNS = (
    "id, user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status, created_at,"
    " attempt_at, attempts, claim_token, finished_at, guild_id"
)
ENSURE_MEMBER = "INSERT INTO members (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING"
OPEN_STATUSES = "('active', 'paused')"
# The claim's shape; each database fills in how the inner SELECT picks rows (see `Database.claim_sql`).
CLAIM_TEMPLATE = "UPDATE reminders SET claim_token = ?, attempt_at = ? WHERE id {picked} RETURNING " + REMINDER_COLUMNS
DIGEST_NOTE = "weekly study-group digest"  # the note of a server's digest reminder row
TOPIC_HOURS = 14 * 24  # hours of /ask topic counts kept per server: two digests' weeks
# Two digests of one server are at least this far apart (seconds): a week, less the hour a DST change
# can take from it, less a day of slack for a schedule moved to an earlier weekday or time.
DIGEST_MIN_GAP = 6 * 86_400
DUE_IDS = "SELECT id FROM reminders WHERE status = 'active' AND attempt_at <= ? ORDER BY attempt_at, id LIMIT ?"


class MissingMember(Exception):
    """A row referred to a member that has no `members` row yet (a foreign-key failure)."""


class Connection(Protocol):
    """One database connection as the store uses it: rows are sequences, writes return a row count."""

    async def fetch(self, sql: str, *params: Any) -> list[Sequence[Any]]: ...

    async def execute(self, sql: str, *params: Any) -> int:
        """Run one statement; raises `MissingMember` on a foreign-key failure."""
        ...

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


class Database(ABC):
    """The differences between SQLite and PostgreSQL, and nothing else."""

    claim_sql: str  # CLAIM_TEMPLATE filled in: params (token, lease_until, now, limit)

    @abstractmethod
    def connection(self) -> AbstractAsyncContextManager[Connection]:
        """A connection for statements that are atomic on their own; raises StoreError once closed."""

    @abstractmethod
    def transaction(self, *, snapshot: bool = False) -> AbstractAsyncContextManager[Connection]:
        """A transaction that takes the write lock it needs up front; `snapshot` for consistent reads."""

    async def lock_member(self, conn: Connection, user_id: int) -> None:
        """Inside a transaction, once the member's row exists: hold it until commit, so read-then-write
        operations on one member (the reminder limit, snoozing, votes) are ordered. SQLite's
        `BEGIN IMMEDIATE` already admits one writer at a time, so there is nothing more to do there."""
        return

    async def notify(self, conn: Connection, due: int) -> None:
        """Tell the dispatchers of other processes about a reminder due at `due` (unix seconds)."""
        return

    async def listen(self, callback: Callable[[datetime | None], object]) -> Unlisten:
        """See `Store.listen`; one process (SQLite) has nobody else to hear from."""
        return nothing_to_stop

    @abstractmethod
    async def close(self) -> None: ...


def reminder_from_row(row: Iterable[Any]) -> Reminder:
    """A `Reminder` from a row of `REMINDER_COLUMNS`, whichever driver returned it."""
    (rid, user_id, note, step_id, due_at, recurrence, tz, anchor_at, status, created_at,
     attempt_at, attempts, claim_token, finished_at, guild_id) = row  # fmt: skip
    return Reminder(
        id=rid,
        user_id=user_id,
        note=note,
        step_id=step_id,
        due_at=from_timestamp(due_at),
        recurrence=recurrence,
        timezone=tz,
        anchor_at=from_timestamp(anchor_at),
        status=status,
        created_at=from_timestamp(created_at),
        attempt_at=from_timestamp(attempt_at),
        attempts=attempts,
        claim_token=claim_token,
        finished_at=None if finished_at is None else from_timestamp(finished_at),
        guild_id=guild_id,
    )


class SQLStore(Store):
    """`Store` on a `Database`; open one with `SQLiteStore.open` or `PostgresStore.open`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        # In-process changes to one step queue here, first come first served (asyncio.Lock is
        # fair), so toggles apply in the order the member clicked on either database.
        self._step_locks: weakref.WeakValueDictionary[tuple[int, str], asyncio.Lock] = weakref.WeakValueDictionary()

    async def close(self) -> None:
        await self._db.close()

    async def ping(self) -> None:
        async with self._db.connection() as conn:
            await conn.fetch("SELECT 1")

    async def listen(self, callback: Callable[[datetime | None], object]) -> Unlisten:
        return await self._db.listen(callback)

    def _now(self) -> int:
        return to_timestamp(self._clock.now())

    async def _fetch(self, sql: str, *params: Any) -> list[Sequence[Any]]:
        async with self._db.connection() as conn:
            return await conn.fetch(sql, *params)

    async def _write(self, sql: str, *params: Any) -> int:
        """One statement, atomic on its own; returns the number of rows changed."""
        async with self._db.connection() as conn:
            return await conn.execute(sql, *params)

    # Member settings

    async def get_timezone(self, user_id: int) -> str | None:
        rows = await self._fetch("SELECT timezone FROM members WHERE user_id = ?", user_id)
        return rows[0][0] if rows else None

    async def set_timezone(self, user_id: int, name: str) -> None:
        await self._write(
            "INSERT INTO members (user_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            user_id, name,
        )  # fmt: skip

    # Checklist

    async def checklist(self, user_id: int) -> dict[str, datetime]:
        rows = await self._fetch("SELECT step_id, done_at FROM checklist WHERE user_id = ?", user_id)
        return {step_id: from_timestamp(done_at) for step_id, done_at in rows}

    async def set_step(self, user_id: int, step_id: str, done: bool) -> bool:
        async with self._step_lock(user_id, step_id), self._db.connection() as conn:
            if done:
                return await self._mark_done(conn, user_id, step_id)
            return await conn.execute("DELETE FROM checklist WHERE user_id = ? AND step_id = ?", user_id, step_id) > 0

    async def toggle_step(self, user_id: int, step_id: str) -> bool:
        # Two single statements, each atomic, instead of a transaction: one or two round trips
        # instead of four or five. If another process flips the step between the two statements,
        # neither applies and we simply try again.
        async with self._step_lock(user_id, step_id), self._db.connection() as conn:
            while True:
                if await self._mark_done(conn, user_id, step_id):
                    return True
                if await conn.execute("DELETE FROM checklist WHERE user_id = ? AND step_id = ?", user_id, step_id):
                    return False

    @asynccontextmanager
    async def _step_lock(self, user_id: int, step_id: str) -> AsyncIterator[None]:
        key = (user_id, step_id)
        lock = self._step_locks.get(key)
        if lock is None:
            lock = self._step_locks[key] = asyncio.Lock()
        async with lock:
            yield

    async def _mark_done(self, conn: Connection, user_id: int, step_id: str) -> bool:
        """Insert the done row unless it exists; the member's row is created on their first step."""
        sql = "INSERT INTO checklist (user_id, step_id, done_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
        try:
            return await conn.execute(sql, user_id, step_id, self._now()) > 0
        except MissingMember:
            await conn.execute(ENSURE_MEMBER, user_id)
            return await conn.execute(sql, user_id, step_id, self._now()) > 0

    async def reset_checklist(self, user_id: int) -> int:
        return await self._write("DELETE FROM checklist WHERE user_id = ?", user_id)

    # Reminders, member side

    async def add_reminder(
        self,
        user_id: int,
        note: str,
        due_at: datetime,
        *,
        timezone: str,
        recurrence: str | None = None,
        step_id: str | None = None,
        anchor_at: datetime | None = None,
        max_active: int = MAX_ACTIVE_REMINDERS,
    ) -> Reminder:
        check_note(note)
        due = to_timestamp(due_at)
        anchor = due if anchor_at is None else to_timestamp(anchor_at)
        now = self._now()
        async with self._db.transaction() as conn:
            await self._lock_member(conn, user_id)
            if await self._open_count(conn, user_id) >= max_active:
                raise LimitError(max_active)
            rows = await conn.fetch(
                "INSERT INTO reminders (user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status,"
                " created_at, attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)"
                f" RETURNING {REMINDER_COLUMNS}",
                user_id, note, step_id, due, recurrence, timezone, anchor, now, due,
            )  # fmt: skip
            await self._db.notify(conn, due)
        return reminder_from_row(rows[0])

    async def _lock_member(self, conn: Connection, user_id: int) -> None:
        await conn.execute(ENSURE_MEMBER, user_id)
        await self._db.lock_member(conn, user_id)

    @staticmethod
    async def _open_count(conn: Connection, user_id: int) -> int:
        rows = await conn.fetch(
            f"SELECT COUNT(*) FROM reminders WHERE user_id = ? AND status IN {OPEN_STATUSES}", user_id
        )
        return int(rows[0][0])

    async def list_reminders(self, user_id: int) -> list[Reminder]:
        rows = await self._fetch(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = ? AND status IN {OPEN_STATUSES}"
            " ORDER BY due_at, id",
            user_id,
        )
        return [reminder_from_row(row) for row in rows]

    async def get_reminder(self, user_id: int, reminder_id: int) -> Reminder | None:
        rows = await self._fetch(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ? AND user_id = ?", reminder_id, user_id
        )
        return reminder_from_row(rows[0]) if rows else None

    async def cancel_reminder(self, user_id: int, reminder_id: int) -> bool:
        changed = await self._write(
            "UPDATE reminders SET status = 'cancelled', claim_token = NULL, finished_at = ?"
            f" WHERE id = ? AND user_id = ? AND status IN {OPEN_STATUSES}",
            self._now(), reminder_id, user_id,
        )  # fmt: skip
        return changed > 0

    async def snooze(
        self, user_id: int, reminder_id: int, due_at: datetime, *, max_active: int = MAX_ACTIVE_REMINDERS
    ) -> bool:
        due = to_timestamp(due_at)
        async with self._db.transaction() as conn:
            rows = await conn.fetch("SELECT status FROM reminders WHERE id = ? AND user_id = ?", reminder_id, user_id)
            if not rows or rows[0][0] == "cancelled":
                return False
            await self._lock_member(conn, user_id)
            if rows[0][0] == "done" and await self._open_count(conn, user_id) >= max_active:
                raise LimitError(max_active)
            changed = await conn.execute(
                "UPDATE reminders SET status = 'active', due_at = ?, attempt_at = ?, attempts = 0,"
                " claim_token = NULL, finished_at = NULL WHERE id = ? AND status <> 'cancelled'",
                due, due, reminder_id,
            )  # fmt: skip
            if not changed:  # cancelled between our read and the member lock
                return False
            await self._db.notify(conn, due)
            return True

    async def pause_member_reminders(self, user_id: int) -> int:
        async with self._db.transaction() as conn:
            paused = await conn.execute(
                "UPDATE reminders SET status = 'paused', claim_token = NULL WHERE user_id = ? AND status = 'active'",
                user_id,
            )
            await conn.execute(ENSURE_MEMBER, user_id)
            await conn.execute("UPDATE members SET notice_pending = TRUE WHERE user_id = ?", user_id)
            return paused

    async def take_notice(self, user_id: int) -> bool:
        changed = await self._write(
            "UPDATE members SET notice_pending = FALSE WHERE user_id = ? AND notice_pending", user_id
        )
        return changed > 0

    async def resume_member_reminders(self, user_id: int) -> int:
        async with self._db.connection() as conn:
            rows = await conn.fetch(
                "UPDATE reminders SET status = 'active', attempt_at = due_at, attempts = 0"
                " WHERE user_id = ? AND status = 'paused' RETURNING due_at",
                user_id,
            )
            if rows:
                await self._db.notify(conn, min(row[0] for row in rows))
        return len(rows)

    async def purge_finished(self, before: datetime) -> int:
        return await self._write(
            "DELETE FROM reminders WHERE status IN ('done', 'cancelled') AND finished_at < ?", to_timestamp(before)
        )

    # Reminders, dispatcher side

    async def next_wakeup(self) -> datetime | None:
        rows = await self._fetch("SELECT MIN(attempt_at) FROM reminders WHERE status = 'active'")
        return None if rows[0][0] is None else from_timestamp(rows[0][0])

    async def claim_due(self, now: datetime, *, lease: timedelta, limit: int) -> list[Reminder]:
        at = to_timestamp(now)
        # One statement: the claim is atomic even against other processes.
        rows = await self._fetch(
            self._db.claim_sql, secrets.token_hex(16), at + max(1, int(lease.total_seconds())), at, limit
        )
        return sorted((reminder_from_row(row) for row in rows), key=lambda r: (r.due_at, r.id))

    async def finish(self, reminder_id: int, claim_token: str, *, next_due: datetime | None) -> bool:
        if next_due is None:
            sql = "UPDATE reminders SET status = 'done', claim_token = NULL, attempts = 0, finished_at = ?"
            params: tuple[Any, ...] = (self._now(),)
        else:
            due = to_timestamp(next_due)
            sql = "UPDATE reminders SET due_at = ?, attempt_at = ?, claim_token = NULL, attempts = 0"
            params = (due, due)
        sql += " WHERE id = ? AND claim_token = ? AND status = 'active'"
        return await self._write(sql, *params, reminder_id, claim_token) > 0

    async def release(self, reminder_id: int, claim_token: str, retry_at: datetime) -> bool:
        changed = await self._write(
            "UPDATE reminders SET claim_token = NULL, attempt_at = ?, attempts = attempts + 1"
            " WHERE id = ? AND claim_token = ? AND status = 'active'",
            to_timestamp(retry_at), reminder_id, claim_token,
        )  # fmt: skip
        return changed > 0

    # The member's data

    async def export_member(self, user_id: int) -> dict[str, Any]:
        async with self._db.transaction(snapshot=True) as conn:  # one consistent snapshot
            member = await conn.fetch("SELECT timezone, notice_pending FROM members WHERE user_id = ?", user_id)
            steps = await conn.fetch("SELECT step_id, done_at FROM checklist WHERE user_id = ?", user_id)
            reminders = await conn.fetch(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = ? ORDER BY id", user_id
            )
            votes = await conn.fetch("SELECT entry_id, helpful, voted_at FROM feedback WHERE user_id = ?", user_id)
            groups = await conn.fetch(
                "SELECT guild_id, show_name, joined_at FROM group_members WHERE user_id = ?", user_id
            )
        export = MemberExport(
            user_id=user_id,
            timezone=member[0][0] if member else None,
            notice_pending=bool(member[0][1]) if member else False,
            checklist={step_id: from_timestamp(done_at) for step_id, done_at in steps},
            reminders=[reminder_from_row(row) for row in reminders],
            votes={entry_id: (bool(helpful), from_timestamp(at)) for entry_id, helpful, at in votes},
            groups=[GroupMembership(guild_id, bool(shown), from_timestamp(at)) for guild_id, shown, at in groups],
        )
        return export.to_json()

    async def delete_member(self, user_id: int) -> int:
        deleted = 0
        async with self._db.transaction() as conn:
            for table in ("checklist", "reminders", "feedback", "group_members", "members"):
                deleted += await conn.execute(f"DELETE FROM {table} WHERE user_id = ?", user_id)
        return deleted

    # What the knowledge base learns from

    async def record_vote(self, user_id: int, entry_id: str, helpful: bool) -> bool:
        async with self._db.transaction() as conn:
            await self._lock_member(conn, user_id)  # one vote at a time per member, so "replaced" is exact
            earlier = await conn.fetch("SELECT 1 FROM feedback WHERE user_id = ? AND entry_id = ?", user_id, entry_id)
            await conn.execute(
                "INSERT INTO feedback (user_id, entry_id, helpful, voted_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id, entry_id) DO UPDATE"
                " SET helpful = excluded.helpful, voted_at = excluded.voted_at",
                user_id, entry_id, helpful, self._now(),
            )  # fmt: skip
        return bool(earlier)

    async def vote_counts(self) -> dict[str, tuple[int, int]]:
        rows = await self._fetch(
            "SELECT entry_id, SUM(CASE WHEN helpful THEN 1 ELSE 0 END), SUM(CASE WHEN helpful THEN 0 ELSE 1 END)"
            " FROM feedback GROUP BY entry_id"
        )
        return {entry_id: (int(yes), int(no)) for entry_id, yes, no in rows}

    async def record_unanswered_counts(self, counts: Mapping[str, UnansweredCount], *, cap: int) -> None:
        if not counts:
            return
        async with self._db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (text) DO UPDATE SET count = unanswered.count + excluded.count,"
                " first_seen = CASE WHEN excluded.first_seen < unanswered.first_seen"
                "              THEN excluded.first_seen ELSE unanswered.first_seen END,"
                " last_seen = CASE WHEN excluded.last_seen > unanswered.last_seen"
                "             THEN excluded.last_seen ELSE unanswered.last_seen END",
                unanswered_rows(counts),
            )
            total = await conn.fetch("SELECT COUNT(*) FROM unanswered")
            excess = int(total[0][0]) - max(1, cap)
            if excess > 0:
                # Only the first `excess + len(counts)` can be dropped: this write's texts go last.
                oldest = await conn.fetch(
                    "SELECT text FROM unanswered ORDER BY last_seen, count, text LIMIT ?", excess + len(counts)
                )
                drop = unanswered_to_drop([row[0] for row in oldest], counts, excess)
                await conn.executemany("DELETE FROM unanswered WHERE text = ?", [(text,) for text in drop])

    async def unanswered_top(self, n: int) -> list[tuple[str, int]]:
        rows = await self._fetch(
            "SELECT text, count FROM unanswered ORDER BY count DESC, last_seen DESC, text LIMIT ?", max(0, n)
        )
        return [(text, int(count)) for text, count in rows]

    # Study groups

    async def join_group(self, guild_id: int, user_id: int, *, show_name: bool) -> bool:
        async with self._db.transaction() as conn:
            earlier = await conn.fetch(
                "SELECT 1 FROM group_members WHERE guild_id = ? AND user_id = ?", guild_id, user_id
            )
            await conn.execute(ENSURE_MEMBER, user_id)
            await conn.execute(
                "INSERT INTO group_members (guild_id, user_id, show_name, joined_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (guild_id, user_id) DO UPDATE SET show_name = excluded.show_name",
                guild_id, user_id, show_name, self._now(),
            )  # fmt: skip
        return not earlier

    async def leave_group(self, guild_id: int, user_id: int) -> bool:
        return await self._write("DELETE FROM group_members WHERE guild_id = ? AND user_id = ?", guild_id, user_id) > 0

    async def group_progress(self, guild_id: int) -> GroupProgress:
        joined = "FROM group_members g JOIN checklist c ON c.user_id = g.user_id WHERE g.guild_id = ?"
        async with self._db.transaction(snapshot=True) as conn:  # the counts and names agree
            members = await conn.fetch("SELECT COUNT(*) FROM group_members WHERE guild_id = ?", guild_id)
            done = await conn.fetch(f"SELECT c.step_id, COUNT(*) {joined} GROUP BY c.step_id", guild_id)
            shown = await conn.fetch(
                f"SELECT c.step_id, g.user_id {joined} AND g.show_name ORDER BY g.joined_at, g.user_id", guild_id
            )
        named: dict[str, list[int]] = {}
        for step_id, user_id in shown:
            named.setdefault(step_id, []).append(user_id)
        return GroupProgress(int(members[0][0]), {step_id: int(n) for step_id, n in done}, named)

    async def guild_settings(self, guild_id: int) -> GuildSettings:
        rows = await self._fetch(
            "SELECT timezone, digest_channel_id, digest_weekday, digest_time FROM guilds WHERE guild_id = ?", guild_id
        )
        return GuildSettings(guild_id, *rows[0]) if rows else GuildSettings(guild_id)

    async def set_guild_timezone(self, guild_id: int, timezone: str) -> GuildSettings:
        await self._write(
            "INSERT INTO guilds (guild_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone",
            guild_id, timezone,
        )  # fmt: skip
        return await self.guild_settings(guild_id)

    async def set_digest(
        self, guild_id: int, channel_id: int, weekday: int, time: str, *, first_due: datetime, recurrence: str
    ) -> GuildSettings:
        due, now = to_timestamp(first_due), self._now()
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guilds (guild_id, digest_channel_id, digest_weekday, digest_time) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET digest_channel_id = excluded.digest_channel_id,"
                " digest_weekday = excluded.digest_weekday, digest_time = excluded.digest_time",
                guild_id, channel_id, weekday, time,
            )  # fmt: skip
            timezone = (await conn.fetch("SELECT timezone FROM guilds WHERE guild_id = ?", guild_id))[0][0]
            await conn.execute("DELETE FROM reminders WHERE guild_id = ?", guild_id)
            await conn.execute(
                "INSERT INTO reminders (guild_id, note, due_at, recurrence, timezone, anchor_at, status,"
                " created_at, attempt_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                guild_id, DIGEST_NOTE, due, recurrence, timezone, due, now, due,
            )  # fmt: skip
            await self._db.notify(conn, due)
        return GuildSettings(guild_id, timezone, channel_id, weekday, time)

    async def digest_off(self, guild_id: int) -> bool:
        return await self._end_digest(guild_id, problem=None)

    async def stop_digest(self, guild_id: int, problem: str) -> None:
        await self._end_digest(guild_id, problem=problem)

    async def _end_digest(self, guild_id: int, *, problem: str | None) -> bool:
        async with self._db.transaction() as conn:
            settings = await conn.execute(
                "UPDATE guilds SET digest_channel_id = NULL, digest_weekday = NULL, digest_time = NULL,"
                " digest_problem = COALESCE(?, digest_problem) WHERE guild_id = ? AND digest_channel_id IS NOT NULL",
                problem, guild_id,
            )  # fmt: skip
            schedule = await conn.execute("DELETE FROM reminders WHERE guild_id = ?", guild_id)
            await conn.execute("DELETE FROM guild_topics WHERE guild_id = ?", guild_id)  # only the digest read them
        return bool(settings or schedule)

    async def take_digest_problem(self, guild_id: int) -> str | None:
        async with self._db.transaction() as conn:
            rows = await conn.fetch("SELECT digest_problem FROM guilds WHERE guild_id = ?", guild_id)
            if not rows or rows[0][0] is None:
                return None
            await conn.execute("UPDATE guilds SET digest_problem = NULL WHERE guild_id = ?", guild_id)
            return str(rows[0][0])

    async def claim_digest(
        self, guild_id: int, due_at: datetime, counts: Mapping[str, int] | None
    ) -> DigestClaim | None:
        due = to_timestamp(due_at)
        async with self._db.transaction() as conn:
            rows = await conn.fetch("SELECT digest_sent_for, digest_counts FROM guilds WHERE guild_id = ?", guild_id)
            if not rows:
                return None
            # At most one post in any week, whatever the schedule did meanwhile (a new weekday or
            # timezone moves the next occurrence closer than a week). The condition is checked again
            # by the UPDATE itself: of two processes racing here, the second waits for the first's row
            # lock (PostgreSQL) or write lock (SQLite) and then changes nothing.
            claimed = await conn.execute(
                "UPDATE guilds SET digest_sent_for = ?, digest_counts = ?"
                " WHERE guild_id = ? AND (digest_sent_for IS NULL OR digest_sent_for <= ?)",
                due, None if counts is None else json.dumps(dict(sorted(counts.items()))), guild_id,
                due - DIGEST_MIN_GAP,
            )  # fmt: skip
        if not claimed:
            return None
        sent_for, previous = rows[0]
        return DigestClaim(None if previous is None else json.loads(previous), sent_for)

    async def release_digest(self, guild_id: int, due_at: datetime, claim: DigestClaim) -> None:
        previous = None if claim.previous_counts is None else json.dumps(claim.previous_counts)
        await self._write(
            "UPDATE guilds SET digest_sent_for = ?, digest_counts = ? WHERE guild_id = ? AND digest_sent_for = ?",
            claim.previous_sent_for, previous, guild_id, to_timestamp(due_at),
        )  # fmt: skip

    async def count_topics(self, counts: Mapping[tuple[int, int, str], int]) -> None:
        if not counts:
            return
        rows = [(guild_id, hour, entry_id, n) for (guild_id, hour, entry_id), n in sorted(counts.items())]
        async with self._db.transaction() as conn:
            # Only for servers with a digest on: nobody reads the counts elsewhere, so none are kept.
            await conn.executemany(
                "INSERT INTO guild_topics (guild_id, hour, entry_id, count)"
                " SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT)"
                " WHERE EXISTS (SELECT 1 FROM guilds WHERE guild_id = ? AND digest_channel_id IS NOT NULL)"
                " ON CONFLICT (guild_id, hour, entry_id) DO UPDATE SET count = guild_topics.count + excluded.count",
                [(*row, row[0]) for row in rows],
            )
            # A digest looks back a week; older hours are of no use to anyone.
            newest = max(hour for _, hour, _, _ in rows)
            await conn.execute("DELETE FROM guild_topics WHERE hour < ?", newest - TOPIC_HOURS)

    async def top_topics(self, guild_id: int, since_hour: int, n: int) -> list[tuple[str, int]]:
        rows = await self._fetch(
            "SELECT entry_id, SUM(count) AS asked FROM guild_topics WHERE guild_id = ? AND hour >= ?"
            " GROUP BY entry_id ORDER BY asked DESC, entry_id LIMIT ?",
            guild_id, since_hour, max(0, n),
        )  # fmt: skip
        return [(entry_id, int(count)) for entry_id, count in rows]

    async def forget_guild(self, guild_id: int) -> int:
        deleted = 0
        async with self._db.transaction() as conn:
            for table in ("group_members", "guild_topics", "reminders", "guilds"):
                deleted += await conn.execute(f"DELETE FROM {table} WHERE guild_id = ?", guild_id)
        return deleted
