"""Counting unanswered questions in memory and writing the counts behind, a few seconds later.

Why not write each one as it happens: a question the bot cannot answer is the common case in
a busy server's `/ask` and DMs, and a database write per question (a transaction, a thread hop
for SQLite, a round trip for PostgreSQL) cost more than answering it. The counts are anonymous
maintenance statistics, not a member's data, so they can wait: `note` is a dictionary update,
and one task writes everything gathered in one transaction at most every `interval` seconds,
sooner when many distinct texts pile up, and at `close` (a clean shutdown loses nothing; a crash
loses at most the last `interval` seconds of counts). The task sleeps while nothing is noted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.core.clock import Clock
from bot.core.store import Store
from bot.core.store.models import UnansweredCount

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 5.0  # seconds between writes while questions keep coming
FLUSH_AT = 256  # distinct texts waiting that trigger a write before the interval is up


class UnansweredCounter:
    """Write-behind counts of unanswered texts for one store; `note` never blocks or raises."""

    def __init__(
        self,
        store: Store,
        *,
        cap: int,
        clock: Clock,
        interval: float = FLUSH_INTERVAL,
        flush_at: int = FLUSH_AT,
    ) -> None:
        self._store = store
        self._cap = cap
        self._clock = clock
        self._interval = interval
        self._flush_at = max(1, min(flush_at, cap))
        self._pending: dict[str, UnansweredCount] = {}
        self._noted = asyncio.Event()  # set by the first note after a write
        self._full = asyncio.Event()  # set when `flush_at` distinct texts are waiting
        self._write_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Distinct texts counted but not yet written."""
        return len(self._pending)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="medcoder: unanswered counts")

    def note(self, text: str) -> None:
        """Count one ask of `text` (already cleaned and shortened by the caller)."""
        now = self._clock.now()
        seen = self._pending.get(text)
        if seen is not None:
            self._pending[text] = UnansweredCount(seen.count + 1, seen.first_seen, now)
            return
        if len(self._pending) >= self._cap:
            # Only while writes fail or lag: the store would keep just `cap` texts, the most recent.
            del self._pending[min(self._pending, key=lambda t: self._pending[t].last_seen)]
        self._pending[text] = UnansweredCount(1, now, now)
        self._noted.set()
        if len(self._pending) >= self._flush_at:
            self._full.set()

    async def flush(self) -> None:
        """Write what is pending now; on a store error keep it for the next try (within the cap)."""
        async with self._write_lock:
            await self._write()

    async def _write(self) -> None:
        """The write itself; the caller holds `_write_lock`, so two writes never overlap."""
        batch, self._pending = self._pending, {}
        self._full.clear()
        if not batch:
            return
        try:
            await self._store.record_unanswered_counts(batch, cap=self._cap)
        except Exception:
            log.warning("Could not write %d unanswered-question counts; will retry", len(batch), exc_info=True)
            self._restore(batch)
        # Not restored on cancellation: the commit may already have happened (aiosqlite commits in its
        # own thread), and counting twice is worse than losing a few seconds of counts. `close` never
        # cancels a write in progress; only a process being torn down without `close` does.

    def _restore(self, batch: dict[str, UnansweredCount]) -> None:
        for text, old in batch.items():
            new = self._pending.get(text)
            if new is not None:
                self._pending[text] = UnansweredCount(old.count + new.count, old.first_seen, new.last_seen)
            elif len(self._pending) < self._cap:
                self._pending[text] = old
        self._noted.set()

    async def _run(self) -> None:
        while True:
            await self._noted.wait()
            self._noted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self._interval)
            await self.flush()

    async def close(self) -> None:
        """Stop the task and write what is left; call before closing the store.

        A write already in progress finishes first (the lock), then the task is cancelled while it
        waits, so nothing is cancelled half-way through a commit.
        """
        async with self._write_lock:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
                self._task = None
            await self._write()
