"""What the two reminder test modules share: a clock that stands still on a Monday, the bot on it,
and small helpers. Imported by `test_remind.py` and `test_reminder_delivery.py` (fixtures included)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from tests.clock import FakeClock
from tests.discord.helpers import make_settings
from tests.fakediscord import FakeDiscord

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday


def ts(moment: datetime, style: str = "F") -> str:
    """Discord's timestamp markup, as the bot writes it."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def uid(fake: FakeDiscord, user: dict[str, Any] | None = None) -> int:
    return int((user or fake.user)["id"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest_asyncio.fixture
async def bot(
    fake: FakeDiscord, run_bot: Callable[..., Awaitable[Any]], engine: Engine, tmp_path: Path, clock: FakeClock
) -> MedcoderBot:
    return await run_bot(create_bot(make_settings(fake, tmp_path), engine, clock), guild_ready_timeout=0.1)
