"""The store on real databases: checklists, reminders, claims and the member's own data.

Every test taking `store` (or `backend`) runs on both backends, a SQLite file and a fresh
PostgreSQL database (`tests/pg.py`), so the two implementations keep exactly the same behaviour.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.knowledge import load_knowledge
from bot.core.store import LimitError, SQLiteStore, Store, StoreError, build_checklist
from bot.core.store.models import UnansweredCount
from bot.core.store.sqlite import SQLiteDatabase
from tests.clock import FakeClock
from tests.pg import Backend

LEASE = timedelta(minutes=5)
ALICE, BOB = 111_111_111_111_111_111, 222_222_222_222_222_222


async def test_pragmas(tmp_path: Path, clock: FakeClock) -> None:
    store = await SQLiteStore.open(tmp_path / "p.db", clock=clock)
    await store.close()
    with sqlite3.connect(tmp_path / "p.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store = await SQLiteStore.open(tmp_path / "p.db", clock=clock)
    assert isinstance(store._db, SQLiteDatabase)
    db = store._db.raw
    assert (await db.execute_fetchall("PRAGMA foreign_keys"))[0][0] == 1
    assert (await db.execute_fetchall("PRAGMA busy_timeout"))[0][0] == 5000
    assert (await db.execute_fetchall("PRAGMA synchronous"))[0][0] == 1  # NORMAL
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        await store.checklist(ALICE)


async def test_closed_store_refuses_work(backend: Backend, clock: FakeClock) -> None:
    store = await backend.open(clock)
    await store.close()
    await store.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        await store.checklist(ALICE)


async def test_ping_answers_while_open_and_fails_once_closed(backend: Backend, clock: FakeClock) -> None:
    """The health check's probe, on both backends."""
    store = await backend.open(clock)
    await store.ping()
    await store.close()
    with pytest.raises(StoreError):
        await store.ping()


async def test_timezone(store: Store) -> None:
    assert await store.get_timezone(ALICE) is None
    await store.set_timezone(ALICE, "Europe/Paris")
    await store.set_timezone(ALICE, "America/Chicago")
    assert await store.get_timezone(ALICE) == "America/Chicago"
    assert await store.get_timezone(BOB) is None


async def test_checklist_set_toggle_reset(store: Store, clock: FakeClock) -> None:
    assert await store.checklist(ALICE) == {}
    assert await store.set_step(ALICE, "step-education", True) is True
    done_at = clock.now()
    clock.advance(60)
    assert await store.set_step(ALICE, "step-education", True) is False  # already done, keeps its time
    assert await store.checklist(ALICE) == {"step-education": done_at}
    assert await store.toggle_step(ALICE, "step-certification") is True
    assert await store.toggle_step(ALICE, "step-education") is False
    assert set(await store.checklist(ALICE)) == {"step-certification"}
    assert await store.set_step(ALICE, "step-education", False) is False
    assert await store.set_step(ALICE, "step-certification", False) is True
    for step in ("step-education", "step-experience"):
        await store.set_step(ALICE, step, True)
    await store.set_step(BOB, "step-networking", True)
    assert await store.reset_checklist(ALICE) == 2
    assert await store.checklist(ALICE) == {}
    assert set(await store.checklist(BOB)) == {"step-networking"}


async def test_build_checklist_follows_the_knowledge_base(store: Store) -> None:
    steps = load_knowledge().steps()
    await store.set_step(ALICE, "step-certification", True)
    await store.set_step(ALICE, "step-retired-long-ago", True)
    items = build_checklist(steps, await store.checklist(ALICE))
    assert [i.step_id for i in items] == [s.id for s in steps]
    assert [i.done for i in items] == [False, True, False, False, False]
    assert all(i.tasks for i in items)


async def test_200_members_toggling_at_once_lose_no_update(store: Store) -> None:
    members = range(1, 201)
    results = await asyncio.gather(*(store.toggle_step(m, "step-education") for m in members))
    assert all(results)
    results = await asyncio.gather(
        *(store.toggle_step(m, step) for m in members for step in ("step-education", "step-networking"))
    )
    assert results == [False, True] * 200
    for m in members:
        assert set(await store.checklist(m)) == {"step-networking"}


async def test_concurrent_toggles_of_one_member_are_serialised(store: Store) -> None:
    results = await asyncio.gather(*(store.toggle_step(ALICE, "step-experience") for _ in range(201)))
    assert results == [True, False] * 100 + [True]  # each toggle saw the one before it
    assert set(await store.checklist(ALICE)) == {"step-experience"}


