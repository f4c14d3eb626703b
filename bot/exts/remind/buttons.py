"""The buttons on a reminder DM: snooze (10 min, 1 h, tomorrow) and "mark step done".

They are dynamic items whose custom ids carry the owner and the reminder
(`medcoder:snooze:<owner>:<reminder>:<10m|1h|1d>`, `medcoder:rdone:<owner>:<reminder>:<step>`), so they
keep working after a restart, and only their owner can press them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.core.store import LimitError
from bot.core.store.models import StepLike
from bot.exts.remind.text import SNOOZE_CHOICES, limit_message, snooze_until, when_text, zone
from bot.utils.errors import reports_errors
from bot.utils.interactions import respond
from bot.utils.owner import NOT_YOUR_THING, refuse_unless_owner
from bot.utils.text import BUTTON_LABEL_LIMIT, truncate
from bot.utils.views import routed_view

if TYPE_CHECKING:
    from bot.app import MedcoderBot

SNOOZE_PREFIX = "medcoder:snooze:"
DONE_PREFIX = "medcoder:rdone:"
NOT_YOURS = NOT_YOUR_THING.format(thing="reminder", command="`/remind add`")  # the owner check's refusal
GONE = "That reminder no longer exists; see yours with `/remind list`."
STATUS_MARKS = ("💤 ", "✅ Marked ")  # lines a button press appends to the DM (one of each kind at most)


def wake_scheduler(bot: discord.Client, due: datetime | None = None) -> None:
    """Tell the reminder cog's scheduler a reminder changed (looked up by name: the cog imports this module)."""
    wake = getattr(bot.get_cog("Remind") if hasattr(bot, "get_cog") else None, "wake", None)
    if callable(wake):
        wake(due)


def _with_status(content: str | None, status: str) -> str:
    """The DM's text with `status` as its last line, replacing an earlier status line of the same kind."""
    mark = next((mark for mark in STATUS_MARKS if status.startswith(mark)), status)
    lines = [line for line in (content or "").split("\n") if not line.startswith(mark)]
    return "\n".join([*lines, status])


class SnoozeButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.compile(re.escape(SNOOZE_PREFIX) + r"(?P<owner_id>\d+):(?P<reminder_id>\d+):(?P<choice>10m|1h|1d)"),
):
    """Bring a delivered reminder back in 10 minutes, an hour, or at the same local time tomorrow."""

    def __init__(self, owner_id: int, reminder_id: int, choice: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=SNOOZE_CHOICES[choice],
                emoji="💤",
                style=discord.ButtonStyle.secondary,
                custom_id=f"{SNOOZE_PREFIX}{owner_id}:{reminder_id}:{choice}",
            )
        )
        self.owner_id = owner_id
        self.reminder_id = reminder_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner_id"]), int(match["reminder_id"]), match["choice"])

    @reports_errors
    async def callback(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        if not await refuse_unless_owner(interaction, self.owner_id, thing="reminder", command="`/remind add`"):
            return
        bot = interaction.client
        reminder = await bot.store.get_reminder(self.owner_id, self.reminder_id)
        if reminder is None or reminder.status == "cancelled":
            await respond(interaction, GONE, ephemeral=True)
            return
        tz = zone(await bot.store.get_timezone(self.owner_id) or reminder.timezone)
        due = snooze_until(self.choice, bot.clock.now(), tz)
        try:
            snoozed = await bot.store.snooze(self.owner_id, self.reminder_id, due)
        except LimitError as error:
            await respond(interaction, limit_message(error.limit), ephemeral=True)
            return
        if not snoozed:
            await respond(interaction, GONE, ephemeral=True)
            return
        wake_scheduler(bot, due)
        content = _with_status(
            interaction.message.content if interaction.message else None, f"💤 Snoozed until {when_text(due)}."
        )
        step = reminder_step(bot, reminder.step_id) if _has_done_button(interaction.message) else None
        view = reminder_view(self.owner_id, self.reminder_id, step, snooze=False) if step else None
        await interaction.response.edit_message(content=content, view=view)


class StepDoneButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.compile(re.escape(DONE_PREFIX) + r"(?P<owner_id>\d+):(?P<reminder_id>\d+):(?P<step_id>[a-z0-9-]+)"),
):
    """Tick off the checklist step a reminder is about, straight from the reminder."""

    def __init__(self, owner_id: int, reminder_id: int, step_id: str, *, label: str = "Mark step done") -> None:
        super().__init__(
            discord.ui.Button(
                label=truncate(label, BUTTON_LABEL_LIMIT),
                emoji="✅",
                style=discord.ButtonStyle.success,
                custom_id=f"{DONE_PREFIX}{owner_id}:{reminder_id}:{step_id}",
            )
        )
        self.owner_id = owner_id
        self.reminder_id = reminder_id
        self.step_id = step_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner_id"]), int(match["reminder_id"]), match["step_id"])

    @reports_errors
    async def callback(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        if not await refuse_unless_owner(interaction, self.owner_id, thing="reminder", command="`/remind add`"):
            return
        bot = interaction.client
        step = reminder_step(bot, self.step_id)
        if step is None:
            await respond(
                interaction, "That step is no longer on the checklist; see `/checklist show`.", ephemeral=True
            )
            return
        changed = await bot.store.set_step(self.owner_id, step.id, True)
        status = f"✅ Marked **{step.title}** done." if changed else f"✅ Marked **{step.title}** done already."
        content = _with_status(interaction.message.content if interaction.message else None, status)
        await interaction.response.edit_message(
            content=content, view=reminder_view(self.owner_id, self.reminder_id, None)
        )


def _has_done_button(message: discord.Message | None) -> bool:
    """Whether the DM still offers "mark done" (it goes once pressed, and stays gone after a snooze)."""
    rows = message.components if message else []
    return any(
        str(getattr(child, "custom_id", "")).startswith(DONE_PREFIX)
        for row in rows
        for child in getattr(row, "children", ())
    )


def reminder_step(bot: MedcoderBot, step_id: str | None) -> StepLike | None:
    if step_id is None:
        return None
    return next((step for step in bot.engine.kb.steps() if step.id == step_id), None)


def reminder_view(owner_id: int, reminder_id: int, step: StepLike | None, *, snooze: bool = True) -> discord.ui.View:
    """The DM's buttons; presses are routed by custom id to the dynamic items, so nothing expires."""
    items: list[discord.ui.Item] = [SnoozeButton(owner_id, reminder_id, c) for c in SNOOZE_CHOICES] if snooze else []
    if step is not None:
        items.append(StepDoneButton(owner_id, reminder_id, step.id, label=f"Mark {step.title} done"))
    return routed_view(*items)
