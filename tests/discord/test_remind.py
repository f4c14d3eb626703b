"""`/remind add|list|cancel` end to end: the real bot, a real SQLite file, a clock that stands still.

Every reply about reminders is ephemeral, every limit has its own plain message, and nothing a
member types reaches Discord unescaped. Delivery (DMs, buttons, restarts) is in
`test_reminder_delivery.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import MedcoderBot
from bot.core.store import MAX_ACTIVE_REMINDERS
from bot.exts.remind.text import chunk_lines, snooze_until
from tests.discord.helpers import assert_pings_nobody, is_ephemeral, reply_to
from tests.discord.reminder_env import NOW, bot, clock, ts, uid
from tests.fakediscord import FakeDiscord, payloads

__all__ = ["bot", "clock"]  # fixtures shared with the other reminder tests (reminder_env)


async def remind(fake: FakeDiscord, subcommand: str, options: dict[str, Any] | None = None, **kwargs: Any) -> str:
    """Run `/remind <subcommand>` and return its reply's content, checked to be private."""
    reply = await reply_to(fake, await fake.invoke_slash("remind", options, subcommand=subcommand, **kwargs))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    body = reply.json["data"]
    assert is_ephemeral(body), body
    assert_pings_nobody(body)
    return body["content"]


async def choices(fake: FakeDiscord, subcommand: str, focused: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    interaction = await fake.autocomplete("remind", focused, options, subcommand=subcommand)
    reply = await reply_to(fake, interaction)
    assert reply.json["type"] == payloads.AUTOCOMPLETE_RESULT
    return reply.json["data"]["choices"]


# --- add --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_add_confirms_privately_with_discord_timestamps_and_the_utc_hint(
    fake: FakeDiscord, bot: MedcoderBot, dm: bool
) -> None:
    content = await remind(fake, "add", {"when": "in 10 minutes", "note": "Review E/M codes"}, dm=dm)
    due = NOW + timedelta(minutes=10)
    assert f"set for {ts(due, 'F')} ({ts(due, 'R')}): Review E/M codes" in content
    assert "UTC" in content and "/timezone set" in content
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert (reminder.due_at, reminder.note, reminder.timezone, reminder.recurrence) == (
        due,
        "Review E/M codes",
        "UTC",
        None,
    )
    assert f"`#{reminder.id}`" in content


async def test_add_reads_the_time_in_the_members_zone_and_describes_the_recurrence(
    fake: FakeDiscord, bot: MedcoderBot
) -> None:
    await bot.store.set_timezone(uid(fake), "America/New_York")
    content = await remind(fake, "add", {"when": "every day 8am", "note": "Flashcards", "step": "step-certification"})
    due = datetime(2026, 1, 5, 13, 0, tzinfo=UTC)  # 08:00 EST, later today
    assert ts(due, "F") in content and ts(due, "R") in content
    assert "Repeats every day at 08:00 (America/New_York time)" in content
    assert "Step: **Step 2: Certification**" in content
    assert "/timezone set" not in content
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert (reminder.recurrence, reminder.step_id, reminder.timezone) == (
        "daily:08:00",
        "step-certification",
        "America/New_York",
    )


@pytest.mark.parametrize(
    ("when", "note", "expected"),
    [
        ("2025-06-01 09:00", "x", "already passed"),
        ("yesterday-ish", "x", "couldn't read 'yesterday-ish' as a time"),
        ("every 30 minutes", "x", "at least an hour apart"),
        ("in 400 days", "x", "more than a year away"),
        ("in 10 minutes", "n" * 201, "That note is 201 characters; keep it to 200 or fewer."),
        ("in 10 minutes", "   ", "The note can't be empty"),
    ],
    ids=["past", "unparseable", "recurring-too-often", "too-far", "note-too-long", "note-empty"],
)
async def test_add_refuses_with_a_clear_message_and_stores_nothing(
    fake: FakeDiscord, bot: MedcoderBot, when: str, note: str, expected: str
) -> None:
    content = await remind(fake, "add", {"when": when, "note": note})
    assert expected in content
    assert await bot.store.list_reminders(uid(fake)) == []


