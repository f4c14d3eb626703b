"""The reminder dispatcher against a real database (SQLite and PostgreSQL) and a fake clock.

The clock never moves by itself: tests move it, then `notify()` the scheduler so it looks again.
Real waits here are only for the dispatcher's task to run (bounded by `WAIT`).
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.scheduler import (
    KEEP_FINISHED,
    PURGE_EVERY,
    Deliver,
    DeliveryOutcome,
    ReminderScheduler,
    next_due_from_schedule,
    retry_delay,
)
from bot.core.store import Reminder, SQLiteStore, Store
from tests.clock import FakeClock
from tests.pg import Backend

WAIT = 5.0
LEASE = timedelta(minutes=5)
ALICE, BOB = 1001, 1002


class Recorder:
    """A `deliver` function that records what it got and answers with `outcome(reminder)`."""

    def __init__(self, clock: FakeClock, outcome: Callable[[Reminder], DeliveryOutcome] | None = None) -> None:
        self.clock = clock
        self.outcome = outcome or (lambda _: DeliveryOutcome.SENT)
        self.calls: list[tuple[Reminder, datetime]] = []
        self._changed = asyncio.Condition()

    async def __call__(self, reminder: Reminder) -> DeliveryOutcome:
        self.calls.append((reminder, self.clock.now()))
        async with self._changed:
            self._changed.notify_all()
        return self.outcome(reminder)

    @property
    def ids(self) -> list[int]:
        return [r.id for r, _ in self.calls]

    async def wait_for(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.calls) >= count), WAIT)


async def until(condition: Callable[[], bool], within: float = WAIT) -> None:
    """Wait for state outside this test's control (another process, the dispatcher's counters)."""
    deadline = time.monotonic() + within
    while not condition():  # polling on purpose: another process can't set our Event
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {within} s")
        await asyncio.sleep(0.005)


async def quiet(scheduler: ReminderScheduler) -> None:
    """Wait until the dispatcher has done everything due and sleeps again."""
    await until(lambda: scheduler.idle)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
async def running(store: Store, clock: FakeClock) -> AsyncIterator[Callable[..., ReminderScheduler]]:
    started: list[ReminderScheduler] = []

    def start(deliver: Deliver, **options: object) -> ReminderScheduler:
        scheduler = ReminderScheduler(store, deliver, clock=clock, lease=LEASE, **options)  # type: ignore[arg-type]
        scheduler.start()
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        await scheduler.stop()


async def test_delivers_due_reminders_once(store: Store, clock: FakeClock, running) -> None:
    now = clock.now()
    due = [await store.add_reminder(ALICE, f"due {i}", now - timedelta(seconds=i), timezone="UTC") for i in range(3)]
    later = await store.add_reminder(BOB, "later", now + timedelta(minutes=10), timezone="UTC")
    recorder = Recorder(clock)
    scheduler = running(recorder)
    await recorder.wait_for(3)
    await quiet(scheduler)
    assert sorted(recorder.ids) == sorted(r.id for r in due)
    assert scheduler.planned == later.due_at
    assert [(await store.get_reminder(ALICE, r.id)).status for r in due] == ["done"] * 3  # type: ignore[union-attr]
    clock.advance(timedelta(minutes=10))
    scheduler.notify()
    await recorder.wait_for(4)
    await quiet(scheduler)
    assert Counter(recorder.ids) == Counter([*(r.id for r in due), later.id])
    assert scheduler.planned is None and await store.next_wakeup() is None
    assert scheduler.stats.sent == 4


async def test_notify_wakes_early_for_a_sooner_reminder(store: Store, clock: FakeClock, running) -> None:
    in_an_hour = await store.add_reminder(ALICE, "in an hour", clock.now() + timedelta(hours=1), timezone="UTC")
    recorder = Recorder(clock)
    scheduler = running(recorder)
    await quiet(scheduler)
    assert scheduler.planned == in_an_hour.due_at
    wakeups = scheduler.stats.wakeups

    later = await store.add_reminder(ALICE, "in two hours", clock.now() + timedelta(hours=2), timezone="UTC")
    scheduler.notify(later.due_at)  # not sooner: no wake-up
    await quiet(scheduler)
    assert scheduler.stats.wakeups == wakeups

    soon = await store.add_reminder(ALICE, "in ten seconds", clock.now() + timedelta(seconds=10), timezone="UTC")
    scheduler.notify(soon.due_at)
    await quiet(scheduler)
    assert scheduler.planned == soon.due_at and recorder.calls == []
    clock.advance(10)
    scheduler.notify()
    await recorder.wait_for(1)
    assert recorder.ids == [soon.id]
    assert not recorder.calls[0][0].is_late(clock.now())


async def test_idle_scheduler_does_not_wake(store: Store, clock: FakeClock, running) -> None:
    scheduler = running(Recorder(clock))
    await asyncio.sleep(0.3)
    assert scheduler.stats.wakeups == 0 and scheduler.planned is None
    # Far-future reminders: one wait with a long timeout, still no wake-ups.
    for day in range(1, 50):
        await store.add_reminder(ALICE + day, f"day {day}", clock.now() + timedelta(days=day), timezone="UTC")
    scheduler.notify()
    await asyncio.sleep(0.3)
    if isinstance(store, SQLiteStore):
        assert scheduler.stats.wakeups == 1  # the notify itself
    else:  # PostgreSQL's NOTIFY for the first add(s) woke it too, before it planned for day 1
        assert scheduler.stats.wakeups >= 1
    assert scheduler.planned == clock.now() + timedelta(days=1)
    wakeups = scheduler.stats.wakeups
    await asyncio.sleep(0.3)
    assert scheduler.stats.wakeups == wakeups  # idle again


async def test_missed_reminder_is_delivered_once_late_after_a_restart(backend: Backend, clock: FakeClock) -> None:
    store = await backend.open(clock)
    reminder = await store.add_reminder(ALICE, "study", clock.now() + timedelta(minutes=10), timezone="UTC")
    first = Recorder(clock)
    scheduler = ReminderScheduler(store, first, clock=clock)
    scheduler.start()
    await quiet(scheduler)
    await scheduler.stop()
    await store.close()

    clock.advance(timedelta(hours=3))  # the bot was down
    store = await backend.open(clock)
    second = Recorder(clock)
    scheduler = ReminderScheduler(store, second, clock=clock)
    scheduler.start()
    await second.wait_for(1)
    await quiet(scheduler)
    await scheduler.stop()
    assert first.calls == []
    [(delivered, at)] = second.calls
    assert delivered.id == reminder.id and delivered.due_at == reminder.due_at
    assert delivered.is_late(at) and at - delivered.due_at == timedelta(hours=2, minutes=50)
    assert (await store.get_reminder(ALICE, reminder.id)).status == "done"  # type: ignore[union-attr]
    await store.close()


async def test_dm_closed_pauses_the_members_reminders(store: Store, clock: FakeClock, running) -> None:
    now = clock.now()
    due = await store.add_reminder(ALICE, "due", now, timezone="UTC")
    await store.add_reminder(ALICE, "later", now + timedelta(hours=1), timezone="UTC")
    bobs = await store.add_reminder(BOB, "bob's", now, timezone="UTC")
    recorder = Recorder(clock, lambda r: DeliveryOutcome.DM_CLOSED if r.user_id == ALICE else DeliveryOutcome.SENT)
    scheduler = running(recorder)
    await recorder.wait_for(2)
    await quiet(scheduler)
    assert sorted(recorder.ids) == sorted([due.id, bobs.id])
    assert [r.status for r in await store.list_reminders(ALICE)] == ["paused", "paused"]
    assert scheduler.stats.paused == 2
    assert await store.take_notice(ALICE) is True
    assert await store.next_wakeup() is None  # nothing active: the paused ones don't wake anyone
    clock.advance(timedelta(hours=2))
    scheduler.notify()
    await quiet(scheduler)
    assert len(recorder.calls) == 2

    recorder.outcome = lambda _: DeliveryOutcome.SENT  # DMs open again; the member used a command
    assert await store.resume_member_reminders(ALICE) == 2
    scheduler.notify()
    await recorder.wait_for(4)
    late = [r for r, at in recorder.calls[2:]]
    assert {r.note for r in late} == {"due", "later"} and all(r.is_late(clock.now()) for r in late)


async def test_retry_backs_off_then_delivers(store: Store, clock: FakeClock, running) -> None:
    reminder = await store.add_reminder(ALICE, "flaky", clock.now(), timezone="UTC")
    outcomes = iter([DeliveryOutcome.RETRY, DeliveryOutcome.RETRY, DeliveryOutcome.SENT])
    recorder = Recorder(clock, lambda _: next(outcomes))
    scheduler = running(recorder)
    await recorder.wait_for(1)
    await quiet(scheduler)
    assert scheduler.planned == clock.now() + timedelta(seconds=30)
    clock.advance(29)
    scheduler.notify()
    await quiet(scheduler)
    assert len(recorder.calls) == 1
    clock.advance(1)
    scheduler.notify()
    await recorder.wait_for(2)
    await quiet(scheduler)
    assert recorder.calls[1][0].attempts == 1
    assert scheduler.planned == clock.now() + timedelta(seconds=60)  # doubled
    clock.advance(60)
    scheduler.notify()
    await recorder.wait_for(3)
    await quiet(scheduler)
    stored = await store.get_reminder(ALICE, reminder.id)
    assert stored is not None and stored.status == "done" and stored.attempts == 0
    assert recorder.calls[2][0].due_at == reminder.due_at  # retries never move the due time
    assert (scheduler.stats.retried, scheduler.stats.sent) == (2, 1)


def test_retry_delay_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in range(9)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert retry_delay(10_000) == timedelta(hours=1)


async def test_retry_gives_up_after_max_attempts_and_exceptions_count_as_retries(
    store: Store, clock: FakeClock, running
) -> None:
    reminder = await store.add_reminder(ALICE, "doomed", clock.now(), timezone="UTC")

    def explode(_: Reminder) -> DeliveryOutcome:
        raise RuntimeError("network down")

    recorder = Recorder(clock, explode)
    scheduler = running(recorder, max_attempts=3)
    for attempt in range(1, 4):
        await recorder.wait_for(attempt)
        await quiet(scheduler)
        clock.advance(retry_delay(attempt - 1))
        scheduler.notify()
    await quiet(scheduler)
    assert len(recorder.calls) == 3
    assert (scheduler.stats.retried, scheduler.stats.dropped) == (2, 1)
    assert (await store.get_reminder(ALICE, reminder.id)).status == "done"  # type: ignore[union-attr]


async def test_drop_ends_a_one_off_and_keeps_a_recurring_schedule(store: Store, clock: FakeClock, running) -> None:
    one_off = await store.add_reminder(ALICE, "one-off", clock.now(), timezone="UTC")
    daily = await store.add_reminder(ALICE, "daily", clock.now(), timezone="UTC", recurrence="daily:12:00")
    recorder = Recorder(clock, lambda _: DeliveryOutcome.DROP)
    scheduler = running(recorder)
    await recorder.wait_for(2)
    await quiet(scheduler)
    assert (await store.get_reminder(ALICE, one_off.id)).status == "done"  # type: ignore[union-attr]
    moved = await store.get_reminder(ALICE, daily.id)
    assert moved is not None and moved.status == "active" and moved.due_at == daily.due_at + timedelta(days=1)


async def test_delivery_concurrency_is_bounded(store: Store, clock: FakeClock, running) -> None:
    for i in range(40):
        await store.add_reminder(1000 + i, "n", clock.now(), timezone="UTC")
    in_flight = peak = 0

    async def slow(reminder: Reminder) -> DeliveryOutcome:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return DeliveryOutcome.SENT

    scheduler = running(slow, concurrency=7, batch=15)
    await until(lambda: scheduler.stats.sent >= 40)
    assert scheduler.stats.sent == 40 and peak == 7


async def test_stop_lets_the_batch_in_hand_finish(store: Store, clock: FakeClock) -> None:
    reminder = await store.add_reminder(ALICE, "n", clock.now(), timezone="UTC")
    started = asyncio.Event()

    async def slow(_: Reminder) -> DeliveryOutcome:
        started.set()
        await asyncio.sleep(0.05)
        return DeliveryOutcome.SENT

    scheduler = ReminderScheduler(store, slow, clock=clock)
    scheduler.start()
    await asyncio.wait_for(started.wait(), WAIT)
    await scheduler.stop()
    assert not scheduler.running
    assert (await store.get_reminder(ALICE, reminder.id)).status == "done"  # type: ignore[union-attr]


# Retention: the same task deletes finished reminders once they are `KEEP_FINISHED` old.


async def exported(store: Store, user_id: int) -> dict[str, str]:
    """Note -> status of the member's reminders, as `/mydata export` shows them."""
    return {r["note"]: r["status"] for r in (await store.export_member(user_id))["reminders"]}


