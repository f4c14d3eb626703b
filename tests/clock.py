"""A clock that only moves when told to, for the tests and the benchmarks.

Why here and not in `bot.core.clock`: production only ever runs on the wall clock (`SystemClock`);
anything that needs "now" takes a `Clock`, so tests and benchmarks pass this one and move time
forward (restarts, late deliveries, DST) without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    """A `bot.core.clock.Clock` whose time is set by the test."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by `delta` (seconds or a timedelta) and return the new time."""
        self._now += delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        return self._now

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs timezone-aware times")
        self._now = moment
