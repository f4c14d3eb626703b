"""Buttons are sent from finished views: presses must still work, routed by custom id alone."""

from __future__ import annotations

import pytest

from bot.app import MedcoderBot
from tests.discord.helpers import components, reply_to
from tests.fakediscord import FakeDiscord


@pytest.mark.lexical
async def test_buttons_sent_without_a_kept_view_still_work(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": "coder courses"}))
    button = components(reply.json["data"])[0]
    clicked = await reply_to(fake, await fake.click(fake.last_bot_message(), button["custom_id"]))
    assert clicked.json["type"] == 7  # the asker's choice replaced the suggestions in place
    assert "**" in clicked.json["data"]["content"]


async def test_checklist_buttons_from_a_finished_view_toggle_the_step(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("checklist", {}, subcommand="show"))
    first = components(reply.json["data"])[0]
    await reply_to(fake, await fake.click(fake.last_bot_message(), first["custom_id"]))
    assert await medcoder.store.checklist(int(fake.user["id"]))
