"""`/timezone set|show`: the member's IANA timezone, which reminders read times in.

Why a stored name and not an offset: "every monday 19:00" must stay at 19:00 local across DST,
which only the zone's rules (tzdata) know. Names are checked with `resolve_timezone`, so the store
only ever holds canonical names (`Europe/Paris`, whatever case or spacing the member typed).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.timeparse import WhenError, resolve_timezone, search_timezones
from bot.utils.commands import everywhere
from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

NAME_MAX_LENGTH = 100  # the longest IANA names are about 30 characters; Discord allows 100 here


def timezone_choices(current: str) -> list[app_commands.Choice[str]]:
    """Autocomplete for a timezone option: the best 25 IANA names for what was typed so far."""
    return [app_commands.Choice(name=zone, value=zone) for zone in search_timezones(current, limit=25)]


def local_time(now: datetime, name: str) -> str:
    """What the member's clock should show ("Monday 5 January, 13:00 (UTC+01:00)"), to check the zone."""
    local = now.astimezone(resolve_timezone(name))
    offset = local.strftime("%z")
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M} (UTC{offset[:3]}:{offset[3:]})"


@everywhere
class Timezone(commands.GroupCog, group_name="timezone", group_description="The timezone your reminders use"):
    """Each member's timezone; reminder times like "tomorrow 18:00" are read in it."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="set", description="Set your timezone, e.g. Europe/Paris or America/New_York")
    @app_commands.describe(name="An IANA timezone name; start typing a city, e.g. “Chicago”")
    async def set_(
        self, interaction: discord.Interaction[MedcoderBot], name: app_commands.Range[str, 1, NAME_MAX_LENGTH]
    ) -> None:
        try:
            zone = resolve_timezone(name).key
        except WhenError as error:
            await respond(interaction, str(error), ephemeral=True)
            return
        await self.bot.store.set_timezone(interaction.user.id, zone)
        now = local_time(self.bot.clock.now(), zone)
        await respond(
            interaction,
            f"Your timezone is now **{zone}**. It's {now} there; reminder times are read in it.",
            ephemeral=True,
        )

    @set_.autocomplete("name")
    async def name_autocomplete(
        self, interaction: discord.Interaction[MedcoderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @app_commands.command(name="show", description="The timezone your reminders use")
    async def show(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        zone = await self.bot.store.get_timezone(interaction.user.id)
        if zone is None:
            content = "You haven't set a timezone, so reminder times are read in UTC. Set yours with `/timezone set`."
        else:
            content = f"Your timezone is **{zone}**. It's {local_time(self.bot.clock.now(), zone)} there."
        await respond(interaction, content, ephemeral=True)


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Timezone(bot))
