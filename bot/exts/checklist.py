"""`/checklist`: each member's own progress through the article's five steps.

Every reply is ephemeral: a member's checklist is theirs, even when they open it in a busy server.
The step buttons and the reset confirmation are dynamic items whose custom ids carry the owner and
the step (`medcoder:check:<owner_id>:<step_id>`, `medcoder:check-reset:<owner_id>:confirm|cancel`),
so they keep working after a restart and refuse anyone but their owner. The state itself lives in
the store; a press toggles the step there atomically and redraws the message from the store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.models import short_title
from bot.core.store import ChecklistItem, build_checklist
from bot.core.store.models import StepLike, find_step, name_key
from bot.utils.commands import everywhere
from bot.utils.errors import reports_errors
from bot.utils.interactions import respond
from bot.utils.owner import OwnerChoice, owner_choice_template, refuse_unless_owner
from bot.utils.text import BUTTON_LABEL_LIMIT, escape_user_text, fit_content, truncate
from bot.utils.views import routed_view

if TYPE_CHECKING:
    from bot.app import MedcoderBot

CHECK_PREFIX = "medcoder:check:"
RESET_PREFIX = "medcoder:check-reset:"
FILLED, EMPTY = "▰", "▱"
DONE_MARK, TODO_MARK = "✅", "⬜"
TASK_LIMIT = 90  # a task is a reminder of what the step involves, not the article's full text
SHOW_COMMAND = "`/checklist show`"
GONE = "That step is no longer on the checklist; run `/checklist show` again."


def progress_bar(done: int, total: int) -> str:
    """`▰▰▱▱▱ 2/5`: progress at a glance, readable in any client (no images, no embeds)."""
    return f"{FILLED * done}{EMPTY * (total - done)} {done}/{total}"


def render_checklist(items: Sequence[ChecklistItem], *, header: str | None = None) -> str:
    """The member's checklist as message content: progress, then each step with its tasks."""
    done = sum(item.done for item in items)
    lines = [header, ""] if header else []
    lines += ["**Your medical coding checklist**", progress_bar(done, len(items))]
    for item in items:
        when = f" · done {discord.utils.format_dt(item.done_at, 'd')}" if item.done_at else ""
        lines.append(f"- {DONE_MARK if item.done else TODO_MARK} **{item.title}**{when}")
        lines += [f"  - {truncate(task, TASK_LIMIT)}" for task in item.tasks]
    if items and done == len(items):
        lines += ["", "All five steps done. Coding rules change every year, so keep learning!"]
    else:
        lines += ["", "Press a step's button to tick it off, or press it again to undo."]
    return fit_content("\n".join(lines))


def steps_hint(steps: Sequence[StepLike]) -> str:
    return ", ".join(f"{number}. {short_title(step.title)}" for number, step in enumerate(steps, 1))


