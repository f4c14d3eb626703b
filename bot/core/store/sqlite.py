"""The SQLite store: one aiosqlite connection on the file named by `MEDCODER_DB`.

Why one connection and a lock: aiosqlite runs the connection in its own thread, but coroutines
interleave between awaits, so a transaction spanning several statements would otherwise pick up
another coroutine's statements. Every operation holds `_lock`; writes that need more than one
statement to be atomic also run in `BEGIN IMMEDIATE`, which takes SQLite's write lock up front so
another process (a second bot by mistake, a maintenance script) can't interleave either. Hot paths
(checklist toggles, claims, finishes) are single statements: each round trip to SQLite's thread
costs more than the SQL itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.core.clock import Clock, SystemClock
from bot.core.store.base import MAX_ACTIVE_REMINDERS, LimitError, Store, StoreError
from bot.core.store.migrate import Migration, migrate
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

BUSY_TIMEOUT_MS = 5000
REMINDER_COLUMNS = (
    "id, user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status, created_at,"
    " attempt_at, attempts, claim_token, finished_at"
)
ENSURE_MEMBER = "INSERT INTO members (user_id) VALUES (?) ON CONFLICT (user_id) DO NOTHING"
OPEN_STATUSES = "('active', 'paused')"


def _reminder(row: Iterable[Any]) -> Reminder:
    (rid, user_id, note, step_id, due_at, recurrence, tz, anchor_at, status, created_at,
     attempt_at, attempts, claim_token, finished_at) = row  # fmt: skip
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
    )


class SQLiteStore(Store):
    """`await SQLiteStore.open(path, clock=...)`, or `async with await SQLiteStore.open(...)`."""

    def __init__(self, db: aiosqlite.Connection, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(
        cls, path: str | Path, *, clock: Clock | None = None, migrations: list[Migration] | None = None
    ) -> Self:
        """Open (creating if needed) and migrate; raises `StoreError` for a database newer than the code."""
        db = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await migrate(db, migrations)
        except BaseException:
            await db.close()
            raise
        return cls(db, clock or SystemClock())

    async def close(self) -> None:
        async with self._lock:
            if not self._closed:
                self._closed = True
                await self._db.close()

    async def ping(self) -> None:
        await self._fetch("SELECT 1", ())

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            yield self._db

    def _now(self) -> int:
        return to_timestamp(self._clock.now())

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._held():
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _fetch(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        async with self._held():
            return list(await self._db.execute_fetchall(sql, tuple(params)))

    async def _write(self, sql: str, params: Iterable[Any] = ()) -> int:
        """One statement, atomic on its own; returns the number of rows changed."""
        async with self._held():
            cursor = await self._db.execute(sql, tuple(params))
            return cursor.rowcount

    # Member settings

    async def get_timezone(self, user_id: int) -> str | None:
        rows = await self._fetch("SELECT timezone FROM members WHERE user_id = ?", (user_id,))
        return rows[0][0] if rows else None

    async def set_timezone(self, user_id: int, name: str) -> None:
        await self._write(
            "INSERT INTO members (user_id, timezone) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone",
            (user_id, name),
        )

    # Checklist

    async def checklist(self, user_id: int) -> dict[str, datetime]:
        rows = await self._fetch("SELECT step_id, done_at FROM checklist WHERE user_id = ?", (user_id,))
        return {step_id: from_timestamp(done_at) for step_id, done_at in rows}

    async def set_step(self, user_id: int, step_id: str, done: bool) -> bool:
        async with self._held() as db:
            if done:
                return await self._mark_done(db, user_id, step_id)
            cursor = await db.execute("DELETE FROM checklist WHERE user_id = ? AND step_id = ?", (user_id, step_id))
            return cursor.rowcount > 0

    async def toggle_step(self, user_id: int, step_id: str) -> bool:
        # Two single statements, each atomic, instead of a transaction: one or two round trips to
        # SQLite's thread instead of five. In-process the lock orders toggles; if another process
        # flips the step between the two statements, neither applies and we simply try again.
        async with self._held() as db:
            while True:
                if await self._mark_done(db, user_id, step_id):
                    return True
                cursor = await db.execute("DELETE FROM checklist WHERE user_id = ? AND step_id = ?", (user_id, step_id))
                if cursor.rowcount > 0:
                    return False

    async def _mark_done(self, db: aiosqlite.Connection, user_id: int, step_id: str) -> bool:
        """Insert the done row unless it exists; the member's row is created on their first step."""
        sql = "INSERT INTO checklist (user_id, step_id, done_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"
        params = (user_id, step_id, self._now())
        try:
            cursor = await db.execute(sql, params)
        except sqlite3.IntegrityError:  # foreign key: no member row yet
            await db.execute(ENSURE_MEMBER, (user_id,))
            cursor = await db.execute(sql, params)
        return cursor.rowcount > 0

    async def reset_checklist(self, user_id: int) -> int:
        return await self._write("DELETE FROM checklist WHERE user_id = ?", (user_id,))

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
        async with self._transaction() as db:
            if await self._open_count(db, user_id) >= max_active:
                raise LimitError(max_active)
            await db.execute(ENSURE_MEMBER, (user_id,))
            cursor = await db.execute(
                "INSERT INTO reminders (user_id, note, step_id, due_at, recurrence, timezone, anchor_at, status,"
                " created_at, attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                (user_id, note, step_id, due, recurrence, timezone, anchor, now, due),
            )
            rows = await db.execute_fetchall(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ?", (cursor.lastrowid,)
            )
        return _reminder(next(iter(rows)))

    @staticmethod
    async def _open_count(db: aiosqlite.Connection, user_id: int) -> int:
        rows = await db.execute_fetchall(
            f"SELECT COUNT(*) FROM reminders WHERE user_id = ? AND status IN {OPEN_STATUSES}", (user_id,)
        )
        return int(next(iter(rows))[0])

    async def list_reminders(self, user_id: int) -> list[Reminder]:
        rows = await self._fetch(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = ? AND status IN {OPEN_STATUSES}"
            " ORDER BY due_at, id",
            (user_id,),
        )
        return [_reminder(row) for row in rows]

    async def get_reminder(self, user_id: int, reminder_id: int) -> Reminder | None:
        rows = await self._fetch(
            f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE id = ? AND user_id = ?", (reminder_id, user_id)
        )
        return _reminder(rows[0]) if rows else None

    async def cancel_reminder(self, user_id: int, reminder_id: int) -> bool:
        changed = await self._write(
            "UPDATE reminders SET status = 'cancelled', claim_token = NULL, finished_at = ?"
            f" WHERE id = ? AND user_id = ? AND status IN {OPEN_STATUSES}",
            (self._now(), reminder_id, user_id),
        )
        return changed > 0

    async def snooze(
        self, user_id: int, reminder_id: int, due_at: datetime, *, max_active: int = MAX_ACTIVE_REMINDERS
    ) -> bool:
        due = to_timestamp(due_at)
        async with self._transaction() as db:
            rows = list(
                await db.execute_fetchall(
                    "SELECT status FROM reminders WHERE id = ? AND user_id = ?", (reminder_id, user_id)
                )
            )
            if not rows or rows[0][0] == "cancelled":
                return False
            if rows[0][0] == "done" and await self._open_count(db, user_id) >= max_active:
                raise LimitError(max_active)
            await db.execute(
                "UPDATE reminders SET status = 'active', due_at = ?, attempt_at = ?, attempts = 0,"
                " claim_token = NULL, finished_at = NULL WHERE id = ?",
                (due, due, reminder_id),
            )
            return True

    async def pause_member_reminders(self, user_id: int) -> int:
        async with self._transaction() as db:
            cursor = await db.execute(
                "UPDATE reminders SET status = 'paused', claim_token = NULL WHERE user_id = ? AND status = 'active'",
                (user_id,),
            )
            await db.execute(ENSURE_MEMBER, (user_id,))
            await db.execute("UPDATE members SET notice_pending = 1 WHERE user_id = ?", (user_id,))
            return cursor.rowcount

    async def take_notice(self, user_id: int) -> bool:
        changed = await self._write(
            "UPDATE members SET notice_pending = 0 WHERE user_id = ? AND notice_pending = 1", (user_id,)
        )
        return changed > 0

    async def resume_member_reminders(self, user_id: int) -> int:
        return await self._write(
            "UPDATE reminders SET status = 'active', attempt_at = due_at, attempts = 0"
            " WHERE user_id = ? AND status = 'paused'",
            (user_id,),
        )

    async def purge_finished(self, before: datetime) -> int:
        return await self._write(
            "DELETE FROM reminders WHERE status IN ('done', 'cancelled') AND finished_at < ?",
            (to_timestamp(before),),
        )

    # Reminders, dispatcher side

    async def next_wakeup(self) -> datetime | None:
        rows = await self._fetch("SELECT MIN(attempt_at) FROM reminders WHERE status = 'active'")
        return None if rows[0][0] is None else from_timestamp(rows[0][0])

    async def claim_due(self, now: datetime, *, lease: timedelta, limit: int) -> list[Reminder]:
        token = uuid.uuid4().hex
        at = to_timestamp(now)
        # One statement: the claim is atomic even against another process on the same file.
        rows = await self._fetch(
            "UPDATE reminders SET claim_token = ?, attempt_at = ?"
            " WHERE id IN (SELECT id FROM reminders WHERE status = 'active' AND attempt_at <= ?"
            "              ORDER BY attempt_at, id LIMIT ?)"
            f" RETURNING {REMINDER_COLUMNS}",
            (token, at + max(1, int(lease.total_seconds())), at, limit),
        )
        return sorted((_reminder(row) for row in rows), key=lambda r: (r.due_at, r.id))

    async def finish(self, reminder_id: int, claim_token: str, *, next_due: datetime | None) -> bool:
        if next_due is None:
            sql = "UPDATE reminders SET status = 'done', claim_token = NULL, attempts = 0, finished_at = ?"
            params: tuple[Any, ...] = (self._now(),)
        else:
            due = to_timestamp(next_due)
            sql = "UPDATE reminders SET due_at = ?, attempt_at = ?, claim_token = NULL, attempts = 0"
            params = (due, due)
        sql += " WHERE id = ? AND claim_token = ? AND status = 'active'"
        return await self._write(sql, (*params, reminder_id, claim_token)) > 0

    async def release(self, reminder_id: int, claim_token: str, retry_at: datetime) -> bool:
        changed = await self._write(
            "UPDATE reminders SET claim_token = NULL, attempt_at = ?, attempts = attempts + 1"
            " WHERE id = ? AND claim_token = ? AND status = 'active'",
            (to_timestamp(retry_at), reminder_id, claim_token),
        )
        return changed > 0

    # The member's data

    async def export_member(self, user_id: int) -> dict[str, Any]:
        async with self._transaction() as db:  # one consistent snapshot
            member = list(
                await db.execute_fetchall("SELECT timezone, notice_pending FROM members WHERE user_id = ?", (user_id,))
            )
            steps = await db.execute_fetchall("SELECT step_id, done_at FROM checklist WHERE user_id = ?", (user_id,))
            reminders = await db.execute_fetchall(
                f"SELECT {REMINDER_COLUMNS} FROM reminders WHERE user_id = ? ORDER BY id", (user_id,)
            )
            votes = await db.execute_fetchall(
                "SELECT entry_id, helpful, voted_at FROM feedback WHERE user_id = ?", (user_id,)
            )
        export = MemberExport(
            user_id=user_id,
            timezone=member[0][0] if member else None,
            notice_pending=bool(member[0][1]) if member else False,
            checklist={step_id: from_timestamp(done_at) for step_id, done_at in steps},
            reminders=[_reminder(row) for row in reminders],
            votes={entry_id: (bool(helpful), from_timestamp(at)) for entry_id, helpful, at in votes},
        )
        return export.to_json()

    async def delete_member(self, user_id: int) -> int:
        deleted = 0
        async with self._transaction() as db:
            for table in ("checklist", "reminders", "feedback", "members"):
                cursor = await db.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
                deleted += cursor.rowcount
        return deleted

    # What the knowledge base learns from

    async def record_vote(self, user_id: int, entry_id: str, helpful: bool) -> bool:
        async with self._transaction() as db:
            earlier = list(
                await db.execute_fetchall(
                    "SELECT 1 FROM feedback WHERE user_id = ? AND entry_id = ?", (user_id, entry_id)
                )
            )
            await db.execute(ENSURE_MEMBER, (user_id,))
            await db.execute(
                "INSERT INTO feedback (user_id, entry_id, helpful, voted_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (user_id, entry_id) DO UPDATE"
                " SET helpful = excluded.helpful, voted_at = excluded.voted_at",
                (user_id, entry_id, int(helpful), self._now()),
            )
        return bool(earlier)

    async def vote_counts(self) -> dict[str, tuple[int, int]]:
        rows = await self._fetch("SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM feedback GROUP BY entry_id")
        return {entry_id: (int(yes), int(no)) for entry_id, yes, no in rows}

    async def record_unanswered_counts(self, counts: Mapping[str, UnansweredCount], *, cap: int) -> None:
        if not counts:
            return
        rows = unanswered_rows(counts)
        async with self._transaction() as db:
            await db.executemany(
                "INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (text) DO UPDATE SET count = count + excluded.count,"
                " first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)",
                rows,
            )
            total = list(await db.execute_fetchall("SELECT COUNT(*) FROM unanswered"))
            excess = int(total[0][0]) - max(1, cap)
            if excess > 0:
                # Only the first `excess + len(counts)` can be dropped: this write's texts go last.
                oldest = await db.execute_fetchall(
                    "SELECT text FROM unanswered ORDER BY last_seen, count, text LIMIT ?", (excess + len(counts),)
                )
                drop = unanswered_to_drop([row[0] for row in oldest], counts, excess)
                await db.executemany("DELETE FROM unanswered WHERE text = ?", [(text,) for text in drop])

    async def unanswered_top(self, n: int) -> list[tuple[str, int]]:
        rows = await self._fetch(
            "SELECT text, count FROM unanswered ORDER BY count DESC, last_seen DESC, text LIMIT ?", (max(0, n),)
        )
        return [(text, int(count)) for text, count in rows]
