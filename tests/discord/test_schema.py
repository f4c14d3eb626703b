"""The command schema the bot registers with Discord, read from the sync request it sends."""

from __future__ import annotations

from typing import Any

from bot.app import MedcoderBot
from tests.discord.helpers import reply_to
from tests.fakediscord import FakeDiscord, payloads

GUILD, BOT_DM, PRIVATE_CHANNEL = 0, 1, 2
GUILD_INSTALL, USER_INSTALL = 0, 1
PRIVATE = {"name": "private", "type": payloads.BOOLEAN, "required": False}


def shape(option: dict[str, Any]) -> dict[str, Any]:
    """An option without its description (checked separately) and without unset keys."""
    keys = ("name", "type", "required", "min_length", "max_length", "choices")
    return {key: option[key] for key in keys if key in option}


def described_items(item: dict[str, Any]) -> list[dict[str, Any]]:
    """A command, its options (subcommands' options too) and their choices."""
    found = [item]
    for option in item.get("options") or []:
        found += described_items(option)
    return found + list(item.get("choices") or [])


MANAGE_GUILD = 1 << 5
# The study-group commands (issue 15), with who may see them by default: /groupadmin needs Manage Server.
SERVER_ONLY = {"group": None, "groupadmin": MANAGE_GUILD}


async def test_synced_schema_names_options_contexts_and_installs(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    assert fake.find_requests("PUT") == []  # nothing is synced on start: sync is explicit
    synced = await medcoder.tree.sync()
    put = await fake.wait_for_request("PUT", rf"/applications/{fake.application_id}/commands")
    commands = {command["name"]: command for command in put.json}

    # Every command in the tree is synced (the four core ones at least; other extensions add more).
    assert {"ask", "help", "salary", "steps"} <= set(commands)
    assert sorted(commands) == sorted(c.name for c in medcoder.tree.get_commands())
    assert sorted(c.name for c in synced) == sorted(commands)
    assert sorted(c["name"] for c in fake.global_commands) == sorted(commands)
    assert [shape(o) for o in commands["ask"]["options"]] == [
        {"name": "question", "type": payloads.STRING, "required": True, "min_length": 1, "max_length": 4000},
        PRIVATE,
    ]
    assert [shape(o) for o in commands["salary"]["options"]] == [
        {
            "name": "view",
            "type": payloads.STRING,
            "required": False,
            "choices": [
                {"name": "overview (median wage)", "value": "overview"},
                {"name": "by position", "value": "position"},
                {"name": "by sector", "value": "sector"},
                {"name": "top-paying states", "value": "states"},
            ],
        },
        PRIVATE,
    ]
    assert [shape(o) for o in commands["steps"]["options"]] == [PRIVATE]
    assert [shape(o) for o in commands["help"]["options"]] == [PRIVATE]

    for command in commands.values():
        assert command["type"] == 1
        if command["name"] in SERVER_ONLY:  # a study group is a server's: guild-only, guild-installed
            assert command["contexts"] == [GUILD], command["name"]
            assert command["integration_types"] == [GUILD_INSTALL], command["name"]
            permissions = command.get("default_member_permissions")  # Discord takes the bit set as int or string
            assert (None if permissions is None else int(permissions)) == SERVER_ONLY[command["name"]], command["name"]
        else:
            assert sorted(command["contexts"]) == [GUILD, BOT_DM, PRIVATE_CHANNEL], command["name"]
            assert sorted(command["integration_types"]) == [GUILD_INSTALL, USER_INSTALL], command["name"]
            assert command.get("default_member_permissions") is None  # every member may use it
        assert not command.get("nsfw")
        for item in described_items(command):
            text = item.get("description", item["name"])  # choices have a name only
            assert 1 <= len(text) <= 100, (command["name"], item)


async def test_synced_commands_are_invoked_by_their_registered_ids(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    await medcoder.tree.sync()
    for command in fake.global_commands:
        if command["name"] not in {"ask", "help", "salary", "steps"}:
            continue  # other extensions test their own commands
        options = {"question": "cpc pay"} if command["name"] == "ask" else None
        interaction = await fake.invoke_slash(command["name"], options)
        assert interaction["data"]["id"] == command["id"]
        reply = await reply_to(fake, interaction)
        assert reply.json["type"] == payloads.CHANNEL_MESSAGE
