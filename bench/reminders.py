"""Reminder delivery benchmark (issue 5): a burst of DMs, and what the dispatcher costs while idle.

Why this exists: issue 5 asks for 10,000 reminders due in the same minute to go out through the
fake Discord, and for a dispatcher that costs nothing while it waits (no polling loop, no task per
reminder). Both are about the whole path -- the store's claims, the `/remind` cog's DM with its
buttons, discord.py's HTTP client, the scheduler's bookkeeping -- so the real bot from `create_bot`
runs against the fake Discord in `tests/fakediscord` on a real SQLite file in a temporary directory.

Burst: the reminders are inserted through the store API before the bot starts (setup, not timed),
spread over many members and over one minute. The bot starts with a `FakeClock` before that
minute; the clock then jumps past it and the scheduler is notified. The rate is reminders divided
by the time from that notify until the scheduler has recorded the last delivery. The fake runs on
the same event loop and answers every request at once (Discord's real limit is about 50 requests
per second per bot, so a real burst of 10,000 takes minutes however fast the bot is): this measures
the bot's own ceiling.

Idle: reminders due in 30 days, the scheduler asleep; the process's CPU time (`time.process_time`,
all threads: the event loop, aiosqlite's thread, the fake) and the scheduler's wake-up counter over
a few seconds of wall time. Target: near-zero CPU and no wake-ups.

It prints figures, never asserts.

    python bench/reminders.py              # 10,000 reminders, 3 s idle (well under a minute on 2 cores)
    python bench/reminders.py --count 2000 --idle 1
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.fakediscord` lives in the repository, not the package

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
BURST_MINUTE = START + timedelta(minutes=1)  # every reminder is due within this minute
PER_MEMBER = 20  # under the 25 active reminders a member may have
GUILD_READY_TIMEOUT = 0.1
IDLE_CPU_TARGET = 0.01  # CPU seconds per wall second: "near zero"


async def insert(db: Path, clock: Any, count: int, members: int) -> float:
    """Reminders due in the burst minute, members taking turns (as a real burst would mix them)."""
    from bot.core.store import SQLiteStore

    started = time.perf_counter()
    async with await SQLiteStore.open(db, clock=clock) as store:
        for i in range(count):
            due = BURST_MINUTE + timedelta(seconds=i % 60)
            await store.add_reminder(10_000 + i % members, f"Study block {i}", due, timezone="UTC")
    return time.perf_counter() - started


async def wait_until(condition: Any, within: float, poll: float = 0.01) -> bool:
    """The scheduler's counters are only observable by looking; 10 ms is small beside the burst."""
    deadline = time.perf_counter() + within
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(poll)
    return True


async def burst(fake: Any, scheduler: Any, clock: Any, count: int) -> None:
    """Jump to the end of the burst minute, wake the scheduler, time until every DM is recorded."""
    requests_before = len(fake.requests)
    clock.set(BURST_MINUTE + timedelta(seconds=59))
    wall, cpu = time.perf_counter(), time.process_time()
    scheduler.notify()
    finished = await wait_until(lambda: scheduler.stats.sent >= count, 600)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stats = scheduler.stats
    requests = fake.requests[requests_before:]
    dms = sum(r.method == "POST" and r.path.startswith("/channels/") for r in requests)
    opens = sum(r.method == "POST" and r.path == "/users/@me/channels" for r in requests)
    failed = sum(r.status >= 400 for r in requests)
    late = sum("(late:" in ((r.json or {}).get("content") or "") for r in requests)
    sent = max(stats.sent, 1)
    print()
    print(f"burst: {count:,} reminders due in the same minute ({'all sent' if finished else 'TIMED OUT'})")
    print(f"  total time        {wall:8.2f} s   (CPU {cpu:.2f} s, bot and fake together)")
    print(f"  throughput        {stats.sent / wall:8.0f} reminders/s")
    print(f"  per reminder      {1000 * wall / sent:8.3f} ms wall, {1000 * cpu / sent:.3f} ms CPU")
    print(f"  requests          {dms:,} DMs + {opens:,} DM-channel opens, {failed} failed")
    print(
        f"  scheduler         sent={stats.sent:,} claimed={stats.claimed:,} retried={stats.retried} "
        f"dropped={stats.dropped} stale={stats.stale} wake-ups={stats.wakeups}"
    )
    print(f"  marked late       {late:,} (each was due less than a minute earlier: none should be)")


async def idle(bot: Any, scheduler: Any, clock: Any, count: int, seconds: float) -> None:
    """Reminders far in the future, the scheduler asleep: CPU time and wake-ups over `seconds`."""
    far = clock.now() + timedelta(days=30)
    for i in range(count):
        await bot.store.add_reminder(20_000 + i % 50, "far away", far, timezone="UTC")
    scheduler.notify()
    await wait_until(lambda: scheduler.idle, 10)
    await asyncio.sleep(0.2)  # let the last writes and callbacks drain
    wakeups, cpu, wall = scheduler.stats.wakeups, time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    woke = scheduler.stats.wakeups - wakeups
    per_second = cpu / wall
    print()
    print(f"idle: {count:,} reminders due in 30 days, {wall:.1f} s of wall time")
    print(
        f"  process CPU       {1000 * cpu:8.2f} ms   ({per_second:.4f} CPU s per s; "
        f"target < {IDLE_CPU_TARGET}: {'met' if per_second < IDLE_CPU_TARGET else 'NOT met'})"
    )
    print(f"  scheduler wake-ups {woke:7d}     (target 0: {'met' if woke == 0 else 'NOT met'})")
    if scheduler.planned is not None:
        print(f"  next due           {scheduler.planned.isoformat()} (one wait, re-armed at most hourly)")


async def run(count: int, idle_seconds: float) -> None:
    from bot.app import create_bot
    from bot.core.scheduler import ReminderScheduler
    from bot.settings import Settings
    from tests.clock import FakeClock
    from tests.fakediscord import FakeDiscord, running_bot

    members = max(1, -(-count // PER_MEMBER))
    clock = FakeClock(START)
    with tempfile.TemporaryDirectory(prefix="medcoder-bench-reminders-") as tmp:
        db = Path(tmp) / "bench.db"
        setup_s = await insert(db, clock, count, members)
        print(f"setup: {count:,} reminders for {members:,} members inserted in {setup_s:.1f} s (not timed below)")
        async with FakeDiscord() as fake:
            with fake.patch_discord_urls():
                bot = create_bot(Settings(_env_file=None, discord_token=fake.token, db=db), clock=clock)
                async with running_bot(bot, fake, guild_ready_timeout=GUILD_READY_TIMEOUT, drain=0.5):
                    scheduler = getattr(bot.get_cog("Remind"), "scheduler", None)
                    assert isinstance(scheduler, ReminderScheduler)
                    await wait_until(lambda: scheduler.idle, 10)
                    await burst(fake, scheduler, clock, count)
                    await idle(bot, scheduler, clock, min(count, 1000), idle_seconds)
            if fake.unhandled_requests:
                print(f"note: the fake saw {len(fake.unhandled_requests)} requests it has no route for")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=10_000, help="reminders in the burst (default 10,000)")
    parser.add_argument("--idle", type=float, default=3.0, help="seconds of idle to measure (default 3)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args.count, args.idle))


if __name__ == "__main__":
    main()