async def test_finished_reminders_are_exported_for_the_period_then_purged(
    store: Store, clock: FakeClock, running
) -> None:
    delivered = await store.add_reminder(ALICE, "delivered", clock.now(), timezone="UTC")
    cancelled = await store.add_reminder(ALICE, "cancelled", clock.now() + timedelta(days=1), timezone="UTC")
    await store.add_reminder(ALICE, "far", clock.now() + timedelta(days=90), timezone="UTC")
    await store.add_reminder(BOB, "bob's", clock.now() + timedelta(days=90), timezone="UTC")
    assert await store.cancel_reminder(ALICE, cancelled.id)
    recorder = Recorder(clock)
    scheduler = running(recorder)
    await recorder.wait_for(1)
    await quiet(scheduler)
    finished = clock.now()
    assert recorder.ids == [delivered.id]
    assert await exported(store, ALICE) == {"delivered": "done", "cancelled": "cancelled", "far": "active"}

    clock.set(finished + KEEP_FINISHED - timedelta(seconds=1))  # a purge is due, but these are not old enough
    scheduler.notify()
    await quiet(scheduler)
    assert scheduler.purge_at == clock.now() + PURGE_EVERY  # it did look
    assert await exported(store, ALICE) == {"delivered": "done", "cancelled": "cancelled", "far": "active"}

    clock.set(finished + KEEP_FINISHED + PURGE_EVERY)
    scheduler.notify()
    await quiet(scheduler)
    assert await exported(store, ALICE) == {"far": "active"}
    assert await exported(store, BOB) == {"bob's": "active"}
    assert scheduler.stats.purged == 2


