"""How reminders read on Discord and what a failed DM means, kept apart from the `/remind` cog.

Why a separate module: the cog wires commands and buttons; the decisions that tests and the
benchmark want to check on their own live here as plain functions: the wording of a reminder DM,
where each snooze lands, and how a Discord error maps to what the scheduler should do next.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import discord

from bot.core.scheduler import DeliveryOutcome
from bot.core.store import Reminder
from bot.core.store.models import StepLike
from bot.core.timeparse import Recurrence, WhenError
from bot.utils.text import CONTENT_LIMIT, escape_user_text, truncate

log = logging.getLogger(__name__)

SNOOZE_CHOICES: dict[str, str] = {"10m": "10 minutes", "1h": "1 hour", "1d": "Tomorrow"}
DM_CLOSED_CODE = 50007  # Cannot send messages to this user
GONE_CODES = frozenset({10013, 50033})  # Unknown User; Invalid Recipient(s)
LIST_NOTE_LIMIT = 80  # a list line is a pointer to the reminder, not the whole note


def zone(name: str | None) -> ZoneInfo:
    """The member's stored zone, or UTC when unset or no longer known to tzdata."""
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError, OSError):
            log.warning("stored timezone %r is not available; using UTC", name)
    return ZoneInfo("UTC")


def snooze_until(choice: str, now: datetime, tz: ZoneInfo) -> datetime:
    """When a snoozed reminder comes back.

    "Tomorrow" is the same local wall time tomorrow (so a 08:00 reminder snoozed at 08:00 comes back
    at 08:00 even across a DST change); if that wall time doesn't exist tomorrow or isn't ahead,
    it is plainly 24 hours on.
    """
    if choice == "10m":
        return now + timedelta(minutes=10)
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice != "1d":
        raise ValueError(f"unknown snooze {choice!r}")
    local = now.astimezone(tz)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), local.time().replace(fold=0), tzinfo=tz)
    due = tomorrow.astimezone(UTC)
    if due <= now or due.astimezone(tz).replace(tzinfo=None) != tomorrow.replace(tzinfo=None):
        return now + timedelta(days=1)
    return due


def describe_recurrence(recurrence: str | None) -> str | None:
    """The rule in words ("every day at 08:00"); None for a one-off. An unreadable rule is shown as stored."""
    if recurrence is None:
        return None
    try:
        return Recurrence.parse(recurrence).describe()
    except WhenError:
        return recurrence


def when_text(moment: datetime) -> str:
    """A time every member reads in their own clock, absolute and relative."""
    return f"{discord.utils.format_dt(moment, 'F')} ({discord.utils.format_dt(moment, 'R')})"


def note_text(note: str, limit: int = 200) -> str:
    """A member's note, inert (no markdown, no mentions) and on one line."""
    return escape_user_text(note, limit)


def delivery_text(reminder: Reminder, now: datetime, step: StepLike | None = None) -> str:
    """The DM: the note, the step it is about, and when it was due if it comes noticeably late."""
    lines = [f"⏰ Reminder: {note_text(reminder.note)}"]
    if step is not None:
        lines.append(f"Step: **{step.title}**")
    if reminder.is_late(now):
        lines.append(f"(late: was due {discord.utils.format_dt(reminder.due_at, 'F')})")
    if (rule := describe_recurrence(reminder.recurrence)) is not None:
        lines.append(f"Repeats {rule} ({reminder.timezone}).")
    return "\n".join(lines)


def list_line(reminder: Reminder) -> str:
    """One `/remind list` line: id, next time, note, rule, step and paused flag."""
    parts = [f"`#{reminder.id}` {when_text(reminder.due_at)}", note_text(reminder.note, LIST_NOTE_LIMIT)]
    if (rule := describe_recurrence(reminder.recurrence)) is not None:
        parts.append(f"🔁 {rule}")
    if reminder.step_id:
        parts.append(f"step: {reminder.step_id}")
    if reminder.status == "paused":
        parts.append("⏸️ paused")
    return " · ".join(parts)


def choice_name(reminder: Reminder, tz: ZoneInfo, limit: int = 100) -> str:
    """An autocomplete label: plain text (Discord shows no timestamps there), in the member's zone."""
    local = reminder.due_at.astimezone(tz).strftime("%a %d %b %H:%M")
    paused = " (paused)" if reminder.status == "paused" else ""
    flat = " ".join(reminder.note.split())
    return truncate(f"#{reminder.id} · {local}{paused} · {flat}", limit)


def chunk_lines(lines: Iterable[str], limit: int = CONTENT_LIMIT) -> list[str]:
    """Lines packed into as few messages as fit Discord's limit (a line longer than that is cut)."""
    chunks: list[str] = []
    current = ""
    for raw in lines:
        line = truncate(raw, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks


def delivery_outcome(error: BaseException) -> DeliveryOutcome:
    """What the scheduler should do after sending a reminder DM raised `error`.

    403 (DMs closed, 50007, or any other refusal to DM the member) pauses the member's reminders
    until they open their DMs; a user or recipient that no longer exists drops this occurrence;
    Discord outages and network trouble are retried later (discord.py has already retried 429 and
    some 5xx itself). Another 4xx is a request Discord will keep rejecting, so it is dropped. Any
    other exception is re-raised: the scheduler logs it with its traceback and retries.
    """
    if isinstance(error, discord.Forbidden):
        if error.code != DM_CLOSED_CODE:
            log.warning("DM refused with code %s; treating it as DMs closed", error.code)
        return DeliveryOutcome.DM_CLOSED
    if isinstance(error, discord.NotFound) or (isinstance(error, discord.HTTPException) and error.code in GONE_CODES):
        return DeliveryOutcome.DROP
    if isinstance(error, discord.DiscordServerError | discord.RateLimited):
        return DeliveryOutcome.RETRY
    if isinstance(error, discord.HTTPException):
        return DeliveryOutcome.RETRY if error.status >= 500 or error.status == 429 else DeliveryOutcome.DROP
    if isinstance(error, aiohttp.ClientError | OSError | TimeoutError):
        return DeliveryOutcome.RETRY
    raise error


def limit_message(limit: int) -> str:
    """Why a reminder cannot be added or snoozed: the member is at the limit."""
    return f"You already have {limit} active reminders, the most I keep. Cancel one with `/remind cancel` first."