async def test_toggles_from_two_connections_lose_no_update(backend: Backend, clock: FakeClock) -> None:
    """Two stores on one database (as two processes would be): toggles interleave in the database itself."""
    async with await backend.open(clock) as one, await backend.open(clock) as two:
        results = await asyncio.gather(
            *(store.toggle_step(member, step) for _ in range(25) for store in (one, two)
              for member in (ALICE, BOB) for step in ("step-education", "step-networking"))
        )  # fmt: skip
        # 50 toggles of each (member, step): an even number, so every step ends not done.
        assert await one.checklist(ALICE) == await two.checklist(BOB) == {}
        assert results.count(True) == results.count(False) == 100


async def test_reminder_limit(store: Store, clock: FakeClock) -> None:
    for i in range(25):
        await store.add_reminder(ALICE, f"note {i}", clock.now() + timedelta(hours=i + 1), timezone="UTC")
    with pytest.raises(LimitError) as caught:
        await store.add_reminder(ALICE, "one too many", clock.now() + timedelta(days=2), timezone="UTC")
    assert caught.value.limit == 25
    assert len(await store.list_reminders(ALICE)) == 25
    await store.add_reminder(BOB, "bob is not affected", clock.now() + timedelta(hours=1), timezone="UTC")
    # Paused ones count, cancelled ones don't.
    await store.pause_member_reminders(ALICE)
    with pytest.raises(LimitError):
        await store.add_reminder(ALICE, "still too many", clock.now() + timedelta(days=2), timezone="UTC")
    first = (await store.list_reminders(ALICE))[0]
    assert await store.cancel_reminder(ALICE, first.id)
    await store.add_reminder(ALICE, "room again", clock.now() + timedelta(days=2), timezone="UTC")
    with pytest.raises(LimitError):
        await store.add_reminder(ALICE, "x", clock.now() + timedelta(days=2), timezone="UTC", max_active=3)


async def test_note_and_naive_times_are_refused(store: Store, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="200"):
        await store.add_reminder(ALICE, "x" * 201, clock.now(), timezone="UTC")
    with pytest.raises(ValueError, match="aware"):
        await store.add_reminder(ALICE, "naive", clock.now().replace(tzinfo=None), timezone="UTC")
    assert await store.list_reminders(ALICE) == []


