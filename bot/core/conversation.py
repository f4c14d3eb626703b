"""Each member's previous question, kept briefly so a short follow-up can be read against it.

Why: in a chat, "and the CCS?" or "what about hospitals?" only makes sense after "what does a CPC
earn?". The engine resolves such follow-ups when it is given the previous question
(`Engine.ask(question, previous=...)`); this keeps that question per member for ten minutes, in
memory only: it is never written to the database, and a restart forgets it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

FOLLOW_UP_SECONDS = 600.0  # ten minutes
MAX_MEMBERS = 10_000  # the least recently active are forgotten first
MAX_TOPIC_WORDS = 40


class Conversations:
    """Member -> (previous question, when): bounded, expiring, process-local."""

    def __init__(
        self,
        ttl: float = FOLLOW_UP_SECONDS,
        capacity: int = MAX_MEMBERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._clock = clock
        self._last: OrderedDict[Hashable, tuple[str, float]] = OrderedDict()

    def previous(self, member: Hashable) -> str | None:
        """The member's last question if it was asked within the last ten minutes."""
        found = self._last.get(member)
        if found is None:
            return None
        topic, at = found
        if self._clock() - at > self.ttl:
            del self._last[member]
            return None
        return topic

    def remember(self, member: Hashable, topic: str) -> None:
        """Keep `topic` (a reply's `topic`) as the member's context; an empty topic forgets it.

        At most MAX_TOPIC_WORDS words are kept (a chatty 4,000-character message's tokens would otherwise
        be kept whole, for every member)."""
        self._last.pop(member, None)
        topic = " ".join(topic.split()[:MAX_TOPIC_WORDS])
        if not topic:
            return
        self._last[member] = (topic, self._clock())
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)

    def forget(self, member: Hashable) -> None:
        self._last.pop(member, None)

    def __len__(self) -> int:
        return len(self._last)
