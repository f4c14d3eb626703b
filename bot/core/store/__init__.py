"""Storage for checklists, reminders and member settings, Discord-free.

`Store` is the interface, with two backends: `SQLiteStore` (the default, no set-up) and
`PostgresStore` (`bot.core.store.postgres`, for several bot processes sharing one database).
Open one at start-up with `store = await open_store(settings.db, settings.database_url, clock=clock)`.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.clock import Clock
from bot.core.store.base import MAX_ACTIVE_REMINDERS, LimitError, Store, StoreError
from bot.core.store.models import (
    LATE_AFTER,
    MAX_NOTE_LENGTH,
    ChecklistItem,
    MemberExport,
    Reminder,
    ReminderStatus,
    build_checklist,
)
from bot.core.store.sqlite import SQLiteStore


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


async def open_store(db_path: str | Path, database_url: str | None, *, clock: Clock | None = None) -> Store:
    """PostgreSQL when `database_url` is set (`MEDCODER_DATABASE_URL`), else SQLite at `db_path`.

    Why a factory: the bot, the CLI and the tests choose the backend by configuration alone; asyncpg
    is imported only when PostgreSQL is used, so the SQLite default starts as fast as before.
    """
    if database_url:
        if not is_postgres_url(database_url):
            raise StoreError(f"MEDCODER_DATABASE_URL must start with postgresql://, got {database_url.split(':')[0]!r}")
        from bot.core.store.postgres import PostgresStore  # noqa: PLC0415  (asyncpg only when used)

        return await PostgresStore.open(database_url, clock=clock)
    return await SQLiteStore.open(db_path, clock=clock)


__all__ = [
    "LATE_AFTER",
    "MAX_ACTIVE_REMINDERS",
    "MAX_NOTE_LENGTH",
    "ChecklistItem",
    "LimitError",
    "MemberExport",
    "Reminder",
    "ReminderStatus",
    "SQLiteStore",
    "Store",
    "StoreError",
    "build_checklist",
    "is_postgres_url",
    "open_store",
]
