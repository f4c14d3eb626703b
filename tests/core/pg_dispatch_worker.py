"""A dispatcher process on PostgreSQL: `python pg_dispatch_worker.py DSN LOG LEASE_S BATCH DELAY_S`.

Used by `test_pg_dispatch.py` to run several dispatchers on one database, as several bot processes
would. It logs every claim (`c ID`), delivery (`d ID`), recorded finish (`f ID`) and, for a server's
weekly digest, each post its `claim_digest` allowed (`p GUILD`) to LOG with one unbuffered write
each, so after a SIGKILL the test knows exactly which reminders this process held in flight. It runs
on the wall clock (a lease must really expire for the others to take over) until it is killed or
stdin closes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta

from bot.core.clock import SystemClock
from bot.core.scheduler import DeliveryOutcome, ReminderScheduler
from bot.core.store import Reminder
from bot.core.store.postgres import PostgresStore

CONCURRENCY = 10


class LoggingStore(PostgresStore):
    """The real store, writing what it claimed and finished to the log as it happens."""

    log_fd: int = -1

    def _log(self, kind: str, ids: list[int]) -> None:
        if ids:
            os.write(self.log_fd, "".join(f"{kind} {i}\n" for i in ids).encode())

    async def claim_due(self, now: datetime, *, lease: timedelta, limit: int) -> list[Reminder]:
        claimed = await super().claim_due(now, lease=lease, limit=limit)
        self._log("c", [r.id for r in claimed])
        return claimed

    async def finish(self, reminder_id: int, claim_token: str, *, next_due: datetime | None) -> bool:
        done = await super().finish(reminder_id, claim_token, next_due=next_due)
        if done:
            self._log("f", [reminder_id])
        return done


async def main(dsn: str, log: str, lease: float, batch: int, delay: float) -> None:
    clock = SystemClock()
    store = await LoggingStore.open(dsn, clock=clock)
    store.log_fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def deliver(reminder: Reminder) -> DeliveryOutcome:
        store._log("d", [reminder.id])
        # A server's digest: post (and spend the delay posting) only what claim_digest lets through.
        guild = reminder.guild_id
        if guild is not None:
            if await store.claim_digest(guild, reminder.due_at, {}) is None:
                return DeliveryOutcome.SENT
            store._log("p", [guild])
        if delay:
            await asyncio.sleep(delay)
        return DeliveryOutcome.SENT

    scheduler = ReminderScheduler(
        store, deliver, clock=clock, lease=timedelta(seconds=lease), batch=batch, concurrency=CONCURRENCY
    )
    scheduler.start()
    print("ready", flush=True)
    # Runs until killed, or until the test closes our stdin (a clean stop).
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await scheduler.stop()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])))
