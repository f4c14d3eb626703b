"""`/mydata export|delete` end to end: a member's own data out as JSON, or erased, and no one else's."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from tests.clock import FakeClock
from tests.discord.helpers import components, is_ephemeral, make_settings, reply_to
from tests.fakediscord import FakeDiscord, payloads, running_bot

NOW = FakeClock().now()


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, run_bot: Callable[..., Awaitable[Any]], engine: Engine, tmp_path: Path) -> MedcoderBot:
    return await run_bot(create_bot(make_settings(fake, tmp_path), engine, FakeClock()), guild_ready_timeout=0.1)


async def fill(bot: MedcoderBot, user_id: int, *, zone: str, note: str) -> None:
    """A member with two done steps, a timezone and one reminder far in the future (never delivered here)."""
    await bot.store.set_step(user_id, "step-education", True)
    await bot.store.set_step(user_id, "step-certification", True)
    await bot.store.set_timezone(user_id, zone)
    await bot.store.add_reminder(user_id, note, NOW + timedelta(days=30), timezone=zone)


async def run(fake: FakeDiscord, subcommand: str, **kwargs: Any) -> dict[str, Any]:
    reply = await reply_to(fake, await fake.invoke_slash("mydata", subcommand=subcommand, **kwargs))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    return reply.json


async def test_export_is_a_private_json_file_of_the_members_data_only(fake: FakeDiscord, bot: MedcoderBot) -> None:
    alice, bob = int(fake.user["id"]), int(fake.add_user("bob")["id"])
    await fill(bot, alice, zone="Europe/Paris", note="Revise E/M codes café")
    await fill(bot, bob, zone="America/Chicago", note="bob's secret note")

    interaction = await fake.invoke_slash("mydata", subcommand="export")
    callback = await fake.wait_for_callback(interaction)
    assert callback.status < 300
    body = callback.json["data"]
    assert is_ephemeral(body)
    assert body["content"] == (
        "Everything I store about you: your checklist (2 done steps), 1 reminder and your timezone (Europe/Paris)."
        " Only you can see this file."
    )
    (upload,) = callback.files
    assert upload.filename == f"medcoder-data-{alice}.json"
    text = upload.data.decode("utf-8")
    assert "café" in text and text.startswith("{\n  ")  # pretty-printed, UTF-8 rather than \u escapes
    data = json.loads(text)
    assert data["user_id"] == alice and data["timezone"] == "Europe/Paris"
    assert [item["step_id"] for item in data["checklist"]] == ["step-certification", "step-education"]
    assert [r["note"] for r in data["reminders"]] == ["Revise E/M codes café"]
    assert str(bob) not in text and "bob's secret" not in text and "Chicago" not in text
    message = fake.get_message(fake.interactions[int(interaction["id"])].original_id)
    assert [a["filename"] for a in message["attachments"]] == [f"medcoder-data-{alice}.json"]


async def test_export_with_nothing_stored(fake: FakeDiscord, bot: MedcoderBot) -> None:
    reply = await run(fake, "export", dm=True)
    assert is_ephemeral(reply["data"]) and reply["data"]["content"] == "I don't store anything about you."


async def test_delete_asks_first_then_deletes_only_the_members_data(fake: FakeDiscord, bot: MedcoderBot) -> None:
    alice, bob = int(fake.user["id"]), int(fake.add_user("bob")["id"])
    await fill(bot, alice, zone="Europe/Paris", note="mine")
    await fill(bot, bob, zone="America/Chicago", note="bob's")
    bob_before = await bot.store.export_member(bob)

    asked = (await run(fake, "delete"))["data"]
    assert is_ephemeral(asked)
    assert asked["content"] == (
        "Delete everything I store about you? That is your checklist (2 done steps), 1 reminder"
        " and your timezone (Europe/Paris). This can't be undone."
    )
    confirm, cancel = f"medcoder:mydata-delete:{alice}:confirm", f"medcoder:mydata-delete:{alice}:cancel"
    assert [c["custom_id"] for c in components(asked)] == [confirm, cancel]
    message = fake.last_bot_message()

    refused = await reply_to(fake, await fake.click(message, confirm, user=bob))
    assert is_ephemeral(refused.json["data"])
    assert refused.json["data"]["content"].startswith("This request belongs to someone else")
    assert (await bot.store.export_member(alice))["timezone"] == "Europe/Paris"

    deleted = await reply_to(fake, await fake.click(message, confirm))
    assert deleted.json["type"] == payloads.UPDATE_MESSAGE
    assert deleted.json["data"]["content"] == (
        "Deleted everything I stored about you: your checklist (2 done steps), 1 reminder"
        " and your timezone (Europe/Paris)."
    )
    assert components(deleted.json["data"]) == []
    assert await bot.store.export_member(alice) == {
        "user_id": alice,
        "timezone": None,
        "notice_pending": False,
        "checklist": [],
        "reminders": [],
        "votes": [],
        "study_groups": [],
    }
    assert await bot.store.list_reminders(alice) == []
    assert await bot.store.export_member(bob) == bob_before

    again = await run(fake, "delete")
    assert again["data"]["content"] == "I don't store anything about you." and components(again["data"]) == []


async def test_cancel_deletes_nothing(fake: FakeDiscord, bot: MedcoderBot) -> None:
    alice = int(fake.user["id"])
    await fill(bot, alice, zone="UTC", note="keep")
    before = await bot.store.export_member(alice)
    await run(fake, "delete", dm=True)
    kept = await reply_to(fake, await fake.click(fake.last_bot_message(), f"medcoder:mydata-delete:{alice}:cancel"))
    assert kept.json["type"] == payloads.UPDATE_MESSAGE and kept.json["data"]["content"] == "Nothing was deleted."
    assert await bot.store.export_member(alice) == before


async def test_the_delete_confirmation_works_after_a_restart(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    alice = int(fake.user["id"])
    first = create_bot(make_settings(fake, tmp_path), engine, FakeClock())
    async with running_bot(first, fake, guild_ready_timeout=0.1):
        await first.store.set_step(alice, "step-networking", True)
        await run(fake, "delete", dm=True)
    message = fake.last_bot_message()

    second = create_bot(make_settings(fake, tmp_path), engine, FakeClock())
    async with running_bot(second, fake, guild_ready_timeout=0.1):
        deleted = await reply_to(fake, await fake.click(message, f"medcoder:mydata-delete:{alice}:confirm"))
        left = await second.store.checklist(alice)
    assert deleted.json["data"]["content"] == "Deleted everything I stored about you: your checklist (1 done step)."
    assert left == {}
