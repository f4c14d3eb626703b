"""The PostgreSQL store: an asyncpg connection pool on `MEDCODER_DATABASE_URL` (issue 7).

Why PostgreSQL beside SQLite: one SQLite file serves one process, and a bot in thousands of servers
runs several processes (each hosting some shards) that must share members' checklists and reminders.
The behaviour is exactly `SQLiteStore`'s (the same tests run against both); what differs is how
atomicity is obtained with many connections instead of one:

- Claims are one statement whose inner `SELECT … FOR UPDATE SKIP LOCKED` makes concurrent dispatchers
  (in any number of processes) take disjoint batches without waiting on each other, so none sends
  a reminder twice and none blocks.
- Writes that read before they write (the per-member reminder limit, snoozing) lock the member's row
  first, which orders them per member the way SQLite's single writer does.
- A toggle is a single statement; in-process toggles of one step also queue on a small lock so they
  apply in the order the member clicked, as with SQLite's one connection.
- Adding, snoozing and resuming reminders send `NOTIFY medcoder_reminders` with the due time, so the
  dispatchers of every process wake early for a sooner reminder (`listen`).

Migrations live in `migrations_pg/` with the same numbers and meaning as the SQLite ones, recorded in
`schema_version`, each in its own transaction, under an advisory lock so processes starting together
migrate once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from importlib import resources
from typing import Any, Self

import asyncpg

from bot.core.clock import Clock, SystemClock
from bot.core.store.base import MAX_ACTIVE_REMINDERS, LimitError, Store, StoreError, Unlisten
from bot.core.store.migrate import Migration, load_migrations
from bot.core.store.models import (
    MemberExport,
    Reminder,
    UnansweredCount,
    check_note,
    from_timestamp,
    to_timestamp,
    unanswered_rows,
    unanswered_to_drop,
)
from bot.core.store.sqlite import REMINDER_COLUMNS, _reminder

log = logging.getLogger(__name__)

CHANNEL = "medcoder_reminders"
# pg_advisory_lock key for migrations: b"medcoder" as a big-endian signed 64-bit integer.
MIGRATION_LOCK = int.from_bytes(b"medcoder", "big", signed=True)
OPEN_STATUSES = "('active', 'paused')"
ENSURE_MEMBER = "INSERT INTO members (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING"
LOCK_MEMBER = "SELECT 1 FROM members WHERE user_id = $1 FOR UPDATE"
# `= ANY(ARRAY(subquery))` rather than `IN (subquery)`: the ARRAY is an InitPlan, evaluated exactly
# once, so the LIMIT and the row locks can't be re-run by a plan that rescans the subquery.
CLAIM = (
    "UPDATE reminders SET claim_token = $1, attempt_at = $2"
    " WHERE id = ANY(ARRAY(SELECT id FROM reminders WHERE status = 'active' AND attempt_at <= $3"
    "                      ORDER BY attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED))"
    f" RETURNING {REMINDER_COLUMNS}"
)
# One statement that deletes the done row or, if there was none, inserts it. Both halves see the
# same snapshot; when another connection changed the row meanwhile, neither applies and we retry.
TOGGLE = (
    "WITH gone AS (DELETE FROM checklist WHERE user_id = $1 AND step_id = $2 RETURNING 1),"
    " added AS (INSERT INTO checklist (user_id, step_id, done_at) SELECT $1::bigint, $2::text, $3::bigint"
    "           WHERE NOT EXISTS (SELECT 1 FROM gone) ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT COUNT(*) FROM gone) AS removed, (SELECT COUNT(*) FROM added) AS added"
)


def _changed(status: str) -> int:
    """Rows affected, from asyncpg's command tag ("UPDATE 3", "DELETE 0", "INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])


def load_pg_migrations() -> list[Migration]:
    """The packaged PostgreSQL migrations, checked like the SQLite ones (numbered 1..n)."""
    return load_migrations(resources.files("bot.core.store") / "migrations_pg")


