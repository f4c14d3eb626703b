"""Nobody is pinged by anything the bot sends, echoed text is escaped, and replies fit Discord's limits."""

from __future__ import annotations

import re

import pytest

from tests.discord.helpers import assert_pings_nobody, dm_messages_path, message_bodies, reply_to
from tests.fakediscord import FakeDiscord, payloads, wait_for_handlers


def mention_bomb(fake: FakeDiscord) -> tuple[str, list[str]]:
    """A question full of mentions, and the raw mention strings that must not reach Discord unescaped."""
    role_id = payloads.next_id()
    user_id = fake.user["id"]
    raw = ["@everyone", "@here", f"<@&{role_id}>", f"<@{user_id}>", f"<@!{user_id}>"]
    return " ".join([*raw, "cpc pay **now** @everyone"]), raw


@pytest.mark.lexical
async def test_a_question_full_of_mentions_pings_nobody(fake: FakeDiscord, medcoder: object) -> None:
    question, raw = mention_bomb(fake)
    public = await reply_to(fake, await fake.invoke_slash("ask", {"question": question}))
    await reply_to(fake, await fake.invoke_slash("ask", {"question": question, "private": True}))
    await reply_to(fake, await fake.invoke_slash("ask", {"question": question}, dm=True))
    await fake.send_dm(question)
    await fake.wait_for_request("POST", dm_messages_path(fake))
    # and the component paths: a did-you-mean click and a step choice (asked in a channel of its own, so the
    # member's earlier questions there are no context for it)
    elsewhere = fake.add_text_channel(fake.guild, "elsewhere")
    mentions = f"{raw[0]} {raw[2]} coder courses"
    await reply_to(fake, await fake.invoke_slash("ask", {"question": mentions}, channel=elsewhere))
    await reply_to(fake, await fake.click(fake.last_bot_message(elsewhere), "medcoder:ask:where-to-study"))
    await reply_to(fake, await fake.invoke_slash("steps"))
    await reply_to(fake, await fake.select(fake.last_bot_message(), "medcoder:steps", ["step-education"]))
    await wait_for_handlers()

    bodies = message_bodies(fake)
    assert len(bodies) == 8
    for body in bodies:
        assert_pings_nobody(body)
        for mention in raw:
            assert mention not in body.get("content", ""), (mention, body["content"])

    quoted = public.json["data"]["content"].splitlines()[0]
    assert quoted.startswith("> **Question:** ")
    assert "@\u200beveryone" in quoted and "@\u200bhere" in quoted
    assert "\\*\\*now\\*\\*" in quoted  # markdown is escaped too
    assert "$54,590" in public.json["data"]["content"]  # and the question is still answered


async def test_a_long_multiline_question_is_quoted_on_one_line_within_the_limit(
    fake: FakeDiscord, medcoder: object
) -> None:
    question = "cpc pay\n# heading\n> fake quote\n" + "word " * 790
    reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": question[:4000]}))
    content = reply.json["data"]["content"]
    assert len(content) <= 2000
    first, *rest = content.split("\n")
    assert first.startswith("> **Question:** cpc pay # heading > fake quote word")  # one line: inert
    assert first.endswith("…")
    assert not any(re.match(r"#|> ", line) for line in rest)


async def test_an_option_value_echoed_in_an_error_is_escaped(fake: FakeDiscord, medcoder: object) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("salary", {"view": "@everyone **all**"}))
    body = reply.json["data"]
    assert_pings_nobody(body)
    assert body["content"] == "I couldn't use “@\u200beveryone \\*\\*all\\*\\*” for that option."
