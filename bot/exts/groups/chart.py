"""The group-progress chart as an attachment: one picture for `/group progress` and the weekly digest."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

import discord

from bot.core.charts import render_group_chart
from bot.core.models import Entry
from bot.core.store.models import GroupProgress
from bot.exts.groups.text import chart_bars

CHART_FILE = "group-progress.png"
CHART_ALT = "Bar chart: how many of the group's members finished each of the five steps"


async def progress_chart(progress: GroupProgress, steps: Sequence[Entry]) -> discord.File:
    """The chart, drawn in a worker thread (tens of milliseconds of Pillow off the event loop)."""
    png = await asyncio.to_thread(render_group_chart, chart_bars(progress, steps), progress.members)
    return discord.File(io.BytesIO(png), filename=CHART_FILE, description=CHART_ALT)
