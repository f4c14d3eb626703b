"""`/timezone set|show` end to end: canonical IANA names stored, friendly refusals, autocomplete."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from tests.clock import FakeClock
from tests.discord.helpers import is_ephemeral, make_settings, reply_to
from tests.fakediscord import FakeDiscord, payloads


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, run_bot: Callable[..., Awaitable[Any]], engine: Engine, tmp_path: Path) -> MedcoderBot:
    """The clock stands at Monday 5 January 2026, 12:00 UTC, so local times are known."""
    return await run_bot(create_bot(make_settings(fake, tmp_path), engine, FakeClock()), guild_ready_timeout=0.1)


async def run(fake: FakeDiscord, subcommand: str, options: Any = None, **kwargs: Any) -> dict[str, Any]:
    reply = await reply_to(fake, await fake.invoke_slash("timezone", options, subcommand=subcommand, **kwargs))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    assert is_ephemeral(reply.json["data"])
    return reply.json["data"]


@pytest.mark.parametrize(
    ("typed", "zone", "local"),
    [
        ("Europe/Paris", "Europe/Paris", "Monday 5 January, 13:00 (UTC+01:00)"),
        ("america/new york", "America/New_York", "Monday 5 January, 07:00 (UTC-05:00)"),
        ("Asia/Kolkata", "Asia/Kolkata", "Monday 5 January, 17:30 (UTC+05:30)"),
    ],
)
async def test_set_stores_the_canonical_name_and_shows_the_local_time(
    fake: FakeDiscord, bot: MedcoderBot, typed: str, zone: str, local: str
) -> None:
    body = await run(fake, "set", {"name": typed})
    assert body["content"] == f"Your timezone is now **{zone}**. It's {local} there; reminder times are read in it."
    assert await bot.store.get_timezone(int(fake.user["id"])) == zone
    shown = await run(fake, "show", dm=True)
    assert shown["content"] == f"Your timezone is **{zone}**. It's {local} there."


async def test_an_unknown_zone_is_refused_and_nothing_is_stored(fake: FakeDiscord, bot: MedcoderBot) -> None:
    body = await run(fake, "set", {"name": "Mars/Olympus_Mons"})
    assert body["content"] == "Unknown timezone 'Mars/Olympus_Mons'. Use an IANA name like Europe/Paris."
    assert await bot.store.get_timezone(int(fake.user["id"])) is None
    unset = await run(fake, "show")
    assert unset["content"].startswith("You haven't set a timezone, so reminder times are read in UTC.")


async def test_set_replaces_the_previous_zone(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await run(fake, "set", {"name": "Europe/Paris"})
    await run(fake, "set", {"name": "Australia/Sydney"}, dm=True)
    assert await bot.store.get_timezone(int(fake.user["id"])) == "Australia/Sydney"


@pytest.mark.usefixtures("bot")
async def test_autocomplete_suggests_zones(fake: FakeDiscord) -> None:
    async def choices(typed: str) -> list[dict[str, Any]]:
        interaction = await fake.autocomplete("timezone", "name", {"name": typed}, subcommand="set")
        reply = await reply_to(fake, interaction)
        assert reply.json["type"] == payloads.AUTOCOMPLETE_RESULT
        return reply.json["data"]["choices"]

    chicago = await choices("chicago")
    assert chicago[0] == {"name": "America/Chicago", "value": "America/Chicago"}
    common = await choices("")
    assert 1 <= len(common) <= 25 and {"name": "UTC", "value": "UTC"} in common
    assert len(await choices("a")) == 25
    assert await choices("nowhere-at-all") == []
