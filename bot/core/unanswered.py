"""Counting unanswered questions in memory and writing the counts behind (see `bot.core.writebehind`).

A question the bot cannot answer is the common case in a busy server's `/ask` and DMs; the counts
are anonymous maintenance statistics (no member id), so they are written a few seconds later in
one transaction, keeping at most `cap` texts.
"""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.store import Store
from bot.core.store.models import UnansweredCount
from bot.core.writebehind import FLUSH_AT, FLUSH_INTERVAL, WriteBehind


class UnansweredCounter(WriteBehind[str, UnansweredCount]):
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
        super().__init__(name="unanswered-question counts", interval=interval, flush_at=min(flush_at, cap))
        self._store = store
        self._cap = cap
        self._clock = clock

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
        self._noted_one()

    async def _write_batch(self, batch: dict[str, UnansweredCount]) -> None:
        await self._store.record_unanswered_counts(batch, cap=self._cap)

    def _restore(self, batch: dict[str, UnansweredCount]) -> None:
        for text, old in batch.items():
            new = self._pending.get(text)
            if new is not None:
                self._pending[text] = UnansweredCount(old.count + new.count, old.first_seen, new.last_seen)
            elif len(self._pending) < self._cap:
                self._pending[text] = old