class StepToggle(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.compile(re.escape(CHECK_PREFIX) + r"(?P<owner_id>\d+):(?P<step_id>[a-z0-9-]+)"),
):
    """One step's button on a checklist: pressing it flips that step for the checklist's owner."""

    def __init__(self, owner_id: int, step_id: str, *, label: str = "?", done: bool = False) -> None:
        super().__init__(
            discord.ui.Button(
                label=truncate(label, BUTTON_LABEL_LIMIT),
                style=discord.ButtonStyle.success if done else discord.ButtonStyle.secondary,
                custom_id=f"{CHECK_PREFIX}{owner_id}:{step_id}",
            )
        )
        self.owner_id = owner_id
        self.step_id = step_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner_id"]), match["step_id"])

    @reports_errors
    async def callback(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        if not await refuse_unless_owner(interaction, self.owner_id, thing="checklist", command=SHOW_COMMAND):
            return
        bot = interaction.client
        if self.step_id not in {step.id for step in bot.engine.kb.steps()}:
            await respond(interaction, GONE, ephemeral=True)
            return
        await bot.store.toggle_step(self.owner_id, self.step_id)
        items = await load_checklist(bot, self.owner_id)
        await interaction.response.edit_message(
            content=render_checklist(items), view=checklist_view(self.owner_id, items)
        )


class ResetChoice(OwnerChoice, template=owner_choice_template(RESET_PREFIX)):
    """The answer to "reset your checklist?": only the owner's confirm clears anything."""

    prefix = RESET_PREFIX
    confirm_label = "Reset my checklist"
    thing = "checklist"
    command = SHOW_COMMAND

    async def confirmed(self, interaction: discord.Interaction[MedcoderBot]) -> str:
        cleared = await interaction.client.store.reset_checklist(self.owner_id)
        noun = "step" if cleared == 1 else "steps"
        return f"Checklist reset: {cleared} done {noun} cleared. Start again with {SHOW_COMMAND}."

    async def cancelled(self, interaction: discord.Interaction[MedcoderBot]) -> str:
        return "Kept your checklist as it was."


async def load_checklist(bot: MedcoderBot, user_id: int) -> list[ChecklistItem]:
    """The knowledge base's steps with the member's state from the store."""
    return build_checklist(bot.engine.kb.steps(), await bot.store.checklist(user_id))


def checklist_view(owner_id: int, items: Sequence[ChecklistItem]) -> discord.ui.View:
    """A button per step; presses are routed by custom id to `StepToggle`, so nothing expires."""
    return routed_view(
        *(
            StepToggle(owner_id, item.step_id, label=f"{number}. {short_title(item.title)}", done=item.done)
            for number, item in enumerate(items, 1)
        )
    )


@everywhere
class Checklist(commands.GroupCog, group_name="checklist", group_description="Your own checklist of the five steps"):
    """Each member's personal progress through the five steps, kept in the store."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        # Registered here rather than in the bot so the feature stays one file.
        self.bot.add_dynamic_items(StepToggle, ResetChoice)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(StepToggle, ResetChoice)

    async def _reply(self, interaction: discord.Interaction[MedcoderBot], header: str | None = None) -> None:
        user_id = interaction.user.id
        items = await load_checklist(self.bot, user_id)
        await respond(
            interaction, render_checklist(items, header=header), ephemeral=True, view=checklist_view(user_id, items)
        )

    async def _set(self, interaction: discord.Interaction[MedcoderBot], text: str, done: bool) -> None:
        steps = self.bot.engine.kb.steps()
        step = find_step(steps, text)
        if step is None:
            shown = escape_user_text(text, 50)
            await respond(
                interaction,
                f"I don't know a step called “{shown}”. Use a number, a name or the list: {steps_hint(steps)}.",
                ephemeral=True,
            )
            return
        changed = await self.bot.store.set_step(interaction.user.id, step.id, done)
        if done:
            header = f"Marked **{step.title}** done. 🎉" if changed else f"**{step.title}** was already done."
        else:
            header = f"Marked **{step.title}** as not done." if changed else f"**{step.title}** wasn't marked done."
        await self._reply(interaction, header)

    async def _step_choices(
        self, interaction: discord.Interaction[MedcoderBot], current: str, *, done_first: bool
    ) -> list[app_commands.Choice[str]]:
        """Steps matching what the member typed, the ones the command would change first."""
        state = await self.bot.store.checklist(interaction.user.id)
        key = name_key(current)
        choices: list[tuple[bool, app_commands.Choice[str]]] = []
        for number, step in enumerate(self.bot.engine.kb.steps(), 1):
            if key and key not in name_key(f"{number} {step.title} {step.id}"):
                continue
            done = step.id in state
            name = f"{step.title} ({'done' if done else 'to do'})"
            choices.append((done != done_first, app_commands.Choice(name=name, value=step.id)))
        return [choice for _, choice in sorted(choices, key=lambda pair: pair[0])][:25]

    @app_commands.command(name="show", description="Your progress through the five steps, with buttons")
    async def show(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        await self._reply(interaction)

    @app_commands.command(name="done", description="Mark a step done")
    @app_commands.describe(step="The step: its number, its name, or pick from the list")
    async def done(self, interaction: discord.Interaction[MedcoderBot], step: app_commands.Range[str, 1, 100]) -> None:
        await self._set(interaction, step, True)

    @done.autocomplete("step")
    async def done_autocomplete(
        self, interaction: discord.Interaction[MedcoderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._step_choices(interaction, current, done_first=False)

    @app_commands.command(name="undo", description="Mark a step as not done")
    @app_commands.describe(step="The step: its number, its name, or pick from the list")
    async def undo(self, interaction: discord.Interaction[MedcoderBot], step: app_commands.Range[str, 1, 100]) -> None:
        await self._set(interaction, step, False)

    @undo.autocomplete("step")
    async def undo_autocomplete(
        self, interaction: discord.Interaction[MedcoderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._step_choices(interaction, current, done_first=True)

    @app_commands.command(name="reset", description="Clear your checklist (asks first)")
    async def reset(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        done = len(await self.bot.store.checklist(interaction.user.id))
        if done == 0:
            await respond(interaction, "Your checklist has no done steps; nothing to reset.", ephemeral=True)
            return
        noun = "step" if done == 1 else "steps"
        await respond(
            interaction,
            f"Reset your checklist? This clears your {done} done {noun}, and can't be undone.",
            ephemeral=True,
            view=ResetChoice.choice_view(interaction.user.id),
        )


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Checklist(bot))
