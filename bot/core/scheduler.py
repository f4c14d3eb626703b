"""The reminder dispatcher: one task that sleeps until the next due reminder, then delivers it.

Why this shape (RoboDanny's timers, made restart-safe): a task per reminder doesn't scale and is
lost on restart, and a polling loop wakes for nothing. Here one task asks the store when work is
next due and waits on an `asyncio.Event` until then; `notify()` wakes it early when a sooner
reminder is added. Idle means a single pending wait, until the next due time or for at most an hour.

Delivery is claim -> deliver -> finish. The claim is a lease in the database: if the process
dies between claim and finish, the lease runs out and the reminder is claimed and sent again,
so a crash can repeat a reminder that was in flight but never lose one. Reminders that came due
while the bot was down are simply due at start-up; `Reminder.is_late(now)` lets the DM say so.

Several processes can each run a scheduler on one PostgreSQL database: claims never overlap, and
the store's `listen` hook (LISTEN/NOTIFY) wakes every process's task for a sooner reminder added
anywhere, the way `notify()` does within one process.

Finished reminders (a delivered one-off, or one cancelled or ended) are kept for `KEEP_FINISHED`
(30 days): `/mydata export` shows a member their recent reminders, and a DM's snooze button still
works for a while. Then this same task deletes them, at most once an hour (`PURGE_EVERY`) when it
looks for work, and it never sleeps past its next purge, so an idle bot purges too. No second task,
and nothing to run by hand; with several processes, each purges (the delete is idempotent).

Time comes from the injected `Clock`, so tests move time and call `notify()` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.store import Reminder, Store

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
ERROR_PAUSE = 5.0  # seconds before trying again after the store itself failed
KEEP_FINISHED = timedelta(days=30)  # a finished reminder is deleted this long after it finished
PURGE_EVERY = timedelta(hours=1)  # how often the task deletes the finished reminders past `KEEP_FINISHED`


class DeliveryOutcome(enum.Enum):
    """What happened when the front end tried to deliver a reminder."""

    SENT = "sent"
    DM_CLOSED = "dm_closed"  # the member can't be messaged: pause their reminders, tell them later
    RETRY = "retry"  # transient (5xx, timeouts): try again with backoff
    DROP = "drop"  # give up on this occurrence (e.g. the account is gone); a recurring one keeps its schedule


Deliver = Callable[[Reminder], Awaitable[DeliveryOutcome]]
Advance = Callable[[Reminder, datetime], datetime | None]


def next_due_from_schedule(reminder: Reminder, now: datetime) -> datetime | None:
    """The next occurrence of a recurring reminder, from its rule and anchor; None for a one-off.

    Computed after the later of the occurrence just delivered and `now`: a reminder missed while the
    bot was down is delivered once and then continues at its next future occurrence, never catching
    up one by one and never drifting by however late this delivery was.
    """
    if reminder.recurrence is None:
        return None
    from bot.core.timeparse import Recurrence, next_occurrence  # noqa: PLC0415  (only recurring reminders need it)

    rule = Recurrence.parse(reminder.recurrence)
    return next_occurrence(rule, max(reminder.due_at, now), ZoneInfo(reminder.timezone), reminder.anchor_at)


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour."""
    return min(RETRY_BASE * 2 ** min(attempts, 20), RETRY_CAP)


@dataclass
class SchedulerStats:
    """Counters for tests, benchmarks and logs."""

    wakeups: int = 0  # times the task woke from a wait (timeout or notify)
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    paused: int = 0
    dropped: int = 0
    stale: int = 0  # finished after the claim was lost (lease ran out, cancelled, paused meanwhile)
    purged: int = 0  # finished reminders deleted after `KEEP_FINISHED`


