"""`medcoder-bot migrate-data`: every member's data from SQLite to PostgreSQL, exactly, and idempotently."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from bot.cli import main
from bot.core.clock import FakeClock
from bot.core.store import SQLiteStore, Store
from bot.core.store.postgres import PostgresStore

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
    ],
)
def test_bad_arguments(args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["migrate-data", *args]) == code
    assert message in capsys.readouterr().err


def test_unreachable_postgres_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.db"
    path.touch()  # an empty file is an empty SQLite database
    assert main(["migrate-data", "--from", f"sqlite:///{path}", "--to", f"postgresql://u@/db?host={tmp_path}"]) == 1
    assert "migrate-data failed: cannot connect to PostgreSQL" in capsys.readouterr().err


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
