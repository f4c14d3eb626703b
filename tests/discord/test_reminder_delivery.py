"""Reminder DMs end to end: the scheduler inside the real bot, a real SQLite file, a fake clock.

Time only moves when a test moves it; the test then `notify()`s the scheduler (found through the
`/remind` cog) and waits until it is idle again, which means every claimed reminder is settled.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import discord
import pytest

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from bot.core.scheduler import DeliveryOutcome, ReminderScheduler
from bot.exts.remind.buttons import NOT_YOURS
from bot.exts.remind.notices import NOTICE
from bot.exts.remind.text import delivery_outcome
from tests.clock import FakeClock
from tests.discord.helpers import (
    assert_pings_nobody,
    components,
    dm_messages_path,
    is_ephemeral,
    make_settings,
    reply_to,
)
from tests.discord.reminder_env import NOW, bot, clock, ts, uid
from tests.fakediscord import FakeDiscord, RecordedRequest, payloads, running_bot, wait_for_handlers

__all__ = ["bot", "clock"]  # fixtures shared with the other reminder tests (reminder_env)


def scheduler_of(bot: MedcoderBot) -> ReminderScheduler:
    # The extension's module is re-executed when the bot loads it, so check the core type, not the cog's.
    scheduler = getattr(bot.get_cog("Remind"), "scheduler", None)
    assert isinstance(scheduler, ReminderScheduler)
    return scheduler


async def settle(bot: MedcoderBot, within: float = 5.0) -> None:
    """Wake the scheduler and wait until it sleeps again: everything due has been delivered and recorded."""
    scheduler = scheduler_of(bot)
    scheduler.notify()
    deadline = time.monotonic() + within
    while not scheduler.idle:  # the scheduler's own state: polling is the only way to observe it
        if time.monotonic() > deadline:
            raise TimeoutError("the scheduler did not settle")
        await asyncio.sleep(0.005)


def dm_posts(fake: FakeDiscord, user: dict[str, Any] | None = None) -> list[RecordedRequest]:
    return fake.find_requests("POST", dm_messages_path(fake, user))


async def add(fake: FakeDiscord, when: str, note: str, **options: Any) -> None:
    reply = await reply_to(
        fake, await fake.invoke_slash("remind", {"when": when, "note": note, **options}, subcommand="add")
    )
    assert "set for" in reply.json["data"]["content"], reply.json


async def next_dm(fake: FakeDiscord, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """The next reminder DM the bot sent, as the message the fake stored (so it can be clicked)."""
    request = await fake.wait_for_request("POST", dm_messages_path(fake, user))
    assert request.status == 200, request.response
    assert_pings_nobody(request.json)
    return fake.get_message(request.response["id"])


def button_ids(message: dict[str, Any]) -> list[str]:
    return [button["custom_id"] for button in components(message)]


async def test_a_due_reminder_arrives_as_a_dm_with_snooze_and_step_buttons(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await add(fake, "in 10 minutes", "Register for the **CPC** @everyone", step="step-certification")
    [reminder] = await bot.store.list_reminders(uid(fake))
    await settle(bot)
    assert dm_posts(fake) == []  # not due yet
    clock.advance(timedelta(minutes=10))
    await settle(bot)
    dm = await next_dm(fake)
    assert dm["content"] == (
        "⏰ Reminder: Register for the \\*\\*CPC\\*\\* @\u200beveryone\nStep: **Step 2: Certification**"
    )
    owner = uid(fake)
    assert button_ids(dm) == [
        f"medcoder:snooze:{owner}:{reminder.id}:10m",
        f"medcoder:snooze:{owner}:{reminder.id}:1h",
        f"medcoder:snooze:{owner}:{reminder.id}:1d",
        f"medcoder:rdone:{owner}:{reminder.id}:step-certification",
    ]
    assert [b["label"] for b in components(dm)][-1] == "Mark Step 2: Certification done"
    done = await bot.store.get_reminder(owner, reminder.id)
    assert done is not None and done.status == "done"
    assert len(dm_posts(fake)) == 1


async def test_snooze_rearms_the_reminder_and_it_comes_again(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await add(fake, "in 5 minutes", "Practice ICD-10 lookups")
    clock.advance(timedelta(minutes=5))
    await settle(bot)
    dm = await next_dm(fake)
    [snooze_10m, snooze_1h, _] = button_ids(dm)
    clock.advance(timedelta(minutes=1))
    pressed = await reply_to(fake, await fake.click(dm, snooze_10m))
    assert pressed.json["type"] == payloads.UPDATE_MESSAGE
    again_at = NOW + timedelta(minutes=16)
    assert pressed.json["data"]["content"] == (
        f"⏰ Reminder: Practice ICD-10 lookups\n💤 Snoozed until {ts(again_at)} ({ts(again_at, 'R')})."
    )
    assert pressed.json["data"]["components"] == []
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert (reminder.status, reminder.due_at) == ("active", again_at)

    clock.advance(timedelta(minutes=9))
    await settle(bot)
    assert len(dm_posts(fake)) == 1
    clock.advance(timedelta(minutes=1))
    await settle(bot)
    second = await next_dm(fake)
    assert second["content"] == "⏰ Reminder: Practice ICD-10 lookups"
    assert button_ids(second)[1] == snooze_1h  # the same reminder, so the same buttons
    assert len(fake.find_requests("POST", r"/users/@me/channels")) == 1  # the DM channel is remembered


async def test_snooze_until_tomorrow_is_the_same_local_time(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await bot.store.set_timezone(uid(fake), "Europe/Paris")
    clock.set(datetime(2026, 3, 28, 6, 50, tzinfo=UTC))  # 07:50 CET; summer time starts tonight
    await add(fake, "in 10 minutes", "Read a chapter")
    clock.advance(timedelta(minutes=10))
    await settle(bot)
    dm = await next_dm(fake)
    await reply_to(fake, await fake.click(dm, button_ids(dm)[2]))
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert reminder.due_at == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST: 23 h later
    assert reminder.due_at.astimezone(ZoneInfo("Europe/Paris")).hour == 8


async def test_snoozing_is_refused_at_the_limit_and_for_a_cancelled_reminder(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await add(fake, "in 1 minute", "Delivered one-off")
    await add(fake, "every day 9am", "Daily")
    clock.advance(timedelta(minutes=1))
    await settle(bot)
    one_off = await next_dm(fake)
    for i in range(24):  # with the daily one, 25 active: re-arming the delivered one-off would be a 26th
        await bot.store.add_reminder(uid(fake), f"r{i}", clock.now() + timedelta(days=1), timezone="UTC")
    refused = await reply_to(fake, await fake.click(one_off, button_ids(one_off)[0]))
    assert is_ephemeral(refused.json["data"])
    assert refused.json["data"]["content"].startswith("You already have 25 active reminders")

    [daily] = [r for r in await bot.store.list_reminders(uid(fake)) if r.note == "Daily"]
    clock.set(daily.due_at)
    await settle(bot)
    daily_dm = await next_dm(fake)
    await bot.store.cancel_reminder(uid(fake), daily.id)
    gone = await reply_to(fake, await fake.click(daily_dm, button_ids(daily_dm)[1]))
    assert gone.json["data"]["content"].startswith("That reminder no longer exists")


async def test_the_step_button_marks_the_step_done(fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock) -> None:
    await add(fake, "in 1 hour", "Apply for an externship", step="step-experience")
    clock.advance(timedelta(hours=1))
    await settle(bot)
    dm = await next_dm(fake)
    pressed = await reply_to(fake, await fake.click(dm, button_ids(dm)[-1]))
    assert pressed.json["type"] == payloads.UPDATE_MESSAGE
    assert pressed.json["data"]["content"].endswith("\n✅ Marked **Step 3: Practical experience** done.")
    assert [b["custom_id"].split(":")[1] for b in components(pressed.json["data"])] == ["snooze"] * 3
    assert set(await bot.store.checklist(uid(fake))) == {"step-experience"}
    # Snoozing afterwards keeps the done line and adds its own.
    snoozed = await reply_to(fake, await fake.click(dm, button_ids(dm)[0]))
    lines = snoozed.json["data"]["content"].split("\n")
    assert lines[-2].startswith("✅ Marked") and lines[-1].startswith("💤 Snoozed until")
    assert components(snoozed.json["data"]) == []  # the step is done: no button to do it again


async def test_someone_else_pressing_a_reminder_button_is_refused(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await add(fake, "in 1 hour", "Mine", step="step-networking")
    clock.advance(timedelta(hours=1))
    await settle(bot)
    dm = await next_dm(fake)
    mallory = fake.add_user("mallory")
    for custom_id in button_ids(dm)[0], button_ids(dm)[-1]:
        refused = await reply_to(fake, await fake.click(dm, custom_id, user=mallory))
        assert refused.json["type"] == payloads.CHANNEL_MESSAGE
        assert is_ephemeral(refused.json["data"])
        assert refused.json["data"]["content"] == NOT_YOURS
    reminder = await bot.store.get_reminder(uid(fake), 1)
    assert reminder is not None and reminder.status == "done"
    assert await bot.store.checklist(uid(fake)) == {}
    assert await bot.store.checklist(uid(fake, mallory)) == {}


async def test_a_reminder_delivered_late_says_when_it_was_due(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await add(fake, "in 10 minutes", "Late one")
    clock.advance(timedelta(hours=2))
    await settle(bot)
    dm = await next_dm(fake)
    assert dm["content"] == f"⏰ Reminder: Late one\n(late: was due {ts(NOW + timedelta(minutes=10))})"


async def test_restart_delivers_the_missed_reminder_once_marked_late_and_its_buttons_still_work(
    fake: FakeDiscord, engine: Engine, tmp_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(fake, tmp_path)
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as first:
        await add(fake, "in 10 minutes", "Renew AAPC membership")
        await settle(first)
    assert dm_posts(fake) == []
    clock.advance(timedelta(hours=3))  # the bot was down when it came due
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as second:
        dm = await next_dm(fake)
        assert dm["content"] == f"⏰ Reminder: Renew AAPC membership\n(late: was due {ts(NOW + timedelta(minutes=10))})"
        await settle(second)
        [reminder_id] = {int(cid.split(":")[3]) for cid in button_ids(dm)}
        delivered = await second.store.get_reminder(uid(fake), reminder_id)
        assert delivered is not None and delivered.status == "done"
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as third:
        await settle(third)
        assert len(dm_posts(fake)) == 1  # exactly once, even across another restart
        refused = await reply_to(fake, await fake.click(dm, button_ids(dm)[1], user=fake.add_user("eve")))
        assert refused.json["data"]["content"] == NOT_YOURS
        pressed = await reply_to(fake, await fake.click(dm, button_ids(dm)[0]))
        assert "Snoozed until" in pressed.json["data"]["content"]


async def test_closed_dms_pause_reminders_and_the_member_is_told_at_their_next_command(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    user = uid(fake)
    await add(fake, "in 10 minutes", "Closed-DM reminder")
    await add(fake, "every day 9am", "Daily drill")
    fake.close_dms(fake.user)
    clock.advance(timedelta(minutes=10))
    await settle(bot)
    refused = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert refused.status == 403 and refused.response["code"] == 50007
    assert {r.status for r in await bot.store.list_reminders(user)} == {"paused"}

    # Any command: the reply, then a private note about the paused reminders; only once.
    interaction = await fake.invoke_slash("steps")
    await reply_to(fake, interaction)
    note = await fake.wait_for_followup(interaction)
    assert note.json["content"] == NOTICE and is_ephemeral(note.json)
    again = await fake.invoke_slash("steps", user=fake.user)
    await reply_to(fake, again)
    await asyncio.sleep(0.05)
    assert fake.find_requests("POST", rf"/webhooks/\d+/{again['token']}") == []

    # The member opens their DMs and resumes: the missed one comes at once, marked late.
    fake.closed_dms.discard(user)
    clock.advance(timedelta(minutes=30))
    reply = await reply_to(fake, await fake.invoke_slash("remind", subcommand="resume"))
    assert reply.json["data"]["content"].startswith("Resumed 2 reminders.")
    assert is_ephemeral(reply.json["data"])
    await settle(bot)
    dm = await next_dm(fake)
    assert dm["content"] == f"⏰ Reminder: Closed-DM reminder\n(late: was due {ts(NOW + timedelta(minutes=10))})"
    [daily] = await bot.store.list_reminders(user)
    assert (daily.status, daily.due_at) == ("active", datetime(2026, 1, 6, 9, 0, tzinfo=UTC))
    nothing = await reply_to(fake, await fake.invoke_slash("remind", subcommand="resume"))
    assert nothing.json["data"]["content"] == "None of your reminders are paused."


async def test_a_pause_from_before_a_restart_is_told_at_the_first_command(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await bot.store.add_reminder(uid(fake), "paused earlier", NOW + timedelta(hours=1), timezone="UTC")
    await bot.store.pause_member_reminders(uid(fake))  # as a previous process's scheduler left it
    interaction = await fake.invoke_slash("help")
    await reply_to(fake, interaction)
    assert (await fake.wait_for_followup(interaction)).json["content"] == NOTICE
    assert not await bot.store.take_notice(uid(fake))


async def test_a_command_that_fails_does_not_use_up_the_notice(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await bot.store.add_reminder(uid(fake), "paused earlier", NOW + timedelta(hours=1), timezone="UTC")
    await bot.store.pause_member_reminders(uid(fake))
    fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 400)  # the command's own reply is refused
    failed = await fake.invoke_slash("help")
    assert (await fake.wait_for_callback(failed)).status == 400
    error_reply = await reply_to(fake, failed)  # the error handler's answer
    assert error_reply.json["data"]["content"].startswith("Something went wrong")
    await wait_for_handlers()
    assert fake.find_requests("POST", rf"/webhooks/\d+/{failed['token']}") == []  # no notice after a failure
    fake.fail_next("POST", r"/interactions/\d+/[^/]+/callback", 400)
    again = await fake.invoke_slash("help")  # fails again: still no notice, and it is not used up
    assert (await fake.wait_for_callback(again)).status == 400
    await reply_to(fake, again)
    await wait_for_handlers()
    assert fake.find_requests("POST", rf"/webhooks/\d+/{again['token']}") == []
    told = await fake.invoke_slash("help")
    await reply_to(fake, told)
    assert (await fake.wait_for_followup(told)).json["content"] == NOTICE


async def test_a_pause_by_another_process_is_told_once_the_recheck_interval_passed(
    fake: FakeDiscord, bot: MedcoderBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await reply_to(fake, await fake.invoke_slash("help"))  # the flag is read: nothing pending
    await bot.store.add_reminder(uid(fake), "paused elsewhere", NOW + timedelta(hours=1), timezone="UTC")
    await bot.store.pause_member_reminders(uid(fake))  # as another process's scheduler would
    quiet = await fake.invoke_slash("help")
    await reply_to(fake, quiet)
    await wait_for_handlers()
    assert fake.find_requests("POST", rf"/webhooks/\d+/{quiet['token']}") == []  # within the interval
    monkeypatch.setattr(sys.modules["bot.exts.remind.notices"], "NOTICE_RECHECK", 0.0)  # the module the cog reads
    told = await fake.invoke_slash("help")
    await reply_to(fake, told)
    assert (await fake.wait_for_followup(told)).json["content"] == NOTICE


async def test_a_discord_outage_is_retried_later_not_lost(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await add(fake, "in 10 minutes", "Survives a 503")
    fake.fail_next("POST", dm_messages_path(fake), 503)  # discord.py does not retry 503 itself
    clock.advance(timedelta(minutes=10))
    await settle(bot)
    failed = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert failed.status == 503
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert (reminder.status, reminder.attempts) == ("active", 1)
    assert scheduler_of(bot).stats.retried == 1
    clock.advance(timedelta(seconds=31))  # the first retry waits 30 s
    await settle(bot)
    dm = await next_dm(fake)
    assert dm["content"] == "⏰ Reminder: Survives a 503"
    assert await bot.store.list_reminders(uid(fake)) == []


async def test_an_unknown_user_drops_the_occurrence(fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock) -> None:
    reminder = await bot.store.add_reminder(424242424242, "ghost", NOW + timedelta(minutes=1), timezone="UTC")
    fake.fail_next("POST", r"/users/@me/channels", 400, payloads.error(50033, "Invalid Recipient(s)"))
    clock.advance(timedelta(minutes=1))
    await settle(bot)
    gone = await bot.store.get_reminder(424242424242, reminder.id)
    assert gone is not None and gone.status == "done"
    assert scheduler_of(bot).stats.dropped == 1


async def test_every_day_8am_comes_at_local_8_on_two_days_across_dst(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    new_york = ZoneInfo("America/New_York")
    await bot.store.set_timezone(uid(fake), "America/New_York")
    clock.set(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))  # 07:00 EST; clocks go forward on March 8
    await add(fake, "every day 8am", "Morning coding drill")
    [reminder] = await bot.store.list_reminders(uid(fake))
    first_due = datetime(2026, 3, 7, 13, 0, tzinfo=UTC)
    assert reminder.due_at == first_due

    clock.set(first_due)
    await settle(bot)
    first = await next_dm(fake)
    assert first["content"].startswith("⏰ Reminder: Morning coding drill\nRepeats every day at 08:00")
    [reminder] = await bot.store.list_reminders(uid(fake))
    second_due = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # 08:00 EDT: 23 hours later
    assert reminder.due_at == second_due

    clock.set(second_due - timedelta(minutes=1))
    await settle(bot)
    assert len(dm_posts(fake)) == 1
    clock.set(second_due)
    await settle(bot)
    await next_dm(fake)
    assert len(dm_posts(fake)) == 2
    [reminder] = await bot.store.list_reminders(uid(fake))
    assert reminder.due_at == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    for due in (first_due, second_due, reminder.due_at):
        assert due.astimezone(new_york).hour == 8


def http_error(kind: type[discord.HTTPException], status: int, code: int = 0) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="reason")
    return kind(response, {"code": code, "message": "m"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (http_error(discord.Forbidden, 403, 50007), DeliveryOutcome.DM_CLOSED),
        (http_error(discord.Forbidden, 403, 50001), DeliveryOutcome.DM_CLOSED),
        (http_error(discord.NotFound, 404, 10013), DeliveryOutcome.DROP),
        (http_error(discord.HTTPException, 400, 50033), DeliveryOutcome.DROP),
        (http_error(discord.HTTPException, 400, 50035), DeliveryOutcome.DROP),
        (http_error(discord.DiscordServerError, 502), DeliveryOutcome.RETRY),
        (http_error(discord.HTTPException, 429), DeliveryOutcome.RETRY),
        (aiohttp.ClientConnectionError("reset"), DeliveryOutcome.RETRY),
        (TimeoutError(), DeliveryOutcome.RETRY),
    ],
    ids=["dms-closed", "other-403", "unknown-user", "bad-recipient", "bad-body", "5xx", "429", "network", "timeout"],
)
def test_delivery_errors_map_to_what_the_scheduler_does(error: BaseException, outcome: DeliveryOutcome) -> None:
    assert delivery_outcome(error) is outcome


def test_an_unexpected_delivery_error_is_left_to_the_scheduler() -> None:
    with pytest.raises(KeyError):
        delivery_outcome(KeyError("bug"))
