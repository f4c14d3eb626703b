"""Counts gathered in memory and written behind, a few seconds later, by one task.

Why not write each count as it happens: the counts the bot keeps (unanswered questions, a server's
/ask topics) are anonymous statistics noted on the hot path of answering a question, and a database
write per question (a transaction, a thread hop for SQLite, a round trip for PostgreSQL) costs more
than answering it. They can wait: noting is a dictionary update, and one task writes everything
gathered in one transaction at most every `interval` seconds, sooner when `flush_at` keys pile up,
and at `close` (a clean shutdown loses nothing; a crash loses at most the last `interval` seconds).
The task sleeps while nothing is noted.

Subclasses say how to count (`note`), write a batch, and fold a failed batch back in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 5.0  # seconds between writes while counts keep coming
FLUSH_AT = 256  # distinct keys waiting that trigger a write before the interval is up

K = TypeVar("K")
V = TypeVar("V")


class WriteBehind(ABC, Generic[K, V]):
    """Pending counts by key, written in batches by one task; noting never blocks or raises."""

    def __init__(self, *, name: str, interval: float = FLUSH_INTERVAL, flush_at: int = FLUSH_AT) -> None:
        self._name = name
        self._interval = interval
        self._flush_at = max(1, flush_at)
        self._pending: dict[K, V] = {}
        self._noted = asyncio.Event()  # set by the first note after a write
        self._full = asyncio.Event()  # set when `flush_at` distinct keys are waiting
        self._write_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    @property
    def pending(self) -> int:
        """Distinct keys counted but not yet written."""
        return len(self._pending)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"medcoder: {self._name}")

    def _noted_one(self) -> None:
        """Subclasses call this after adding to `_pending`."""
        self._noted.set()
        if len(self._pending) >= self._flush_at:
            self._full.set()

    @abstractmethod
    async def _write_batch(self, batch: dict[K, V]) -> None:
        """Write one batch in one transaction; raise if it was not written."""

    @abstractmethod
    def _restore(self, batch: dict[K, V]) -> None:
        """Fold a batch that failed to write back into `_pending` (merging with newer counts)."""

    async def flush(self) -> None:
        """Write what is pending now; on a store error keep it for the next try."""
        async with self._write_lock:
            await self._write()

    async def _write(self) -> None:
        """The write itself; the caller holds `_write_lock`, so two writes never overlap."""
        batch, self._pending = self._pending, {}
        self._full.clear()
        if not batch:
            return
        try:
            await self._write_batch(batch)
        except Exception:
            log.warning("Could not write %d %s; will retry", len(batch), self._name, exc_info=True)
            self._restore(batch)
            self._noted.set()
        # Not restored on cancellation: the commit may already have happened (aiosqlite commits in its
        # own thread), and counting twice is worse than losing a few seconds of counts. `close` never
        # cancels a write in progress; only a process being torn down without `close` does.

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
