"""What only the PostgreSQL store has: its migrations under an advisory lock, concurrent claims, NOTIFY.

The shared behaviour (checklists, reminders, claims, export) is tested on both backends in
`test_store.py` and `test_scheduler.py`; these tests cover the parts that work differently.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.core.scheduler import DeliveryOutcome, ReminderScheduler
from bot.core.store import Reminder, StoreError
from bot.core.store.migrate import load_migrations
from bot.core.store.postgres import PostgresDatabase, PostgresStore, migrate_pg, pg_schema_version
from tests.clock import FakeClock

MIGRATIONS = load_migrations(dialect="postgresql")
LATEST = MIGRATIONS[-1].version
USER = 42
LEASE = timedelta(minutes=5)


def test_pg_migrations_mirror_the_sqlite_ones() -> None:
    """Same numbers and names, so a version means the same schema on both backends."""
    assert [(m.version, m.name) for m in MIGRATIONS] == [(m.version, m.name) for m in load_migrations()]


@pytest.mark.parametrize("version", range(LATEST))
async def test_upgrade_from_every_earlier_version_keeps_data(pg_dsn: str, version: int) -> None:
    clock = FakeClock()
    now = int(clock.now().timestamp())
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await migrate_pg(conn, MIGRATIONS, target=version) == version
        if version >= 1:
            await conn.execute("INSERT INTO members (user_id, timezone) VALUES ($1, 'Europe/Paris')", USER)
            await conn.execute("INSERT INTO checklist VALUES ($1, 'step-education', $2)", USER, now - 60)
    finally:
        await conn.close()

    async with await PostgresStore.open(pg_dsn, clock=clock) as store:
        if version >= 1:
            assert await store.get_timezone(USER) == "Europe/Paris"
            assert await store.checklist(USER) == {"step-education": clock.now() - timedelta(seconds=60)}
        added = await store.add_reminder(USER, "new", clock.now(), timezone="UTC")
        [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=5)
        assert claimed.id == added.id
        assert await store.pause_member_reminders(USER) == 1 and await store.take_notice(USER)

    conn = await asyncpg.connect(pg_dsn)
    try:
        rows = await conn.fetch("SELECT version, name FROM schema_version ORDER BY version")
    finally:
        await conn.close()
    assert [tuple(r) for r in rows] == [(m.version, m.name) for m in MIGRATIONS]


async def test_processes_starting_together_migrate_once(pg_dsn: str) -> None:
    """Eight stores opening at once on an empty database: the advisory lock lets one migrate."""
    stores = await asyncio.gather(*(PostgresStore.open(pg_dsn, clock=FakeClock()) for _ in range(8)))
    try:
        await stores[3].set_step(USER, "step-education", True)
        assert await stores[5].checklist(USER)
    finally:
        for store in stores:
            await store.close()
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM schema_version") == LATEST
        assert await pg_schema_version(conn) == LATEST
    finally:
        await conn.close()


async def test_newer_database_is_refused_with_the_sqlite_message(pg_dsn: str) -> None:
    async with await PostgresStore.open(pg_dsn, clock=FakeClock()):
        pass
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute("INSERT INTO schema_version VALUES ($1, 'from_the_future', 0)", LATEST + 5)
    finally:
        await conn.close()
    with pytest.raises(StoreError) as caught:
        await PostgresStore.open(pg_dsn, clock=FakeClock())
    assert str(caught.value) == (
        f"database schema version {LATEST + 5} is newer than this code ({LATEST}); upgrade medcoder-bot"
    )


async def test_failing_migration_rolls_back_to_previous_version(pg_dsn: str, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (x INTEGER);\n", encoding="utf-8")
    (tmp_path / "0002_broken.sql").write_text(
        "CREATE TABLE b (y INTEGER);\nINSERT INTO a VALUES (1);\nINSERT INTO nowhere VALUES (1);\n", encoding="utf-8"
    )
    with pytest.raises(StoreError, match=r'0002_broken\.sql failed: relation "nowhere" does not exist'):
        await PostgresStore.open(pg_dsn, migrations=load_migrations(tmp_path))
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT to_regclass('b')") is None
        assert await conn.fetchval("SELECT COUNT(*) FROM a") == 0
        assert await conn.fetchval("SELECT MAX(version) FROM schema_version") == 1
        # The lock was released: a later start isn't stuck behind it.
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1)", int.from_bytes(b"medcoder", "big"))
    finally:
        await conn.close()


async def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        await PostgresStore.open(f"postgresql://postgres@/nothing?host={tmp_path}", clock=FakeClock())


async def test_concurrent_claims_from_many_stores_never_overlap(pg_dsn: str) -> None:
    """Four pools claiming at once (as four processes would): every reminder claimed exactly once."""
    clock = FakeClock()
    stores = [await PostgresStore.open(pg_dsn, clock=clock) for _ in range(4)]
    try:
        for i in range(400):
            await stores[i % 4].add_reminder(1000 + i % 50, f"n{i}", clock.now() - timedelta(seconds=i), timezone="UTC")

        async def drain(store: PostgresStore) -> list[int]:
            got: list[int] = []
            while batch := await store.claim_due(clock.now(), lease=LEASE, limit=7):
                got += [r.id for r in batch]
            return got

        results = await asyncio.gather(*(drain(store) for store in stores for _ in range(3)))
        claimed = [rid for ids in results for rid in ids]
        assert len(claimed) == len(set(claimed)) == 400
        assert sum(1 for ids in results if ids) > 1  # the work really was shared
    finally:
        for store in stores:
            await store.close()


async def test_add_snooze_resume_notify_other_processes(pg_dsn: str) -> None:
    clock = FakeClock()
    async with (
        await PostgresStore.open(pg_dsn, clock=clock) as mine,
        await PostgresStore.open(pg_dsn, clock=clock) as theirs,
    ):
        heard: asyncio.Queue[datetime | None] = asyncio.Queue()
        unlisten = await mine.listen(heard.put_nowait)
        soon = clock.now() + timedelta(minutes=3)
        reminder = await theirs.add_reminder(USER, "from another process", soon, timezone="UTC")
        assert await asyncio.wait_for(heard.get(), 5) == soon
        later = soon + timedelta(hours=1)
        assert await theirs.snooze(USER, reminder.id, later)
        assert await asyncio.wait_for(heard.get(), 5) == later
        await theirs.pause_member_reminders(USER)
        assert await theirs.resume_member_reminders(USER) == 1
        assert await asyncio.wait_for(heard.get(), 5) == later
        await unlisten()
        await theirs.add_reminder(USER, "unheard", soon, timezone="UTC")
        await asyncio.sleep(0.2)
        assert heard.empty()


async def test_a_sleeping_scheduler_wakes_for_a_reminder_added_by_another_process(pg_dsn: str) -> None:
    """Nobody calls notify(): the NOTIFY from the other store's add wakes the dispatcher."""
    clock = FakeClock()
    async with (
        await PostgresStore.open(pg_dsn, clock=clock) as mine,
        await PostgresStore.open(pg_dsn, clock=clock) as theirs,
    ):
        await mine.add_reminder(USER, "tomorrow", clock.now() + timedelta(days=1), timezone="UTC")
        delivered: asyncio.Queue[Reminder] = asyncio.Queue()

        async def deliver(reminder: Reminder) -> DeliveryOutcome:
            delivered.put_nowait(reminder)
            return DeliveryOutcome.SENT

        scheduler = ReminderScheduler(mine, deliver, clock=clock, lease=LEASE)
        scheduler.start()
        try:
            for _ in range(500):
                if scheduler.idle and scheduler.planned is not None:
                    break
                await asyncio.sleep(0.01)
            assert scheduler.planned == clock.now() + timedelta(days=1)
            now = await theirs.add_reminder(USER + 1, "now", clock.now(), timezone="UTC")
            assert (await asyncio.wait_for(delivered.get(), 5)).id == now.id
        finally:
            await scheduler.stop()
        assert isinstance(mine._db, PostgresDatabase)
        assert mine._db._listeners == []  # stopping the scheduler stopped listening
