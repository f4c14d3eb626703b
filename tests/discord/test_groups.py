"""Study groups end to end (issue 15): `/group`, `/groupadmin` and the weekly digest through the fake Discord.

The digest runs on the bot's own reminder scheduler with a fake clock: a test moves time and settles
the scheduler (`settle`), then reads what the bot posted in the channel.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from tests.clock import FakeClock
from tests.discord.helpers import assert_pings_nobody, is_ephemeral, make_settings, reply_to
from tests.discord.reminder_env import NOW, bot, clock
from tests.discord.test_reminder_delivery import settle
from tests.fakediscord import FakeDiscord, payloads, running_bot

__all__ = ["bot", "clock"]

MANAGE_GUILD = 1 << 5
ADMIN_PERMISSIONS = payloads.DEFAULT_PERMISSIONS | MANAGE_GUILD
STEPS = ("step-education", "step-certification", "step-experience", "step-networking", "step-continuing-education")
# 2026-01-05 (NOW) is a Monday at 12:00 UTC; a digest every Monday at 19:00 UTC first comes that evening.
FIRST_DIGEST = NOW.replace(hour=19)


def gid(fake: FakeDiscord) -> int:
    return int(fake.guild["id"])


async def group(fake: FakeDiscord, subcommand: str, options: Any = None, **kwargs: Any) -> dict[str, Any]:
    reply = await reply_to(fake, await fake.invoke_slash("group", options, subcommand=subcommand, **kwargs))
    return reply.json


async def members(fake: FakeDiscord, bot: MedcoderBot, count: int, *, steps: int = 1, named: int = 0) -> list[int]:
    """`count` new members who each finished their first `steps` steps and joined (the first `named` by name)."""
    ids = []
    for n in range(count):
        user = fake.add_user(f"member{n}")
        for step in STEPS[:steps]:
            await bot.store.set_step(int(user["id"]), step, True)
        reply = await group(fake, "join", {"show_name": n < named}, user=user)
        assert is_ephemeral(reply["data"])
        ids.append(int(user["id"]))
    return ids


def channel_option(channel: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    return (
        [{"name": "channel", "type": payloads.CHANNEL, "value": channel["id"]}],
        {"channels": {channel["id"]: {**channel, "permissions": str(payloads.DEFAULT_PERMISSIONS)}}},
    )


async def set_digest(
    fake: FakeDiscord, channel: dict[str, Any], weekday: int = 0, time: str = "19:00", **kwargs: Any
) -> dict[str, Any]:
    options, resolved = channel_option(channel)
    options += [
        {"name": "weekday", "type": payloads.INTEGER, "value": weekday},
        {"name": "time", "type": payloads.STRING, "value": time},
    ]
    kwargs.setdefault("member_permissions", ADMIN_PERMISSIONS)
    interaction = await fake.invoke_slash("groupadmin", options, subcommand="digest", resolved=resolved, **kwargs)
    return (await reply_to(fake, interaction)).json


def posts(fake: FakeDiscord, channel: dict[str, Any]) -> list[dict[str, Any]]:
    return [r.json for r in fake.find_requests("POST", rf"/channels/{channel['id']}/messages")]


# --- joining, leaving and /group progress -----------------------------------------------------------


async def test_joining_and_leaving_are_private_and_change_the_counts(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await bot.store.set_step(int(fake.user["id"]), "step-education", True)
    joined = await group(fake, "join")
    assert is_ephemeral(joined["data"])
    assert "joined this server's study group" in joined["data"]["content"]
    assert "without your name" in joined["data"]["content"]
    await members(fake, bot, 2)
    assert (await bot.store.group_progress(gid(fake))).done == {"step-education": 3}

    left = await group(fake, "leave")
    assert is_ephemeral(left["data"]) and "no longer appear in any" in left["data"]["content"]
    assert (await bot.store.group_progress(gid(fake))).done == {"step-education": 2}
    again = await group(fake, "leave")
    assert "aren't in this server's study group" in again["data"]["content"]


async def test_below_three_members_progress_shows_no_counts(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await members(fake, bot, 2, steps=3, named=2)
    reply = await group(fake, "progress")
    body = reply["data"]
    assert is_ephemeral(body)  # nothing for the channel: there is nothing to show
    assert "Only 2 members have joined" in body["content"] and "at least 3 members" in body["content"]
    assert "of 2 done" not in body["content"] and "<@" not in body["content"]
    assert fake.find_requests("POST", r"/channels/\d+/messages") == []


async def test_progress_counts_joined_members_only_and_names_only_those_who_chose_it(
    fake: FakeDiscord, bot: MedcoderBot
) -> None:
    named, *counted = await members(fake, bot, 4, steps=2, named=1)
    outsider = fake.add_user("outsider")  # finished every step, never joined
    for step in STEPS:
        await bot.store.set_step(int(outsider["id"]), step, True)

    interaction = await fake.invoke_slash("group", subcommand="progress")
    callback = await fake.wait_for_callback(interaction)
    body = callback.json["data"]
    assert not is_ephemeral(body)  # the group's own view, posted in the channel
    assert_pings_nobody(body)
    content = body["content"]
    assert "4 members have joined" in content
    assert "**Step 1 · Education**: 4 of 4 done" in content
    assert "**Step 2 · Certification**: 4 of 4 done" in content
    assert "**Step 3 · Practical experience**: 0 of 4 done" in content
    assert f"<@{named}>" in content
    assert all(f"<@{user}>" not in content for user in counted)
    assert outsider["id"] not in content
    (chart,) = callback.files
    assert chart.filename == "group-progress.png" and chart.data.startswith(b"\x89PNG")


async def test_joining_one_server_shows_nothing_in_another(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await members(fake, bot, 3, named=3)
    other = fake.add_guild("Other study group")
    fake.add_member(other, fake.user)
    await fake.dispatch("GUILD_CREATE", other)
    reply = await group(fake, "progress", guild=other)
    assert "Nobody has joined" in reply["data"]["content"]


async def test_group_commands_refuse_direct_messages(fake: FakeDiscord, bot: MedcoderBot) -> None:
    reply = await group(fake, "join", dm=True)
    assert reply["data"]["content"] == "That only works in a server."
    assert (await bot.store.export_member(int(fake.user["id"])))["study_groups"] == []


async def test_mydata_exports_and_deletes_memberships(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await group(fake, "join", {"show_name": True})
    export = await reply_to(fake, await fake.invoke_slash("mydata", subcommand="export"))
    assert "1 study-group membership" in export.json["data"]["content"]
    (upload,) = export.files
    data = json.loads(upload.data)
    assert [(g["guild_id"], g["show_name"]) for g in data["study_groups"]] == [(gid(fake), True)]

    await reply_to(fake, await fake.invoke_slash("mydata", subcommand="delete"))
    assert (await bot.store.export_member(int(fake.user["id"])))["study_groups"] != []  # only after confirming
    confirm = next(m for m in reversed(fake.bot_messages()) if m.get("components"))
    button = confirm["components"][0]["components"][0]["custom_id"]
    await reply_to(fake, await fake.click(confirm, button))
    assert (await bot.store.export_member(int(fake.user["id"])))["study_groups"] == []
    assert (await bot.store.group_progress(gid(fake))).members == 0


# --- /groupadmin -------------------------------------------------------------------------------------


async def test_a_member_without_manage_server_is_refused(fake: FakeDiscord, bot: MedcoderBot) -> None:
    reply = await set_digest(fake, fake.channel, member_permissions=payloads.DEFAULT_PERMISSIONS)
    assert is_ephemeral(reply["data"])
    assert reply["data"]["content"] == "You need the Manage Server permission to do that."
    assert (await bot.store.guild_settings(gid(fake))).digest_on is False
    off = await reply_to(fake, await fake.invoke_slash("groupadmin", subcommand="digest-off", member_permissions=0))
    assert off.json["data"]["content"] == "You need the Manage Server permission to do that."


async def test_bad_times_get_a_clear_message(fake: FakeDiscord, bot: MedcoderBot) -> None:
    for time in ("25:00", "soonish", "tomorrow"):
        reply = await set_digest(fake, fake.channel, time=time)
        assert is_ephemeral(reply["data"])
        assert "18:30" in reply["data"]["content"], reply  # the example of a good time
    assert (await bot.store.guild_settings(gid(fake))).digest_on is False


async def test_digest_settings_and_timezone(fake: FakeDiscord, bot: MedcoderBot) -> None:
    reply = await set_digest(fake, fake.channel, weekday=0, time="7pm")
    assert is_ephemeral(reply["data"])
    assert reply["data"]["content"] == (
        f"The weekly digest is posted in <#{fake.channel['id']}> every Monday at 19:00 (UTC)."
        f" The first one comes <t:{int(FIRST_DIGEST.timestamp())}:F>."
    )
    zone = await reply_to(
        fake,
        await fake.invoke_slash(
            "groupadmin", {"name": "europe/paris"}, subcommand="timezone", member_permissions=ADMIN_PERMISSIONS
        ),
    )
    assert "timezone is now **Europe/Paris**" in zone.json["data"]["content"]
    assert "every Monday at 19:00 (Europe/Paris)" in zone.json["data"]["content"]
    [schedule] = await bot.store.claim_due(NOW + timedelta(days=7), lease=timedelta(minutes=1), limit=5)
    assert schedule.due_at == FIRST_DIGEST - timedelta(hours=1)  # 19:00 in Paris is 18:00 UTC in January
    assert schedule.timezone == "Europe/Paris"

    off = await reply_to(
        fake, await fake.invoke_slash("groupadmin", subcommand="digest-off", member_permissions=ADMIN_PERMISSIONS)
    )
    assert "The weekly digest is off" in off.json["data"]["content"]


# --- the weekly digest -------------------------------------------------------------------------------


async def test_the_digest_posts_progress_changes_and_topics_once_a_week(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    ids = await members(fake, bot, 3, steps=1, named=1)
    await set_digest(fake, fake.channel)
    for question in ("how much does a cpc earn", "what does a cpc make", "what is medical coding"):
        await reply_to(fake, await fake.invoke_slash("ask", {"question": question}))
    await reply_to(
        fake, await fake.invoke_slash("ask", {"question": "what is medical coding"}, dm=True)
    )  # not the server's

    clock.set(FIRST_DIGEST)
    await settle(bot)
    [first] = posts(fake, fake.channel)
    assert_pings_nobody(first)
    assert "Weekly study-group digest" in first["content"]
    assert "**Step 1 · Education**: 3 of 3 done" in first["content"]
    assert f"<@{ids[0]}>" in first["content"] and f"<@{ids[1]}>" not in first["content"]
    assert "Nothing to compare with yet" in first["content"]
    topics = first["content"].split("this week")[-1]
    assert "(2 times)" in topics and "(1 time)" in topics
    assert "how much does a cpc earn" not in first["content"]  # counted by topic, never by question

    await settle(bot)  # nothing more this week
    assert len(posts(fake, fake.channel)) == 1

    await bot.store.set_step(ids[0], "step-certification", True)
    await bot.store.set_step(ids[1], "step-certification", True)
    clock.set(FIRST_DIGEST + timedelta(days=7))
    await settle(bot)
    second = posts(fake, fake.channel)[-1]
    assert len(posts(fake, fake.channel)) == 2
    assert "2 members finished Step 2 · Certification." in second["content"]
    assert "Nobody asked `/ask` in this server this week." in second["content"]


async def test_a_question_asked_just_after_a_digest_counts_in_the_next_one(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    """Counted by UTC day, the hours between a 19:00 digest and midnight fell in neither week."""
    await members(fake, bot, 3)
    await set_digest(fake, fake.channel)
    clock.set(FIRST_DIGEST)
    await settle(bot)
    clock.set(FIRST_DIGEST + timedelta(hours=2))  # 21:00 the same UTC day
    await reply_to(fake, await fake.invoke_slash("ask", {"question": "what does a cpc make"}))
    await settle(bot)  # the topic is noted once the reply is on its way
    clock.set(FIRST_DIGEST + timedelta(days=7))
    await settle(bot)
    _, second = posts(fake, fake.channel)
    assert "(1 time)" in second["content"].split("this week")[-1]


async def test_a_deleted_channel_stops_the_digest_and_the_next_admin_is_told(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock, caplog: Any
) -> None:
    channel = fake.add_text_channel(fake.guild, "digest")
    await fake.dispatch("CHANNEL_CREATE", channel)
    await set_digest(fake, channel)
    del fake.channels[int(channel["id"])]  # deleted on Discord's side

    clock.set(FIRST_DIGEST)
    await settle(bot)
    assert (await bot.store.guild_settings(gid(fake))).digest_on is False
    stopped = [r for r in caplog.records if "weekly digest of server" in r.getMessage()]
    assert len(stopped) == 1  # logged once
    clock.set(FIRST_DIGEST + timedelta(days=7))
    await settle(bot)
    assert len(fake.find_requests("POST", rf"/channels/{channel['id']}/messages")) == 1  # no retrying forever

    reply = await set_digest(fake, fake.channel)
    assert reply["data"]["content"].startswith(
        f"Note: the previous weekly digest had stopped because the channel <#{channel['id']}> no longer exists."
    )
    again = await set_digest(fake, fake.channel)
    assert not again["data"]["content"].startswith("Note:")  # told once


async def test_a_restart_posts_a_missed_digest_once(
    fake: FakeDiscord, engine: Engine, tmp_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(fake, tmp_path)
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as first:
        await members(fake, first, 3)
        await set_digest(fake, fake.channel)
    clock.set(FIRST_DIGEST + timedelta(hours=2))  # the bot was down at 19:00
    for _ in range(2):
        async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as again:
            await settle(again)
    assert len(posts(fake, fake.channel)) == 1


async def test_leaving_a_server_deletes_its_settings(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await members(fake, bot, 3)
    await set_digest(fake, fake.channel)
    await fake.dispatch("GUILD_DELETE", {"id": fake.guild["id"]})  # kicked: no "unavailable" flag
    for _ in range(100):
        if not (await bot.store.guild_settings(gid(fake))).digest_on:
            break
        await settle(bot, 0.05)
    assert (await bot.store.guild_settings(gid(fake))).digest_on is False
    assert (await bot.store.group_progress(gid(fake))).members == 0
    assert await bot.store.claim_due(NOW + timedelta(days=30), lease=timedelta(minutes=1), limit=5) == []


@pytest.mark.parametrize("members_intent", [True, False])
async def test_a_member_who_leaves_the_server_leaves_its_group_when_the_bot_hears_of_it(
    fake: FakeDiscord, engine: Engine, tmp_path: Path, clock: FakeClock, members_intent: bool
) -> None:
    """With the Server Members intent, GUILD_MEMBER_REMOVE takes the member out of the counts; without
    it Discord never sends the event (the fake filters by intents as Discord does), and they stay."""
    settings = make_settings(fake, tmp_path, members_intent=members_intent)
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as bot:
        leaver, *_ = await members(fake, bot, 4)
        await fake.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": fake.guild["id"], "user": fake.users[leaver]})
        expected = 3 if members_intent else 4
        for _ in range(100):
            if (await bot.store.group_progress(gid(fake))).members == expected:
                break
            await settle(bot, 0.05)
        await settle(bot, 0.1)  # long enough for an event that should not come
        assert (await bot.store.group_progress(gid(fake))).members == expected


async def test_two_processes_on_postgres_post_each_week_once(
    fake: FakeDiscord, engine: Engine, tmp_path: Path, clock: FakeClock, pg_dsn: str
) -> None:
    """Two bots sharing one PostgreSQL database, each with its own scheduler, as two processes would be."""
    settings = make_settings(fake, tmp_path, database_url=pg_dsn)
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as one:
        for n in range(3):
            user = int(fake.add_user(f"pg{n}")["id"])
            await one.store.set_step(user, "step-education", True)
            await one.store.join_group(gid(fake), user, show_name=False)
        await one.store.set_digest(
            gid(fake), int(fake.channel["id"]), 0, "19:00", first_due=FIRST_DIGEST, recurrence="weekly:0:19:00"
        )
        async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as two:
            for week in range(3):
                clock.set(FIRST_DIGEST + timedelta(days=7 * week, minutes=1))
                await settle(one)
                await settle(two)
                await settle(one)
                assert len(posts(fake, fake.channel)) == week + 1
    # And after both restart, the week already posted is not posted again.
    async with running_bot(create_bot(settings, engine, clock), fake, guild_ready_timeout=0.1) as three:
        await settle(three)
    assert len(posts(fake, fake.channel)) == 3


async def test_a_post_recorded_by_a_crashed_process_is_not_repeated(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    """A process that posted, then died before the scheduler recorded it: its lease runs out, another
    process claims the same occurrence, and the digest's own record stops a second post."""
    await members(fake, bot, 3)
    await set_digest(fake, fake.channel)
    assert await bot.store.claim_digest(gid(fake), FIRST_DIGEST, {"step-education": 3}) is not None  # the dead one's
    clock.set(FIRST_DIGEST)
    await settle(bot)
    assert posts(fake, fake.channel) == []
    clock.set(FIRST_DIGEST + timedelta(days=7))  # and the schedule moved on to the next week
    await settle(bot)
    assert len(posts(fake, fake.channel)) == 1


