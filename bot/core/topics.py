"""Counting what a server's members ask `/ask` about, for its weekly digest (issue 15).

Only the knowledge-base entry that answered, the server and the UTC hour are counted: never the
question's text, never who asked. Written behind like the unanswered counts (`bot.core.writebehind`),
so answering a question in a server costs a dictionary update, not a database write.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import Clock
from bot.core.store import Store
from bot.core.writebehind import FLUSH_AT, FLUSH_INTERVAL, WriteBehind

HOUR_SECONDS = 3_600
MAX_PENDING = 50_000  # keys (server, hour, entry) held while writes fail: about 10 MB at most


def hour_number(moment: datetime) -> int:
    """The UTC hour of `moment` as a number (hours since 1970-01-01), as the store keeps topic counts.

    Hours, not days: a digest counts the week since the one before it, and a week of whole UTC days
    would miss the hours between a digest and the next midnight.
    """
    return int(moment.timestamp()) // HOUR_SECONDS


class TopicCounter(WriteBehind[tuple[int, int, str], int]):
    """Write-behind counts of answered /ask topics per server and hour; `note` never blocks or raises."""

    def __init__(
        self, store: Store, *, clock: Clock, interval: float = FLUSH_INTERVAL, flush_at: int = FLUSH_AT
    ) -> None:
        super().__init__(name="server topic counts", interval=interval, flush_at=flush_at)
        self._store = store
        self._clock = clock

    def note(self, guild_id: int, entry_id: str) -> None:
        """Count one /ask in `guild_id` answered by `entry_id`."""
        key = (guild_id, hour_number(self._clock.now()), entry_id)
        if key not in self._pending and len(self._pending) >= MAX_PENDING:
            return  # only while writes keep failing: drop new keys rather than grow without bound
        self._pending[key] = self._pending.get(key, 0) + 1
        self._noted_one()

    async def _write_batch(self, batch: dict[tuple[int, int, str], int]) -> None:
        await self._store.count_topics(batch)

    def _restore(self, batch: dict[tuple[int, int, str], int]) -> None:
        for key, count in batch.items():
            if key in self._pending or len(self._pending) < MAX_PENDING:
                self._pending[key] = self._pending.get(key, 0) + count