async def test_the_purge_runs_at_most_once_an_hour(
    store: Store, clock: FakeClock, running, monkeypatch: pytest.MonkeyPatch
) -> None:
    cutoffs: list[datetime] = []
    purge = store.purge_finished

    async def counting(before: datetime) -> int:
        cutoffs.append(before)
        return await purge(before)

    monkeypatch.setattr(store, "purge_finished", counting)
    scheduler = running(Recorder(clock))
    await quiet(scheduler)
    assert cutoffs == [clock.now() - KEEP_FINISHED]  # at start-up, so a restart after a long stop purges at once
    for _ in range(5):  # woken every 11 minutes, e.g. by reminders added
        clock.advance(timedelta(minutes=11))
        scheduler.notify()
        await quiet(scheduler)
    assert len(cutoffs) == 1
    clock.advance(timedelta(minutes=5))
    scheduler.notify()
    await quiet(scheduler)
    assert cutoffs[1:] == [clock.now() - KEEP_FINISHED]


async def test_an_idle_scheduler_still_wakes_to_purge(store: Store, clock: FakeClock, running) -> None:
    reminder = await store.add_reminder(ALICE, "once", clock.now(), timezone="UTC")
    recorder = Recorder(clock)
    scheduler = running(recorder, max_sleep=timedelta(milliseconds=20))  # stands in for the hour
    await recorder.wait_for(1)
    await quiet(scheduler)
    assert scheduler.planned is None  # nothing left to deliver: only the purge can wake it
    clock.advance(KEEP_FINISHED + PURGE_EVERY)  # and no notify()
    await until(lambda: scheduler.stats.purged == 1)
    assert await store.get_reminder(ALICE, reminder.id) is None


