"""`/remind`: reminders a member sets for themselves, delivered as DMs by the core scheduler.

The cog only translates: `when` goes through `parse_when` in the member's timezone, the store keeps
the reminder, and `ReminderScheduler` (started in `cog_load`, stopped in `cog_unload`, before the bot
closes the store) calls `deliver` when one is due. Every reply is ephemeral: reminders are personal.

The DM's buttons are dynamic items whose custom ids carry the owner and the reminder
(`medcoder:snooze:<owner>:<reminder>:<10m|1h|1d>`, `medcoder:rdone:<owner>:<reminder>:<step>`), so they
keep working after a restart. A member whose DMs are closed (50007) has their reminders paused by
the scheduler; the next app command they complete is followed by a private note saying so, and
`/remind resume` turns them back on. On resume, an occurrence whose time passed while paused is
delivered at once, marked late, and a recurring reminder then continues at its next occurrence
(the same rule as for reminders missed while the bot was down): nothing is silently skipped, and
nothing is repeated (short of a crash mid-send, which the scheduler's lease turns into one repeat).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.scheduler import DeliveryOutcome, ReminderScheduler
from bot.core.store import MAX_ACTIVE_REMINDERS, MAX_NOTE_LENGTH, LimitError, Reminder
from bot.core.store.models import StepLike, find_step
from bot.core.timeparse import WhenError, parse_when
from bot.utils.commands import everywhere
from bot.utils.errors import reports_errors
from bot.utils.interactions import respond
from bot.utils.owner import NOT_YOUR_THING, refuse_unless_owner
from bot.utils.reminders import (
    SNOOZE_CHOICES,
    choice_name,
    chunk_lines,
    delivery_outcome,
    delivery_text,
    describe_recurrence,
    list_line,
    note_text,
    snooze_until,
    when_text,
    zone,
)
from bot.utils.text import BUTTON_LABEL_LIMIT, escape_user_text, truncate
from bot.utils.views import routed_view

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

SNOOZE_PREFIX = "medcoder:snooze:"
DONE_PREFIX = "medcoder:rdone:"
NOTICE = "I couldn't DM you your reminders, so they're paused. Open your DMs and use `/remind resume`."
NOT_YOURS = NOT_YOUR_THING.format(thing="reminder", command="`/remind add`")  # the owner check's refusal
GONE = "That reminder no longer exists; see yours with `/remind list`."
NOTICE_RECHECK = 60.0  # seconds before a member's pending-notice flag is read again
NOTICE_WAIT = 15 * 60.0  # an interaction can be answered for 15 minutes; a command still running then has failed
NOTICE_CHECKED_LIMIT = 50_000
DM_CHANNEL_CACHE = 50_000  # member ids -> DM channel ids: two ints each, a few MB at most
STATUS_MARKS = ("💤 ", "✅ Marked ")  # lines a button press appends to the DM (one of each kind at most)


def _remind_cog(bot: discord.Client) -> Remind | None:
    cog = bot.get_cog("Remind") if isinstance(bot, commands.Bot) else None
    return cog if isinstance(cog, Remind) else None


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
            await respond(interaction, _limit_message(error.limit), ephemeral=True)
            return
        if not snoozed:
            await respond(interaction, GONE, ephemeral=True)
            return
        if (cog := _remind_cog(bot)) is not None:
            cog.wake(due)
        content = _with_status(
            interaction.message.content if interaction.message else None, f"💤 Snoozed until {when_text(due)}."
        )
        step = _step(bot, reminder.step_id) if _has_done_button(interaction.message) else None
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
        step = _step(bot, self.step_id)
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


def _step(bot: MedcoderBot, step_id: str | None) -> StepLike | None:
    if step_id is None:
        return None
    return next((step for step in bot.engine.kb.steps() if step.id == step_id), None)


# How each failed delivery is counted in the metrics (`DeliveryOutcome.DM_CLOSED` pauses the member's reminders).
UNDELIVERED = {
    DeliveryOutcome.DM_CLOSED: "paused",
    DeliveryOutcome.RETRY: "retried",
    DeliveryOutcome.DROP: "dropped",
    DeliveryOutcome.SENT: "delivered",
}


def _limit_message(limit: int) -> str:
    return f"You already have {limit} active reminders, the most I keep. Cancel one with `/remind cancel` first."


def reminder_view(owner_id: int, reminder_id: int, step: StepLike | None, *, snooze: bool = True) -> discord.ui.View:
    """The DM's buttons; presses are routed by custom id to the dynamic items, so nothing expires."""
    items: list[discord.ui.Item] = [SnoozeButton(owner_id, reminder_id, c) for c in SNOOZE_CHOICES] if snooze else []
    if step is not None:
        items.append(StepDoneButton(owner_id, reminder_id, step.id, label=f"Mark {step.title} done"))
    return routed_view(*items)


