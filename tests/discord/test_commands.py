"""Every slash command and option, through discord.py's real interaction handling."""

from __future__ import annotations

import re

import pytest

from bot.app import MedcoderBot
from tests.discord.helpers import components, is_ephemeral, reply_to
from tests.fakediscord import FakeDiscord, payloads

pytestmark = pytest.mark.usefixtures("medcoder")

STEP_TITLES = [
    "1. **Education**",
    "2. **Certification**",
    "3. **Practical experience**",
    "4. **Networking**",
    "5. **Continuing education**",
]


# --- /steps ---------------------------------------------------------------------------------


async def test_steps_lists_five_steps_how_other_lists_differ_and_a_menu(fake: FakeDiscord) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("steps"))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    body = reply.json["data"]
    assert not is_ephemeral(body)
    lines = body["content"].splitlines()
    assert [line.split(":")[0] for line in lines if re.match(r"\d\. ", line)] == STEP_TITLES
    assert any(line.startswith("The article's other lists differ:") for line in lines)
    (menu,) = components(body)
    assert menu["type"] == payloads.STRING_SELECT and menu["custom_id"] == "medcoder:steps"
    assert [o["value"] for o in menu["options"]] == [
        "steps-overview",
        "step-education",
        "step-certification",
        "step-experience",
        "step-networking",
        "step-continuing-education",
    ]


async def test_choosing_a_step_shows_its_details_in_place(fake: FakeDiscord) -> None:
    await reply_to(fake, await fake.invoke_slash("steps"))
    message = fake.last_bot_message()
    chosen = await reply_to(fake, await fake.select(message, "medcoder:steps", ["step-certification"]))
    assert chosen.json["type"] == payloads.UPDATE_MESSAGE
    body = chosen.json["data"]
    assert body["content"].startswith("**Step 2: Certification**")
    assert "CPC" in body["content"] and "AHIMA" in body["content"]
    (menu,) = components(body)
    assert [o["value"] for o in menu["options"] if o.get("default")] == ["step-certification"]
    assert fake.get_message(message["id"])["content"] == body["content"]

    back = await reply_to(fake, await fake.select(message, "medcoder:steps", ["steps-overview"]))
    assert "other lists differ" in back.json["data"]["content"]


async def test_someone_elses_step_choice_gets_a_private_copy(fake: FakeDiscord) -> None:
    await reply_to(fake, await fake.invoke_slash("steps"))
    message = fake.last_bot_message()
    bob = fake.add_user("bob")
    chosen = await reply_to(fake, await fake.select(message, "medcoder:steps", ["step-networking"], user=bob))
    assert chosen.json["type"] == payloads.CHANNEL_MESSAGE
    assert is_ephemeral(chosen.json["data"])
    assert chosen.json["data"]["content"].startswith("**Step 4: Networking**")
    assert "other lists differ" in fake.get_message(message["id"])["content"]  # the original is untouched


async def test_a_step_that_no_longer_exists_is_refused_privately(fake: FakeDiscord) -> None:
    await reply_to(fake, await fake.invoke_slash("steps"))
    chosen = await reply_to(fake, await fake.select(fake.last_bot_message(), "medcoder:steps", ["salary-median"]))
    assert is_ephemeral(chosen.json["data"])
    assert "no longer available" in chosen.json["data"]["content"]


# --- /salary --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (None, ["$44,090", "May 2020", "Source: U.S. Bureau of Labor Statistics"]),
        ("overview", ["$44,090", "May 2020", "Source: U.S. Bureau of Labor Statistics"]),
        ("position", ["$60,080", "$54,590", "$41,000", "Source:", "undated in the article"]),
        ("sector", ["$47,040", "$46,380", "$45,840", "$43,130", "Source:", "undated in the article"]),
        ("states", ["Connecticut", "Hawaii", "California", "Alaska", "Massachusetts", "Source:"]),
    ],
)
async def test_salary_views_show_figures_with_their_source(
    fake: FakeDiscord, view: str | None, expected: list[str]
) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("salary", {"view": view} if view else None))
    body = reply.json["data"]
    for text in expected:
        assert text in body["content"], (text, body["content"])
    assert not is_ephemeral(body)
    assert not components(body)


