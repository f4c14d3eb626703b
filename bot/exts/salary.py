"""`/salary [view]`: the article's pay figures, each with its source and date."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.utils.commands import PRIVATE_DESCRIPTION, everywhere
from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

# Choice value -> knowledge-base entry; the engine renders the figures with their sources.
SALARY_ENTRIES: dict[str, str] = {
    "overview": "salary-median",
    "position": "salary-by-position",
    "sector": "salary-by-sector",
    "states": "salary-top-states",
}

VIEW_CHOICES = [
    app_commands.Choice(name="overview (median wage)", value="overview"),
    app_commands.Choice(name="by position", value="position"),
    app_commands.Choice(name="by sector", value="sector"),
    app_commands.Choice(name="top-paying states", value="states"),
]


class Salary(commands.Cog):
    """What medical coders earn, as the article reports it."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot

    @app_commands.command(name="salary", description="What medical coders earn, with sources and dates")
    @app_commands.describe(view="Which figures to show (default: overview)", private=PRIVATE_DESCRIPTION)
    @app_commands.choices(view=VIEW_CHOICES)
    @everywhere
    async def salary(
        self,
        interaction: discord.Interaction[MedcoderBot],
        view: app_commands.Choice[str] | None = None,
        private: bool = False,
    ) -> None:
        entry_id = SALARY_ENTRIES[view.value if view else "overview"]
        reply = self.bot.engine.answer_entry(entry_id)
        await respond(interaction, reply.text, ephemeral=private)


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Salary(bot))
