"""`/salary [view]`: the article's pay figures, each with its source and date.

The position and sector views also attach a bar chart of the same figures (drawn by
`bot.core.charts` from the knowledge base), shown in an embed; the text answer with its sources stays
the message content, so the figures are readable without the picture and quotable.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.charts import CHART_VIEWS, CHARTS, SALARY_VIEWS, ChartCache, alt_text, chart_entry
from bot.core.models import Entry
from bot.utils.commands import PRIVATE_DESCRIPTION, everywhere
from bot.utils.interactions import respond
from bot.utils.text import fit_content

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

# Choice value -> knowledge-base entry; the engine renders the figures with their sources.
SALARY_ENTRIES: dict[str, str] = SALARY_VIEWS

VIEW_CHOICES = [
    app_commands.Choice(name="overview (median wage)", value="overview"),
    app_commands.Choice(name="by position", value="position"),
    app_commands.Choice(name="by sector", value="sector"),
    app_commands.Choice(name="top-paying states", value="states"),
]

CHART_COLOUR = discord.Colour(0x5865F2)  # the bars' colour, so the embed's edge matches the chart


def chart_filename(view: str) -> str:
    return f"salary-{view}.png"


class Salary(commands.Cog):
    """What medical coders earn, as the article reports it."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        # The process-wide cache: a chart is drawn once per process, whichever bot asks first.
        self.charts: ChartCache = CHARTS

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
        name = view.value if view else "overview"
        reply = self.bot.engine.answer_entry(SALARY_ENTRIES[name])
        png = await self.chart_png(name) if name in CHART_VIEWS else None
        if png is None:
            await respond(interaction, reply.text, ephemeral=private)
            return
        entry = chart_entry(self.bot.engine, name)
        filename = chart_filename(name)
        embed = discord.Embed(colour=CHART_COLOUR).set_image(url=f"attachment://{filename}")
        chart = discord.File(io.BytesIO(png), filename=filename, description=alt_text(entry))
        await _send_with_file(interaction, reply.text, embed=embed, file=chart, ephemeral=private)

    async def chart_png(self, view: str) -> bytes | None:
        """The view's chart, from the cache; the one first render runs in a worker thread.

        None (and a warning in the log) if the entry's figures cannot be drawn, e.g. a value that is
        not an amount after a knowledge-base edit: the member still gets the text answer.
        """
        entry: Entry = chart_entry(self.bot.engine, view)
        png = self.charts.cached(entry)
        if png is not None:
            return png
        try:
            return await asyncio.to_thread(self.charts.get, entry)
        except ValueError as error:
            log.warning("No chart for /salary %s: %s", view, error)
            return None


async def _send_with_file(
    interaction: discord.Interaction, content: str, *, embed: discord.Embed, file: discord.File, ephemeral: bool
) -> None:
    """`respond` with an embed and an attachment: initial response, or follow-up if one was sent."""
    if interaction.response.is_done():
        await interaction.followup.send(fit_content(content), embed=embed, file=file, ephemeral=ephemeral)
    else:
        await interaction.response.send_message(fit_content(content), embed=embed, file=file, ephemeral=ephemeral)


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Salary(bot))
