"""Issue 6 through the fake Discord: vote buttons under answers, and counting unanswered questions.

Votes: one per member and answer entry (a re-vote replaces it), stored with the presser's id and the
entry id only. Unanswered questions: counted by cleaned text, never with a member id, capped, and
not at all when `MEDCODER_RECORD_UNANSWERED` is off.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from bot.exts.answers.feedback import NOTED, OUTDATED, REPLACED
from tests.clock import FakeClock
from tests.discord.helpers import components, dm_messages_path, is_ephemeral, make_settings, reply_to
from tests.fakediscord import FakeDiscord, payloads, wait_for_handlers

HELPFUL, NOT_HELPFUL = "medcoder:vote:salary-by-position:1", "medcoder:vote:salary-by-position:0"

RunBot = Callable[..., Awaitable[Any]]


async def start(fake: FakeDiscord, run_bot: RunBot, engine: Engine, tmp_path: Path, **settings: Any) -> MedcoderBot:
    """The bot answering lexically: votes and counts are about reply kinds, and its "did you mean" for
    "coder courses" is fixed whatever the models decide."""
    clock = FakeClock()
    bot: MedcoderBot = await run_bot(
        create_bot(make_settings(fake, tmp_path, reader=False, **settings), engine, clock), guild_ready_timeout=0.1
    )
    return bot


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, run_bot: RunBot, lexical: Engine, tmp_path: Path) -> MedcoderBot:
    return await start(fake, run_bot, lexical, tmp_path)


async def written(bot: MedcoderBot) -> None:
    """Write the counts the bot holds in memory (it writes them behind, every few seconds)."""
    assert bot.unanswered is not None
    await bot.unanswered.flush()


def rows(bot: MedcoderBot, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(bot.settings.db) as raw:
        return raw.execute(sql).fetchall()


async def ask(fake: FakeDiscord, question: str) -> dict[str, Any]:
    reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": question}))
    await wait_for_handlers()  # the command counts an unanswered question after replying
    data: dict[str, Any] = reply.json["data"]
    return data


# --- Vote buttons ---------------------------------------------------------------------------


async def test_an_answer_carries_helpful_and_not_helpful_buttons(fake: FakeDiscord, bot: MedcoderBot) -> None:
    body = await ask(fake, "cpc pay")
    buttons = components(body)
    assert [(b["type"], b["custom_id"], b["label"], b.get("emoji")) for b in buttons] == [
        (payloads.BUTTON, HELPFUL, "👍 Helpful", None),
        (payloads.BUTTON, NOT_HELPFUL, "👎 Not helpful", None),
    ]


async def test_fallbacks_and_suggestions_carry_no_vote_buttons(fake: FakeDiscord, bot: MedcoderBot) -> None:
    fallback = await ask(fake, "how much do nurses make")
    assert components(fallback) == []
    suggestion = await ask(fake, "coder courses")
    ids = [b["custom_id"] for b in components(suggestion)]
    assert ids and all(i.startswith("medcoder:ask:") for i in ids)


async def test_one_vote_per_member_and_entry_replaced_on_revote(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "cpc pay")
    message = fake.last_bot_message()
    before = fake.get_message(message["id"])["content"]
    alice = int(fake.user["id"])

    voted = await reply_to(fake, await fake.click(message, HELPFUL))
    assert voted.json["type"] == payloads.CHANNEL_MESSAGE  # a new private message: the answer is not edited
    assert is_ephemeral(voted.json["data"]) and voted.json["data"]["content"] == NOTED
    assert await bot.store.vote_counts() == {"salary-by-position": (1, 0)}

    again = await reply_to(fake, await fake.click(message, NOT_HELPFUL))
    assert is_ephemeral(again.json["data"]) and again.json["data"]["content"] == REPLACED
    assert await bot.store.vote_counts() == {"salary-by-position": (0, 1)}
    assert rows(bot, "SELECT user_id, entry_id, helpful FROM feedback") == [(alice, "salary-by-position", 0)]
    assert fake.get_message(message["id"])["content"] == before
    assert not any(r.method == "PATCH" for r in fake.requests)


async def test_two_members_votes_both_count(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "cpc pay")
    message = fake.last_bot_message()
    bob = fake.add_user("bob")
    mine = await reply_to(fake, await fake.click(message, HELPFUL))
    his = await reply_to(fake, await fake.click(message, HELPFUL, user=bob))
    assert mine.json["data"]["content"] == his.json["data"]["content"] == NOTED
    assert await bot.store.vote_counts() == {"salary-by-position": (2, 0)}
    assert sorted(r[0] for r in rows(bot, "SELECT user_id FROM feedback")) == sorted(
        [int(fake.user["id"]), int(bob["id"])]
    )


async def test_a_vote_stores_no_question_text(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "how much does a CPC make")
    await reply_to(fake, await fake.click(fake.last_bot_message(), HELPFUL))
    columns = [c[1] for c in rows(bot, "PRAGMA table_info(feedback)")]
    assert columns == ["user_id", "entry_id", "helpful", "voted_at"]
    stored = rows(bot, "SELECT * FROM feedback")
    assert len(stored) == 1 and not any("cpc" in str(value).casefold() for value in stored[0])
    assert rows(bot, "SELECT COUNT(*) FROM unanswered") == [(0,)]  # an answer is not a gap


async def test_a_vote_on_a_removed_entry_is_refused(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "cpc pay")
    message = fake.last_bot_message()
    message["components"][0]["components"][0]["custom_id"] = "medcoder:vote:no-such-entry:1"
    refused = await reply_to(fake, await fake.click(message, "medcoder:vote:no-such-entry:1"))
    assert is_ephemeral(refused.json["data"]) and refused.json["data"]["content"] == OUTDATED
    assert await bot.store.vote_counts() == {}


async def test_dm_answers_carry_vote_buttons_too(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await fake.send_dm("how much does a CPC make")
    sent = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert [b["custom_id"] for b in components(sent.json)] == [HELPFUL, NOT_HELPFUL]
    message = fake.last_bot_message(fake.dm_channel_for(None))
    voted = await reply_to(fake, await fake.click(message, NOT_HELPFUL))
    assert is_ephemeral(voted.json["data"]) and voted.json["data"]["content"] == NOTED
    assert await bot.store.vote_counts() == {"salary-by-position": (0, 1)}


async def test_an_answer_chosen_from_suggestions_can_be_voted_on(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "coder courses")
    message = fake.last_bot_message()
    await reply_to(fake, await fake.click(message, "medcoder:ask:where-to-study"))
    answered = fake.get_message(message["id"])
    assert [b["custom_id"] for b in components(answered)] == [
        "medcoder:vote:where-to-study:1",
        "medcoder:vote:where-to-study:0",
    ]
    voted = await reply_to(fake, await fake.click(answered, "medcoder:vote:where-to-study:1"))
    assert voted.json["data"]["content"] == NOTED
    assert await bot.store.vote_counts() == {"where-to-study": (1, 0)}


# --- Unanswered questions -------------------------------------------------------------------


async def test_fallbacks_and_suggestions_are_counted_by_cleaned_text(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "How much do NURSES make??")
    await ask(fake, "how much do nurses make??")
    await ask(fake, "coder courses")  # a "did you mean" is not an answer either
    await ask(fake, "what is cpt")  # answered: not counted
    await fake.send_dm("coder   courses")
    await fake.wait_for_request("POST", dm_messages_path(fake))
    await wait_for_handlers()
    await written(bot)
    assert sorted(await bot.store.unanswered_top(10)) == [("coder courses", 2), ("how much do nurses make??", 2)]


async def test_unanswered_rows_hold_no_member_id(fake: FakeDiscord, bot: MedcoderBot) -> None:
    alice = fake.user["id"]
    await ask(fake, "pizza recipe")
    await fake.send_dm("tell me a joke")
    await fake.wait_for_request("POST", dm_messages_path(fake))
    await wait_for_handlers()
    await written(bot)
    assert [c[1] for c in rows(bot, "PRAGMA table_info(unanswered)")] == ["text", "count", "first_seen", "last_seen"]
    stored = rows(bot, "SELECT * FROM unanswered ORDER BY text")
    assert [(r[0], r[1]) for r in stored] == [("pizza recipe", 1), ("tell me a joke", 1)]
    assert not any(str(alice) in str(value) for row in stored for value in row)
    assert rows(bot, "SELECT COUNT(*) FROM members") == [(0,)]


async def test_long_questions_are_shortened_and_invalid_ones_ignored(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "pizza " * 100)
    await ask(fake, "🙂")
    await written(bot)
    [(text, count)] = await bot.store.unanswered_top(10)
    assert len(text) <= 200 and text.startswith("pizza pizza") and count == 1


async def test_unanswered_keeps_at_most_the_cap(
    fake: FakeDiscord, run_bot: RunBot, lexical: Engine, tmp_path: Path
) -> None:
    bot = await start(fake, run_bot, lexical, tmp_path, unanswered_cap=2)
    clock = bot.clock
    assert isinstance(clock, FakeClock)
    for question in ("pizza recipe", "tell me a joke", "pizza recipe", "what is the weather"):
        await ask(fake, question)
        clock.advance(10)
    await written(bot)
    # "tell me a joke" was the least recently asked when a third text arrived.
    assert await bot.store.unanswered_top(10) == [("pizza recipe", 2), ("what is the weather", 1)]
    assert rows(bot, "SELECT COUNT(*) FROM unanswered") == [(2,)]


async def test_setting_off_stores_nothing(fake: FakeDiscord, run_bot: RunBot, lexical: Engine, tmp_path: Path) -> None:
    bot = await start(fake, run_bot, lexical, tmp_path, record_unanswered=False)
    assert bot.unanswered is None
    await ask(fake, "pizza recipe")
    await ask(fake, "coder courses")
    await fake.send_dm("tell me a joke")
    await fake.wait_for_request("POST", dm_messages_path(fake))
    await wait_for_handlers()
    assert rows(bot, "SELECT COUNT(*) FROM unanswered") == [(0,)]
    # Votes are a member's own choice and still work.
    await ask(fake, "cpc pay")
    voted = await reply_to(fake, await fake.click(fake.last_bot_message(), HELPFUL))
    assert voted.json["data"]["content"] == NOTED


async def test_counts_held_in_memory_are_written_when_the_bot_closes(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await ask(fake, "pizza recipe")
    await ask(fake, "pizza recipe")
    assert rows(bot, "SELECT COUNT(*) FROM unanswered") == [(0,)]  # not yet: written behind
    await bot.close()
    assert rows(bot, "SELECT text, count FROM unanswered") == [("pizza recipe", 2)]