async def test_moving_the_schedule_does_not_post_twice_in_one_week(
    fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock
) -> None:
    await members(fake, bot, 3)
    await set_digest(fake, fake.channel)  # Mondays 19:00
    clock.set(FIRST_DIGEST)
    await settle(bot)
    assert len(posts(fake, fake.channel)) == 1
    await set_digest(fake, fake.channel, weekday=1, time="08:00")  # now Tuesdays: tomorrow is too soon
    clock.set(FIRST_DIGEST + timedelta(hours=14))
    await settle(bot)
    assert len(posts(fake, fake.channel)) == 1
    clock.set(FIRST_DIGEST + timedelta(days=7, hours=14))  # the Tuesday after: a week has passed
    await settle(bot)
    assert len(posts(fake, fake.channel)) == 2


async def test_a_failed_post_is_retried_and_posted_once(fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock) -> None:
    await members(fake, bot, 3)
    await set_digest(fake, fake.channel)
    fake.fail_next("POST", rf"/channels/{fake.channel['id']}/messages", 503)  # discord.py does not retry a 503
    clock.set(FIRST_DIGEST)
    await settle(bot)
    assert (await bot.store.guild_settings(gid(fake))).digest_on  # a passing outage doesn't stop it
    attempts = fake.find_requests("POST", rf"/channels/{fake.channel['id']}/messages")
    assert [r.status for r in attempts] == [503]
    clock.advance(timedelta(minutes=1))  # past the scheduler's first retry delay
    await settle(bot)
    attempts = fake.find_requests("POST", rf"/channels/{fake.channel['id']}/messages")
    assert [r.status for r in attempts] == [503, 200]
    assert attempts[0].json["nonce"] == attempts[1].json["nonce"]  # Discord drops a repeat of a post that went through
    clock.advance(timedelta(hours=1))
    await settle(bot)
    assert len(fake.find_requests("POST", rf"/channels/{fake.channel['id']}/messages")) == 2


