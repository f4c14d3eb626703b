"""Migrations: from an empty database, from every earlier version, and refusing newer databases."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.core.store import SQLiteStore, StoreError
from bot.core.store.migrate import DIALECTS, for_dialect, load_migrations, split_statements
from bot.core.store.sqlite import SQLiteDatabase, migrate, schema_version
from tests.clock import FakeClock

MIGRATIONS = load_migrations()
LATEST = MIGRATIONS[-1].version
USER = 42
GUILD = 4242


async def at_version(path: Path, version: int) -> None:
    """A database as an older bot left it: only the first `version` migration files applied."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        assert await migrate(db, MIGRATIONS, target=version) == version


def seed(path: Path, version: int, clock: FakeClock) -> None:
    """Rows that every schema from `version` on can hold."""
    now = int(clock.now().timestamp())
    with sqlite3.connect(path) as raw:
        if version >= 1:
            raw.execute("INSERT INTO members (user_id, timezone) VALUES (?, 'Europe/Paris')", (USER,))
            raw.execute("INSERT INTO checklist VALUES (?, 'step-education', ?)", (USER, now - 60))
        if version >= 2:
            raw.execute(
                "INSERT INTO reminders (user_id, note, due_at, timezone, anchor_at, created_at, attempt_at)"
                " VALUES (?, 'old reminder', ?, 'Europe/Paris', ?, ?, ?)",
                (USER, now + 3600, now + 3600, now, now + 3600),
            )
        if version == 4:  # the one schema that counted a server's /ask topics by UTC day
            raw.execute("INSERT INTO guild_topics VALUES (?, ?, 'cpc-salary', 3)", (GUILD, now // 86_400))


def test_migration_files_are_numbered_and_parse() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, LATEST + 1))
    assert all(m.statements for m in MIGRATIONS)


@pytest.mark.parametrize("version", range(LATEST))
async def test_upgrade_from_every_earlier_version_keeps_data(tmp_path: Path, version: int) -> None:
    clock = FakeClock()
    path = tmp_path / "old.db"
    await at_version(path, version)
    seed(path, version, clock)

    async with await SQLiteStore.open(path, clock=clock) as store:
        assert isinstance(store._db, SQLiteDatabase)
        assert await schema_version(store._db.raw) == LATEST
        if version >= 1:
            assert await store.get_timezone(USER) == "Europe/Paris"
            assert await store.checklist(USER) == {"step-education": clock.now() - timedelta(seconds=60)}
        if version >= 2:
            [old] = await store.list_reminders(USER)
            assert old.note == "old reminder" and old.status == "active"
        if version == 4:  # a day's count now starts at that day's first hour
            first_hour = int(clock.now().timestamp()) // 86_400 * 24
            assert await store.top_topics(GUILD, first_hour, 5) == [("cpc-salary", 3)]
            assert await store.top_topics(GUILD, first_hour + 1, 5) == []
        # The upgraded database is fully usable.
        await store.toggle_step(USER, "step-networking")
        added = await store.add_reminder(USER, "new", clock.now(), timezone="UTC")
        [claimed] = await store.claim_due(clock.now(), lease=timedelta(minutes=5), limit=5)
        assert claimed.id == added.id
        assert await store.pause_member_reminders(USER) >= 1
        assert await store.take_notice(USER)

    with sqlite3.connect(path) as raw:
        applied = raw.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert applied == [(m.version, m.name) for m in MIGRATIONS]


async def test_reopening_applies_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    for _ in range(2):
        async with await SQLiteStore.open(path, clock=FakeClock()) as store:
            await store.set_step(USER, "step-education", True)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == LATEST


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    async with await SQLiteStore.open(path, clock=FakeClock()):
        pass
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO schema_version VALUES (?, 'from_the_future', 0)", (LATEST + 5,))
    message = f"database schema version {LATEST + 5} is newer than this code ({LATEST}); upgrade medcoder-bot"
    with pytest.raises(StoreError) as caught:
        await SQLiteStore.open(path, clock=FakeClock())
    assert str(caught.value) == message


async def test_failing_migration_rolls_back_to_previous_version(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n", encoding="utf-8")
    (folder / "0002_broken.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (1);\n", encoding="utf-8"
    )
    path = tmp_path / "db.sqlite"
    with pytest.raises(StoreError, match=r"0002_broken\.sql failed: no such table: nowhere"):
        await SQLiteStore.open(path, migrations=load_migrations(folder))
    with sqlite3.connect(path) as raw:
        tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert tables == {"schema_version", "a"}
        assert raw.execute("SELECT COUNT(*) FROM a").fetchone()[0] == 0
        assert raw.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1


@pytest.mark.parametrize(
    ("names", "error"),
    [
        (["0001_a.sql", "0003_c.sql"], "without gaps"),
        (["0001_a.sql", "0001_b.sql"], "without gaps"),
        (["1_a.sql"], "not named like"),
    ],
)
def test_badly_numbered_files_are_refused(tmp_path: Path, names: list[str], error: str) -> None:
    for name in names:
        (tmp_path / name).write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(StoreError, match=error):
        load_migrations(tmp_path)


def test_split_statements_keeps_semicolons_in_strings_and_triggers() -> None:
    sql = """
    -- a comment; with a semicolon
    CREATE TABLE t (x TEXT DEFAULT 'a;b');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        UPDATE t SET x = 'c;d';
        DELETE FROM t WHERE x = ';';
    END;
    INSERT INTO t VALUES ('e;f'); -- trailing comment
    """
    statements = split_statements(sql)
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")
    with pytest.raises(StoreError, match="unterminated"):
        split_statements("CREATE TABLE t (x INTEGER)")


def test_every_migration_has_sql_for_both_databases() -> None:
    """One history: each version exists once, with statements for SQLite and for PostgreSQL."""
    for dialect in DIALECTS:
        migrations = load_migrations(dialect=dialect)
        assert [(m.version, m.name) for m in migrations] == [(m.version, m.name) for m in MIGRATIONS]
        assert all(m.statements for m in migrations)
    sqlite_types = " ".join(" ".join(m.statements) for m in MIGRATIONS)
    pg_types = " ".join(" ".join(m.statements) for m in load_migrations(dialect="postgresql"))
    assert "AUTOINCREMENT" in sqlite_types and "AUTOINCREMENT" not in pg_types
    assert "GENERATED BY DEFAULT AS IDENTITY" in pg_types and "IDENTITY" not in sqlite_types


def test_dialect_sections_pick_what_each_database_runs() -> None:
    sql = (
        "CREATE TABLE a (x INTEGER);\n-- dialect: sqlite\nSELECT 'lite';\n"
        "-- dialect: postgresql\nSELECT 'pg';\n-- dialect: all\nSELECT 'both';\n"
    )
    assert split_statements(for_dialect(sql, "sqlite")) == [
        "CREATE TABLE a (x INTEGER);",
        "SELECT 'lite';",
        "SELECT 'both';",
    ]
    assert split_statements(for_dialect(sql, "postgresql")) == [
        "CREATE TABLE a (x INTEGER);",
        "SELECT 'pg';",
        "SELECT 'both';",
    ]
    with pytest.raises(StoreError, match="unknown dialect 'mysql'"):
        for_dialect("-- dialect: mysql\nSELECT 1;", "sqlite")
