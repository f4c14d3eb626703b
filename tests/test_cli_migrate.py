"""`medcoder-bot migrate-data`: every member's data from SQLite to PostgreSQL, exactly, and idempotently."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from bot.core.store import SQLiteStore, Store
from bot.core.store.migrate import load_migrations
from bot.core.store.postgres import PostgresStore
from tests.clock import FakeClock

ALICE, BOB, CAROL = 111_111_111_111_111_111, 222_222_222_222_222_222, 333


async def fill(store: Store, clock: FakeClock) -> None:
    """Members in every state the bot produces: steps, timezones, notices, reminders of every status."""
    await store.set_timezone(ALICE, "Europe/Paris")
    await store.set_step(ALICE, "step-education", True)
    clock.advance(60)
    await store.set_step(ALICE, "step-certification", True)
    await store.add_reminder(ALICE, "weekly", clock.now(), timezone="Europe/Paris", recurrence="weekly:0:19:00")
    cancelled = await store.add_reminder(ALICE, "cancelled", clock.now() + timedelta(hours=1), timezone="UTC")
    await store.cancel_reminder(ALICE, cancelled.id)
    before = clock.now() - timedelta(minutes=5)
    await store.add_reminder(BOB, "bob's", before, timezone="UTC", step_id="step-networking")
    [claimed] = await store.claim_due(clock.now() - timedelta(minutes=1), lease=timedelta(minutes=5), limit=1)
    await store.finish(claimed.id, claimed.claim_token or "", next_due=None)  # Bob's is done
    await store.add_reminder(CAROL, "paused", clock.now() + timedelta(days=1), timezone="UTC")
    await store.pause_member_reminders(CAROL)  # notice pending
    await store.record_vote(ALICE, "cpc-salary", helpful=True)
    await store.record_vote(BOB, "cpc-salary", helpful=False)
    await store.record_unanswered("what about coding bootcamps", cap=100)
    await store.record_unanswered("what about coding bootcamps", cap=100)
    await store.add_reminder(BOB, "in flight", clock.now(), timezone="UTC")
    await store.claim_due(clock.now(), lease=timedelta(minutes=5), limit=10)  # claimed when copied


async def migrate(source: Path, target: str) -> int:
    return await asyncio.to_thread(main, ["migrate-data", "--from", f"sqlite:///{source}", "--to", target])


def files_beside(path: Path) -> dict[str, bytes]:
    """The database file and any -wal, -shm or -journal beside it, byte for byte."""
    return {p.name: p.read_bytes() for p in path.parent.glob(f"{path.name}*")}


async def filled_source(path: Path, clock: FakeClock) -> dict[str, bytes]:
    """A database as a stopped bot leaves it (current schema, WAL mode, no side files); returns its bytes."""
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await fill(sqlite, clock)
    before = files_beside(path)
    assert list(before) == [path.name]
    return before


def add_a_text_postgres_refuses(path: Path) -> None:
    """PostgreSQL refuses a NUL in text, which SQLite stores: its unanswered counts are copied
    after the members, checklists, reminders and votes, so the copy fails midway."""
    with closing(sqlite3.connect(path)) as raw, raw:
        raw.execute("INSERT INTO unanswered (text, count, first_seen, last_seen) VALUES (?, 1, 0, 0)", ("a\x00b",))


async def table_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'"))
    finally:
        await conn.close()


async def test_copies_every_member_exactly_and_can_run_again(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = FakeClock()
    path = tmp_path / "medcoder.db"
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await fill(sqlite, clock)
        expected = {user: await sqlite.export_member(user) for user in (ALICE, BOB, CAROL)}

    assert await migrate(path, pg_dsn) == 0
    assert "copied 3 member(s), 2 checklist step(s) and 5 reminder(s)" in capsys.readouterr().out
    assert await migrate(path, pg_dsn) == 0  # idempotent: the same result, no duplicates

    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        for user, export in expected.items():
            assert await pg.export_member(user) == export  # ids, times, statuses, claims, notice: all kept
        assert await pg.take_notice(CAROL)
        assert await pg.vote_counts() == {"cpc-salary": (1, 1)}
        assert await pg.unanswered_top(5) == [("what about coding bootcamps", 2)]
        newer = await pg.add_reminder(ALICE, "after the move", clock.now(), timezone="UTC")
        assert newer.id > max(r["id"] for e in expected.values() for r in e["reminders"])
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT COUNT(*) FROM reminders") == 6
    finally:
        await conn.close()

    # Changes in SQLite since the first copy are picked up by running it again.
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await sqlite.set_step(BOB, "step-experience", True)
    assert await migrate(path, pg_dsn) == 0
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        assert set(await pg.checklist(BOB)) == {"step-experience"}


async def test_a_taken_reminder_id_is_not_overwritten(tmp_path: Path, pg_dsn: str) -> None:
    clock = FakeClock()
    path = tmp_path / "medcoder.db"
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await sqlite.add_reminder(ALICE, "alice's", clock.now(), timezone="UTC")
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        await pg.add_reminder(BOB, "bob's, id 1 already", clock.now(), timezone="UTC")
    assert await migrate(path, pg_dsn) == 1
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        [bobs] = await pg.list_reminders(BOB)
        assert bobs.note == "bob's, id 1 already"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from", "medcoder.db", "--to", "postgresql://x/y"], 2, "--from must be sqlite:///"),
        (["--from", "sqlite:///a.db", "--to", "mysql://x/y"], 2, "--to must be a postgresql://"),
        (["--from", "sqlite:///does/not/exist.db", "--to", "postgresql://x/y"], 1, "no SQLite database"),
        # A malformed --to is found before the source is even looked for, and its password never shown.
        (["--from", "sqlite:///no.db", "--to", "postgresql://u:pw-9@[bad/db"], 2, "--to: its host has a ["),
        (["--from", "sqlite:///no.db", "--to", "postgresql://u:pw-9@db:5x32/db"], 2, "--to: its port is not a number"),
    ],
)
def test_bad_arguments(args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate-data", *args]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1 and "pw-9" not in err


async def test_unreachable_postgres_is_one_line_and_leaves_the_source_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "medcoder.db"
    before = await filled_source(path, FakeClock())
    assert await migrate(path, f"postgresql://u@/db?host={tmp_path}") == 1
    err = capsys.readouterr().err
    assert err.startswith("medcoder-bot: migrate-data failed: cannot connect to PostgreSQL") and err.count("\n") == 1
    assert files_beside(path) == before  # byte-identical, and no -wal or -shm created


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes ?#1.db"  # found as named: the read-only URI escapes what a URI would read
    path.write_text("not a database\n" * 100)
    assert main(["migrate-data", "--from", f"sqlite:///{path}", "--to", "postgresql://u@/db?host=/nowhere"]) == 1
    assert capsys.readouterr().err.splitlines() == [f"medcoder-bot: cannot read {path}: file is not a database"]
    assert files_beside(path) == {path.name: b"not a database\n" * 100}


@pytest.mark.parametrize("applied", [0, 3])
async def test_a_source_behind_the_schema_is_refused_not_migrated(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str], applied: int
) -> None:
    """Migrating the source would write to the one copy of the data: the bot does that when it runs."""
    path = tmp_path / "medcoder.db"
    if applied:
        async with await SQLiteStore.open(path, clock=FakeClock(), migrations=load_migrations()[:applied]):
            pass
    else:
        path.touch()  # an empty file is an empty SQLite database
    before = files_beside(path)
    assert await migrate(path, pg_dsn) == 1
    [line] = capsys.readouterr().err.splitlines()
    latest = load_migrations()[-1].version
    assert f"schema version {applied}, this medcoder-bot needs {latest}: run the bot on it once first" in line
    assert files_beside(path) == before
    assert await table_count(pg_dsn) == 0  # refused before the target was opened


async def test_a_copy_failing_midway_leaves_a_new_target_empty_and_the_source_as_it_was(
    tmp_path: Path, pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema the copy created is rolled back with its rows."""
    path = tmp_path / "medcoder.db"
    await filled_source(path, FakeClock())
    add_a_text_postgres_refuses(path)
    before = files_beside(path)
    assert list(before) == [path.name]
    assert await migrate(path, pg_dsn) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("medcoder-bot: migrate-data failed:"), line
    assert await table_count(pg_dsn) == 0
    assert files_beside(path) == before


