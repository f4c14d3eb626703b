"""A fake Discord (REST API v10 + gateway) served on loopback, for end-to-end tests of discord.py bots.

Usage::

    async def test_hello(fake_discord):            # fixture from tests.fakediscord.fixtures
        bot = make_bot()                           # commands.Bot(..., guild_ready_timeout=0.1)
        async with running_bot(bot, fake_discord):
            interaction = await fake_discord.invoke_slash("hello")
            req = await fake_discord.wait_for_callback(interaction)
            assert req.json["data"]["content"] == "hi"
"""

from . import payloads
from .gateway import GatewayConnection
from .records import RecordedFile, RecordedRequest, RequestNotSeen
from .runner import running_bot, wait_for_handlers
from .server import FakeDiscord, InteractionRecord

__all__ = [
    "FakeDiscord",
    "GatewayConnection",
    "InteractionRecord",
    "RecordedFile",
    "RecordedRequest",
    "RequestNotSeen",
    "payloads",
    "running_bot",
    "wait_for_handlers",
]
