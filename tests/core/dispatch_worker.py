"""A dispatcher in its own process, for the kill test: `python dispatch_worker.py DB LOG START BATCH`.

It delivers every due reminder by appending its id to LOG (one fsync'd line each, so the test sees
exactly what was sent before the kill) and runs until it is killed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: the repository's `tests` (FakeClock) is not on the path

from bot.core.scheduler import DeliveryOutcome, ReminderScheduler  # noqa: E402
from bot.core.store import Reminder, SQLiteStore  # noqa: E402
from tests.clock import FakeClock  # noqa: E402

DELAY = 0.02  # per delivery, so a batch takes long enough to be killed in the middle
CONCURRENCY = 5


async def main(db: str, log: str, start: str, batch: int) -> None:
    clock = FakeClock(datetime.fromisoformat(start))
    store = await SQLiteStore.open(db, clock=clock)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def deliver(reminder: Reminder) -> DeliveryOutcome:
        os.write(fd, f"{reminder.id}\n".encode())
        os.fsync(fd)
        await asyncio.sleep(DELAY)
        return DeliveryOutcome.SENT

    scheduler = ReminderScheduler(
        store, deliver, clock=clock, lease=timedelta(minutes=5), batch=batch, concurrency=CONCURRENCY
    )
    scheduler.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
