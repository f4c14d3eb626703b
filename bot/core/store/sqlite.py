"""SQLite, the default database: one aiosqlite connection on the file named by `MEDCODER_DB`.

Why one connection and a lock: aiosqlite runs the connection in its own thread, but coroutines
interleave between awaits, so a transaction spanning several statements would otherwise pick up
another coroutine's statements. Every use of the connection holds `_lock`; transactions run in
`BEGIN IMMEDIATE`, which takes SQLite's write lock up front so another process (a second bot by
mistake, a maintenance script) can't interleave either. Hot paths (checklist toggles, claims,
finishes) are single statements: each round trip to SQLite's thread costs more than the SQL itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

import aiosqlite

from bot.core.clock import Clock, SystemClock
from bot.core.store.base import StoreError
from bot.core.store.migrate import Migration, load_migrations
from bot.core.store.sql import CLAIM_TEMPLATE, DUE_IDS, Database, MissingMember, SQLStore

BUSY_TIMEOUT_MS = 5000


class _Connection:
    """The store's `Connection` on aiosqlite: SQLite takes `?` placeholders as they are."""

    __slots__ = ("_db",)

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def fetch(self, sql: str, *params: Any) -> list[Sequence[Any]]:
        return list(await self._db.execute_fetchall(sql, params))

    async def execute(self, sql: str, *params: Any) -> int:
        try:
            cursor = await self._db.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                raise MissingMember from exc
            raise
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self._db.executemany(sql, rows)


class SQLiteDatabase(Database):
    claim_sql = CLAIM_TEMPLATE.format(picked=f"IN ({DUE_IDS})")

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.raw = db  # for tests and tools that inspect pragmas
        self._conn = _Connection(db)
        self._lock = asyncio.Lock()
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[_Connection]:
        async with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            yield self._conn

    @asynccontextmanager
    async def transaction(self, *, snapshot: bool = False) -> AsyncIterator[_Connection]:
        # BEGIN IMMEDIATE also gives a snapshot: no other writer can change what we read.
        async with self.connection() as conn:
            await self.raw.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                await self.raw.execute("ROLLBACK")
                raise
            await self.raw.execute("COMMIT")

    async def close(self) -> None:
        async with self._lock:
            if not self._closed:
                self._closed = True
                await self.raw.close()


class SQLiteStore(SQLStore):
    """`await SQLiteStore.open(path, clock=...)`, or `async with await SQLiteStore.open(...)`."""

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
        return cls(SQLiteDatabase(db), clock or SystemClock())


async def schema_version(db: aiosqlite.Connection) -> int:
    """The highest migration applied to `db` (0 for an empty database)."""
    rows = list(
        await db.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", ("schema_version",)
        )
    )
    if not rows:
        return 0
    rows = list(await db.execute_fetchall("SELECT MAX(version) FROM schema_version"))
    return int(rows[0][0] or 0)


async def migrate(
    db: aiosqlite.Connection, migrations: list[Migration] | None = None, *, target: int | None = None
) -> int:
    """Bring `db` up to `target` (default: the newest migration); returns the version reached.

    `db` must be in autocommit mode (`isolation_level=None`): this function runs its own transactions.
    Raises `StoreError` if the database is newer than the newest migration known here.
    """
    migrations = load_migrations(dialect="sqlite") if migrations is None else migrations
    latest = migrations[-1].version if migrations else 0
    target = latest if target is None else target
    current = await schema_version(db)
    if current > latest:
        raise StoreError(f"database schema version {current} is newer than this code ({latest}); upgrade medcoder-bot")
    await db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    for migration in migrations:
        if current < migration.version <= target:
            await _apply(db, migration)
            current = migration.version
    return await schema_version(db)


async def _apply(db: aiosqlite.Connection, migration: Migration) -> None:
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have applied it while we waited for the write lock.
        if await schema_version(db) >= migration.version:
            await db.execute("ROLLBACK")
            return
        for statement in migration.statements:
            await db.execute(statement)
        await db.execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
            (migration.version, migration.name, int(time.time())),
        )
        await db.execute("COMMIT")
    except BaseException as exc:
        await db.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise StoreError(f"migration {migration.version:04d}_{migration.name}.sql failed: {exc}") from exc
        raise
