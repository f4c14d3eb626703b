"""The real bot, built by `create_bot`, running against the fake Discord in `tests/fakediscord`.

Tests drive it with the fake's `invoke_slash`/`click`/`select`/`send_dm` and assert on the HTTP
requests discord.py puts on the wire. `fake` checks at teardown, after the bot has closed, that the
bot called no route the fake does not know (a route Discord would likely reject too).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from tests.discord.helpers import make_settings
from tests.fakediscord import FakeDiscord


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's MEDCODER_* or DISCORD_TOKEN variables must not change what the bot does here."""
    for name in list(os.environ):
        if name.startswith("MEDCODER_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)


@pytest_asyncio.fixture
async def fake(fake_discord: FakeDiscord) -> AsyncIterator[FakeDiscord]:
    yield fake_discord
    assert fake_discord.unhandled_requests == [], "the bot called routes the fake does not implement"


@pytest.fixture(scope="session")
def lexical(engine: Engine) -> Engine:
    """The same knowledge base answered by the lexical matcher alone: its "did you mean" for "coder courses"
    is fixed, so tests of the suggestion buttons' Discord path do not depend on what the models decide."""
    return Engine(engine.kb)


@pytest_asyncio.fixture
async def medcoder(  # noqa: PLR0917  # pytest passes fixtures by name
    request: pytest.FixtureRequest,
    fake: FakeDiscord,
    run_bot: Callable[..., Awaitable[Any]],
    engine: Engine,
    lexical: Engine,
    tmp_path: Any,
) -> MedcoderBot:
    """The bot, logged in and ready; closed at teardown (before `fake` checks for unknown routes).

    A test marked `@pytest.mark.lexical` gets it answering lexically (`MEDCODER_READER=false`): a test of
    the suggestion buttons' Discord path then has a "did you mean" that does not depend on the models.
    """
    if request.node.get_closest_marker("lexical") is not None:
        bot = create_bot(make_settings(fake, tmp_path, reader=False), lexical)
        return await run_bot(bot, guild_ready_timeout=0.1)
    bot = create_bot(make_settings(fake, tmp_path), engine)
    return await run_bot(bot, guild_ready_timeout=0.1)