async def test_a_copy_failing_midway_leaves_an_earlier_copy_as_it_was(tmp_path: Path, pg_dsn: str) -> None:
    clock = FakeClock()
    path = tmp_path / "medcoder.db"
    await filled_source(path, clock)
    assert await migrate(path, pg_dsn) == 0
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        copied = {user: await pg.export_member(user) for user in (ALICE, BOB, CAROL)}
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await sqlite.set_step(BOB, "step-experience", True)  # copied before the failing row
        await sqlite.set_timezone(CAROL, "Asia/Tokyo")
    add_a_text_postgres_refuses(path)
    assert await migrate(path, pg_dsn) == 1
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        assert {user: await pg.export_member(user) for user in (ALICE, BOB, CAROL)} == copied


async def test_a_running_bot_is_read_through_its_wal(tmp_path: Path, pg_dsn: str) -> None:
    """With the bot still running (its -wal and -shm present), what it wrote since the last checkpoint
    is copied too: the read-only connection reads the WAL rather than the file alone."""
    clock = FakeClock()
    path = tmp_path / "medcoder.db"
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await sqlite.set_step(ALICE, "step-education", True)
        assert set(files_beside(path)) >= {"medcoder.db-wal", "medcoder.db-shm"}
        assert await migrate(path, pg_dsn) == 0
        await sqlite.set_step(ALICE, "step-networking", True)  # the bot still writes after the copy
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        assert set(await pg.checklist(ALICE)) == {"step-education"}