async def pg_schema_version(conn: asyncpg.Connection) -> int:
    """The highest migration applied (0 for an empty database)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        return 0
    return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM schema_version"))


async def migrate_pg(
    conn: asyncpg.Connection, migrations: list[Migration] | None = None, *, target: int | None = None
) -> int:
    """Bring the database up to `target` (default: newest); returns the version reached.

    Holds a session advisory lock throughout, so a second process starting at the same moment waits
    and then finds nothing left to do. Raises `StoreError` for a database newer than this code, with
    the same message as the SQLite store.
    """
    migrations = load_pg_migrations() if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    target = latest if target is None else target
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        current = await pg_schema_version(conn)
        if current > latest:
            raise StoreError(
                f"database schema version {current} is newer than this code ({latest}); upgrade medcoder-bot"
            )
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        for migration in migrations:
            if current < migration.version <= target:
                try:
                    async with conn.transaction():
                        for statement in migration.statements:
                            await conn.execute(statement)
                        await conn.execute(
                            "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
                            migration.version, migration.name, int(time.time()),
                        )  # fmt: skip
                except asyncpg.PostgresError as exc:
                    raise StoreError(f"migration {migration.version:04d}_{migration.name}.sql failed: {exc}") from exc
                current = migration.version
        return await pg_schema_version(conn)
    finally:
        if not conn.is_closed():
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


class PostgresStore(Store):
    """`await PostgresStore.open("postgresql://…", clock=...)`; one pool per process."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, clock: Clock) -> None:
        self._pool = pool
        self._dsn = dsn
        self._clock = clock
        self._closed = False
        self._listeners: list[asyncpg.Connection] = []
        self._step_locks: weakref.WeakValueDictionary[tuple[int, str], asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    async def open(
        cls,
        dsn: str,
        *,
        clock: Clock | None = None,
        migrations: list[Migration] | None = None,
        min_size: int = 1,
        max_size: int = 10,
    ) -> Self:
        """Connect, migrate, and return the store; raises `StoreError` for a database newer than the code."""
        try:
            pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size)
        except (OSError, asyncpg.PostgresError) as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        try:
            async with pool.acquire() as conn:
                await migrate_pg(conn, migrations)
        except BaseException:
            await pool.close()
            raise
        return cls(pool, dsn, clock or SystemClock())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        listeners, self._listeners = self._listeners, []
        for conn in listeners:
            await conn.close()
        await self._pool.close()

    async def ping(self) -> None:
        async with self._conn() as conn:
            await conn.fetchval("SELECT 1")

    @asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        if self._closed:
            raise StoreError("the store is closed")
        async with self._pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def _transaction(self, **options: Any) -> AsyncIterator[asyncpg.Connection]:
        async with self._conn() as conn, conn.transaction(**options):
            yield conn

    def _now(self) -> int:
        return to_timestamp(self._clock.now())

    # Cross-process wake-ups

    async def listen(self, callback: Callable[[datetime | None], object]) -> Unlisten:
        """Call `callback(due_at)` whenever any process adds, snoozes or resumes a reminder.

        A dedicated connection (a pooled one would be handed to queries and lose the LISTEN).
        """
        if self._closed:
            raise StoreError("the store is closed")
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)

        def on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            try:
                due = from_timestamp(int(payload)) if payload else None
            except ValueError:
                due = None
            callback(due)

        await conn.add_listener(CHANNEL, on_notify)
        self._listeners.append(conn)

        async def unlisten() -> None:
            if conn in self._listeners:
                self._listeners.remove(conn)
                await conn.close()

        return unlisten

    @staticmethod
    async def _notify(conn: asyncpg.Connection, due: int | None) -> None:
        """Queue a wake-up for every listening process; PostgreSQL sends it when the transaction commits."""
        if due is not None:
            await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(due))

    # Member settings

    async def get_timezone(self, user_id: int) -> str | None:
        async with self._conn() as conn:
            value: str | None = await conn.fetchval("SELECT timezone FROM members WHERE user_id = $1", user_id)
            return value

    async def set_timezone(self, user_id: int, name: str) -> None:
        async with self._conn() as conn:
            await conn.execute(
                "INSERT INTO members (user_id, timezone) VALUES ($1, $2)"
                " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
                user_id, name,
            )  # fmt: skip

    # Checklist

    async def checklist(self, user_id: int) -> dict[str, datetime]:
        async with self._conn() as conn:
            rows = await conn.fetch("SELECT step_id, done_at FROM checklist WHERE user_id = $1", user_id)
        return {row["step_id"]: from_timestamp(row["done_at"]) for row in rows}

    async def set_step(self, user_id: int, step_id: str, done: bool) -> bool:
        async with self._step_lock(user_id, step_id), self._conn() as conn:
            if done:
                return await self._mark_done(conn, user_id, step_id)
            status = await conn.execute("DELETE FROM checklist WHERE user_id = $1 AND step_id = $2", user_id, step_id)
            return _changed(status) > 0

    async def toggle_step(self, user_id: int, step_id: str) -> bool:
        async with self._step_lock(user_id, step_id), self._conn() as conn:
            while True:
                try:
                    row = await conn.fetchrow(TOGGLE, user_id, step_id, self._now())
                except asyncpg.ForeignKeyViolationError:  # the member's first step: no member row yet
                    await conn.execute(ENSURE_MEMBER, user_id)
                    continue
                assert row is not None
                if row["added"]:
                    return True
                if row["removed"]:
                    return False
                # Another process inserted the row after our snapshot: look again.

    @asynccontextmanager
    async def _step_lock(self, user_id: int, step_id: str) -> AsyncIterator[None]:
        """Queue this process's changes to one step, first come first served (asyncio.Lock is fair)."""
        key = (user_id, step_id)
        lock = self._step_locks.get(key)
        if lock is None:
            lock = self._step_locks[key] = asyncio.Lock()
        async with lock:
            yield

    async def _mark_done(self, conn: asyncpg.Connection, user_id: int, step_id: str) -> bool:
        sql = "INSERT INTO checklist (user_id, step_id, done_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        try:
            status = await conn.execute(sql, user_id, step_id, self._now())
        except asyncpg.ForeignKeyViolationError:
            await conn.execute(ENSURE_MEMBER, user_id)
            status = await conn.execute(sql, user_id, step_id, self._now())
        return _changed(status) > 0

    async def reset_checklist(self, user_id: int) -> int:
        async with self._conn() as conn:
            return _changed(await conn.execute("DELETE FROM checklist WHERE user_id = $1", user_id))

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
        async with self._transaction() as conn:
            await self._lock_member(conn, user_id)
            if await self._open_count(conn, user_id) >= max_active:
                raise LimitError(max_active)
            row = await conn.fetchrow(
                "INSERT INTO reminders (user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status,"
                " created_at, attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9)"
                f" RETURNING {REMINDER_COLUMNS}",
                user_id, note, step_id, due, recurrence, timezone, anchor, now, due,
            )  # fmt: skip
            await self._notify(conn, due)
        return _reminder(row)

    @staticmethod
    async def _lock_member(conn: asyncpg.Connection, user_id: int) -> None:
        """Create the member's row if needed and lock it: one writer per member until commit."""
        await conn.execute(ENSURE_MEMBER, user_id)
        await conn.execute(LOCK_MEMBER, user_id)

    @staticmethod
    async def _open_count(conn: asyncpg.Connection, user_id: int) -> int:
        return int(
            await conn.fetchval(
                f"SELECT COUNT(*) FROM reminders WHERE user_id = $1 AND status IN {OPEN_STATUSES}", user_id
            )
        )

    async def list_reminders(self, user_id: int) -> list[Reminder]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = $1 AND status IN {OPEN_STATUSES}"
                " ORDER BY due_at, id",
                user_id,
            )
        return [_reminder(row) for row in rows]

    async def get_reminder(self, user_id: int, reminder_id: int) -> Reminder | None:
        async with self._conn() as conn:
            row = await conn.fetchrow(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = $1 AND user_id = $2", reminder_id, user_id
            )
        return None if row is None else _reminder(row)

    async def cancel_reminder(self, user_id: int, reminder_id: int) -> bool:
        async with self._conn() as conn:
            status = await conn.execute(
                "UPDATE reminders SET status = 'cancelled', claim_token = NULL, finished_at = $1"
                f" WHERE id = $2 AND user_id = $3 AND status IN {OPEN_STATUSES}",
                self._now(), reminder_id, user_id,
            )  # fmt: skip
        return _changed(status) > 0

    async def snooze(
        self, user_id: int, reminder_id: int, due_at: datetime, *, max_active: int = MAX_ACTIVE_REMINDERS
    ) -> bool:
        due = to_timestamp(due_at)
        async with self._transaction() as conn:
            status = await conn.fetchval(
                "SELECT status FROM reminders WHERE id = $1 AND user_id = $2", reminder_id, user_id
            )
            if status is None or status == "cancelled":
                return False
            await self._lock_member(conn, user_id)
            if status == "done" and await self._open_count(conn, user_id) >= max_active:
                raise LimitError(max_active)
            changed = await conn.execute(
                "UPDATE reminders SET status = 'active', due_at = $1, attempt_at = $1, attempts = 0,"
                " claim_token = NULL, finished_at = NULL WHERE id = $2 AND status <> 'cancelled'",
                due, reminder_id,
            )  # fmt: skip
            if not _changed(changed):  # cancelled between our read and the member lock
                return False
            await self._notify(conn, due)
            return True

    async def pause_member_reminders(self, user_id: int) -> int:
        async with self._transaction() as conn:
            status = await conn.execute(
                "UPDATE reminders SET status = 'paused', claim_token = NULL WHERE user_id = $1 AND status = 'active'",
                user_id,
            )
            await conn.execute(ENSURE_MEMBER, user_id)
            await conn.execute("UPDATE members SET notice_pending = TRUE WHERE user_id = $1", user_id)
            return _changed(status)

    async def take_notice(self, user_id: int) -> bool:
        async with self._conn() as conn:
            status = await conn.execute(
                "UPDATE members SET notice_pending = FALSE WHERE user_id = $1 AND notice_pending", user_id
            )
        return _changed(status) > 0

    async def resume_member_reminders(self, user_id: int) -> int:
        async with self._transaction() as conn:
            rows = await conn.fetch(
                "UPDATE reminders SET status = 'active', attempt_at = due_at, attempts = 0"
                " WHERE user_id = $1 AND status = 'paused' RETURNING due_at",
                user_id,
            )
            if rows:
                await self._notify(conn, min(row["due_at"] for row in rows))
        return len(rows)

    async def purge_finished(self, before: datetime) -> int:
        async with self._conn() as conn:
            status = await conn.execute(
                "DELETE FROM reminders WHERE status IN ('done', 'cancelled') AND finished_at < $1", to_timestamp(before)
            )
        return _changed(status)

    # Reminders, dispatcher side

    async def next_wakeup(self) -> datetime | None:
        async with self._conn() as conn:
            at = await conn.fetchval("SELECT MIN(attempt_at) FROM reminders WHERE status = 'active'")
        return None if at is None else from_timestamp(at)

    async def claim_due(self, now: datetime, *, lease: timedelta, limit: int) -> list[Reminder]:
        token = uuid.uuid4().hex
        at = to_timestamp(now)
        async with self._conn() as conn:
            rows = await conn.fetch(CLAIM, token, at + max(1, int(lease.total_seconds())), at, limit)
        return sorted((_reminder(row) for row in rows), key=lambda r: (r.due_at, r.id))

    async def finish(self, reminder_id: int, claim_token: str, *, next_due: datetime | None) -> bool:
        where = " WHERE id = $2 AND claim_token = $3 AND status = 'active'"
        async with self._conn() as conn:
            if next_due is None:
                status = await conn.execute(
                    "UPDATE reminders SET status = 'done', claim_token = NULL, attempts = 0, finished_at = $1" + where,
                    self._now(), reminder_id, claim_token,
                )  # fmt: skip
            else:
                status = await conn.execute(
                    "UPDATE reminders SET due_at = $1, attempt_at = $1, claim_token = NULL, attempts = 0" + where,
                    to_timestamp(next_due), reminder_id, claim_token,
                )  # fmt: skip
        return _changed(status) > 0

    async def release(self, reminder_id: int, claim_token: str, retry_at: datetime) -> bool:
        async with self._conn() as conn:
            status = await conn.execute(
                "UPDATE reminders SET claim_token = NULL, attempt_at = $1, attempts = attempts + 1"
                " WHERE id = $2 AND claim_token = $3 AND status = 'active'",
                to_timestamp(retry_at), reminder_id, claim_token,
            )  # fmt: skip
        return _changed(status) > 0

    # The member's data

    async def export_member(self, user_id: int) -> dict[str, Any]:
        # REPEATABLE READ: the three reads see one consistent snapshot.
        async with self._transaction(isolation="repeatable_read", readonly=True) as conn:
            member = await conn.fetchrow("SELECT timezone, notice_pending FROM members WHERE user_id = $1", user_id)
            steps = await conn.fetch("SELECT step_id, done_at FROM checklist WHERE user_id = $1", user_id)
            reminders = await conn.fetch(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = $1 ORDER BY id", user_id
            )
            votes = await conn.fetch("SELECT entry_id, helpful, voted_at FROM feedback WHERE user_id = $1", user_id)
        export = MemberExport(
            user_id=user_id,
            timezone=member["timezone"] if member else None,
            notice_pending=bool(member["notice_pending"]) if member else False,
            checklist={row["step_id"]: from_timestamp(row["done_at"]) for row in steps},
            reminders=[_reminder(row) for row in reminders],
            votes={row["entry_id"]: (row["helpful"], from_timestamp(row["voted_at"])) for row in votes},
        )
        return export.to_json()

    async def delete_member(self, user_id: int) -> int:
        deleted = 0
        async with self._transaction() as conn:
            for table in ("checklist", "reminders", "feedback", "members"):
                deleted += _changed(await conn.execute(f"DELETE FROM {table} WHERE user_id = $1", user_id))
        return deleted

    # What the knowledge base learns from

    async def record_vote(self, user_id: int, entry_id: str, helpful: bool) -> bool:
        async with self._transaction() as conn:
            await self._lock_member(conn, user_id)  # one vote at a time per member, so "replaced" is exact
            earlier = await conn.fetchval(
                "SELECT 1 FROM feedback WHERE user_id = $1 AND entry_id = $2", user_id, entry_id
            )
            await conn.execute(
                "INSERT INTO feedback (user_id, entry_id, helpful, voted_at) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (user_id, entry_id) DO UPDATE"
                " SET helpful = excluded.helpful, voted_at = excluded.voted_at",
                user_id, entry_id, helpful, self._now(),
            )  # fmt: skip
        return earlier is not None

    async def vote_counts(self) -> dict[str, tuple[int, int]]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT entry_id, COUNT(*) FILTER (WHERE helpful) AS yes, COUNT(*) FILTER (WHERE NOT helpful) AS no"
                " FROM feedback GROUP BY entry_id"
            )
        return {row["entry_id"]: (int(row["yes"]), int(row["no"])) for row in rows}

    async def record_unanswered_counts(self, counts: Mapping[str, UnansweredCount], *, cap: int) -> None:
        if not counts:
            return
        rows = unanswered_rows(counts)
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT (text) DO UPDATE SET count = unanswered.count + excluded.count,"
                " first_seen = LEAST(unanswered.first_seen, excluded.first_seen),"
                " last_seen = GREATEST(unanswered.last_seen, excluded.last_seen)",
                rows,
            )
            excess = int(await conn.fetchval("SELECT COUNT(*) FROM unanswered")) - max(1, cap)
            if excess > 0:
                # Only the first `excess + len(counts)` can be dropped: this write's texts go last.
                oldest = await conn.fetch(
                    "SELECT text FROM unanswered ORDER BY last_seen, count, text LIMIT $1", excess + len(counts)
                )
                drop = unanswered_to_drop([row["text"] for row in oldest], counts, excess)
                await conn.execute("DELETE FROM unanswered WHERE text = ANY($1::text[])", drop)

    async def unanswered_top(self, n: int) -> list[tuple[str, int]]:
        async with self._conn() as conn:
            rows = await conn.fetch(
                "SELECT text, count FROM unanswered ORDER BY count DESC, last_seen DESC, text LIMIT $1", max(0, n)
            )
        return [(row["text"], int(row["count"])) for row in rows]
