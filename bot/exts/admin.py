"""Owner-only maintenance in the bot's DM: `@MedCoder sync [global|GUILD_ID]`.

A prefix command (the prefix is a mention of the bot) rather than a slash command, so it works
before any command has been synced and never shows up in members' command lists. Without the
guild-messages intent the bot only sees it in its DM.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.utils.sync import sync_tree

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)


def parse_sync_target(argument: str | None, dev_guild: int | None) -> int | None:
    """The guild to sync to (None for global); no argument means the dev guild if one is set."""
    if argument is None:
        return dev_guild
    if argument.lower() == "global":
        return None
    if argument.isdigit():
        return int(argument)
    raise commands.BadArgument(f"Expected `global` or a guild id, not “{discord.utils.escape_markdown(argument)}”.")


class Admin(commands.Cog):
    """Commands for the bot's owners only."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot

    async def cog_check(self, ctx: commands.Context) -> bool:
        if not await self.bot.is_owner(ctx.author):
            raise commands.NotOwner("Owner only.")
        return True

    @commands.command(name="sync", hidden=True)
    async def sync(self, ctx: commands.Context, target: str | None = None) -> None:
        """Sync slash commands: to MEDCODER_DEV_GUILD if set, else globally; or as given."""
        guild_id = parse_sync_target(target, self.bot.settings.dev_guild)
        try:
            result = await sync_tree(self.bot.tree, guild_id)
        except discord.HTTPException as error:
            await ctx.send(f"Sync failed ({error.status}): {error.text or 'no details'}")
            return
        log.info("Owner %s %s", ctx.author.id, result.summary())
        await ctx.send(result.summary())


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Admin(bot))
