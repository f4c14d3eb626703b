"""Numbered SQL migration files, applied in order when the store opens.

Why files and a version table: the schema is readable SQL, every database records exactly which
files it has seen, and an old bot pointed at a newer database stops with a clear message instead
of writing rows the newer schema doesn't expect. Each file runs in its own transaction, so a
failing one leaves the database at the previous version.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

import aiosqlite

from bot.core.store.base import StoreError

FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def split_statements(sql: str) -> list[str]:
    """Split a script into statements, keeping semicolons inside strings, comments and triggers."""
    statements, chunk = [], ""
    *pieces, rest = sql.split(";")
    for piece in pieces:
        chunk += piece + ";"
        if sqlite3.complete_statement(chunk):
            statements.append(chunk.strip())
            chunk = ""
    if _has_code(chunk + rest):
        raise StoreError(f"unterminated SQL statement: {(chunk + rest).strip()[:80]!r}")
    return [s for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in statement.rstrip(";").splitlines())


def load_migrations(directory: Traversable | Path | None = None) -> list[Migration]:
    """The migration files of `directory` (default: the packaged ones), checked to be numbered 1..n."""
    folder = directory if directory is not None else resources.files("bot.core.store") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise StoreError(f"migration file {entry.name!r} is not named like 0001_what_it_does.sql")
        text = entry.read_text(encoding="utf-8")
        found.append(Migration(int(match[1]), match[2], tuple(split_statements(text))))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"migrations must be numbered 1..n without gaps or repeats, found {versions}")
    return found


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
    migrations = load_migrations() if migrations is None else migrations
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