async def test_a_note_of_exactly_200_characters_is_accepted(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await remind(fake, "add", {"when": "tomorrow 18:00", "note": "n" * 200})
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert reminder.due_at == datetime(2026, 1, 6, 18, 0, tzinfo=UTC)


async def test_an_unknown_step_is_refused_with_the_list_of_steps(fake: FakeDiscord, bot: MedcoderBot) -> None:
    content = await remind(fake, "add", {"when": "in 1 hour", "note": "x", "step": "@everyone astrology"})
    assert "I don't know a step called “@\u200beveryone astrology”" in content
    assert "1. Step 1: Education" in content
    assert await bot.store.list_reminders(uid(fake)) == []


async def test_the_26th_active_reminder_is_refused(fake: FakeDiscord, bot: MedcoderBot) -> None:
    for i in range(MAX_ACTIVE_REMINDERS):
        await bot.store.add_reminder(uid(fake), f"r{i}", NOW + timedelta(days=1), timezone="UTC")
    content = await remind(fake, "add", {"when": "in 1 hour", "note": "one more"})
    assert "You already have 25 active reminders" in content and "/remind cancel" in content
    assert len(await bot.store.list_reminders(uid(fake))) == MAX_ACTIVE_REMINDERS


async def test_the_note_is_echoed_inert(fake: FakeDiscord, bot: MedcoderBot) -> None:
    content = await remind(
        fake, "add", {"when": "in 1 hour", "note": "@everyone **study** <@123456789012345678>\n# big"}
    )
    assert "@\u200beveryone \\*\\*study\\*\\* <@\u200b123456789012345678> # big" in content


async def test_step_autocomplete_offers_the_five_steps_and_filters(fake: FakeDiscord, bot: MedcoderBot) -> None:
    everything = await choices(fake, "add", "step", {"when": "in 1 hour", "note": "x", "step": ""})
    assert [c["value"] for c in everything] == [
        "step-education",
        "step-certification",
        "step-experience",
        "step-networking",
        "step-continuing-education",
    ]
    assert [c["value"] for c in await choices(fake, "add", "step", {"step": "certif"})] == ["step-certification"]


# --- list -------------------------------------------------------------------------------------------


async def test_list_is_empty_at_first(fake: FakeDiscord, bot: MedcoderBot) -> None:
    assert "You have no reminders" in await remind(fake, "list")


async def test_list_shows_id_time_note_rule_and_paused_flag_soonest_first(fake: FakeDiscord, bot: MedcoderBot) -> None:
    user = uid(fake)
    later = await bot.store.add_reminder(
        user, "Weekly *review*", NOW + timedelta(days=2), timezone="UTC", recurrence="weekly:2:19:00"
    )
    soon = await bot.store.add_reminder(user, "Call @here mentor", NOW + timedelta(hours=1), timezone="UTC")
    await bot.store.add_reminder(uid(fake, fake.add_user("bob")), "bob's", NOW + timedelta(hours=2), timezone="UTC")
    await bot.store.pause_member_reminders(user)
    await bot.store.take_notice(user)
    content = await remind(fake, "list")
    lines = content.split("\n")
    assert lines[0].startswith("**Your 2 reminders**")
    assert lines[1].startswith(
        f"- `#{soon.id}` {ts(soon.due_at, 'F')} ({ts(soon.due_at, 'R')}) · Call @\u200bhere mentor"
    )
    assert lines[2].startswith(f"- `#{later.id}` {ts(later.due_at, 'F')}")
    assert "Weekly \\*review\\* · 🔁 every Wednesday at 19:00" in lines[2]
    assert lines[1].endswith("⏸️ paused") and lines[2].endswith("⏸️ paused")
    assert "/remind resume" in lines[-1]
    assert "bob's" not in content


async def test_a_long_list_is_split_into_messages_that_fit(fake: FakeDiscord, bot: MedcoderBot) -> None:
    ids = [
        (await bot.store.add_reminder(uid(fake), "w" * 200, NOW + timedelta(hours=i + 1), timezone="UTC")).id
        for i in range(MAX_ACTIVE_REMINDERS)
    ]
    interaction = await fake.invoke_slash("remind", subcommand="list")
    first = (await reply_to(fake, interaction)).json["data"]
    followup = (await fake.wait_for_followup(interaction)).json
    bodies = [first, followup]
    assert all(is_ephemeral(body) and len(body["content"]) <= 2000 for body in bodies)
    text = "\n".join(body["content"] for body in bodies)
    assert all(f"`#{rid}`" in text for rid in ids)


def test_chunk_lines_packs_lines_without_splitting_them() -> None:
    assert chunk_lines(["a" * 6, "b" * 3, "c" * 9], limit=10) == ["aaaaaa\nbbb", "ccccccccc"]
    assert chunk_lines([]) == []


def test_snooze_tomorrow_keeps_the_local_time_across_a_dst_change() -> None:
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    before_change = datetime(2026, 3, 28, 7, 0, tzinfo=UTC)  # 08:00 CET; clocks go forward that night
    assert snooze_until("1d", before_change, paris) == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert snooze_until("10m", before_change, paris) == before_change + timedelta(minutes=10)
    gap = datetime(2026, 3, 28, 1, 30, tzinfo=UTC)  # 02:30 local: doesn't exist tomorrow
    assert snooze_until("1d", gap, paris) == gap + timedelta(days=1)


# --- cancel -----------------------------------------------------------------------------------------


async def test_cancel_by_id_and_by_hash_id(fake: FakeDiscord, bot: MedcoderBot) -> None:
    first = await bot.store.add_reminder(uid(fake), "first", NOW + timedelta(hours=1), timezone="UTC")
    second = await bot.store.add_reminder(uid(fake), "second", NOW + timedelta(hours=2), timezone="UTC")
    assert await remind(fake, "cancel", {"reminder": str(first.id)}) == f"Cancelled reminder `#{first.id}`: first"
    assert "Cancelled" in await remind(fake, "cancel", {"reminder": f"#{second.id}"})
    assert await bot.store.list_reminders(uid(fake)) == []


@pytest.mark.parametrize("what", ["nonsense", "99999", "theirs", "cancelled"])
async def test_cancel_refuses_what_is_not_the_members_open_reminder(
    fake: FakeDiscord, bot: MedcoderBot, what: str
) -> None:
    bob = uid(fake, fake.add_user("bob"))
    theirs = await bot.store.add_reminder(bob, "bob's", NOW + timedelta(hours=1), timezone="UTC")
    mine = await bot.store.add_reminder(uid(fake), "mine", NOW + timedelta(hours=1), timezone="UTC")
    await bot.store.cancel_reminder(uid(fake), mine.id)
    value = {"theirs": str(theirs.id), "cancelled": str(mine.id)}.get(what, what)
    content = await remind(fake, "cancel", {"reminder": value})
    assert content.startswith(f"You have no reminder “{value}” to cancel") and "/remind list" in content
    assert [r.id for r in await bot.store.list_reminders(bob)] == [theirs.id]


async def test_cancel_autocomplete_lists_the_members_reminders_in_their_zone(
    fake: FakeDiscord, bot: MedcoderBot
) -> None:
    user = uid(fake)
    await bot.store.set_timezone(user, "Asia/Kolkata")
    study = await bot.store.add_reminder(user, "Study  anatomy", NOW + timedelta(hours=1), timezone="Asia/Kolkata")
    exam = await bot.store.add_reminder(user, "Book the CPC exam", NOW + timedelta(days=1), timezone="Asia/Kolkata")
    await bot.store.add_reminder(uid(fake, fake.add_user("bob")), "bob's", NOW, timezone="UTC")
    listed = await choices(fake, "cancel", "reminder", {"reminder": ""})
    assert listed == [
        {"name": f"#{study.id} · Mon 05 Jan 18:30 · Study anatomy", "value": str(study.id)},
        {"name": f"#{exam.id} · Tue 06 Jan 17:30 · Book the CPC exam", "value": str(exam.id)},
    ]
    assert [c["value"] for c in await choices(fake, "cancel", "reminder", {"reminder": "cpc"})] == [str(exam.id)]
