"""Starting the bot and syncing its commands, for `medcoder-bot run` and `medcoder-bot sync`.

Both return an exit code and turn the expected failures (no token, a token Discord rejects,
invalid settings, Discord unreachable) into one clear line on stderr instead of a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import sys

import aiohttp
import discord

from bot.app import MedcoderBot, create_bot
from bot.core.knowledge import KnowledgeError
from bot.core.store import StoreError
from bot.logs import configure_logging
from bot.settings import InvalidSettings, Settings, UnusableSetting
from bot.utils.sync import SyncResult, sync_tree

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2

NO_TOKEN = "DISCORD_TOKEN is not set: put the bot token in the environment or in .env (see .env.example)."
BAD_TOKEN = "Discord rejected DISCORD_TOKEN: copy the token again from the developer portal (Bot > Reset Token)."
NO_MEMBERS_INTENT = (
    "Discord refused the Server Members intent that MEDCODER_MEMBERS_INTENT=true asks for: switch it on in the "
    "developer portal (Bot > Privileged Gateway Intents > Server Members Intent), or set MEDCODER_MEMBERS_INTENT=false."
)


def _fail(message: str, code: int) -> int:
    print(f"medcoder-bot: {message}", file=sys.stderr)
    return code


# The command-line options that override a setting: an error names what the user typed.
FLAGS = {"shard_count": "--shard-count", "shards": "--shards"}


def _load_settings(**overrides: object) -> Settings | None:
    """The settings from the environment; `overrides` (command-line options) win over it."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except InvalidSettings as error:
        flags = {field: flag for field, flag in FLAGS.items() if field in given}
        _fail(f"invalid settings: {error.describe(flags)}", EXIT_CONFIG)
    return None


def _configure_logging(settings: Settings) -> None:
    configure_logging(settings.log_level_number, settings.log_format)


def run_bot(*, shard_count: int | None = None, shards: str | None = None) -> int:
    """Connect to Discord and serve until interrupted; the exit code says how it ended.

    `shard_count` and `shards` ("A-B") run a range of shards in this process, overriding
    MEDCODER_SHARD_COUNT and MEDCODER_SHARDS.
    """
    settings = _load_settings(shard_count=shard_count, shards=shards)
    if settings is None:
        return EXIT_CONFIG
    if settings.discord_token is None:
        return _fail(NO_TOKEN, EXIT_CONFIG)
    _configure_logging(settings)
    try:
        bot = create_bot(settings)  # a bad knowledge base fails here, before any network call
    except KnowledgeError as error:
        return _fail(str(error), EXIT_FAILURE)
    try:
        bot.run(settings.discord_token.get_secret_value(), log_handler=None)
    except discord.LoginFailure:
        return _fail(BAD_TOKEN, EXIT_FAILURE)
    except discord.PrivilegedIntentsRequired:  # the only privileged intent the bot can ask for
        return _fail(NO_MEMBERS_INTENT, EXIT_CONFIG)
    except StoreError as error:  # from setup_hook: e.g. a database newer than this code
        return _fail(f"cannot open the database {settings.database_label}: {error}", EXIT_FAILURE)
    except UnusableSetting as error:  # e.g. the metrics port is in use
        return _fail(str(error), EXIT_CONFIG)
    except (aiohttp.ClientError, OSError) as error:
        return _fail(f"could not reach Discord: {error}", EXIT_FAILURE)
    return EXIT_OK


async def _sync(bot: MedcoderBot, token: str, guild_id: int | None) -> SyncResult:
    # `login` runs setup_hook, which for a commands-only bot just loads the extensions (so the tree is
    # complete) without opening the database or a gateway connection.
    async with bot:
        await bot.login(token)
        return await sync_tree(bot.tree, guild_id)


def sync_commands(guild_id: int | None, *, force_global: bool = False) -> int:
    """Register the slash commands: to `guild_id`, else MEDCODER_DEV_GUILD, else globally.

    `force_global` syncs globally even when MEDCODER_DEV_GUILD is set (the release step).
    """
    settings = _load_settings()
    if settings is None:
        return EXIT_CONFIG
    if settings.discord_token is None:
        return _fail(NO_TOKEN, EXIT_CONFIG)
    _configure_logging(settings)
    target = None if force_global else guild_id if guild_id is not None else settings.dev_guild
    try:
        bot = create_bot(settings, commands_only=True)
    except KnowledgeError as error:
        return _fail(str(error), EXIT_FAILURE)
    try:
        result = asyncio.run(_sync(bot, settings.discord_token.get_secret_value(), target))
    except discord.LoginFailure:
        return _fail(BAD_TOKEN, EXIT_FAILURE)
    except discord.Forbidden:
        return _fail(
            f"Discord refused to sync to guild {target}: is the bot in that server, "
            "invited with the applications.commands scope?",
            EXIT_FAILURE,
        )
    except discord.HTTPException as error:
        return _fail(f"sync failed ({error.status}): {error.text or error}", EXIT_FAILURE)
    except (aiohttp.ClientError, OSError) as error:
        return _fail(f"could not reach Discord: {error}", EXIT_FAILURE)
    print(result.summary())
    return EXIT_OK