# --- /ask -----------------------------------------------------------------------------------


async def test_ask_answers_and_quotes_the_question(fake: FakeDiscord) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": "cpc pay"}))
    content = reply.json["data"]["content"]
    assert content.startswith("> **Question:** cpc pay\n")
    assert "Certified Professional Coder (CPC): $54,590" in content
    assert "Source:" in content
    # The answer's only components are its two vote buttons (tests/discord/test_feedback.py).
    assert [b["custom_id"] for b in components(reply.json["data"])] == [
        "medcoder:vote:salary-by-position:1",
        "medcoder:vote:salary-by-position:0",
    ]


async def test_ask_fallback_says_what_the_bot_can_answer(fake: FakeDiscord) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": "how much do nurses make"}))
    content = reply.json["data"]["content"]
    assert "medical coders** only" in content
    assert "I answer from one article" in content and "salaries" in content
    assert not components(reply.json["data"])


@pytest.mark.lexical
async def test_did_you_mean_buttons_answer_the_chosen_entry(fake: FakeDiscord) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("ask", {"question": "coder courses"}))
    body = reply.json["data"]
    assert "Did you mean" in body["content"]
    buttons = components(body)
    assert 2 <= len(buttons) <= 3
    assert all(b["type"] == payloads.BUTTON and b["custom_id"].startswith("medcoder:ask:") for b in buttons)
    by_label = {b["label"]: b["custom_id"] for b in buttons}
    assert by_label["What coding programs teach"] == "medcoder:ask:coursework"

    message = fake.last_bot_message()
    clicked = await reply_to(fake, await fake.click(message, "medcoder:ask:coursework"))
    assert clicked.json["type"] == payloads.UPDATE_MESSAGE
    content = clicked.json["data"]["content"]
    assert content.startswith("> **Question:** coder courses\n**What coding programs teach**")
    assert "Did you mean" not in content
    # The suggestions give way to the answer's own vote buttons.
    assert [b["custom_id"] for b in components(clicked.json["data"])] == [
        "medcoder:vote:coursework:1",
        "medcoder:vote:coursework:0",
    ]


@pytest.mark.lexical
async def test_someone_elses_suggestion_click_is_answered_privately(fake: FakeDiscord) -> None:
    await reply_to(fake, await fake.invoke_slash("ask", {"question": "coder courses"}))
    message = fake.last_bot_message()
    bob = fake.add_user("bob")
    clicked = await reply_to(fake, await fake.click(message, "medcoder:ask:where-to-study", user=bob))
    assert clicked.json["type"] == payloads.CHANNEL_MESSAGE
    assert is_ephemeral(clicked.json["data"])
    assert clicked.json["data"]["content"].startswith("**Where to study medical coding**")
    assert [b["custom_id"] for b in components(clicked.json["data"])] == [
        "medcoder:vote:where-to-study:1",
        "medcoder:vote:where-to-study:0",
    ]
    assert "Did you mean" in fake.get_message(message["id"])["content"]


@pytest.mark.lexical
async def test_a_suggestion_for_a_removed_entry_says_it_is_out_of_date(fake: FakeDiscord) -> None:
    await reply_to(fake, await fake.invoke_slash("ask", {"question": "coder courses"}))
    message = fake.last_bot_message()
    # A message from before the knowledge base dropped an entry: Discord still sends its button's id.
    message["components"][0]["components"][0]["custom_id"] = "medcoder:ask:no-such-entry"
    clicked = await reply_to(fake, await fake.click(message, "medcoder:ask:no-such-entry"))
    assert is_ephemeral(clicked.json["data"])
    assert "out of date" in clicked.json["data"]["content"]


# --- /help ----------------------------------------------------------------------------------


