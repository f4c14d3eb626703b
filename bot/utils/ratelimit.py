"""A per-member sliding-window limit for the direct-message path.

Slash commands have Discord-side protection; plain DMs do not, and a script or a stuck key can
send hundreds. The limit answers the first excess message once, politely, and then stays quiet
until the window has room again, so the bot never argues with a flood.
"""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


class Verdict(enum.Enum):
    ALLOW = "allow"  # answer it
    NOTIFY = "notify"  # first message over the limit: say so once
    SILENT = "silent"  # still over the limit: ignore


@dataclass(slots=True)
class _Window:
    hits: deque[float] = field(default_factory=deque)
    notified: bool = False


class SlidingWindowLimiter:
    """At most `rate` allowed messages per key in any `per` seconds.

    Only allowed messages fill the window, so someone who was told to slow down can ask again
    as soon as their oldest answered message is `per` seconds old, however much they sent since.
    """

    _PRUNE_AT = 1024  # keys kept before idle ones are dropped

    def __init__(self, rate: int = 5, per: float = 10.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate = rate
        self.per = per
        self._clock = clock
        self._windows: dict[Hashable, _Window] = {}

    def hit(self, key: Hashable) -> Verdict:
        """Record a message from `key` and say what to do with it."""
        now = self._clock()
        window = self._windows.get(key)
        if window is None:
            if len(self._windows) >= self._PRUNE_AT:
                self._prune(now)
            window = self._windows[key] = _Window()
        while window.hits and now - window.hits[0] >= self.per:
            window.hits.popleft()
        if len(window.hits) < self.rate:
            window.hits.append(now)
            window.notified = False
            return Verdict.ALLOW
        if window.notified:
            return Verdict.SILENT
        window.notified = True
        return Verdict.NOTIFY

    def _prune(self, now: float) -> None:
        idle = [key for key, w in self._windows.items() if not w.hits or now - w.hits[-1] >= self.per]
        for key in idle:
            del self._windows[key]

    def __len__(self) -> int:
        return len(self._windows)