async def test_a_lost_permission_stops_the_digest(fake: FakeDiscord, bot: MedcoderBot, clock: FakeClock) -> None:
    await members(fake, bot, 3)
    await set_digest(fake, fake.channel)
    fake.fail_next("POST", rf"/channels/{fake.channel['id']}/messages", 403)  # Missing Permissions
    clock.set(FIRST_DIGEST)
    await settle(bot)
    assert (await bot.store.guild_settings(gid(fake))).digest_on is False
    reply = await set_digest(fake, fake.channel)
    assert reply["data"]["content"].startswith(
        f"Note: the previous weekly digest had stopped because I can no longer post in <#{fake.channel['id']}>"
    )


async def test_a_channel_the_bot_cannot_attach_files_in_is_refused(fake: FakeDiscord, bot: MedcoderBot) -> None:
    channel = fake.add_text_channel(fake.guild, "no-files")
    everyone = fake.guild["id"]  # the @everyone role has the server's id
    channel["permission_overwrites"] = [{"id": everyone, "type": 0, "allow": "0", "deny": str(payloads.ATTACH_FILES)}]
    await fake.dispatch("CHANNEL_CREATE", channel)
    reply = await set_digest(fake, channel)
    assert is_ephemeral(reply["data"])
    assert "give me View Channel, Send Messages and Attach Files" in reply["data"]["content"]
    assert (await bot.store.guild_settings(gid(fake))).digest_on is False
