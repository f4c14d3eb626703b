"""Builders for Discord API v10 objects, shaped the way discord.py 2.x parses them.

They are plain functions returning plain dicts so a test can tweak any field before dispatching it.
The field lists follow what discord.py's parsers index with ``data[...]`` (those keys are mandatory)
plus the fields real Discord always sends, so that bot code reading e.g. ``message.flags`` or
``member.joined_at`` sees realistic values rather than ``None``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits used for the default roles (see Discord's permissions docs).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
USE_APPLICATION_COMMANDS = 1 << 31
ADMINISTRATOR = 1 << 3
DEFAULT_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | ATTACH_FILES | READ_MESSAGE_HISTORY | USE_APPLICATION_COMMANDS
)

# Interaction types (payload["type"]) and callback types (callback body["type"]).
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

# Application-command option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = range(1, 11)
ATTACHMENT = 11

# Component types.
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4

# Channel types.
GUILD_TEXT, DM = 0, 1


class _Snowflakes:
    """Thread-safe snowflake source: real timestamp bits so ``discord.utils.snowflake_time`` works,
    strictly increasing so ids are unique and ordered like Discord's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._increment = itertools.count()

    def __call__(self) -> int:
        with self._lock:
            candidate = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (next(self._increment) & 0xFFF)
            self._last = max(candidate, self._last + 1)
            return self._last


next_id = _Snowflakes()


def iso_now() -> str:
    """Timestamp in the ISO-8601 form Discord sends (discord.utils.parse_time accepts it)."""
    return dt.datetime.now(dt.UTC).isoformat()


def new_token(prefix: str = "aW50ZXJhY3Rpb24") -> str:
    """An interaction/webhook token; URL-safe like Discord's, so it needs no quoting in routes."""
    return f"{prefix}{secrets.token_urlsafe(24)}"


def sid(value: int | str | None) -> str | None:
    """Discord serialises snowflakes as strings."""
    return None if value is None else str(value)


# --------------------------------------------------------------------------- users, guilds, channels