async def test_help_lists_the_commands_the_source_and_the_privacy_warning(
    fake: FakeDiscord, medcoder: MedcoderBot
) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("help"))
    content = reply.json["data"]["content"]
    for usage in ("`/ask <question>`", "`/help`", "`/salary [view]`", "`/steps`"):
        assert usage in content
    assert "one article" in content
    assert "Never paste patient information" in content
    assert "direct message" in content
    assert len(content) <= 2000


# --- private --------------------------------------------------------------------------------

COMMANDS = [("steps", {}), ("salary", {"view": "sector"}), ("ask", {"question": "cpc pay"}), ("help", {})]


@pytest.mark.parametrize(("name", "options"), COMMANDS)
@pytest.mark.parametrize(("private", "dm"), [(True, False), (True, True), (False, False), (None, False), (None, True)])
async def test_private_option_makes_the_reply_ephemeral(
    fake: FakeDiscord, name: str, options: dict[str, object], private: bool | None, dm: bool
) -> None:
    if private is not None:
        options = {**options, "private": private}
    reply = await reply_to(fake, await fake.invoke_slash(name, options, dm=dm))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    assert is_ephemeral(reply.json["data"]) is bool(private)
    if private:
        assert reply.json["data"]["flags"] == payloads.EPHEMERAL


async def test_commands_answer_in_the_bots_dm(fake: FakeDiscord) -> None:
    interaction = await fake.invoke_slash("ask", {"question": "cpc pay"}, dm=True)
    reply = await reply_to(fake, interaction)
    assert "$54,590" in reply.json["data"]["content"]
    original = fake.get_message(fake.interactions[int(interaction["id"])].original_id)
    assert original["channel_id"] == fake.dm_channel_for(None)["id"]


# --- user installs: a group DM, and a server the bot is not in ------------------------------


def user_install_payload(fake: FakeDiscord, name: str, options: dict[str, object], *, group_dm: bool) -> dict:
    """A command from the app installed to alice's account, where the bot itself is no member."""
    if group_dm:
        channel = {"id": str(payloads.next_id()), "type": 3, "recipients": [fake.user], "owner_id": fake.user["id"]}
        guild_id = None
    else:
        guild_id = payloads.next_id()
        channel = payloads.text_channel(guild_id, "elsewhere")
    fake.channels[int(channel["id"])] = channel
    payload = payloads.slash_command_interaction(
        name,
        application_id=fake.application_id,
        user_data=fake.user,
        channel=channel,
        guild_id=guild_id,
        options=options,
    )
    payload["context"] = 2 if group_dm else 0
    payload["authorizing_integration_owners"] = {"1": fake.user["id"]}
    return payload


@pytest.mark.parametrize("group_dm", [True, False], ids=["group DM", "foreign server"])
@pytest.mark.lexical
async def test_user_installed_commands_and_their_components_work_anywhere(fake: FakeDiscord, group_dm: bool) -> None:
    asked = user_install_payload(fake, "ask", {"question": "coder courses"}, group_dm=group_dm)
    await fake.dispatch("INTERACTION_CREATE", asked)
    reply = await reply_to(fake, asked)
    assert not is_ephemeral(reply.json["data"]) and "Did you mean" in reply.json["data"]["content"]
    message = fake.last_bot_message()
    bob = fake.add_user("bob")
    other = await reply_to(fake, await fake.click(message, "medcoder:ask:where-to-study", user=bob))
    assert other.json["type"] == payloads.CHANNEL_MESSAGE and is_ephemeral(other.json["data"])
    mine = await reply_to(fake, await fake.click(message, "medcoder:ask:where-to-study"))
    assert mine.json["type"] == payloads.UPDATE_MESSAGE

    steps = user_install_payload(fake, "steps", {}, group_dm=group_dm)
    await fake.dispatch("INTERACTION_CREATE", steps)
    await reply_to(fake, steps)
    chosen = await reply_to(fake, await fake.select(fake.last_bot_message(), "medcoder:steps", ["step-networking"]))
    assert chosen.json["type"] == payloads.UPDATE_MESSAGE
