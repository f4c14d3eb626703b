"""The store's study-group side (issue 15), on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import aiosqlite
import pytest

from bot.core.store import SQLiteStore, Store
from bot.core.store.migrate import load_migrations
from bot.core.store.models import GuildSettings
from bot.core.store.sqlite import migrate
from bot.core.topics import hour_number
from tests.clock import FakeClock
from tests.pg import Backend

GUILD, OTHER_GUILD = 7_000, 8_000
ALICE, BOB, CAROL, DAN = 11, 22, 33, 44
LEASE = timedelta(minutes=5)
WEEKLY = "weekly:0:19:00"


async def test_only_members_who_joined_are_counted_in_their_server_only(store: Store) -> None:
    for user in (ALICE, BOB, CAROL, DAN):
        await store.set_step(user, "step-education", True)
    await store.set_step(ALICE, "step-certification", True)
    assert await store.join_group(GUILD, ALICE, show_name=True) is True
    assert await store.join_group(GUILD, BOB, show_name=False) is True
    assert await store.join_group(OTHER_GUILD, CAROL, show_name=True) is True
    # Dan never joins: his steps exist but appear nowhere.

    progress = await store.group_progress(GUILD)
    assert progress.members == 2
    assert progress.done == {"step-education": 2, "step-certification": 1}
    assert progress.named == {"step-education": [ALICE], "step-certification": [ALICE]}
    other = await store.group_progress(OTHER_GUILD)
    assert (other.members, other.done, other.named) == (1, {"step-education": 1}, {"step-education": [CAROL]})
    empty = await store.group_progress(9_999)
    assert (empty.members, empty.done, empty.named) == (0, {}, {})


async def test_rejoining_changes_show_name_and_leaving_removes_from_every_count(store: Store) -> None:
    await store.set_step(ALICE, "step-education", True)
    await store.join_group(GUILD, ALICE, show_name=False)
    assert (await store.group_progress(GUILD)).named == {}
    assert await store.join_group(GUILD, ALICE, show_name=True) is False  # already in: only the setting changes
    assert (await store.group_progress(GUILD)).named == {"step-education": [ALICE]}

    assert await store.leave_group(GUILD, ALICE) is True
    progress = await store.group_progress(GUILD)
    assert (progress.members, progress.done, progress.named) == (0, {}, {})
    assert await store.leave_group(GUILD, ALICE) is False
    assert await store.checklist(ALICE)  # leaving a group keeps the member's own checklist


async def test_memberships_are_exported_and_deleted_with_the_member(store: Store, clock: FakeClock) -> None:
    await store.join_group(GUILD, ALICE, show_name=True)
    await store.join_group(OTHER_GUILD, ALICE, show_name=False)
    await store.join_group(GUILD, BOB, show_name=False)
    export = await store.export_member(ALICE)
    assert export["study_groups"] == [
        {"guild_id": GUILD, "show_name": True, "joined_at": clock.now().isoformat()},
        {"guild_id": OTHER_GUILD, "show_name": False, "joined_at": clock.now().isoformat()},
    ]
    assert await store.delete_member(ALICE) == 2 + 1  # two memberships, the member row
    assert (await store.export_member(ALICE))["study_groups"] == []
    assert (await store.group_progress(GUILD)).members == 1  # Bob stays


async def test_a_digest_is_a_claimable_reminder_owned_by_the_server(store: Store, clock: FakeClock) -> None:
    member = await store.add_reminder(ALICE, "study", clock.now() + timedelta(days=30), timezone="UTC")
    await store.set_guild_timezone(GUILD, "Europe/Paris")
    due = clock.now() + timedelta(hours=1)
    settings = await store.set_digest(GUILD, 555, 0, "19:00", first_due=due, recurrence=WEEKLY)
    assert (settings.timezone, settings.digest_channel_id, settings.digest_weekday, settings.digest_time) == (
        "Europe/Paris", 555, 0, "19:00",
    )  # fmt: skip
    assert await store.guild_settings(GUILD) == settings
    assert await store.next_wakeup() == due

    [claimed] = await store.claim_due(due, lease=LEASE, limit=10)
    assert (claimed.guild_id, claimed.user_id, claimed.recurrence, claimed.timezone) == (
        GUILD, None, WEEKLY, "Europe/Paris",
    )  # fmt: skip
    assert await store.list_reminders(ALICE) == [member]  # a member never sees a server's digest
    assert claimed.id not in [r["id"] for r in (await store.export_member(ALICE))["reminders"]]

    # Setting it again replaces it: one digest per server.
    later = due + timedelta(days=2)
    await store.set_digest(GUILD, 666, 2, "08:30", first_due=later, recurrence="weekly:2:08:30")
    assert await store.finish(claimed.id, claimed.claim_token or "", next_due=due + timedelta(days=7)) is False
    assert await store.claim_due(due, lease=LEASE, limit=10) == []
    [replaced] = await store.claim_due(later, lease=LEASE, limit=10)
    assert replaced.guild_id == GUILD and replaced.due_at == later

    assert await store.digest_off(GUILD) is True
    assert (await store.guild_settings(GUILD)).digest_on is False
    assert await store.digest_off(GUILD) is False
    remaining = await store.claim_due(later + timedelta(days=30), lease=LEASE, limit=10)
    assert [r.id for r in remaining] == [member.id]  # the digest's schedule is gone, the member's reminder not
    assert (await store.guild_settings(GUILD)).timezone == "Europe/Paris"  # the rest of the settings stay


async def test_a_stopped_digest_tells_the_next_admin_once(store: Store, clock: FakeClock) -> None:
    await store.set_digest(GUILD, 555, 0, "19:00", first_due=clock.now(), recurrence=WEEKLY)
    assert await store.take_digest_problem(GUILD) is None
    await store.stop_digest(GUILD, "the channel <#555> no longer exists")
    assert (await store.guild_settings(GUILD)).digest_on is False
    assert await store.claim_due(clock.now(), lease=LEASE, limit=10) == []
    assert await store.take_digest_problem(GUILD) == "the channel <#555> no longer exists"
    assert await store.take_digest_problem(GUILD) is None


async def test_each_occurrence_is_claimed_for_posting_at_most_once(store: Store, clock: FakeClock) -> None:
    week1 = clock.now()
    await store.set_digest(GUILD, 555, 0, "19:00", first_due=week1, recurrence=WEEKLY)
    first = await store.claim_digest(GUILD, week1, {"step-education": 2})
    assert first is not None and first.previous_counts is None
    assert await store.claim_digest(GUILD, week1, {"step-education": 2}) is None  # already posted

    week2 = week1 + timedelta(days=7)
    second = await store.claim_digest(GUILD, week2, {"step-education": 3})
    assert second is not None and second.previous_counts == {"step-education": 2}
    await store.release_digest(GUILD, week2, second)  # the post failed: give the week back
    again = await store.claim_digest(GUILD, week2, {"step-education": 4})
    assert again is not None and again.previous_counts == {"step-education": 2}
    assert await store.claim_digest(GUILD, week1, {}) is None  # an older week can't be posted after a newer one
    assert await store.claim_digest(OTHER_GUILD, week1, {}) is None  # a server without settings


async def test_a_moved_schedule_never_posts_twice_in_a_week(store: Store, clock: FakeClock) -> None:
    monday = clock.now()
    await store.set_digest(GUILD, 555, 0, "19:00", first_due=monday, recurrence=WEEKLY)
    assert await store.claim_digest(GUILD, monday, None) is not None  # below the floor: no counts kept
    # An admin moves it to Tuesday: that Tuesday is too soon, the next one is fine.
    assert await store.claim_digest(GUILD, monday + timedelta(days=1), {"step-education": 3}) is None
    later = await store.claim_digest(GUILD, monday + timedelta(days=8), {"step-education": 3})
    assert later is not None and later.previous_counts is None  # nothing shown last time to compare with


async def test_concurrent_claims_of_one_week_let_exactly_one_through(backend: Backend, clock: FakeClock) -> None:
    """Several stores (as several processes would) racing for the same occurrence."""
    stores = [await backend.open(clock) for _ in range(4)]
    try:
        await stores[0].set_digest(GUILD, 555, 0, "19:00", first_due=clock.now(), recurrence=WEEKLY)
        claims = await asyncio.gather(*(s.claim_digest(GUILD, clock.now(), {"step-education": 1}) for s in stores))
        assert sum(claim is not None for claim in claims) == 1
    finally:
        for s in stores:
            await s.close()


async def test_topics_are_counted_by_entry_per_server_and_week(store: Store, clock: FakeClock) -> None:
    now = hour_number(clock.now())
    for guild in (GUILD, OTHER_GUILD):
        await store.set_digest(guild, 555, 0, "19:00", first_due=clock.now(), recurrence=WEEKLY)
    await store.count_topics({(9_999, now, "cpc-salary"): 4})  # no digest there: nothing is kept
    assert await store.top_topics(9_999, 0, 5) == []
    await store.count_topics({(GUILD, now, "cpc-salary"): 3, (GUILD, now, "what-is"): 1})
    await store.count_topics({(GUILD, now - 3 * 24, "what-is"): 4, (OTHER_GUILD, now, "cpc-salary"): 9})
    await store.count_topics({(GUILD, now - 7 * 24 - 1, "steps"): 50})  # an hour before the week
    week = now - 7 * 24
    assert await store.top_topics(GUILD, week, 5) == [("what-is", 5), ("cpc-salary", 3)]
    assert await store.top_topics(GUILD, week, 1) == [("what-is", 5)]
    assert await store.top_topics(OTHER_GUILD, week, 5) == [("cpc-salary", 9)]
    # Hours older than two weeks are dropped as new counts come in.
    await store.count_topics({(GUILD, now + 7 * 24, "what-is"): 1})
    assert await store.top_topics(GUILD, 0, 5) == [("what-is", 6), ("cpc-salary", 3)]


async def test_forgetting_a_server_deletes_its_data_and_nothing_else(store: Store, clock: FakeClock) -> None:
    await store.set_step(ALICE, "step-education", True)
    await store.join_group(GUILD, ALICE, show_name=True)
    await store.join_group(OTHER_GUILD, ALICE, show_name=True)
    await store.set_guild_timezone(GUILD, "Asia/Tokyo")
    await store.set_digest(GUILD, 555, 0, "19:00", first_due=clock.now(), recurrence=WEEKLY)
    await store.set_digest(OTHER_GUILD, 777, 0, "19:00", first_due=clock.now(), recurrence=WEEKLY)
    await store.count_topics({(GUILD, hour_number(clock.now()), "what-is"): 2})
    member = await store.add_reminder(ALICE, "study", clock.now(), timezone="UTC")

    assert await store.forget_guild(GUILD) == 1 + 1 + 1 + 1  # membership, topic row, digest, settings
    assert await store.guild_settings(GUILD) == GuildSettings(GUILD)  # the defaults: nothing stored
    assert (await store.group_progress(GUILD)).members == 0
    assert await store.top_topics(GUILD, 0, 5) == []
    claimed = await store.claim_due(clock.now(), lease=LEASE, limit=10)
    assert {(r.user_id, r.guild_id) for r in claimed} == {(None, OTHER_GUILD), (ALICE, None)}
    assert member.id in {r.id for r in claimed}
    assert (await store.group_progress(OTHER_GUILD)).members == 1
    assert await store.checklist(ALICE)
    assert await store.forget_guild(GUILD) == 0


async def test_upgrading_a_v3_sqlite_file_keeps_reminder_ids_never_reused(tmp_path: Path, clock: FakeClock) -> None:
    """Migration 4 rebuilds SQLite's reminders table: ids and the AUTOINCREMENT high-water mark survive."""
    path = tmp_path / "v3.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("PRAGMA foreign_keys = ON")
        await migrate(db, load_migrations(), target=3)
    now = int(clock.now().timestamp())
    with sqlite3.connect(path) as raw:
        raw.execute("INSERT INTO members (user_id) VALUES (?)", (ALICE,))
        for note in ("kept", "deleted later"):
            raw.execute(
                "INSERT INTO reminders (user_id, note, due_at, timezone, anchor_at, created_at, attempt_at)"
                " VALUES (?, ?, ?, 'UTC', ?, ?, ?)",
                (ALICE, note, now + 60, now + 60, now, now + 60),
            )
        raw.execute("DELETE FROM reminders WHERE note = 'deleted later'")  # id 2 was handed out once
    async with await SQLiteStore.open(path, clock=clock) as store:
        [kept] = await store.list_reminders(ALICE)
        assert (kept.id, kept.note, kept.guild_id) == (1, "kept", None)
        added = await store.add_reminder(ALICE, "new", clock.now(), timezone="UTC")
        assert added.id == 3
    with sqlite3.connect(path) as raw, pytest.raises(sqlite3.IntegrityError):
        raw.execute(  # a reminder is a member's or a server's, never neither
            "INSERT INTO reminders (note, due_at, timezone, anchor_at, created_at, attempt_at)"
            " VALUES ('orphan', 1, 'UTC', 1, 1, 1)"
        )


async def test_turning_the_digest_off_deletes_the_topic_counts(store: Store, clock: FakeClock) -> None:
    hour = hour_number(clock.now())
    await store.set_digest(GUILD, 555, 0, "19:00", first_due=clock.now(), recurrence=WEEKLY)
    await store.count_topics({(GUILD, hour, "cpc-salary"): 2})
    assert await store.top_topics(GUILD, 0, 5) == [("cpc-salary", 2)]
    await store.digest_off(GUILD)
    assert await store.top_topics(GUILD, 0, 5) == []
    await store.count_topics({(GUILD, hour, "cpc-salary"): 2})
    assert await store.top_topics(GUILD, 0, 5) == []
