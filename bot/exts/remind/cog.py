"""`/remind add|list|cancel|resume`: the commands, and the scheduler's life inside the cog's.

The cog only translates: `when` goes through `parse_when` in the member's timezone, the store keeps
the reminder, and `ReminderScheduler` (started in `cog_load`, stopped in `cog_unload`, before the bot
closes the store) hands due reminders to the `Courier`. Every reply is ephemeral: reminders are personal.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.scheduler import DeliveryOutcome, ReminderScheduler
from bot.core.store import MAX_ACTIVE_REMINDERS, MAX_NOTE_LENGTH, LimitError, Reminder
from bot.core.store.models import find_step
from bot.core.timeparse import WhenError, parse_when
from bot.exts.remind.buttons import SnoozeButton, StepDoneButton
from bot.exts.remind.courier import Courier
from bot.exts.remind.notices import PausedNotices
from bot.exts.remind.text import (
    choice_name,
    chunk_lines,
    describe_recurrence,
    limit_message,
    list_line,
    note_text,
    when_text,
    zone,
)
from bot.utils.commands import everywhere
from bot.utils.interactions import respond
from bot.utils.text import escape_user_text, truncate

if TYPE_CHECKING:
    from bot.app import MedcoderBot

DIGEST_COG = "GroupAdmin"  # owns the DigestCourier that posts servers' weekly digests (bot.exts.groups)


@everywhere
class Remind(commands.GroupCog, group_name="remind", group_description="Reminders by DM, in your own timezone"):
    """Members' reminders: set, list, cancel and resume them; the scheduler delivers them."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        self.scheduler: ReminderScheduler | None = None  # started in cog_load when the bot runs
        self.notices = PausedNotices(bot)
        self.courier = Courier(bot, on_dm_closed=self.notices.dm_failed)
        super().__init__()

    async def cog_load(self) -> None:
        # The store is open before extensions load and closed after they unload, so the scheduler's
        # whole life fits inside it. Reminders missed while the bot was down are due now: the first
        # look delivers them, marked late.
        self.bot.add_dynamic_items(SnoozeButton, StepDoneButton)
        if not self.bot.commands_only:  # `sync` builds the commands only: no store, no delivery
            self.scheduler = ReminderScheduler(self.bot.store, self.deliver, clock=self.bot.clock)
            self.scheduler.start()

    async def deliver(self, reminder: Reminder) -> DeliveryOutcome:
        """The scheduler's one delivery: a member's reminder by DM, a server's weekly digest in its channel."""
        if reminder.user_id is not None:
            return await self.courier.deliver(reminder, reminder.user_id)
        digests = getattr(self.bot.get_cog(DIGEST_COG), "digests", None)
        if digests is None:  # the study-group extension isn't loaded: keep the digest for later
            return DeliveryOutcome.RETRY
        outcome: DeliveryOutcome = await digests.deliver(reminder)
        return outcome

    @commands.Cog.listener()
    async def on_app_command_completion(self, interaction: discord.Interaction, command: Any) -> None:
        await self.notices.after_command(interaction, command)

    def wake(self, due: datetime | None = None) -> None:
        """Tell the scheduler a reminder changed (it is always running when a command can arrive)."""
        if self.scheduler is not None:
            self.scheduler.notify(due)

    async def cog_unload(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        self.bot.remove_dynamic_items(SnoozeButton, StepDoneButton)

    # --- commands ---------------------------------------------------------------------------------

    @app_commands.command(name="add", description="Get a DM reminder, once or on a schedule")
    @app_commands.describe(
        when="e.g. 'in 10 minutes', 'tomorrow 18:00', '2026-12-05 09:30', 'every monday 19:00'",
        note=f"What to remind you of (up to {MAX_NOTE_LENGTH} characters)",
        step="The checklist step it is about (adds a 'mark done' button)",
    )
    async def add(
        self, interaction: discord.Interaction[MedcoderBot], when: str, note: str, step: str | None = None
    ) -> None:
        store, user_id = self.bot.store, interaction.user.id
        note = note.strip()
        if not note:
            await respond(interaction, "The note can't be empty: say what to remind you of.", ephemeral=True)
            return
        if len(note) > MAX_NOTE_LENGTH:
            await respond(
                interaction,
                f"That note is {len(note)} characters; keep it to {MAX_NOTE_LENGTH} or fewer.",
                ephemeral=True,
            )
            return
        chosen = None
        if step is not None and step.strip():
            steps = self.bot.engine.kb.steps()
            chosen = find_step(steps, step)
            if chosen is None:
                names = ", ".join(f"{n}. {s.title}" for n, s in enumerate(steps, 1))
                await respond(
                    interaction,
                    f"I don't know a step called “{escape_user_text(step, 50)}”. Pick one from the list: {names}.",
                    ephemeral=True,
                )
                return
        stored_zone = await store.get_timezone(user_id)
        tz = zone(stored_zone)
        now = self.bot.clock.now()
        try:
            schedule = parse_when(when, now, tz)
        except WhenError as error:
            await respond(interaction, escape_user_text(str(error), 400), ephemeral=True)
            return
        if schedule.first_due <= now:
            await respond(interaction, "That time has already passed; pick one in the future.", ephemeral=True)
            return
        try:
            reminder = await store.add_reminder(
                user_id,
                note,
                schedule.first_due,
                timezone=tz.key,
                recurrence=schedule.recurrence.serialize() if schedule.recurrence else None,
                step_id=chosen.id if chosen else None,
                anchor_at=schedule.anchor,
                max_active=MAX_ACTIVE_REMINDERS,
            )
        except LimitError as error:
            await respond(interaction, limit_message(error.limit), ephemeral=True)
            return
        self.wake(reminder.due_at)
        lines = [f"⏰ Reminder `#{reminder.id}` set for {when_text(reminder.due_at)}: {note_text(note)}"]
        if (rule := describe_recurrence(reminder.recurrence)) is not None:
            lines.append(f"🔁 Repeats {rule} ({tz.key} time).")
        if chosen is not None:
            lines.append(f"Step: **{chosen.title}** (the DM will have a button to mark it done).")
        if stored_zone is None:
            lines.append("I read the time in UTC because you haven't set a timezone: use `/timezone set`.")
        lines.append("It comes as a DM, so keep DMs from this app open.")
        await respond(interaction, "\n".join(lines), ephemeral=True)

    @add.autocomplete("step")
    async def add_step_autocomplete(
        self, interaction: discord.Interaction[MedcoderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        key = " ".join(current.split()).lower()
        return [
            app_commands.Choice(name=truncate(step.title, 100), value=step.id)
            for number, step in enumerate(self.bot.engine.kb.steps(), 1)
            if not key or key in f"{number} {step.title} {step.id}".lower()
        ][:25]

    @app_commands.command(name="list", description="Your reminders, soonest first")
    async def list_(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        reminders = await self.bot.store.list_reminders(interaction.user.id)
        if not reminders:
            await respond(interaction, "You have no reminders. Set one with `/remind add`.", ephemeral=True)
            return
        noun = "reminder" if len(reminders) == 1 else "reminders"
        lines = [f"**Your {len(reminders)} {noun}** (cancel one with `/remind cancel`):"]
        lines += [f"- {list_line(reminder)}" for reminder in reminders]
        if any(reminder.status == "paused" for reminder in reminders):
            lines.append("⏸️ Paused reminders wait until you open your DMs and use `/remind resume`.")
        for chunk in chunk_lines(lines):
            await respond(interaction, chunk, ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel one of your reminders")
    @app_commands.describe(reminder="The reminder: pick it from the list, or its number from /remind list")
    async def cancel(self, interaction: discord.Interaction[MedcoderBot], reminder: str) -> None:
        user_id = interaction.user.id
        match = re.fullmatch(r"\s*#?\s*(\d{1,18})\s*", reminder)
        found = await self.bot.store.get_reminder(user_id, int(match[1])) if match else None
        if found is None or found.status not in ("active", "paused"):
            await respond(
                interaction,
                f"You have no reminder “{escape_user_text(reminder, 50)}” to cancel; see yours with `/remind list`.",
                ephemeral=True,
            )
            return
        if not await self.bot.store.cancel_reminder(user_id, found.id):
            await respond(interaction, "That reminder has just finished; nothing to cancel.", ephemeral=True)
            return
        await respond(interaction, f"Cancelled reminder `#{found.id}`: {note_text(found.note)}", ephemeral=True)

    @cancel.autocomplete("reminder")
    async def cancel_autocomplete(
        self, interaction: discord.Interaction[MedcoderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        user_id = interaction.user.id
        tz = zone(await self.bot.store.get_timezone(user_id))
        key = " ".join(current.split()).lower().lstrip("#")
        choices = []
        for reminder in await self.bot.store.list_reminders(user_id):
            name = choice_name(reminder, tz)
            if not key or key in name.lower():
                choices.append(app_commands.Choice(name=name, value=str(reminder.id)))
        return choices[:25]

    @app_commands.command(name="resume", description="Turn your reminders back on after I couldn't DM you")
    async def resume(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        user_id = interaction.user.id
        await self.bot.store.take_notice(user_id)  # they are acting on it: no need to tell them again
        self.notices.resumed(user_id)
        resumed = await self.bot.store.resume_member_reminders(user_id)
        if not resumed:
            await respond(interaction, "None of your reminders are paused.", ephemeral=True)
            return
        self.wake()
        noun = "reminder" if resumed == 1 else "reminders"
        await respond(
            interaction,
            f"Resumed {resumed} {noun}. Any whose time passed come now, marked late; "
            "recurring ones then carry on at their next time. Keep DMs from this app open.",
            ephemeral=True,
        )