async def test_a_failed_purge_is_logged_and_delivery_goes_on(
    store: Store, clock: FakeClock, running, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(before: datetime) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "purge_finished", broken)
    recorder = Recorder(clock)
    scheduler = running(recorder)
    await quiet(scheduler)
    assert "deleting finished reminders failed" in caplog.text
    assert scheduler.purge_at == clock.now() + PURGE_EVERY  # tried again in an hour, not on every look
    reminder = await store.add_reminder(ALICE, "still sent", clock.now(), timezone="UTC")
    scheduler.notify()
    await recorder.wait_for(1)
    assert recorder.ids == [reminder.id]


# Recurring reminders, with the real time parser.


async def test_recurring_steps_from_the_schedule_not_the_send_time(store: Store, clock: FakeClock, running) -> None:
    from bot.core.timeparse import Recurrence, next_occurrence

    paris = "Europe/Paris"
    rule = Recurrence.parse("daily:08:00")
    first = next_occurrence(rule, clock.now(), ZoneInfo(paris))
    assert first == datetime(2026, 3, 3, 7, 0, tzinfo=UTC)  # 08:00 CET
    reminder = await store.add_reminder(ALICE, "flashcards", first, timezone=paris, recurrence=rule.serialize())
    recorder = Recorder(clock)
    scheduler = running(recorder)
    clock.set(first + timedelta(seconds=7))  # delivered 7 s late
    scheduler.notify()
    await recorder.wait_for(1)
    await quiet(scheduler)
    moved = await store.get_reminder(ALICE, reminder.id)
    assert moved is not None and moved.due_at == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # not 07:00:07

    # Down for three days: delivered once, late, then on to the next future occurrence.
    clock.set(datetime(2026, 3, 7, 9, 30, tzinfo=UTC))
    scheduler.notify()
    await recorder.wait_for(2)
    await quiet(scheduler)
    assert len(recorder.calls) == 2 and recorder.calls[1][0].is_late(clock.now())
    moved = await store.get_reminder(ALICE, reminder.id)
    assert moved is not None and moved.due_at == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