class ReminderScheduler:
    """Delivers due reminders through `deliver`; `start()` once, `await stop()` at shutdown."""

    def __init__(
        self,
        store: Store,
        deliver: Deliver,
        *,
        clock: Clock,
        lease: timedelta = timedelta(minutes=5),
        batch: int = 100,
        concurrency: int = 10,
        max_attempts: int = 12,
        max_sleep: timedelta = timedelta(hours=1),
        advance: Advance | None = None,
    ) -> None:
        self._store = store
        self._deliver = deliver
        self._clock = clock
        self._lease = lease
        self._batch = batch
        self._slots = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        self._max_sleep = max_sleep.total_seconds()
        self._advance = advance or next_due_from_schedule
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._sleeping = False
        self.planned: datetime | None = None  # when the sleeping task means to look again (None: no work)
        self.purge_at: datetime | None = None  # when it next deletes old finished reminders (None: at its first look)
        self.stats = SchedulerStats()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def idle(self) -> bool:
        """Waiting, with nothing due now and no wake-up requested (tests and health checks)."""
        return self.running and self._sleeping and not self._wake.is_set()

    def start(self) -> None:
        if self.running:
            raise RuntimeError("the reminder scheduler is already running")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="reminder-scheduler")

    async def stop(self, grace: float = 10.0) -> None:
        """Let the batch in hand finish (up to `grace` seconds), then end the task.

        Anything still claimed after that is delivered after its lease, by whichever process runs next.
        """
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    def notify(self, due_at: datetime | None = None) -> None:
        """Wake the task to look again; with `due_at`, only if that is sooner than its planned wake-up."""
        if due_at is None or self.planned is None or due_at < self.planned:
            self._wake.set()

    async def run_once(self) -> int:
        """Claim one batch of due reminders and deliver it; returns how many were claimed."""
        claimed = await self._store.claim_due(self._clock.now(), lease=self._lease, limit=self._batch)
        self.stats.claimed += len(claimed)
        if claimed:
            await asyncio.gather(*(self._deliver_one(reminder) for reminder in claimed))
        return len(claimed)

    async def _run(self) -> None:
        # A shared database (PostgreSQL) tells every process's dispatcher about reminders added
        # elsewhere; the default `Store.listen` does nothing. Failing to listen only costs latency.
        try:
            unlisten = await self._store.listen(self.notify)
        except Exception:
            log.exception("can't listen for reminders added by other processes; relying on the wake-up time")
            unlisten = None
        try:
            await self._dispatch()
        finally:
            if unlisten is not None:
                with suppress(Exception):
                    await unlisten()

    async def _dispatch(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before looking, so a notify() during the look is not lost
            try:
                if await self.run_once():
                    continue
                await self._purge_when_due()
                wake = await self._store.next_wakeup()
            except Exception:
                log.exception("reminder dispatch failed; trying again in %.0f s", ERROR_PAUSE)
                wake = self._clock.now() + timedelta(seconds=ERROR_PAUSE)
            if self._stopping:
                break
            self.planned = wake
            look = min((t for t in (wake, self.purge_at) if t is not None), default=None)  # work or purge
            timeout = None
            if look is not None:
                # +5 ms: the store keeps whole seconds, so don't wake a hair before the second turns.
                timeout = min(max((look - self._clock.now()).total_seconds(), 0.0) + 0.005, self._max_sleep)
            self._sleeping = True
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._sleeping = False
            self.planned = None
            self.stats.wakeups += 1

    async def _purge_when_due(self) -> None:
        """Delete the reminders that finished more than `KEEP_FINISHED` ago, if `PURGE_EVERY` has passed."""
        now = self._clock.now()
        if self.purge_at is not None and now < self.purge_at:
            return
        self.purge_at = now + PURGE_EVERY  # set first: a failed purge waits its hour too, not retried on every look
        try:
            purged = await self._store.purge_finished(now - KEEP_FINISHED)
        except Exception:
            log.exception("deleting finished reminders failed; trying again in %s", PURGE_EVERY)
            return
        self.stats.purged += purged
        if purged:
            log.info("deleted %d reminder(s) finished more than %d days ago", purged, KEEP_FINISHED.days)

    async def _deliver_one(self, reminder: Reminder) -> None:
        async with self._slots:
            try:
                outcome = await self._deliver(reminder)
            except Exception:
                log.exception("delivering reminder %s raised; will retry", reminder.id)
                outcome = DeliveryOutcome.RETRY
            try:
                await self._settle(reminder, outcome)
            except Exception:
                log.exception(
                    "recording the delivery of reminder %s failed; it is retried after its lease", reminder.id
                )

    async def _settle(self, reminder: Reminder, outcome: DeliveryOutcome) -> None:
        token = reminder.claim_token or ""
        if outcome is DeliveryOutcome.DM_CLOSED and reminder.user_id is not None:
            paused = await self._store.pause_member_reminders(reminder.user_id)
            self.stats.paused += paused
            log.info("member %s has DMs closed: paused %d reminder(s)", reminder.user_id, paused)
            return
        if outcome is DeliveryOutcome.RETRY:
            if reminder.attempts + 1 < self._max_attempts:
                retry_at = self._clock.now() + retry_delay(reminder.attempts)
                if await self._store.release(reminder.id, token, retry_at):
                    self.stats.retried += 1
                else:
                    self.stats.stale += 1
                return
            log.warning("reminder %s failed %d times; giving up on this occurrence", reminder.id, self._max_attempts)
            outcome = DeliveryOutcome.DROP
        if outcome is DeliveryOutcome.DROP:
            self.stats.dropped += 1
        if await self._store.finish(reminder.id, token, next_due=self._next_due(reminder)):
            self.stats.sent += outcome is DeliveryOutcome.SENT
        else:
            self.stats.stale += 1

    def _next_due(self, reminder: Reminder) -> datetime | None:
        try:
            return self._advance(reminder, self._clock.now())
        except Exception:
            log.exception(
                "can't compute the next occurrence of reminder %s (%r); ending it", reminder.id, reminder.recurrence
            )
            return None