async def test_add_list_get_cancel(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    late = await store.add_reminder(ALICE, "later", now + timedelta(hours=3), timezone="Europe/Paris")
    soon = await store.add_reminder(
        ALICE, "sooner", now + timedelta(hours=1), timezone="Europe/Paris", step_id="step-certification"
    )
    weekly = await store.add_reminder(
        ALICE, "weekly", now + timedelta(hours=2), timezone="Europe/Paris", recurrence="weekly:0:19:00"
    )
    assert soon.step_id == "step-certification" and soon.status == "active" and soon.created_at == now
    assert weekly.recurring and weekly.anchor_at == weekly.due_at and not soon.recurring
    assert [r.id for r in await store.list_reminders(ALICE)] == [soon.id, weekly.id, late.id]
    assert await store.get_reminder(ALICE, soon.id) == soon
    assert await store.get_reminder(BOB, soon.id) is None  # someone else's
    assert await store.cancel_reminder(BOB, soon.id) is False
    assert await store.cancel_reminder(ALICE, soon.id) is True
    assert await store.cancel_reminder(ALICE, soon.id) is False
    cancelled = await store.get_reminder(ALICE, soon.id)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.finished_at == now
    assert [r.id for r in await store.list_reminders(ALICE)] == [weekly.id, late.id]
    assert await store.snooze(ALICE, soon.id, now + timedelta(hours=9)) is False  # cancelled stays cancelled


async def test_snooze_moves_and_rearms(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    first = await store.add_reminder(ALICE, "first", now + timedelta(hours=1), timezone="UTC")
    second = await store.add_reminder(ALICE, "second", now + timedelta(hours=2), timezone="UTC")
    assert await store.snooze(ALICE, first.id, now + timedelta(hours=3))
    assert [r.id for r in await store.list_reminders(ALICE)] == [second.id, first.id]
    assert await store.snooze(BOB, first.id, now) is False
    # Delivered one-off: snoozing it from the DM re-arms it.
    clock.advance(timedelta(hours=2))
    [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=10)
    assert claimed.id == second.id
    assert await store.finish(second.id, claimed.claim_token or "", next_due=None)
    assert (await store.get_reminder(ALICE, second.id)).status == "done"  # type: ignore[union-attr]
    assert await store.snooze(ALICE, second.id, clock.now() + timedelta(minutes=10))
    rearmed = await store.get_reminder(ALICE, second.id)
    assert rearmed is not None and rearmed.status == "active" and rearmed.finished_at is None
    assert rearmed.due_at == rearmed.attempt_at == clock.now() + timedelta(minutes=10)


async def test_snooze_of_done_reminder_respects_limit(store: Store, clock: FakeClock) -> None:
    done = await store.add_reminder(ALICE, "done", clock.now(), timezone="UTC")
    [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    await store.finish(done.id, claimed.claim_token or "", next_due=None)
    for i in range(3):
        await store.add_reminder(ALICE, f"n{i}", clock.now() + timedelta(hours=1), timezone="UTC")
    with pytest.raises(LimitError):
        await store.snooze(ALICE, done.id, clock.now() + timedelta(hours=1), max_active=3)
    assert await store.snooze(ALICE, done.id, clock.now() + timedelta(hours=1), max_active=4)


async def test_claim_lease_finish(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    due = [await store.add_reminder(ALICE, f"due {i}", now - timedelta(minutes=i), timezone="UTC") for i in range(3)]
    future = await store.add_reminder(ALICE, "future", now + timedelta(hours=1), timezone="UTC")
    assert await store.next_wakeup() == now - timedelta(minutes=2)
    claimed = await store.claim_due(now, lease=LEASE, limit=2)
    assert [r.id for r in claimed] == [due[2].id, due[1].id]  # oldest first
    assert len({r.claim_token for r in claimed}) == 1 and claimed[0].claim_token
    assert all(r.attempt_at == now + LEASE for r in claimed)
    [rest] = await store.claim_due(now, lease=LEASE, limit=10)
    assert rest.id == due[0].id and rest.claim_token != claimed[0].claim_token
    assert await store.claim_due(now, lease=LEASE, limit=10) == []  # all held
    assert await store.next_wakeup() == now + LEASE  # the leases run out before `future` is due
    assert await store.finish(rest.id, rest.claim_token or "", next_due=None)
    assert await store.finish(rest.id, rest.claim_token or "", next_due=None) is False  # only once
    assert await store.get_reminder(ALICE, future.id) == future


async def test_stale_claim_does_nothing(store: Store, clock: FakeClock) -> None:
    reminder = await store.add_reminder(ALICE, "r", clock.now(), timezone="UTC")
    [first] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    clock.advance(LEASE + timedelta(seconds=1))  # the first dispatcher died or hung
    [second] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    assert second.id == reminder.id and second.claim_token != first.claim_token
    assert await store.finish(reminder.id, first.claim_token or "", next_due=None) is False
    assert await store.release(reminder.id, first.claim_token or "", clock.now()) is False
    assert (await store.get_reminder(ALICE, reminder.id)).status == "active"  # type: ignore[union-attr]
    assert await store.finish(reminder.id, second.claim_token or "", next_due=None)


async def test_recurring_finish_moves_due_time(store: Store, clock: FakeClock) -> None:
    reminder = await store.add_reminder(ALICE, "daily", clock.now(), timezone="UTC", recurrence="daily:12:00")
    [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    next_due = reminder.due_at + timedelta(days=1)
    assert await store.finish(reminder.id, claimed.claim_token or "", next_due=next_due)
    moved = await store.get_reminder(ALICE, reminder.id)
    assert moved is not None and moved.status == "active" and moved.claim_token is None
    assert moved.due_at == moved.attempt_at == next_due and moved.anchor_at == reminder.anchor_at
    assert await store.next_wakeup() == next_due


async def test_release_retries_later_and_keeps_due_time(store: Store, clock: FakeClock) -> None:
    reminder = await store.add_reminder(ALICE, "r", clock.now(), timezone="UTC")
    [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    retry_at = clock.now() + timedelta(seconds=30)
    assert await store.release(reminder.id, claimed.claim_token or "", retry_at)
    assert await store.claim_due(clock.now(), lease=LEASE, limit=1) == []
    assert await store.next_wakeup() == retry_at
    clock.advance(30)
    [again] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    assert again.attempts == 1 and again.due_at == reminder.due_at


async def test_cancel_or_pause_beats_an_inflight_claim(store: Store, clock: FakeClock) -> None:
    one = await store.add_reminder(ALICE, "one", clock.now(), timezone="UTC")
    [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=1)
    assert await store.cancel_reminder(ALICE, one.id)
    assert await store.finish(one.id, claimed.claim_token or "", next_due=None) is False
    assert (await store.get_reminder(ALICE, one.id)).status == "cancelled"  # type: ignore[union-attr]


async def test_pause_notice_resume(store: Store, clock: FakeClock) -> None:
    now = clock.now()
    a = await store.add_reminder(ALICE, "a", now, timezone="UTC")
    b = await store.add_reminder(ALICE, "b", now + timedelta(hours=1), timezone="UTC")
    bob = await store.add_reminder(BOB, "bob", now, timezone="UTC")
    assert await store.take_notice(ALICE) is False
    claimed = await store.claim_due(now, lease=LEASE, limit=10)
    [mine] = [r for r in claimed if r.id == a.id]
    assert await store.pause_member_reminders(ALICE) == 2
    assert await store.finish(a.id, mine.claim_token or "", next_due=None) is False  # stays paused
    assert {r.status for r in await store.list_reminders(ALICE)} == {"paused"}
    assert await store.next_wakeup() == now + LEASE  # only Bob's claim is left
    assert await store.take_notice(ALICE) is True
    assert await store.take_notice(ALICE) is False
    assert await store.take_notice(BOB) is False
    clock.advance(timedelta(days=1))
    assert await store.resume_member_reminders(ALICE) == 2
    assert await store.resume_member_reminders(ALICE) == 0
    [a_again, bob_again, b_again] = await store.claim_due(clock.now(), lease=LEASE, limit=10)
    assert (a_again.id, bob_again.id, b_again.id) == (a.id, bob.id, b.id)  # by due time, then id
    assert a_again.is_late(clock.now()) and a_again.due_at == now


async def test_purge_finished(store: Store, clock: FakeClock) -> None:
    done = await store.add_reminder(ALICE, "done", clock.now(), timezone="UTC")
    keep = await store.add_reminder(ALICE, "keep", clock.now() + timedelta(days=90), timezone="UTC")
    [claimed] = await store.claim_due(clock.now(), lease=LEASE, limit=5)
    await store.finish(done.id, claimed.claim_token or "", next_due=None)
    assert await store.purge_finished(clock.now()) == 0
    clock.advance(timedelta(days=30))
    assert await store.purge_finished(clock.now() - timedelta(days=7)) == 1
    assert await store.get_reminder(ALICE, done.id) is None
    assert await store.get_reminder(ALICE, keep.id) is not None


async def test_export_and_delete(store: Store, clock: FakeClock, backend: Backend) -> None:
    for user in (ALICE, BOB):
        await store.set_timezone(user, "Europe/Paris")
        await store.set_step(user, "step-education", True)
        await store.add_reminder(user, f"note for {user}", clock.now() + timedelta(hours=1), timezone="Europe/Paris")
    await store.add_reminder(ALICE, "weekly", clock.now(), timezone="Europe/Paris", recurrence="weekly:0:19:00")
    await store.pause_member_reminders(ALICE)

    export = await store.export_member(ALICE)
    assert json.loads(json.dumps(export)) == export
    assert export["user_id"] == ALICE and export["timezone"] == "Europe/Paris" and export["notice_pending"] is True
    assert export["checklist"] == [{"step_id": "step-education", "done_at": clock.now().isoformat()}]
    assert [r["note"] for r in export["reminders"]] == [f"note for {ALICE}", "weekly"]
    assert {r["user_id"] for r in export["reminders"]} == {ALICE}
    assert await store.export_member(999) == {
        "user_id": 999, "timezone": None, "notice_pending": False, "checklist": [], "reminders": [], "votes": [],
        "study_groups": [],
    }  # fmt: skip

    bob_before = await store.export_member(BOB)
    assert await store.delete_member(ALICE) == 1 + 2 + 1  # checklist, reminders, member
    assert await store.delete_member(ALICE) == 0
    assert await store.export_member(ALICE) == await store.export_member(999) | {"user_id": ALICE}
    assert await store.export_member(BOB) == bob_before
    for table in ("members", "checklist", "reminders"):
        assert await backend.scalar(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", ALICE) == 0


# --- Answer feedback and unanswered questions (issue 6) ---------------------------------------


async def test_one_vote_per_member_and_entry_a_second_replaces_the_first(
    store: Store, clock: FakeClock, backend: Backend
) -> None:
    assert await store.vote_counts() == {}
    assert await store.record_vote(ALICE, "cpc-salary", True) is False
    assert await store.record_vote(BOB, "cpc-salary", True) is False
    assert await store.record_vote(ALICE, "where-to-study", False) is False
    assert await store.vote_counts() == {"cpc-salary": (2, 0), "where-to-study": (0, 1)}
    clock.advance(60)
    assert await store.record_vote(ALICE, "cpc-salary", False) is True
    assert await store.record_vote(ALICE, "cpc-salary", False) is True
    assert await store.vote_counts() == {"cpc-salary": (1, 1), "where-to-study": (0, 1)}
    assert await backend.scalar("SELECT COUNT(*) FROM feedback WHERE user_id = ?", ALICE) == 2


async def test_votes_are_exported_and_deleted_with_the_member(store: Store, clock: FakeClock, backend: Backend) -> None:
    await store.record_vote(ALICE, "where-to-study", False)
    await store.record_vote(ALICE, "cpc-salary", True)
    await store.record_vote(BOB, "cpc-salary", True)
    export = await store.export_member(ALICE)
    assert json.loads(json.dumps(export)) == export
    assert export["votes"] == [
        {"entry_id": "cpc-salary", "helpful": True, "voted_at": clock.now().isoformat()},
        {"entry_id": "where-to-study", "helpful": False, "voted_at": clock.now().isoformat()},
    ]
    assert await store.delete_member(ALICE) == 2 + 1  # two votes, the member row
    assert await backend.scalar("SELECT COUNT(*) FROM feedback WHERE user_id = ?", ALICE) == 0
    assert await store.vote_counts() == {"cpc-salary": (1, 0)}
    assert (await store.export_member(ALICE))["votes"] == []


async def test_unanswered_texts_are_counted_most_asked_first(store: Store, clock: FakeClock) -> None:
    assert await store.unanswered_top(10) == []
    for text in ("nurse pay", "dental coding", "nurse pay", "travel jobs", "nurse pay", "dental coding"):
        await store.record_unanswered(text, cap=100)
        clock.advance(1)
    assert await store.unanswered_top(10) == [("nurse pay", 3), ("dental coding", 2), ("travel jobs", 1)]
    assert await store.unanswered_top(2) == [("nurse pay", 3), ("dental coding", 2)]
    assert await store.unanswered_top(0) == []


async def test_unanswered_keeps_at_most_cap_texts_dropping_the_least_recent(
    store: Store, clock: FakeClock, backend: Backend
) -> None:
    for text in ("a", "b", "c"):
        await store.record_unanswered(text, cap=3)
        clock.advance(1)
    await store.record_unanswered("a", cap=3)  # "a" is now the most recent; "b" the oldest
    clock.advance(1)
    await store.record_unanswered("d", cap=3)
    assert sorted(await store.unanswered_top(10)) == [("a", 2), ("c", 1), ("d", 1)]
    await store.record_unanswered("e", cap=3)  # same second as "d": the new text is still kept
    assert sorted(await store.unanswered_top(10)) == [("a", 2), ("d", 1), ("e", 1)]
    await store.record_unanswered("f", cap=1)
    assert await store.unanswered_top(10) == [("f", 1)]
    assert await backend.scalar("SELECT COUNT(*) FROM unanswered") == 1


async def test_unanswered_counts_written_in_one_batch_merge_with_stored_ones(
    store: Store, clock: FakeClock, backend: Backend
) -> None:
    start = clock.now()
    await store.record_unanswered("nurse pay", cap=100)
    later = start + timedelta(minutes=5)
    batch = {
        "nurse pay": UnansweredCount(3, start - timedelta(minutes=1), later),
        "dental coding": UnansweredCount(2, start, start + timedelta(minutes=2)),
    }
    await store.record_unanswered_counts(batch, cap=100)
    await store.record_unanswered_counts({}, cap=100)  # nothing gathered: nothing to do
    assert await store.unanswered_top(10) == [("nurse pay", 4), ("dental coding", 2)]
    first, last = int((start - timedelta(minutes=1)).timestamp()), int(later.timestamp())
    assert await backend.scalar("SELECT first_seen FROM unanswered WHERE text = 'nurse pay'") == first
    assert await backend.scalar("SELECT last_seen FROM unanswered WHERE text = 'nurse pay'") == last


async def test_a_batch_over_the_cap_keeps_its_own_texts_then_the_most_recent(store: Store, clock: FakeClock) -> None:
    for text in ("old", "older"):
        await store.record_unanswered(text, cap=10)
    now = clock.now()
    # Same second as the stored texts, yet the batch's texts are kept before them.
    await store.record_unanswered_counts({"new": UnansweredCount(1, now, now)}, cap=2)
    assert sorted(await store.unanswered_top(10)) == [("new", 1), ("older", 1)]
    second = now + timedelta(seconds=1)
    batch = {
        "x": UnansweredCount(1, now, now),
        "y": UnansweredCount(1, now, second),
        "z": UnansweredCount(5, now, now),
    }
    await store.record_unanswered_counts(batch, cap=2)  # more texts than the cap: its least recent goes
    assert sorted(await store.unanswered_top(10)) == [("y", 1), ("z", 5)]