async def test_recurring_keeps_local_time_across_dst(store: Store, clock: FakeClock, running) -> None:
    # New York springs forward on 2026-03-08: 08:00 EST is 13:00 UTC, 08:00 EDT is 12:00 UTC.
    clock.set(datetime(2026, 3, 7, 13, 0, tzinfo=UTC))
    reminder = await store.add_reminder(
        ALICE, "review", clock.now(), timezone="America/New_York", recurrence="daily:08:00"
    )
    recorder = Recorder(clock)
    scheduler = running(recorder)
    expected = [datetime(2026, 3, 8, 12, 0, tzinfo=UTC), datetime(2026, 3, 9, 12, 0, tzinfo=UTC)]
    for count, due in enumerate(expected, start=1):
        await recorder.wait_for(count)
        await quiet(scheduler)
        assert (await store.get_reminder(ALICE, reminder.id)).due_at == due  # type: ignore[union-attr]
        clock.set(due)
        scheduler.notify()


async def test_hourly_recurrence_stays_on_its_anchor(store: Store, clock: FakeClock, running) -> None:
    anchor = clock.now()
    reminder = await store.add_reminder(ALICE, "stretch", anchor, timezone="UTC", recurrence="hourly:2")
    recorder = Recorder(clock)
    scheduler = running(recorder)
    await recorder.wait_for(1)
    await quiet(scheduler)
    assert (await store.get_reminder(ALICE, reminder.id)).due_at == anchor + timedelta(hours=2)  # type: ignore[union-attr]
    # A snooze moves one occurrence; the schedule still follows the anchor.
    await store.snooze(ALICE, reminder.id, anchor + timedelta(hours=2, minutes=50))
    r = await store.get_reminder(ALICE, reminder.id)
    assert r is not None
    assert next_due_from_schedule(r, anchor + timedelta(hours=2, minutes=51)) == anchor + timedelta(hours=4)


