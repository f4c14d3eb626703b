"""pytest plugin: ``fake_discord`` and ``run_bot`` fixtures.

Enable with ``pytest_plugins = ["tests.fakediscord.fixtures"]`` in the root ``tests/conftest.py``
(or import the fixtures into a test module).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import discord
import pytest
import pytest_asyncio
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .runner import running_bot
from .server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@pytest_asyncio.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A started :class:`FakeDiscord` with discord.py's REST base and gateway URL pointed at it.

    Only ``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` are patched (and restored by
    monkeypatch); all other discord.py behaviour is real.
    """
    fake = FakeDiscord()
    await fake.start()
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def run_bot(fake_discord: FakeDiscord) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``bot = await run_bot(bot, **running_bot_kwargs)``: start a bot that is closed at teardown.

    Bots are closed in reverse start order before the fake server stops.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(bot: ClientT, **kwargs: Any) -> ClientT:
            return await stack.enter_async_context(running_bot(bot, fake_discord, **kwargs))

        yield start
