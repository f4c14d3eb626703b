"""`/steps`: the article's canonical five steps, with a menu that opens each step's details.

The menu is a dynamic item (custom_id `medcoder:steps`, option values are entry ids), so it keeps
working on old messages after a restart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.utils.commands import PRIVATE_DESCRIPTION, everywhere
from bot.utils.errors import reports_errors
from bot.utils.interactions import is_invoker, respond
from bot.utils.text import SELECT_OPTION_LABEL_LIMIT, fit_content, truncate
from bot.utils.views import routed_view

if TYPE_CHECKING:
    from bot.app import MedcoderBot
    from bot.core import Engine

OVERVIEW_ID = "steps-overview"
STEPS_CUSTOM_ID = "medcoder:steps"


def steps_summary(engine: Engine) -> str:
    """The five steps, one line each, then the article's other step lists, all from the knowledge base's data.

    The step entries give the lines (`step`, `short_title`, `summary`), and the overview entry's
    `step_lists` the other lists, so rewording an answer never changes this message.
    """
    lines = ["**The five steps to becoming a medical coder**"]
    lines += [f"{entry.step}. **{entry.short_title}**: {entry.summary}" for entry in engine.kb.steps()]
    overview = engine.kb.entries.get(OVERVIEW_ID)
    others = [steps for steps in (overview.step_lists if overview else ()) if not steps.canonical]
    if others:
        lines += ["", "The article's other lists differ:"]
        lines += [f"- {len(other.steps)} steps: " + " → ".join(other.steps) for other in others]
    lines += ["", "Pick a step below for its details."]
    return fit_content("\n".join(lines))


class StepSelect(discord.ui.DynamicItem[discord.ui.Select], template=re.escape(STEPS_CUSTOM_ID)):
    """A menu of the five steps (and the overview); choosing one shows its details."""

    def __init__(self, engine: Engine, *, chosen: str | None = None) -> None:
        options = [discord.SelectOption(label="All five steps", value=OVERVIEW_ID, default=chosen == OVERVIEW_ID)]
        for entry in engine.kb.steps():
            label = truncate(f"Step {entry.step}: {entry.short_title}", SELECT_OPTION_LABEL_LIMIT)
            options.append(discord.SelectOption(label=label, value=entry.id, default=chosen == entry.id))
        super().__init__(discord.ui.Select(custom_id=STEPS_CUSTOM_ID, placeholder="Open a step…", options=options))

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        bot = cast("MedcoderBot", interaction.client)  # discord.py types the client of a dynamic item as Client
        return cls(bot.engine)

    @reports_errors
    async def callback(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        engine = interaction.client.engine
        chosen = self.item.values[0] if self.item.values else OVERVIEW_ID
        step_ids = {entry.id for entry in engine.kb.steps()}
        if chosen == OVERVIEW_ID:
            content = steps_summary(engine)
        elif chosen in step_ids:
            content = fit_content(engine.answer_entry(chosen).text)
        else:  # a menu from an older knowledge base (or a crafted value): only steps open here
            await respond(interaction, "That step is no longer available; run `/steps` again.", ephemeral=True)
            return
        view = steps_view(engine, chosen=chosen)
        if is_invoker(interaction):
            await interaction.response.edit_message(content=content, view=view)
        else:
            # Someone else's public /steps: give them their own copy rather than change it.
            await respond(interaction, content, ephemeral=True, view=view)


def steps_view(engine: Engine, *, chosen: str | None = None) -> discord.ui.View:
    # Choices are routed by custom_id to the registered StepSelect, so nothing needs to expire.
    return routed_view(StepSelect(engine, chosen=chosen))


class Steps(commands.Cog):
    """The step-by-step path into medical coding."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(StepSelect)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(StepSelect)

    @app_commands.command(name="steps", description="The five steps to becoming a medical coder")
    @app_commands.describe(private=PRIVATE_DESCRIPTION)
    @everywhere
    async def steps(self, interaction: discord.Interaction[MedcoderBot], private: bool = False) -> None:
        engine = self.bot.engine
        await respond(interaction, steps_summary(engine), ephemeral=private, view=steps_view(engine))


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Steps(bot))