def user(
    user_id: int | None = None,
    username: str = "user",
    *,
    bot: bool = False,
    global_name: str | None = None,
) -> dict[str, Any]:
    """A user object (discord.py needs id, username, discriminator, avatar)."""
    return {
        "id": sid(user_id or next_id()),
        "username": username,
        "discriminator": "0",
        "global_name": global_name if global_name is not None else (None if bot else username.title()),
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role(guild_id: int | str, role_id: int | None = None, name: str = "@everyone", **overrides: Any) -> dict[str, Any]:
    """A role; the @everyone role has the guild's own id."""
    data = {
        "id": sid(role_id or guild_id),
        "name": name,
        "permissions": str(DEFAULT_PERMISSIONS),
        "position": 0,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    data.update(overrides)
    return data


def member(
    user_data: Mapping[str, Any],
    *,
    roles: Iterable[int | str] = (),
    nick: str | None = None,
    permissions: int | None = None,
    include_user: bool = True,
) -> dict[str, Any]:
    """A guild member. ``permissions`` is only present in interaction payloads (resolved for the channel)."""
    data: dict[str, Any] = {
        "roles": [str(r) for r in roles],
        "nick": nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso_now(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if include_user:
        data["user"] = dict(user_data)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def text_channel(
    guild_id: int | str, name: str = "general", channel_id: int | None = None, *, position: int = 0
) -> dict[str, Any]:
    """A guild text channel (type 0)."""
    return {
        "id": sid(channel_id or next_id()),
        "type": GUILD_TEXT,
        "guild_id": sid(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def dm_channel(recipient: Mapping[str, Any], channel_id: int | None = None) -> dict[str, Any]:
    """A DM channel (type 1) with one recipient, as returned by POST /users/@me/channels."""
    return {
        "id": sid(channel_id or next_id()),
        "type": DM,
        "last_message_id": None,
        "flags": 0,
        "recipients": [dict(recipient)],
    }


def guild(
    guild_id: int | None = None,
    name: str = "Fake Guild",
    *,
    owner_id: int | str | None = None,
    channels: Iterable[Mapping[str, Any]] = (),
    roles: Iterable[Mapping[str, Any]] = (),
    members: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A full GUILD_CREATE guild. ``member_count == len(members)`` so discord.py treats it as chunked."""
    gid = guild_id or next_id()
    role_list = [dict(r) for r in roles] or [role(gid)]
    member_list = [dict(m) for m in members]
    channel_list = [dict(c) for c in channels]
    return {
        "id": sid(gid),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": sid(owner_id or (member_list[0]["user"]["id"] if member_list else next_id())),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "features": [],
        "system_channel_id": channel_list[0]["id"] if channel_list else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "vanity_url_code": None,
        "application_id": None,
        "max_members": 500000,
        "roles": role_list,
        "emojis": [],
        "stickers": [],
        "joined_at": iso_now(),
        "large": False,
        "unavailable": False,
        "member_count": len(member_list),
        "members": member_list,
        "channels": channel_list,
        "threads": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application(app_id: int | str, bot_user: Mapping[str, Any], owner: Mapping[str, Any]) -> dict[str, Any]:
    """GET /oauth2/applications/@me. ``interactions_endpoint_url`` must be None or discord.py warns that
    it will not receive interactions over the gateway."""
    return {
        "id": sid(app_id),
        "name": bot_user["username"],
        "icon": None,
        "description": "",
        "summary": "",
        "type": None,
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "bot": dict(bot_user),
        "owner": dict(owner),
        "team": None,
        "verify_key": secrets.token_hex(32),
        "flags": 0,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
        "integration_types_config": {"0": {}, "1": {}},
    }


# --------------------------------------------------------------------------- messages


def message(
    channel_id: int | str,
    author: Mapping[str, Any],
    content: str = "",
    *,
    guild_id: int | str | None = None,
    member_data: Mapping[str, Any] | None = None,
    message_id: int | None = None,
    embeds: Iterable[Mapping[str, Any]] = (),
    components: Iterable[Mapping[str, Any]] = (),
    attachments: Iterable[Mapping[str, Any]] = (),
    mentions: Iterable[Mapping[str, Any]] = (),
    flags: int = 0,
    message_type: int = 0,
    webhook_id: int | str | None = None,
    message_reference: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A message object as in MESSAGE_CREATE and in REST responses.

    ``member_data`` (a member without ``user``) is what gateway guild messages carry for the author.
    """
    data: dict[str, Any] = {
        "id": sid(message_id or next_id()),
        "channel_id": sid(channel_id),
        "author": dict(author),
        "content": content,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [dict(m) for m in mentions],
        "mention_roles": [],
        "attachments": [dict(a) for a in attachments],
        "embeds": [dict(e) for e in embeds],
        "reactions": [],
        "pinned": False,
        "type": message_type,
        "flags": flags,
        "components": [dict(c) for c in components],
    }
    if guild_id is not None:
        data["guild_id"] = sid(guild_id)
    if member_data is not None:
        data["member"] = {k: v for k, v in member_data.items() if k != "user"}
    if webhook_id is not None:
        data["webhook_id"] = sid(webhook_id)
    if message_reference is not None:
        data["message_reference"] = dict(message_reference)
    data.update(extra)
    return data


def dm_message(channel_id: int | str, author: Mapping[str, Any], content: str, **kwargs: Any) -> dict[str, Any]:
    """A MESSAGE_CREATE payload for a DM (no guild_id, no member)."""
    return message(channel_id, author, content, **kwargs)


def guild_message(
    channel_id: int | str,
    guild_id: int | str,
    author: Mapping[str, Any],
    content: str,
    *,
    member_data: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A MESSAGE_CREATE payload for a guild text channel (guild_id and the author's member)."""
    return message(channel_id, author, content, guild_id=guild_id, member_data=member_data or member(author), **kwargs)


def attachment(filename: str, size: int, content_type: str | None = None, **extra: Any) -> dict[str, Any]:
    """An attachment object with CDN-looking URLs (never fetched by the fake)."""
    att_id = next_id()
    url = f"https://cdn.discordapp.com/attachments/0/{att_id}/{filename}"
    data = {
        "id": sid(att_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
        "content_type": content_type,
    }
    data.update(extra)
    return data


# --------------------------------------------------------------------------- interactions


def option(name: str, value: Any, option_type: int | None = None, *, focused: bool = False) -> dict[str, Any]:
    """One application-command option; the type is inferred from the Python value when omitted."""
    if option_type is None:
        if isinstance(value, bool):
            option_type = BOOLEAN
        elif isinstance(value, int):
            option_type = INTEGER
        elif isinstance(value, float):
            option_type = NUMBER
        else:
            option_type = STRING
    data: dict[str, Any] = {"name": name, "type": option_type, "value": value}
    if focused:
        data["focused"] = True
    return data


def options_from(
    values: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None, *, focused: str | None = None
) -> list[dict[str, Any]]:
    """Accept either ``{"name": value}`` (types inferred) or already-built option dicts."""
    if values is None:
        return []
    if isinstance(values, Mapping):
        return [option(name, value, focused=name == focused) for name, value in values.items()]
    return [dict(v) for v in values]


def nest_options(
    leaf: list[dict[str, Any]], *, subcommand: str | None = None, group: str | None = None
) -> list[dict[str, Any]]:
    """Wrap leaf options the way Discord nests them: group (type 2) > subcommand (type 1) > options."""
    if subcommand is None:
        if group is not None:
            raise ValueError("a subcommand group needs a subcommand")
        return leaf
    nested = [{"name": subcommand, "type": SUB_COMMAND, "options": leaf}]
    if group is not None:
        nested = [{"name": group, "type": SUB_COMMAND_GROUP, "options": nested}]
    return nested


def interaction(
    *,
    interaction_type: int,
    application_id: int | str,
    user_data: Mapping[str, Any],
    channel: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
    guild_id: int | str | None = None,
    member_permissions: int = DEFAULT_PERMISSIONS,
    member_roles: Iterable[int | str] = (),
    app_permissions: int = DEFAULT_PERMISSIONS,
    message_data: Mapping[str, Any] | None = None,
    locale: str = "en-US",
) -> dict[str, Any]:
    """The common INTERACTION_CREATE envelope.

    In a guild the invoker is ``member`` (with resolved ``permissions``); in a DM it is ``user`` -- exactly
    one of the two, as Discord sends it. ``context`` 0 = guild, 1 = bot DM.
    """
    payload: dict[str, Any] = {
        "id": sid(next_id()),
        "application_id": sid(application_id),
        "type": interaction_type,
        "token": new_token(),
        "version": 1,
        "channel": dict(channel),
        "channel_id": channel["id"],
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if data is not None:
        payload["data"] = dict(data)
    if guild_id is not None:
        payload["guild_id"] = sid(guild_id)
        payload["guild"] = {"id": sid(guild_id), "locale": "en-US", "features": []}
        payload["guild_locale"] = "en-US"
        payload["member"] = member(user_data, roles=member_roles, permissions=member_permissions)
        payload["context"] = 0
        payload["authorizing_integration_owners"] = {"0": sid(guild_id)}
    else:
        payload["user"] = dict(user_data)
        payload["context"] = 1
        payload["authorizing_integration_owners"] = {"1": user_data["id"]}
    if message_data is not None:
        payload["message"] = dict(message_data)
    return payload


def slash_command_interaction(
    name: str,
    *,
    application_id: int | str,
    user_data: Mapping[str, Any],
    channel: Mapping[str, Any],
    guild_id: int | str | None = None,
    options: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
    subcommand: str | None = None,
    group: str | None = None,
    command_id: int | str | None = None,
    command_guild_id: int | str | None = None,
    resolved: Mapping[str, Any] | None = None,
    focused: str | None = None,
    interaction_type: int = APPLICATION_COMMAND,
    **kwargs: Any,
) -> dict[str, Any]:
    """A CHAT_INPUT command interaction (``/group subcommand option:value``).

    ``command_guild_id`` must be set when the command was registered as a guild command: discord.py's
    CommandTree looks guild commands up by ``data.guild_id``.
    """
    data: dict[str, Any] = {
        "id": sid(command_id or next_id()),
        "name": name,
        "type": 1,
        "options": nest_options(options_from(options, focused=focused), subcommand=subcommand, group=group),
    }
    if command_guild_id is not None:
        data["guild_id"] = sid(command_guild_id)
    if resolved is not None:
        data["resolved"] = dict(resolved)
    return interaction(
        interaction_type=interaction_type,
        application_id=application_id,
        user_data=user_data,
        channel=channel,
        guild_id=guild_id,
        data=data,
        **kwargs,
    )


def autocomplete_interaction(name: str, *, focused: str, **kwargs: Any) -> dict[str, Any]:
    """An APPLICATION_COMMAND_AUTOCOMPLETE interaction; ``focused`` names the option being typed."""
    return slash_command_interaction(name, focused=focused, interaction_type=AUTOCOMPLETE, **kwargs)


def component_interaction(
    custom_id: str,
    *,
    application_id: int | str,
    user_data: Mapping[str, Any],
    channel: Mapping[str, Any],
    message_data: Mapping[str, Any],
    component_type: int = BUTTON,
    values: Iterable[str] | None = None,
    guild_id: int | str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A MESSAGE_COMPONENT interaction: a button click, or a select with ``values``.

    ``message_data`` must be the message the component is on: discord.py routes the click to the View
    stored under that message id.
    """
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None or component_type != BUTTON:
        data["values"] = list(values or [])
    return interaction(
        interaction_type=MESSAGE_COMPONENT,
        application_id=application_id,
        user_data=user_data,
        channel=channel,
        guild_id=guild_id,
        data=data,
        message_data=message_data,
        **kwargs,
    )


def modal_submit_interaction(
    custom_id: str,
    values: Mapping[str, str],
    *,
    application_id: int | str,
    user_data: Mapping[str, Any],
    channel: Mapping[str, Any],
    guild_id: int | str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A MODAL_SUBMIT interaction with one text input per action row (``{input_custom_id: value}``)."""
    rows = [
        {"type": ACTION_ROW, "components": [{"type": TEXT_INPUT, "custom_id": cid, "value": value}]}
        for cid, value in values.items()
    ]
    return interaction(
        interaction_type=MODAL_SUBMIT,
        application_id=application_id,
        user_data=user_data,
        channel=channel,
        guild_id=guild_id,
        data={"custom_id": custom_id, "components": rows},
        **kwargs,
    )


# --------------------------------------------------------------------------- errors


def error(code: int, message: str, errors: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A Discord JSON error body; discord.py copies ``code``/``message`` into HTTPException."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors is not None:
        body["errors"] = dict(errors)
    return body


def form_error(field: str, code: str, message: str) -> dict[str, Any]:
    """A 50035 "Invalid Form Body" error naming one field, like Discord's validation errors."""
    nested: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for part in reversed(field.split(".")):
        nested = {part: nested}
    return error(50035, "Invalid Form Body", nested)


# Frequently needed (status, body) pairs for fault injection.
CANNOT_DM = (403, error(50007, "Cannot send messages to this user"))
MISSING_ACCESS = (403, error(50001, "Missing Access"))
MISSING_PERMISSIONS = (403, error(50013, "Missing Permissions"))
UNKNOWN_MESSAGE = (404, error(10008, "Unknown Message"))
UNKNOWN_CHANNEL = (404, error(10003, "Unknown Channel"))
UNKNOWN_INTERACTION = (404, error(10062, "Unknown interaction"))
ALREADY_ACKNOWLEDGED = (400, error(40060, "Interaction has already been acknowledged."))
SERVER_ERROR = (500, error(0, "500: Internal Server Error"))
