"""`/checklist` end to end: the real bot, a real SQLite file and the fake Discord.

The buttons are checked the way members use them: pressed by their owner, by someone else, after a
restart, and by 200 members at once (the store must not lose a single toggle).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.app import MedcoderBot, create_bot
from bot.core import Engine
from tests.clock import FakeClock
from tests.discord.helpers import components, is_ephemeral, make_settings, reply_to
from tests.fakediscord import FakeDiscord, payloads, running_bot

STEP_IDS = [
    "step-education",
    "step-certification",
    "step-experience",
    "step-networking",
    "step-continuing-education",
]
NOW = FakeClock().now()
DONE_DATE = f"<t:{int(NOW.timestamp())}:d>"


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, run_bot: Callable[..., Awaitable[Any]], engine: Engine, tmp_path: Path) -> MedcoderBot:
    """The bot on a fresh SQLite file, with a clock that stands still so done dates are known."""
    return await run_bot(create_bot(make_settings(fake, tmp_path), engine, FakeClock()), guild_ready_timeout=0.1)


def check_id(user: dict[str, Any], step_id: str) -> str:
    return f"medcoder:check:{user['id']}:{step_id}"


async def open_checklist(fake: FakeDiscord, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """`/checklist show`: the reply body and the message it created (found by interaction, not order)."""
    interaction = await fake.invoke_slash("checklist", subcommand="show", **kwargs)
    reply = await reply_to(fake, interaction)
    message = fake.get_message(fake.interactions[int(interaction["id"])].original_id)
    return reply.json["data"], message


async def run(fake: FakeDiscord, subcommand: str, step: str | None = None, **kwargs: Any) -> dict[str, Any]:
    options = None if step is None else {"step": step}
    reply = await reply_to(fake, await fake.invoke_slash("checklist", options, subcommand=subcommand, **kwargs))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    return reply.json["data"]


def buttons(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {button["custom_id"]: button for button in components(body)}


# --- show -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_show_is_private_with_progress_tasks_and_a_button_per_step(
    fake: FakeDiscord, bot: MedcoderBot, dm: bool
) -> None:
    await bot.store.set_step(int(fake.user["id"]), "step-certification", True)
    body, _ = await open_checklist(fake, dm=dm)
    assert is_ephemeral(body)
    content = body["content"]
    assert "▰▱▱▱▱ 1/5" in content
    assert f"- ✅ **Step 2: Certification** · done {DONE_DATE}" in content
    assert "- ⬜ **Step 1: Education**\n  - Choose an accredited training program" in content
    assert "  - Pick a certification (CPC from AAPC or CCS)" in content
    assert content.count("⬜") == 4
    found = buttons(body)
    assert list(found) == [check_id(fake.user, step_id) for step_id in STEP_IDS]
    assert [b["label"] for b in found.values()] == [
        "1. Education",
        "2. Certification",
        "3. Practical experience",
        "4. Networking",
        "5. Continuing education",
    ]
    styles = [b["style"] for b in found.values()]
    assert styles == [2, 3, 2, 2, 2]  # secondary, success (done), secondary...


async def test_all_done_says_so(fake: FakeDiscord, bot: MedcoderBot) -> None:
    for step_id in STEP_IDS:
        await bot.store.set_step(int(fake.user["id"]), step_id, True)
    body, _ = await open_checklist(fake)
    assert "▰▰▰▰▰ 5/5" in body["content"] and "All five steps done" in body["content"]


# --- done / undo ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["2", "step 2", "Step 2: Certification", "certification", "step-certification"])
async def test_done_accepts_a_number_title_or_id(fake: FakeDiscord, bot: MedcoderBot, typed: str) -> None:
    body = await run(fake, "done", typed)
    assert is_ephemeral(body)
    assert body["content"].startswith("Marked **Step 2: Certification** done.")
    assert "▰▱▱▱▱ 1/5" in body["content"]
    assert await bot.store.checklist(int(fake.user["id"])) == {"step-certification": NOW}
    assert check_id(fake.user, "step-certification") in buttons(body)


async def test_done_twice_and_undo(fake: FakeDiscord, bot: MedcoderBot) -> None:
    await run(fake, "done", "1")
    again = await run(fake, "done", "1")
    assert again["content"].startswith("**Step 1: Education** was already done.")
    undone = await run(fake, "undo", "education")
    assert undone["content"].startswith("Marked **Step 1: Education** as not done.")
    assert "▱▱▱▱▱ 0/5" in undone["content"]
    not_done = await run(fake, "undo", "1")
    assert is_ephemeral(not_done) and not_done["content"].startswith("**Step 1: Education** wasn't marked done.")
    assert await bot.store.checklist(int(fake.user["id"])) == {}


async def test_an_unknown_step_is_refused_privately_with_the_list(fake: FakeDiscord, bot: MedcoderBot) -> None:
    body = await run(fake, "done", "step 9 **now** @everyone")
    assert is_ephemeral(body)
    assert body["content"].startswith("I don't know a step called “step 9 \\*\\*now\\*\\* @\u200beveryone”.")
    assert (
        "1. Education, 2. Certification, 3. Practical experience, 4. Networking, 5. Continuing education"
        in (body["content"])
    )
    assert components(body) == []
    assert await bot.store.checklist(int(fake.user["id"])) == {}


async def test_autocomplete_offers_the_steps_the_command_would_change_first(
    fake: FakeDiscord, bot: MedcoderBot
) -> None:
    await bot.store.set_step(int(fake.user["id"]), "step-networking", True)

    async def choices(subcommand: str, typed: str) -> list[dict[str, Any]]:
        interaction = await fake.autocomplete("checklist", "step", {"step": typed}, subcommand=subcommand)
        reply = await reply_to(fake, interaction)
        assert reply.json["type"] == payloads.AUTOCOMPLETE_RESULT
        return reply.json["data"]["choices"]

    done = await choices("done", "")
    assert [c["value"] for c in done] == [*STEP_IDS[:3], STEP_IDS[4], "step-networking"]
    assert done[0]["name"] == "Step 1: Education (to do)" and done[-1]["name"] == "Step 4: Networking (done)"
    undo = await choices("undo", "")
    assert undo[0] == {"name": "Step 4: Networking (done)", "value": "step-networking"}
    assert [c["value"] for c in await choices("done", "cert")] == ["step-certification"]
    assert [c["value"] for c in await choices("done", "5")] == ["step-continuing-education"]
    assert await choices("done", "zzz") == []

    picked = await run(fake, "done", done[0]["value"])  # Discord sends the chosen value
    assert picked["content"].startswith("Marked **Step 1: Education** done.")


# --- buttons --------------------------------------------------------------------------------------


async def test_a_button_toggles_its_step_and_redraws_the_message_in_place(fake: FakeDiscord, bot: MedcoderBot) -> None:
    _, message = await open_checklist(fake)
    custom_id = check_id(fake.user, "step-experience")

    pressed = await reply_to(fake, await fake.click(message, custom_id))
    assert pressed.json["type"] == payloads.UPDATE_MESSAGE
    body = pressed.json["data"]
    assert (
        "▰▱▱▱▱ 1/5" in body["content"] and f"✅ **Step 3: Practical experience** · done {DONE_DATE}" in body["content"]
    )
    assert buttons(body)[custom_id]["style"] == 3
    assert fake.get_message(message["id"])["content"] == body["content"]
    assert await bot.store.checklist(int(fake.user["id"])) == {"step-experience": NOW}

    again = await reply_to(fake, await fake.click(message, custom_id))
    assert again.json["type"] == payloads.UPDATE_MESSAGE
    assert "▱▱▱▱▱ 0/5" in again.json["data"]["content"]
    assert buttons(again.json["data"])[custom_id]["style"] == 2
    assert await bot.store.checklist(int(fake.user["id"])) == {}


@pytest.mark.parametrize("dm", [False, True], ids=["server", "dm"])
async def test_someone_elses_button_is_refused_and_changes_nothing(
    fake: FakeDiscord, bot: MedcoderBot, dm: bool
) -> None:
    _, message = await open_checklist(fake, dm=dm)
    before = fake.get_message(message["id"])["content"]
    bob = fake.add_user("bob")
    pressed = await reply_to(fake, await fake.click(message, check_id(fake.user, "step-education"), user=bob))
    assert pressed.json["type"] == payloads.CHANNEL_MESSAGE
    assert is_ephemeral(pressed.json["data"])
    assert pressed.json["data"]["content"].startswith("This checklist belongs to someone else")
    assert fake.get_message(message["id"])["content"] == before
    assert await bot.store.checklist(int(fake.user["id"])) == {}
    assert await bot.store.checklist(int(bob["id"])) == {}


async def test_a_button_for_a_step_that_no_longer_exists(fake: FakeDiscord, bot: MedcoderBot) -> None:
    _, message = await open_checklist(fake)
    stale = check_id(fake.user, "step-education")
    message["components"][0]["components"][0]["custom_id"] = stale.replace("education", "retired")
    fake.messages[int(message["id"])] = message
    pressed = await reply_to(fake, await fake.click(message, stale.replace("education", "retired")))
    assert is_ephemeral(pressed.json["data"]) and "no longer on the checklist" in pressed.json["data"]["content"]
    assert await bot.store.checklist(int(fake.user["id"])) == {}


async def test_buttons_still_work_after_a_restart(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    first = create_bot(make_settings(fake, tmp_path), engine, FakeClock())
    async with running_bot(first, fake, guild_ready_timeout=0.1):
        _, message = await open_checklist(fake, dm=True)
        await reply_to(fake, await fake.click(message, check_id(fake.user, "step-education")))

    second = create_bot(make_settings(fake, tmp_path), engine, FakeClock())
    async with running_bot(second, fake, guild_ready_timeout=0.1):
        pressed = await reply_to(fake, await fake.click(message, check_id(fake.user, "step-networking")))
        bob = fake.add_user("bob")
        refused = await reply_to(fake, await fake.click(message, check_id(fake.user, "step-networking"), user=bob))
        state = await second.store.checklist(int(fake.user["id"]))
    assert pressed.json["type"] == payloads.UPDATE_MESSAGE
    assert "▰▰▱▱▱ 2/5" in pressed.json["data"]["content"]
    assert refused.json["data"]["content"].startswith("This checklist belongs to someone else")
    assert set(state) == {"step-education", "step-networking"}


# --- reset ----------------------------------------------------------------------------------------


async def test_reset_asks_first_and_only_the_owner_confirms(fake: FakeDiscord, bot: MedcoderBot) -> None:
    user_id = int(fake.user["id"])
    empty = await run(fake, "reset")
    assert is_ephemeral(empty) and "nothing to reset" in empty["content"]

    await bot.store.set_step(user_id, "step-education", True)
    await bot.store.set_step(user_id, "step-networking", True)
    asked = await run(fake, "reset")
    assert is_ephemeral(asked) and "clears your 2 done steps" in asked["content"]
    confirm, cancel = f"medcoder:check-reset:{user_id}:confirm", f"medcoder:check-reset:{user_id}:cancel"
    assert list(buttons(asked)) == [confirm, cancel]
    message = fake.last_bot_message()

    bob = fake.add_user("bob")
    refused = await reply_to(fake, await fake.click(message, confirm, user=bob))
    assert refused.json["data"]["content"].startswith("This checklist belongs to someone else")
    assert len(await bot.store.checklist(user_id)) == 2

    kept = await reply_to(fake, await fake.click(message, cancel))
    assert kept.json["type"] == payloads.UPDATE_MESSAGE
    assert kept.json["data"]["content"] == "Kept your checklist as it was." and components(kept.json["data"]) == []
    assert len(await bot.store.checklist(user_id)) == 2

    message = fake.get_message(message["id"]) | {"components": asked["components"]}  # the question, again
    fake.messages[int(message["id"])] = message
    cleared = await reply_to(fake, await fake.click(message, confirm))
    assert cleared.json["type"] == payloads.UPDATE_MESSAGE
    assert cleared.json["data"]["content"].startswith("Checklist reset: 2 done steps cleared.")
    assert await bot.store.checklist(user_id) == {}


# --- many members at once -------------------------------------------------------------------------


async def test_200_members_toggling_at_once_lose_no_update(fake: FakeDiscord, bot: MedcoderBot) -> None:
    """Each member presses two of their own buttons at the same moment: 400 concurrent toggles.

    Two presses per member race on the same member's rows, which is where a read-modify-write of
    the whole checklist would lose one of them.
    """
    members = [fake.add_user(f"member{n}") for n in range(200)]
    opened = await asyncio.gather(*(open_checklist(fake, user=member) for member in members))
    await bot.store.set_step(int(members[0]["id"]), "step-networking", True)  # one toggle goes the other way

    def pressed_by(n: int) -> list[str]:
        return [STEP_IDS[n % 5], STEP_IDS[(n + 3) % 5]]

    started = time.perf_counter()
    clicks = await asyncio.gather(
        *(
            fake.click(message, check_id(member, step_id), user=member)
            for n, (member, (_, message)) in enumerate(zip(members, opened, strict=True))
            for step_id in pressed_by(n)
        )
    )
    replies = await asyncio.gather(*(fake.wait_for_callback(click, timeout=30) for click in clicks))
    elapsed = time.perf_counter() - started
    assert all(reply.status < 300 and reply.json["type"] == payloads.UPDATE_MESSAGE for reply in replies)

    for n, member in enumerate(members):
        expected = set(pressed_by(n)) ^ ({"step-networking"} if n == 0 else set())
        assert set(await bot.store.checklist(int(member["id"]))) == expected, n
    assert elapsed < 20, f"400 concurrent toggles took {elapsed:.1f} s"