@everywhere
class Remind(commands.GroupCog, group_name="remind", group_description="Reminders by DM, in your own timezone"):
    """Members' reminders: set, list, cancel and resume them; the scheduler delivers them."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        self.scheduler: ReminderScheduler | None = None  # started in cog_load when the bot runs
        self._dm_channels: OrderedDict[int, int] = OrderedDict()  # member id -> DM channel id, LRU
        self._notice_checked: OrderedDict[int, float] = OrderedDict()  # member -> when their notice flag was read
        self._dm_failed: set[int] = set()  # members a DM failed for (DMs closed), until they are told
        self._notice_waiters: dict[int, asyncio.Task[None]] = {}  # member -> their pending notice check
        super().__init__()

    async def cog_load(self) -> None:
        # The store is open before extensions load and closed after they unload, so the scheduler's
        # whole life fits inside it. Reminders missed while the bot was down are due now: the first
        # look delivers them, marked late.
        self.bot.add_dynamic_items(SnoozeButton, StepDoneButton)
        self.bot.tree.add_command_hook(self.before_command)
        if not self.bot.commands_only:  # `sync` builds the commands only: no store, no delivery
            self.scheduler = ReminderScheduler(self.bot.store, self.deliver, clock=self.bot.clock)
            self.scheduler.start()

    def wake(self, due: datetime | None = None) -> None:
        """Tell the scheduler a reminder changed (it is always running when a command can arrive)."""
        if self.scheduler is not None:
            self.scheduler.notify(due)

    async def cog_unload(self) -> None:
        if self.scheduler is not None:
            await self.scheduler.stop()
        self.bot.tree.remove_command_hook(self.before_command)
        for task in tuple(self._notice_waiters.values()):
            task.cancel()
        self.bot.remove_dynamic_items(SnoozeButton, StepDoneButton)

    # --- delivery ---------------------------------------------------------------------------------

    async def deliver(self, reminder: Reminder) -> DeliveryOutcome:
        """Send one reminder DM; the scheduler records the outcome (sent, paused, retried, dropped).

        A member's DM channel never changes, so its id is remembered here: discord.py keeps only
        the last 128 DM channels, and without this a burst of reminders to many members would cost
        an extra "open DM" request each. discord.py handles 429s and the global rate limit itself.
        """
        step = _step(self.bot, reminder.step_id)
        content = delivery_text(reminder, self.bot.clock.now(), step)
        view = reminder_view(reminder.user_id, reminder.id, step)
        try:
            channel = await self._dm_channel(reminder.user_id)
            await channel.send(content, view=view)
        except Exception as error:
            self._dm_channels.pop(reminder.user_id, None)  # whatever went wrong, open the DM afresh next time
            outcome = delivery_outcome(error)
            if outcome is DeliveryOutcome.DM_CLOSED:
                self._dm_failed.add(reminder.user_id)
            log.info(
                "reminder %s to member %s not delivered (%r): %s", reminder.id, reminder.user_id, error, outcome.value
            )
            self.bot.count_delivery(UNDELIVERED[outcome])
            return outcome
        late_by = (self.bot.clock.now() - reminder.due_at).total_seconds()
        self.bot.count_delivery("delivered", late_by=max(0.0, late_by))
        return DeliveryOutcome.SENT

    async def _dm_channel(self, user_id: int) -> discord.abc.Messageable:
        channel_id = self._dm_channels.get(user_id)
        if channel_id is not None:
            self._dm_channels.move_to_end(user_id)
            return self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        channel = await self.bot.create_dm(discord.Object(user_id))
        self._dm_channels[user_id] = channel.id
        if len(self._dm_channels) > DM_CHANNEL_CACHE:
            self._dm_channels.popitem(last=False)
        return channel

    def _remember_checked(self, user_id: int, when: float) -> None:
        self._notice_checked[user_id] = when
        self._notice_checked.move_to_end(user_id)
        if len(self._notice_checked) > NOTICE_CHECKED_LIMIT:
            self._notice_checked.popitem(last=False)  # forgetting one only costs one more query

    def before_command(self, interaction: discord.Interaction) -> None:
        """Before any command: if this member may have a "reminders paused" notice, tell them after it.

        A command hook (`bot.utils.tree`) rather than a check in every cog: it covers every command,
        present and future. The store is asked at a member's first command since start-up (a notice may
        predate it), right after one of their DMs failed here, and otherwise at most once per
        `NOTICE_RECHECK` (a scheduler in another process on a shared database may have paused them);
        every other command costs one dictionary lookup. The note is a private follow-up sent once the
        command has replied, so it never takes the place of the command's own first response.
        """
        user_id = interaction.user.id
        now = time.monotonic()
        checked = self._notice_checked.get(user_id)
        if checked is not None and now - checked < NOTICE_RECHECK and user_id not in self._dm_failed:
            return
        command = interaction.command
        if command is None or command.qualified_name == "remind resume":
            return
        # At most one waiter per member: a command that failed never completes, and its waiter would
        # otherwise live for NOTICE_WAIT; the member's next command takes over.
        previous = self._notice_waiters.pop(user_id, None)
        if previous is not None:
            previous.cancel()
        # Registered now, before the command runs, so a fast command's completion cannot be missed.
        completed = self.bot.wait_for(
            "app_command_completion", check=lambda done, _command: done.id == interaction.id, timeout=NOTICE_WAIT
        )
        task = asyncio.create_task(self._tell_paused(interaction, completed, now))
        self._notice_waiters[user_id] = task
        task.add_done_callback(lambda done: self._forget_waiter(user_id, done))

    def _forget_waiter(self, user_id: int, task: asyncio.Task[Any] | None) -> None:
        if task is not None and self._notice_waiters.get(user_id) is task:
            del self._notice_waiters[user_id]

    async def _tell_paused(
        self, interaction: discord.Interaction, completed: Awaitable[Any], checked_at: float
    ) -> None:
        user_id = interaction.user.id
        try:
            await completed
        except TimeoutError:
            return  # the command failed (no completion): the next command asks again
        # Past waiting: a later command must not cancel this any more (the notice may be taken already).
        self._forget_waiter(user_id, asyncio.current_task())
        try:
            told = await self.bot.store.take_notice(user_id)
            self._remember_checked(user_id, checked_at)
            if told:  # not before: a pause still being recorded would otherwise be missed
                self._dm_failed.discard(user_id)
                await respond(interaction, NOTICE, ephemeral=True)
        except Exception:
            log.exception("could not tell member %s that their reminders are paused", user_id)

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
            await respond(interaction, _limit_message(error.limit), ephemeral=True)
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
        self._dm_failed.discard(user_id)
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


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Remind(bot))
