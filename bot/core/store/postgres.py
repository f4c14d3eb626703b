"""PostgreSQL: an asyncpg connection pool on `MEDCODER_DATABASE_URL` (issue 7).

Why PostgreSQL beside SQLite: one SQLite file serves one process, and a bot in thousands of servers
runs several processes (each hosting some shards) that must share members' checklists and reminders.
The store's logic is the same (`bot.core.store.sql`); this module holds only what a pool of
connections needs that SQLite's single connection doesn't:

- Claims are one statement whose inner `SELECT … FOR UPDATE SKIP LOCKED` makes concurrent dispatchers
  (in any number of processes) take disjoint batches without waiting on each other, so none sends
  a reminder twice and none blocks.
- Writes that read before they write (the per-member reminder limit, snoozing, votes) lock the
  member's row first, which orders them per member the way SQLite's single writer does.
- Adding, snoozing and resuming reminders send `NOTIFY medcoder_reminders` with the due time, so the
  dispatchers of every process wake early for a sooner reminder (`listen`).
- Migrations run under an advisory lock, so processes starting together migrate once.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Self

import asyncpg

from bot.core.clock import Clock, SystemClock
from bot.core.store.base import StoreError, Unlisten
from bot.core.store.migrate import Migration, load_migrations
from bot.core.store.models import from_timestamp
from bot.core.store.sql import CLAIM_TEMPLATE, DUE_IDS, Connection, Database, MissingMember, SQLStore

log = logging.getLogger(__name__)

CHANNEL = "medcoder_reminders"
# pg_advisory_lock key for migrations: b"medcoder" as a big-endian signed 64-bit integer.
MIGRATION_LOCK = int.from_bytes(b"medcoder", "big", signed=True)
PLACEHOLDER = re.compile(r"\?")


@functools.lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """The store's `?` placeholders as PostgreSQL's `$1, $2, …` (the store's SQL has no literal `?`)."""
    numbers = itertools.count(1)
    return PLACEHOLDER.sub(lambda _: f"${next(numbers)}", sql)


def _changed(status: str) -> int:
    """Rows affected, from asyncpg's command tag ("UPDATE 3", "DELETE 0", "INSERT 0 1")."""
    return int(status.rsplit(" ", 1)[-1])


class _Connection:
    """The store's `Connection` on asyncpg."""

    __slots__ = ("_conn",)

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def fetch(self, sql: str, *params: Any) -> list[Sequence[Any]]:
        return list(await self._conn.fetch(numbered(sql), *params))

    async def execute(self, sql: str, *params: Any) -> int:
        try:
            return _changed(await self._conn.execute(numbered(sql), *params))
        except asyncpg.ForeignKeyViolationError as exc:
            raise MissingMember from exc

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._conn.executemany(numbered(sql), rows)


class PostgresDatabase(Database):
    # `= ANY(ARRAY(subquery))` rather than `IN (subquery)`: the ARRAY is an InitPlan, evaluated exactly
    # once, so the LIMIT and the row locks can't be re-run by a plan that rescans the subquery.
    claim_sql = CLAIM_TEMPLATE.format(picked=f"= ANY(ARRAY({DUE_IDS} FOR UPDATE SKIP LOCKED))")

    def __init__(self, pool: asyncpg.Pool, dsn: str) -> None:
        self._pool = pool
        self._dsn = dsn
        self._closed = False
        self._listeners: list[asyncpg.Connection] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[_Connection]:
        if self._closed:
            raise StoreError("the store is closed")
        async with self._pool.acquire() as conn:
            yield _Connection(conn)

    @asynccontextmanager
    async def transaction(self, *, snapshot: bool = False) -> AsyncIterator[_Connection]:
        if self._closed:
            raise StoreError("the store is closed")
        # REPEATABLE READ for a snapshot: every read of the transaction sees the same data.
        options: dict[str, Any] = {"isolation": "repeatable_read", "readonly": True} if snapshot else {}
        async with self._pool.acquire() as conn, conn.transaction(**options):
            yield _Connection(conn)

    async def lock_member(self, conn: Connection, user_id: int) -> None:
        await conn.fetch("SELECT 1 FROM members WHERE user_id = ? FOR UPDATE", user_id)

    async def notify(self, conn: Connection, due: int) -> None:
        """Queue a wake-up for every listening process; PostgreSQL sends it when the transaction commits."""
        await conn.fetch("SELECT pg_notify(?, ?)", CHANNEL, str(due))

    async def listen(self, callback: Callable[[datetime | None], object]) -> Unlisten:
        """A dedicated connection (a pooled one would be handed to queries and lose the LISTEN)."""
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

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        listeners, self._listeners = self._listeners, []
        for conn in listeners:
            await conn.close()
        await self._pool.close()


class PostgresStore(SQLStore):
    """`await PostgresStore.open("postgresql://…", clock=...)`; one pool per process."""

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
        return cls(PostgresDatabase(pool, dsn), clock or SystemClock())


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
    migrations = load_migrations(dialect="postgresql") if migrations is None else migrations
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