async def test_bad_recurrence_ends_the_reminder_instead_of_looping(store: Store, clock: FakeClock, running) -> None:
    reminder = await store.add_reminder(ALICE, "odd", clock.now(), timezone="UTC", recurrence="fortnightly")
    recorder = Recorder(clock)
    scheduler = running(recorder)
    await recorder.wait_for(1)
    await quiet(scheduler)
    assert len(recorder.calls) == 1
    assert (await store.get_reminder(ALICE, reminder.id)).status == "done"  # type: ignore[union-attr]


# The kill test: SIGKILL a dispatching process mid-batch, then recover on the same file.

WORKER = Path(__file__).with_name("dispatch_worker.py")
KILL_REMINDERS = 300
KILL_BATCH = 25


async def test_sigkill_mid_batch_loses_nothing_and_repeats_at_most_the_claimed(tmp_path: Path) -> None:
    start = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    path, log = tmp_path / "kill.db", tmp_path / "delivered.log"
    async with await SQLiteStore.open(path, clock=FakeClock(start)) as store:
        expected = {
            (await store.add_reminder(5000 + i % 60, f"n{i}", start - timedelta(seconds=i), timezone="UTC")).id
            for i in range(KILL_REMINDERS)
        }

    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), str(path), str(log), start.isoformat(), str(KILL_BATCH),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # Kill in the middle of the second batch: some of it delivered, some claimed and waiting.
        await until(lambda: _lines(log) >= KILL_BATCH + 18 or worker.returncode is not None, within=30)
    finally:
        worker.send_signal(signal.SIGKILL)
        _, err = await asyncio.wait_for(worker.communicate(), 30)
    assert worker.returncode == -signal.SIGKILL, err.decode()
    before = [int(line) for line in log.read_text().split()]
    assert 0 < len(before) < KILL_REMINDERS, "the worker must be killed mid-run"
    assert len(set(before)) == len(before)  # no repeats while it ran
    with sqlite3.connect(path) as raw:
        in_flight = raw.execute("SELECT COUNT(*) FROM reminders WHERE claim_token IS NOT NULL").fetchone()[0]
    assert 0 < in_flight <= KILL_BATCH

    clock = FakeClock(start + LEASE + timedelta(seconds=1))  # the dead worker's leases have run out
    async with await SQLiteStore.open(path, clock=clock) as store:
        recorder = Recorder(clock)
        scheduler = ReminderScheduler(store, recorder, clock=clock, lease=LEASE)
        scheduler.start()
        await recorder.wait_for(KILL_REMINDERS - len(set(before)))
        await quiet(scheduler)
        await scheduler.stop()
        assert await store.next_wakeup() is None
    after = recorder.ids
    delivered = Counter(before + after)
    assert set(delivered) == expected  # none lost
    duplicates = sum(delivered.values()) - len(expected)
    assert all(n <= 2 for n in delivered.values())
    assert duplicates <= in_flight <= KILL_BATCH
    print(f"kill test: {len(before)} delivered before SIGKILL, {in_flight} claimed at the kill, "
          f"{len(after)} after restart, {duplicates} duplicate(s)")  # fmt: skip


def _lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0