async def test_study_groups_and_digests_are_copied_even_onto_a_taken_id(tmp_path: Path, pg_dsn: str) -> None:
    """Memberships, a server's settings, its topic counts and its digest, which takes a fresh id when the
    source's is a member's reminder in the target (nothing refers to a digest's id)."""
    clock = FakeClock()
    guild, hour = 9_000, int(clock.now().timestamp()) // 3_600
    path = tmp_path / "medcoder.db"
    async with await SQLiteStore.open(path, clock=clock) as sqlite:
        await sqlite.set_step(ALICE, "step-education", True)
        await sqlite.join_group(guild, ALICE, show_name=True)
        await sqlite.set_guild_timezone(guild, "Europe/Paris")
        await sqlite.set_digest(guild, 555, 0, "19:00", first_due=clock.now(), recurrence="weekly:0:19:00")
        await sqlite.count_topics({(guild, hour, "cpc-salary"): 3})
        expected = (await sqlite.group_progress(guild), await sqlite.guild_settings(guild))
    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        await pg.add_reminder(BOB, "bob's, id 1 already", clock.now() + timedelta(days=3), timezone="UTC")

    assert await migrate(path, pg_dsn) == 0
    assert await migrate(path, pg_dsn) == 0  # idempotent

    async with await PostgresStore.open(pg_dsn, clock=clock) as pg:
        assert (await pg.group_progress(guild), await pg.guild_settings(guild)) == expected
        assert await pg.top_topics(guild, 0, 5) == [("cpc-salary", 3)]
        [bobs] = await pg.list_reminders(BOB)
        assert bobs.id == 1 and bobs.note == "bob's, id 1 already"
        [digest] = await pg.claim_due(clock.now(), lease=timedelta(minutes=1), limit=5)
        assert digest.guild_id == guild and digest.id != 1 and digest.timezone == "Europe/Paris"
