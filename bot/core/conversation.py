"""Each conversation's context, kept briefly so a follow-up can be read against what was just shown.

Why: in a chat, "and the CCS?", "the next one?" or "which pays more?" only makes sense after the reply
before it. The engine resolves such follow-ups when it is given that reply's context
(`Engine.ask(question, previous=reply.context)`); this keeps it per conversation (a member in a DM, a
member in one channel for `/ask`, the terminal chat) for ten minutes, in memory only: it is never
written to the database, a restart forgets it, and `/mydata delete` forgets it at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from bot.core.context import Context

FOLLOW_UP_SECONDS = 600.0  # ten minutes
MAX_MEMBERS = 10_000  # the least recently active are forgotten first


class Conversations:
    """Conversation key -> (context, when): bounded, expiring, process-local.

    A key is whatever identifies one conversation: a member's id for DMs, (member, channel) for `/ask`.
    `forget_member` drops every conversation of a member, whichever key holds it.
    """

    def __init__(
        self,
        ttl: float = FOLLOW_UP_SECONDS,
        capacity: int = MAX_MEMBERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self._clock = clock
        self._last: OrderedDict[Hashable, tuple[Context, float]] = OrderedDict()

    def previous(self, key: Hashable) -> Context | None:
        """The conversation's context if its last reply was within the last ten minutes."""
        found = self._last.get(key)
        if found is None:
            return None
        context, at = found
        if self._clock() - at > self.ttl:
            del self._last[key]
            return None
        return context

    def remember(self, key: Hashable, context: Context | None) -> None:
        """Keep `context` (a reply's `context`) for the conversation; None or an empty one forgets it."""
        self._last.pop(key, None)
        if context is None or context.empty:
            return
        self._last[key] = (context, self._clock())
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._last.pop(key, None)

    def forget_member(self, member: int) -> None:
        """Forget every conversation of `member`: their DM and each channel's `/ask` (keys `member` or
        `(member, channel)`)."""
        for key in [k for k in self._last if k == member or (isinstance(k, tuple) and k[:1] == (member,))]:
            del self._last[key]

    def __len__(self) -> int:
        return len(self._last)
