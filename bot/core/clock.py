"""Time as a dependency: the real clock in production, a movable one in tests.

Why: reminders are about time. Restart, late-delivery and DST tests must move time forward
without sleeping, so every core component that needs "now" takes a `Clock`. The movable one,
`FakeClock`, lives in `tests/clock.py`: nothing in the bot uses it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)
