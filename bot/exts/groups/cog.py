"""`/group join|leave|progress`: a server's opt-in view of where its members stand on the five steps.

Only members who join are ever counted, in that server only; `/group leave` takes them out of every
count at once, and so does leaving the server when the bot runs with the Server Members intent.
Confirmations are ephemeral; the progress post is public (it is the group's), with names only for
members who chose `show_name` and nothing at all below three members (see `bot.exts.groups.text`).
When the bot leaves a server, everything kept about it is deleted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.groups.chart import progress_chart
from bot.exts.groups.text import MIN_MEMBERS, progress_text
from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)


@app_commands.guild_only()
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.allowed_installs(guilds=True, users=False)
class Group(commands.GroupCog, group_name="group", group_description="This server's study group: opt in, see progress"):
    """Members opt into their server's group view and see the group's progress."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        # Discord hides guild-only commands in DMs, but a client with stale commands can still send one.
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage
        return True

    @app_commands.command(name="join", description="Count your checklist in this server's group progress")
    @app_commands.describe(show_name="Also show your name next to the steps you finished (default: no)")
    async def join(self, interaction: discord.Interaction[MedcoderBot], show_name: bool = False) -> None:
        assert interaction.guild_id is not None  # interaction_check
        new = await self.bot.store.join_group(interaction.guild_id, interaction.user.id, show_name=show_name)
        shown = "with your name" if show_name else "as a number only, without your name"
        if new:
            content = (
                f"You've joined this server's study group: your `/checklist` steps now count in "
                f"`/group progress`, {shown}. `/group leave` takes you out of every count at once."
            )
        else:
            content = f"You were already in this server's study group; your progress now shows {shown}."
        await respond(interaction, content, ephemeral=True)

    @app_commands.command(name="leave", description="Stop counting your checklist in this server's group")
    async def leave(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        assert interaction.guild_id is not None
        if await self.bot.store.leave_group(interaction.guild_id, interaction.user.id):
            content = "You've left this server's study group: you no longer appear in any of its counts."
        else:
            content = "You aren't in this server's study group, so you appear in none of its counts."
        await respond(interaction, content, ephemeral=True)

    @app_commands.command(name="progress", description="How many of this server's group finished each step")
    async def progress(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        assert interaction.guild_id is not None
        progress = await self.bot.store.group_progress(interaction.guild_id)
        steps = self.bot.engine.kb.steps()
        content = progress_text(progress, steps)
        if progress.members < MIN_MEMBERS:
            await respond(interaction, content, ephemeral=True)  # nothing for the channel to see
            return
        chart = await progress_chart(progress, steps)
        await interaction.response.send_message(content, file=chart, allowed_mentions=discord.AllowedMentions.none())

    @commands.Cog.listener()
    async def on_raw_member_remove(self, payload: discord.RawMemberRemoveEvent) -> None:
        """A member left the server (only heard with `members_intent`): they leave its study group too.

        Raw, because the bot caches no members: the plain event never fires for an uncached member.
        """
        if await self.bot.store.leave_group(payload.guild_id, payload.user.id):
            log.info("a member left server %s: removed from its study group", payload.guild_id)

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The bot left (or was removed from) a server: keep nothing about it."""
        deleted = await self.bot.store.forget_guild(guild.id)
        log.info("left server %s: deleted %d rows of its study-group data", guild.id, deleted)
