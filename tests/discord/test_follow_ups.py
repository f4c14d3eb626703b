"""Follow-ups through the real discord.py paths: one of each kind in DMs, `/ask` per member and channel,
expiry after ten minutes, and answers before the semantic models have loaded."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from bot.core.conversation import Conversations
from tests.discord.helpers import dm_messages_path, make_settings, reply_to
from tests.fakediscord import FakeDiscord


async def converse(fake: FakeDiscord, *messages: str, user: Any = None) -> str:
    """Send the messages as DMs, one after the other's reply; the last reply's text."""
    content = ""
    for message in messages:
        await fake.send_dm(message, user=user)
        content = (await fake.wait_for_request("POST", dm_messages_path(fake, user))).json["content"]
    return content


@pytest.mark.usefixtures("medcoder")
@pytest.mark.parametrize(
    ("messages", "shown", "not_shown"),
    [
        pytest.param(("tell me about step 3", "what comes next?"), "Step 4", "Step 3", id="ordinal"),
        pytest.param(("what is the CCS?", "what's their average pay?"), "$60,080", None, id="pronoun"),
        pytest.param(("what does a CPC earn?", "and the CCS?"), "$60,080", None, id="ellipsis"),
        pytest.param(
            ("average salary by coding position", "which pays the least?"),
            "lowest is **Medical Records",
            None,
            id="compare",
        ),
        pytest.param(
            ("what is the median salary for coders?", "where is that number from?"),
            "Bureau of Labor Statistics",
            None,
            id="deeper-source",
        ),
        pytest.param(
            ("which states pay coders the most?", "which state pays the worst?"),
            "no figures",
            "Connecticut",
            id="dead-end",
        ),
        pytest.param(
            ("what does a CPC earn?", "what are the steps to become a coder?"),
            "Steps to Becoming a Coder",
            "$54,590",
            id="switch",
        ),
        pytest.param(("cpc salary", "thanks!"), "welcome", "$54,590", id="small-talk"),
    ],
)
async def test_a_dm_follow_up_reads_what_was_just_shown(
    fake: FakeDiscord, messages: tuple[str, ...], shown: str, not_shown: str | None
) -> None:
    content = await converse(fake, *messages)
    assert shown in content, content
    if not_shown is not None:
        assert not_shown not in content, content


async def test_an_ask_follow_up_belongs_to_the_member_and_the_channel(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    other = fake.add_text_channel(fake.guild, "study-hall")

    async def ask(question: str, **where: Any) -> str:
        reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": question}, **where))
        return str(reply.json["data"]["content"])

    await ask("what does a CPC earn?")
    assert "$60,080" in await ask("and the CCS?")  # the same member, the same channel
    elsewhere = await ask("and the CCS?", channel=other)  # another channel: a conversation of its own
    assert "Average salary by coding position" not in elsewhere
    bob = fake.add_user("bob")
    assert "Average salary by coding position" not in await ask("and the CCS?", user=bob)


async def test_an_ask_follow_up_after_ten_minutes_is_a_new_question(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    now = [0.0]
    medcoder.conversations = Conversations(clock=lambda: now[0])
    first = await reply_to(fake, await fake.invoke_slash("ask", {"question": "tell me about step 3"}))
    assert "Step 3" in first.json["data"]["content"]
    now[0] = 601.0
    later = await reply_to(fake, await fake.invoke_slash("ask", {"question": "what comes next?"}))
    assert "Step 4" not in later.json["data"]["content"]


async def test_mydata_delete_forgets_every_conversation_of_the_member(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    member = int(fake.user["id"])
    await converse(fake, "what does a CPC earn?")
    await reply_to(fake, await fake.invoke_slash("ask", {"question": "what does a CPC earn?"}))
    assert medcoder.conversations.previous(member) is not None
    medcoder.conversations.forget_member(member)
    assert medcoder.conversations.previous(member) is None
    assert len(medcoder.conversations) == 0


async def test_questions_are_answered_before_the_models_load_and_read_after(
    fake: FakeDiscord, run_bot: Any, engine: Engine, tmp_path: Path
) -> None:
    lexical = Engine(engine.kb)  # no reader attached: the bot loads one in the background
    assert engine.reading is not None
    release = threading.Event()

    def slow_load() -> Any:
        release.wait(10)
        return engine.reading

    lexical.load_reading = slow_load  # type: ignore[method-assign]
    bot = await run_bot(create_bot(make_settings(fake, tmp_path), lexical), guild_ready_timeout=0.1)
    assert bot.engine.reading is None  # ready, and the models still loading
    early = await converse(fake, "what does a CPC earn?")
    assert "$54,590" in early  # answered meanwhile, by the lexical matcher
    release.set()
    for _ in range(100):
        if bot.engine.reading is not None:
            break
        await asyncio.sleep(0.05)
    assert bot.engine.reading is engine.reading
    assert "$54,590" in await converse(fake, "what does a CPC earn?")
