"""Plain direct messages: answered by the engine in the DM channel, bots ignored, a per-user limit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from bot.core.conversation import Conversations
from bot.exts.answers.dm import SLOW_DOWN
from bot.utils.ratelimit import SlidingWindowLimiter
from tests.discord.helpers import components, dm_messages_path, make_settings, reply_to
from tests.fakediscord import FakeDiscord, payloads, wait_for_handlers


@pytest.mark.usefixtures("medcoder")
async def test_a_dm_is_answered_in_the_dm_channel_without_a_prefix(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    sent = await fake.send_dm("how much does a CPC make")
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert request.status == 200
    assert request.match.group(0).split("/")[2] == sent["channel_id"]
    assert "$54,590" in request.json["content"]
    assert "Question:" not in request.json["content"]  # a DM needs no quote of what was just asked
    assert not any("CPC make" in record.getMessage() for record in caplog.records)  # DM text is never logged


@pytest.mark.lexical
@pytest.mark.usefixtures("medcoder")
async def test_did_you_mean_in_a_dm_is_answered_in_place(fake: FakeDiscord) -> None:
    await fake.send_dm("coder courses")
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert "Did you mean" in request.json["content"]
    assert [b["custom_id"] for b in components(request.json)][:1] == ["medcoder:ask:coursework"]

    message = fake.last_bot_message(fake.dm_channel_for(None))
    clicked = await reply_to(fake, await fake.click(message, "medcoder:ask:where-to-study"))
    assert clicked.json["type"] == payloads.UPDATE_MESSAGE
    assert clicked.json["data"]["content"].startswith("**Where to study medical coding**")
    assert [b["custom_id"] for b in components(clicked.json["data"])] == [  # the answer's vote buttons
        "medcoder:vote:where-to-study:1",
        "medcoder:vote:where-to-study:0",
    ]


@pytest.mark.usefixtures("medcoder")
@pytest.mark.parametrize("author", ["another bot", "itself"])
async def test_messages_from_bots_and_from_itself_are_ignored(fake: FakeDiscord, author: str) -> None:
    if author == "itself":
        # Its own message in alice's DM, without the bot flag, so only the "not itself" check stops it.
        me = {**fake.bot_user, "bot": False}
        await fake.dispatch("MESSAGE_CREATE", payloads.dm_message(fake.dm_channel_for(None)["id"], me, "cpc pay"))
    else:
        await fake.send_dm("cpc pay", author_bot=True)
    # A human's message after it: once that is answered, the earlier one has been seen and skipped.
    bob = fake.add_user("bob")
    await fake.send_dm("cpc pay", user=bob)
    await fake.wait_for_request("POST", dm_messages_path(fake, bob))
    await wait_for_handlers()
    assert len(fake.find_requests("POST", r"/channels/\d+/messages")) == 1


@pytest.mark.usefixtures("medcoder")
async def test_rate_limit_answers_five_notes_the_sixth_once_then_stays_quiet(fake: FakeDiscord) -> None:
    for _ in range(7):
        await fake.send_dm("cpc pay")
    bob = fake.add_user("bob")
    await fake.send_dm("cpc pay", user=bob)  # the limit is per member: bob is still answered
    await fake.wait_for_request("POST", dm_messages_path(fake, bob))
    await wait_for_handlers()

    sent = [r.json["content"] for r in fake.find_requests("POST", dm_messages_path(fake))]
    assert len(sent) == 6
    assert sum("$54,590" in content for content in sent) == 5
    assert sent.count(SLOW_DOWN) == 1
    assert all(r.status == 200 for r in fake.requests)


@pytest.mark.usefixtures("medcoder")
async def test_owner_sync_in_dm(fake: FakeDiscord) -> None:
    owner = fake.application["owner"]
    mention = f"<@{fake.bot_user['id']}>"
    await fake.send_dm(f"{mention} sync", user=owner)
    reply = await fake.wait_for_request("POST", dm_messages_path(fake, owner))
    names = sorted(c["name"] for c in fake.global_commands)
    assert {"ask", "help", "salary", "steps"} <= set(names)
    listed = ", ".join(f"/{name}" for name in names)
    assert reply.json["content"] == f"Synced {len(names)} commands globally: {listed}."

    guild_id = int(fake.guild["id"])
    await fake.send_dm(f"{mention} sync {guild_id}", user=owner)
    reply = await fake.wait_for_request("POST", dm_messages_path(fake, owner))
    assert reply.json["content"] == f"Synced {len(names)} commands to guild {guild_id}: {listed}."
    assert sorted(c["name"] for c in fake.guild_commands[guild_id]) == names

    await fake.send_dm(f"{mention} sync nonsense", user=owner)
    reply = await fake.wait_for_request("POST", dm_messages_path(fake, owner))
    assert reply.json["content"].startswith("Expected `global` or a guild id")


@pytest.mark.usefixtures("medcoder")
async def test_sync_from_anyone_else_is_ignored(fake: FakeDiscord) -> None:
    await fake.send_dm(f"<@{fake.bot_user['id']}> sync")  # alice is not the owner
    await fake.send_dm("cpc pay")
    answer = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert "$54,590" in answer.json["content"]
    await wait_for_handlers()
    assert fake.find_requests("PUT") == []
    assert len(fake.find_requests("POST", r"/channels/\d+/messages")) == 1


async def test_owners_from_settings_may_sync_and_a_refused_sync_is_reported(
    fake: FakeDiscord, run_bot: Callable[..., Any], engine: Engine, tmp_path: Path
) -> None:
    alice = int(fake.user["id"])
    await run_bot(create_bot(make_settings(fake, tmp_path, owner_ids={alice}), engine), guild_ready_timeout=0.1)
    fake.fail_next("PUT", r"/applications/\d+/commands", 400)
    await fake.send_dm(f"<@{fake.bot_user['id']}> sync global")
    reply = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert reply.json["content"] == "Sync failed (400): Invalid Form Body"


async def test_rate_limit_lets_a_member_ask_again_once_the_window_has_room(
    fake: FakeDiscord, medcoder: MedcoderBot
) -> None:
    now = [1000.0]
    cog = medcoder.get_cog("DirectMessages")
    cog.limiter = SlidingWindowLimiter(cog.limiter.rate, cog.limiter.per, clock=lambda: now[0])
    path = dm_messages_path(fake)
    for _ in range(6):
        await fake.send_dm("cpc pay")
    for _ in range(6):
        await fake.wait_for_request("POST", path)
    now[0] += 10.0  # the answered messages are now 10 s old: the window is empty again
    await fake.send_dm("cpc pay")
    assert "$54,590" in (await fake.wait_for_request("POST", path)).json["content"]
    for _ in range(6):  # 4 more answers fill the window; then one new note (told once per episode), then quiet
        await fake.send_dm("cpc pay")
    bob = fake.add_user("bob")
    await fake.send_dm("cpc pay", user=bob)
    await fake.wait_for_request("POST", dm_messages_path(fake, bob))
    await wait_for_handlers()
    sent = [r.json["content"] for r in fake.find_requests("POST", path)]
    assert [content == SLOW_DOWN for content in sent].count(True) == 2
    assert len(sent) == 12


@pytest.mark.usefixtures("medcoder")
async def test_small_talk_in_a_dm_gets_a_friendly_reply_without_buttons(fake: FakeDiscord) -> None:
    await fake.send_dm("hi there 👋")
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert request.json["content"].startswith("Hi!") and "don't know" not in request.json["content"]
    assert components(request.json) == []  # nothing to vote on or pick


@pytest.mark.usefixtures("medcoder")
async def test_a_two_part_dm_gets_both_answers_in_one_message(fake: FakeDiscord) -> None:
    await fake.send_dm("what does a CCS earn? and what does AAPC stand for?")
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    content = request.json["content"]
    assert "$60,080" in content and "American Academy of Professional Coders" in content
    assert len(content) <= 1000 and request.json["allowed_mentions"] == {"parse": []}


@pytest.mark.usefixtures("medcoder")
async def test_billing_and_coding_in_a_dm_says_billing_is_not_covered(fake: FakeDiscord) -> None:
    await fake.send_dm("what's the median pay for medical billing and coding?")
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert "$44,090" in request.json["content"]
    assert (
        "-# Codes are used for billing, but the article does not cover medical billing as a job."
        in request.json["content"]
    )


async def test_a_dm_follow_up_uses_the_same_members_previous_question(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    alice, bob = fake.user, fake.add_user("bob")
    await fake.send_dm("what does a CPC earn?", user=alice)
    await fake.wait_for_request("POST", dm_messages_path(fake, alice))
    await fake.send_dm("and the CCS?", user=alice)
    followed = await fake.wait_for_request("POST", dm_messages_path(fake, alice))
    assert "Average salary by coding position" in followed.json["content"]  # CCS pay, from alice's context
    await fake.send_dm("and the CCS?", user=bob)  # bob asked nothing before: no context borrowed from alice
    fresh = await fake.wait_for_request("POST", dm_messages_path(fake, bob))
    assert "Average salary by coding position" not in fresh.json["content"]
    assert medcoder.conversations.previous(int(alice["id"]))  # kept in memory for the follow-up window


async def test_a_follow_up_after_ten_minutes_is_a_new_question(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    now = [0.0]
    medcoder.conversations = Conversations(clock=lambda: now[0])  # a clock moved by hand
    await fake.send_dm("what does a CPC earn?")
    await fake.wait_for_request("POST", dm_messages_path(fake))
    now[0] = 601.0
    await fake.send_dm("and the CCS?")
    later = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert "Average salary by coding position" not in later.json["content"]
