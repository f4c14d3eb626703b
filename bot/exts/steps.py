"""`/steps`: the article's canonical five steps, with a menu that opens each step's details.

The menu is a dynamic item (custom_id `medcoder:steps`, option values are entry ids), so it keeps
working on old messages after a restart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Self

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
    from bot.core.models import Entry

OVERVIEW_ID = "steps-overview"
STEPS_CUSTOM_ID = "medcoder:steps"
_LIST_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s")
_NOTE_WORDS = re.compile(r"differ|other list|elsewhere|another list|other version", re.IGNORECASE)
# "1. **Education**: …" items, whether the engine keeps them on their own lines or not.
_NUMBERED_ITEM = re.compile(r"(?:^|\s)([1-5])\.\s+(.+?)(?=\s+[1-5]\.\s|\n|$)", re.DOTALL)
_STEP_PREFIX = re.compile(r"^\s*step\s*\d+\s*[:.,\-–]\s*", re.IGNORECASE)


def bare_title(entry: Entry) -> str:
    """A step's title without its "Step 2:" prefix, which the menu and the list add themselves."""
    return _STEP_PREFIX.sub("", entry.title).strip() or entry.title


def overview_step_lines(overview_text: str) -> list[str] | None:
    """The overview's own one-line summaries of steps 1 to 5, or None if it has no such list."""
    items = [(int(number), body.strip()) for number, body in _NUMBERED_ITEM.findall(overview_text)]
    if [number for number, _ in items] != [1, 2, 3, 4, 5]:
        return None
    return [f"{number}. {body}" for number, body in items]


def other_lists_note(overview_text: str) -> str | None:
    """The overview's paragraph on how the article's other step lists differ, as one line."""
    for paragraph in re.split(r"\n\s*\n", overview_text):
        lines = [line.strip() for line in paragraph.splitlines() if line.strip()]
        if lines and not _LIST_LINE.match(lines[0]) and _NOTE_WORDS.search(paragraph):
            return " ".join(lines)
    return None


def steps_summary(engine: Engine) -> str:
    """The five steps, one line each, then how the article's other lists differ.

    The lines come from the overview answer when it has them, else from the step titles.
    """
    overview = engine.answer_entry(OVERVIEW_ID).text
    lines = ["**The five steps to becoming a medical coder**"]
    lines += overview_step_lines(overview) or [
        f"{entry.step}. **{bare_title(entry)}**" for entry in engine.kb.steps()
    ]
    note = other_lists_note(overview)
    if note:
        lines += ["", note]
    lines += ["", "Pick a step below for its details."]
    return fit_content("\n".join(lines))


class StepSelect(discord.ui.DynamicItem[discord.ui.Select], template=re.escape(STEPS_CUSTOM_ID)):
    """A menu of the five steps (and the overview); choosing one shows its details."""

    def __init__(self, engine: Engine, *, chosen: str | None = None) -> None:
        options = [
            discord.SelectOption(label="All five steps", value=OVERVIEW_ID, default=chosen == OVERVIEW_ID)
        ]
        for entry in engine.kb.steps():
            label = truncate(f"Step {entry.step}: {bare_title(entry)}", SELECT_OPTION_LABEL_LIMIT)
            options.append(discord.SelectOption(label=label, value=entry.id, default=chosen == entry.id))
        super().__init__(
            discord.ui.Select(custom_id=STEPS_CUSTOM_ID, placeholder="Open a step…", options=options)
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[MedcoderBot],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(interaction.client.engine)

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
            await respond(
                interaction, "That step is no longer available; run `/steps` again.", ephemeral=True
            )
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

    @app_commands.command(name="steps", description="The five steps to becoming a medical coder")
    @app_commands.describe(private=PRIVATE_DESCRIPTION)
    @everywhere
    async def steps(self, interaction: discord.Interaction[MedcoderBot], private: bool = False) -> None:
        engine = self.bot.engine
        await respond(interaction, steps_summary(engine), ephemeral=private, view=steps_view(engine))


async def setup(bot: MedcoderBot) -> None:
    bot.add_dynamic_items(StepSelect)
    await bot.add_cog(Steps(bot))


async def teardown(bot: MedcoderBot) -> None:
    bot.remove_dynamic_items(StepSelect)
