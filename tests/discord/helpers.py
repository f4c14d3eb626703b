"""Small helpers shared by the end-to-end Discord tests."""

from __future__ import annotations

import re
from typing import Any

from bot.settings import Settings
from tests.fakediscord import FakeDiscord, RecordedRequest, payloads

CALLBACK = r"/interactions/\d+/[^/]+/callback"
WEBHOOK = r"/webhooks/\d+/[^/]+(?:/messages/[^/]+)?"
CHANNEL_MESSAGES = r"/channels/\d+/messages(?:/\d+)?"
REF = re.compile(r"Something went wrong \(ref (?P<ref>[0-9A-F]{6})\)")


def make_settings(fake: FakeDiscord, tmp_path: Any, **overrides: Any) -> Settings:
    """Settings for a bot against `fake`, ignoring any `.env`, with a throwaway database."""
    return Settings(_env_file=None, discord_token=fake.token, db=tmp_path / "t.db", **overrides)


def dm_messages_path(fake: FakeDiscord, user: Any = None) -> str:
    return rf"/channels/{fake.dm_channel_for(user)['id']}/messages"


def message_bodies(fake: FakeDiscord) -> list[dict[str, Any]]:
    """Every message body the bot sent or edited: channel messages, callbacks' data, webhooks."""
    bodies: list[dict[str, Any]] = []
    for request in fake.requests:
        if request.method not in ("POST", "PATCH") or not isinstance(request.json, dict):
            continue
        if re.fullmatch(CALLBACK, request.path):
            if "data" in request.json:
                bodies.append(request.json["data"])
        elif re.fullmatch(WEBHOOK, request.path) or re.fullmatch(CHANNEL_MESSAGES, request.path):
            bodies.append(request.json)
    return bodies


def is_ephemeral(body: dict[str, Any]) -> bool:
    return bool(int(body.get("flags") or 0) & payloads.EPHEMERAL)


def components(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The components inside a body's action rows, flattened."""
    return [item for row in body.get("components") or [] for item in row.get("components", [])]


def assert_pings_nobody(body: dict[str, Any]) -> None:
    mentions = body.get("allowed_mentions")
    assert mentions is not None, f"no allowed_mentions in {body}"
    assert mentions.get("parse") == [], mentions
    assert not mentions.get("users") and not mentions.get("roles") and not mentions.get("replied_user")


async def reply_to(fake: FakeDiscord, interaction: dict[str, Any]) -> RecordedRequest:
    """The bot's callback for `interaction`, checked to be a 2xx."""
    request = await fake.wait_for_callback(interaction)
    assert request.status < 300, request.response
    return request
