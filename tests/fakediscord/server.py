"""``FakeDiscord``: an in-process Discord (REST v10 + gateway) on 127.0.0.1 for end-to-end bot tests.

Why a fake server rather than mocks: the bot runs through discord.py's *real* code paths -- its HTTP
client, rate-limit buckets, retries, gateway state machine, interaction/webhook adapters, view
routing -- so tests catch the mistakes that only show up on the wire (wrong callback type, message
too long, responding twice, forgetting an intent). Only discord.py's two URL constants are redirected.
"""

# A ``timeout=`` keyword is this module's deliberate API for test authors.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yarl
from aiohttp import web

from . import payloads as p
from .gateway import ALL_INTENTS, GatewayConnection, event_allowed, redact_content, serve_gateway
from .records import (
    Fault,
    RecordedFile,
    RecordedRequest,
    RequestLog,
    lower_keys,
    ratelimit_headers,
)
from .rest import ApiError, Reply, RestApi

_log = logging.getLogger("tests.fakediscord")
_API_PREFIX = re.compile(r"^/api/v(?P<version>\d+)(?P<path>/.*)$")
_DEFAULT_ERRORS = {
    400: p.error(50035, "Invalid Form Body"),
    401: p.error(0, "401: Unauthorized"),
    403: p.error(50013, "Missing Permissions"),
    404: p.error(0, "404: Not Found"),
    500: p.error(0, "500: Internal Server Error"),
    502: p.error(0, "502: Bad Gateway"),
}

UserRef = Mapping[str, Any] | int | str | None


@dataclass
class InteractionRecord:
    """What the fake knows about one dispatched interaction and how the bot answered it."""

    payload: dict[str, Any]
    response_type: int | None = None
    response: dict[str, Any] | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return self.payload["token"]


class FakeDiscord:
    """State + server. Construct, ``await start()``, point discord.py at it (``patch_discord_urls``),
    run the bot, drive it with ``dispatch``/the ``invoke_*`` helpers, inspect ``requests``.

    Out of the box it has one guild ("Fake Guild", ``self.guild``) with a ``#general`` text channel
    (``self.channel``), the bot, and a human member "alice" (``self.user``).
    """

    def __init__(
        self,
        *,
        token: str = "fake.bot.token",
        bot_name: str = "FakeBot",
        default_guild: bool = True,
        heartbeat_interval_ms: int = 41_250,
        recommended_shards: int = 1,
        allowed_privileged_intents: int = ALL_INTENTS,
        transport_compression: bool = False,
        ratelimit_headers: bool = True,
        upload_limit: int = 10 * 1024 * 1024,
        keep_history: bool = True,
    ) -> None:
        self.token = token
        # Tests read back every request and gateway frame; a benchmark sending thousands of interactions
        # turns this off so the fake's heap (and its garbage collection) does not grow with the run, and
        # the fake skips the copies that only protect that record (its cost is Discord's, not the bot's).
        self.keep_history = keep_history
        self.accepted_tokens: set[str] = {token}
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.recommended_shards = recommended_shards
        self.allowed_privileged_intents = allowed_privileged_intents
        self.transport_compression = transport_compression
        self.send_ratelimit_headers = ratelimit_headers
        self.upload_limit = upload_limit
        self.ack_heartbeats = True

        self.users: dict[int, dict[str, Any]] = {}
        self.guilds: dict[int, dict[str, Any]] = {}
        self.channels: dict[int, dict[str, Any]] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.interactions: dict[int, InteractionRecord] = {}
        self._interactions_by_token: dict[str, InteractionRecord] = {}
        self._dm_by_user: dict[int, int] = {}
        self.closed_dms: set[int] = set()
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}

        self.bot_user = self.add_user(bot_name, bot=True, in_guild=False)
        self.application_id = int(self.bot_user["id"])  # modern apps: application id == bot user id
        owner = self.add_user("owner", in_guild=False)
        self.application = p.application(self.application_id, self.bot_user, owner)

        self.guild: dict[str, Any] | None = None
        self.channel: dict[str, Any] | None = None
        if default_guild:
            self.guild = self.add_guild("Fake Guild", owner=owner)
            self.channel = self.guild["channels"][0]
        self.user = self.add_user("alice")

        self.log = RequestLog(keep=keep_history)
        self.faults: list[Fault] = []
        self.rest = RestApi(self)
        self.connections: list[GatewayConnection] = []
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.dropped_events: list[tuple[str, Any]] = []
        self._sessions: dict[str, GatewayConnection] = {}
        self._conn_event = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port: int = 0

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 on a free port (chosen by the OS)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/ws", self._serve_gateway)
        app.router.add_get("/ws-resume", self._serve_gateway)
        app.router.add_route("*", "/{tail:.*}", self._serve_rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Close gateway sockets (code 1001, like a server going away) and stop listening."""
        for conn in self.connections:
            if conn.is_open:
                with contextlib.suppress(Exception):
                    await conn.close(1001, "server shutting down")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` and what GET /gateway(/bot) returns."""
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def resume_gateway_url(self) -> str:
        """Sent in READY; a distinct path so tests can see discord.py resumed where it was told to."""
        return f"ws://127.0.0.1:{self.port}/ws-resume"

    @contextlib.contextmanager
    def patch_discord_urls(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this fake, restoring them afterwards.
        (The ``fake_discord`` fixture does the same with monkeypatch.)"""
        from discord.gateway import DiscordWebSocket
        from discord.http import Route

        old = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
        Route.BASE = self.api_base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old

    # ------------------------------------------------------------------ world building

    def add_user(
        self, username: str, *, bot: bool = False, user_id: int | None = None, in_guild: bool = True
    ) -> dict[str, Any]:
        """Register a user (GET /users/{id} finds it); by default also a member of the default guild."""
        data = p.user(user_id, username, bot=bot)
        self.users[int(data["id"])] = data
        if in_guild and getattr(self, "guild", None) is not None:
            self.add_member(self.guild, data)
        return data

    def add_member(
        self, guild: Mapping[str, Any] | int, user_data: Mapping[str, Any], *, roles: Iterable[int] = ()
    ) -> dict[str, Any]:
        g = self._guild(guild)
        mem = p.member(user_data, roles=roles)
        g["members"].append(mem)
        g["member_count"] = len(g["members"])
        return mem

    def add_guild(
        self,
        name: str,
        *,
        channels: Iterable[str] = ("general",),
        owner: Mapping[str, Any] | None = None,
        guild_id: int | None = None,
    ) -> dict[str, Any]:
        """A guild the bot is in (sent as GUILD_CREATE on IDENTIFY to the owning shard)."""
        gid = guild_id or p.next_id()
        bot_member = p.member(self.bot_user)
        g = p.guild(gid, name, owner_id=(owner or self.bot_user)["id"], members=[bot_member])
        self.guilds[gid] = g
        for position, channel_name in enumerate(channels):
            self.add_text_channel(g, channel_name, position=position)
        g["system_channel_id"] = g["channels"][0]["id"] if g["channels"] else None
        return g

    def add_text_channel(self, guild: Mapping[str, Any] | int, name: str, *, position: int = 0) -> dict[str, Any]:
        g = self._guild(guild)
        ch = p.text_channel(g["id"], name, position=position)
        g["channels"].append(ch)
        self.channels[int(ch["id"])] = ch
        return ch

    def dm_channel_for(self, user: UserRef) -> dict[str, Any]:
        """The DM channel with ``user`` (created on first use, stable afterwards -- like Discord)."""
        u = self._user(user)
        uid = int(u["id"])
        if uid not in self._dm_by_user:
            ch = p.dm_channel(u)
            self.channels[int(ch["id"])] = ch
            self._dm_by_user[uid] = int(ch["id"])
        return self.channels[self._dm_by_user[uid]]

    def close_dms(self, user: UserRef) -> None:
        """From now on, messages to this user's DM channel fail with 403/50007 (DMs disabled)."""
        self.closed_dms.add(int(self._user(user)["id"]))

    def _guild(self, guild: Mapping[str, Any] | int | str | None) -> dict[str, Any]:
        if guild is None:
            if self.guild is None:
                raise ValueError("no default guild; pass guild=")
            return self.guild
        gid = int(guild["id"]) if isinstance(guild, Mapping) else int(guild)
        return self.guilds[gid]

    def _user(self, user: UserRef) -> dict[str, Any]:
        if user is None:
            return self.user
        if isinstance(user, Mapping):
            self.users.setdefault(int(user["id"]), dict(user))
            return self.users[int(user["id"])]
        uid = int(user)
        if uid not in self.users:  # unknown id: invent a plausible user, as tests often just pick ids
            self.users[uid] = p.user(uid, f"user{uid % 10000}")
        return self.users[uid]

    def _channel_ref(self, channel: Mapping[str, Any] | int | str | None, default: dict[str, Any]) -> dict[str, Any]:
        if channel is None:
            return default
        cid = int(channel["id"]) if isinstance(channel, Mapping) else int(channel)
        return self.channels[cid]

    def get_message(self, message_id: int | str) -> dict[str, Any]:
        return self.messages[int(message_id)]

    def bot_messages(self, channel: Mapping[str, Any] | int | str | None = None) -> list[dict[str, Any]]:
        """Messages the bot created (channel sends, interaction responses, followups), oldest first."""
        cid = None if channel is None else str(channel["id"] if isinstance(channel, Mapping) else channel)
        msgs = [
            m
            for m in self.messages.values()
            if m["author"]["id"] == self.bot_user["id"] and (cid is None or m["channel_id"] == cid)
        ]
        return sorted(msgs, key=lambda m: int(m["id"]))

    def last_bot_message(self, channel: Mapping[str, Any] | int | str | None = None) -> dict[str, Any]:
        msgs = self.bot_messages(channel)
        if not msgs:
            raise LookupError("the bot has not sent any message" + (f" in {channel}" if channel else ""))
        return msgs[-1]

    def _store_bot_message(
        self,
        channel: Mapping[str, Any],
        body: Mapping[str, Any],
        *,
        attachments: Iterable[Mapping[str, Any]] = (),
        message_type: int = 0,
        interaction: InteractionRecord | None = None,
    ) -> dict[str, Any]:
        """Create a message authored by the bot from a send/edit-style body."""
        # The message must not share objects with the recorded request body (tests read both, edits
        # replace fields); one JSON round trip copies the parts it keeps at C speed (see `RestApi._public`).
        ip = interaction.payload if interaction is not None else {}
        kept = {
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "message_reference": body.get("message_reference"),
            "invoker": ip.get("member", {}).get("user") or ip.get("user"),
        }
        if self.keep_history:  # without history nothing else holds the request body: no copy needed
            kept = json.loads(json.dumps(kept))
        extra: dict[str, Any] = {}
        if interaction is not None:
            extra["webhook_id"] = str(self.application_id)
            extra["application_id"] = str(self.application_id)
            extra["interaction_metadata"] = {
                "id": ip["id"],
                "type": ip["type"],
                "user": kept["invoker"],
                "authorizing_integration_owners": ip.get("authorizing_integration_owners", {}),
            }
        if kept["message_reference"]:
            extra["message_reference"] = kept["message_reference"]
        msg = p.message(
            channel["id"],
            self.bot_user,
            body.get("content") or "",
            guild_id=channel.get("guild_id"),
            embeds=kept["embeds"],
            components=kept["components"],
            attachments=attachments,
            flags=int(body.get("flags") or 0),
            message_type=message_type,
            tts=bool(body.get("tts", False)),
            **extra,
        )
        if body.get("poll"):
            msg["poll"] = copy.deepcopy(body["poll"])
        self.messages[int(msg["id"])] = msg
        ch = self.channels.get(int(channel["id"]))
        if ch is not None:
            ch["last_message_id"] = msg["id"]
        return msg

    # ------------------------------------------------------------------ gateway side

    def _connection_changed(self) -> None:
        self._conn_event.set()
        self._conn_event = asyncio.Event()

    @property
    def live_connections(self) -> list[GatewayConnection]:
        """Open connections that completed IDENTIFY or RESUME."""
        return [c for c in self.connections if c.is_open and c.ready.is_set()]

    async def wait_for_connections(self, count: int = 1, *, timeout: float = 5.0) -> list[GatewayConnection]:
        """Wait until ``count`` gateway connections are live (identified/resumed and open)."""
        async with asyncio.timeout(timeout):
            while len(self.live_connections) < count:
                await self._conn_event.wait()
        return self.live_connections

    @property
    def intents(self) -> int | None:
        """Intents of the most recent IDENTIFY (None before any)."""
        return self.identifies[-1].get("intents") if self.identifies else None

    async def dispatch(
        self, event: str, data: Any, *, shard_id: int | None = None, connection: GatewayConnection | None = None
    ) -> int:
        """Send a DISPATCH ``event`` to the bot and return on how many connections it went out.

        Routing follows Discord: an event with ``guild_id`` goes to the shard owning that guild, anything
        else to shard 0; ``connection`` sends it on that one connection only (two bots sharing one fake,
        as the Discord benchmark runs them). Events the session's intents exclude are *not* sent (Discord
        drops them too); they land in ``dropped_events`` and the return value is 0. Guild messages lose their content
        without the message_content intent, as on Discord. The fake also learns from what it sends:
        interactions become answerable, messages become fetchable/editable, DM channels become known.
        """
        self._learn(event, data)
        targets = self.live_connections
        if not targets:
            raise RuntimeError(f"cannot dispatch {event}: no live gateway connection (is the bot running?)")
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        if event in ("GUILD_CREATE", "GUILD_UPDATE", "GUILD_DELETE") and isinstance(data, dict):
            guild_id = data.get("id")
        if connection is not None:
            targets = [c for c in targets if c is connection]
        elif shard_id is not None:
            targets = [c for c in targets if c.shard_id == shard_id]
        elif guild_id is not None:
            targets = [c for c in targets if c.owns_guild(guild_id)]
        else:
            targets = [c for c in targets if c.shard_id == 0]
        sent = 0
        for conn in targets:
            intents = conn.intents if conn.intents is not None else ALL_INTENTS
            if not event_allowed(event, data, intents):
                self.dropped_events.append((event, data))
                continue
            await conn.dispatch(event, redact_content(event, data, intents, self.bot_user["id"]))
            sent += 1
        return sent

    def _learn(self, event: str, data: Any) -> None:
        if not isinstance(data, dict):
            return
        if event == "INTERACTION_CREATE":
            record = InteractionRecord(payload=data)
            self.interactions[record.id] = record
            self._interactions_by_token[record.token] = record
            if data.get("message"):
                self.messages.setdefault(int(data["message"]["id"]), copy.deepcopy(data["message"]))
        elif event == "MESSAGE_CREATE":
            self.messages[int(data["id"])] = copy.deepcopy(data)
            author = data.get("author")
            if data.get("guild_id") is None and author and int(data["channel_id"]) not in self.channels:
                u = self._user(author)
                ch = p.dm_channel(u, int(data["channel_id"]))
                self.channels[int(ch["id"])] = ch
                self._dm_by_user.setdefault(int(u["id"]), int(ch["id"]))
        elif event == "GUILD_CREATE":
            self.guilds[int(data["id"])] = data
            for ch in data.get("channels", []):
                ch.setdefault("guild_id", data["id"])
                self.channels[int(ch["id"])] = ch

    async def send_op(self, op: int, d: Any = None, *, shard_id: int | None = None) -> None:
        """Send a raw non-dispatch opcode (e.g. 7 RECONNECT, 9 INVALID_SESSION) to live connections."""
        for conn in self.live_connections:
            if shard_id is None or conn.shard_id == shard_id:
                await conn.send(op, d)

    async def drop_connections(self, code: int = 4000, *, shard_id: int | None = None) -> None:
        """Close live gateway sockets from the server side; discord.py should RESUME (for 4000)."""
        for conn in self.live_connections:
            if shard_id is None or conn.shard_id == shard_id:
                await conn.close(code, "closed by test")

    # ------------------------------------------------------------------ test-side event helpers

    def _context(self, user: UserRef, dm: bool, guild: Mapping[str, Any] | int | None, channel: Any) -> dict[str, Any]:
        u = self._user(user)
        if dm:
            return {"user_data": u, "channel": self.dm_channel_for(u), "guild_id": None}
        g = self._guild(guild)
        default_channel = next(c for c in g["channels"] if c["type"] == p.GUILD_TEXT)
        return {"user_data": u, "channel": self._channel_ref(channel, default_channel), "guild_id": g["id"]}

    def _command_meta(self, name: str, guild_id: str | None) -> dict[str, Any]:
        """Use the id of the synced command, and ``data.guild_id`` for guild-registered ones."""
        if guild_id is not None:
            for cmd in self.guild_commands.get(int(guild_id), []):
                if cmd["name"] == name and cmd.get("type", 1) == 1:
                    return {"command_id": cmd["id"], "command_guild_id": guild_id}
        for cmd in self.global_commands:
            if cmd["name"] == name and cmd.get("type", 1) == 1:
                return {"command_id": cmd["id"]}
        return {}

    def slash_payload(
        self,
        name: str,
        options: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None = None,
        *,
        subcommand: str | None = None,
        group: str | None = None,
        user: UserRef = None,
        dm: bool = False,
        guild: Mapping[str, Any] | int | None = None,
        channel: Any = None,
        autocomplete: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Build (not send) a slash-command interaction; ``autocomplete="opt"`` makes it an autocomplete."""
        ctx = self._context(user, dm, guild, channel)
        meta = self._command_meta(name, ctx["guild_id"])
        meta.update(kwargs)
        builder = p.slash_command_interaction
        if autocomplete is not None:
            builder = p.autocomplete_interaction
            meta["focused"] = autocomplete
        return builder(
            name,
            application_id=self.application_id,
            options=options,
            subcommand=subcommand,
            group=group,
            **ctx,
            **meta,
        )

    async def invoke_slash(self, name: str, options: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Dispatch ``/name`` (see :meth:`slash_payload` for arguments); returns the interaction payload."""
        payload = self.slash_payload(name, options, **kwargs)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(self, name: str, focused: str, options: Any = None, **kwargs: Any) -> dict[str, Any]:
        """Dispatch an autocomplete for option ``focused`` (its current text goes in ``options``)."""
        payload = self.slash_payload(name, options, autocomplete=focused, **kwargs)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    def component_payload(
        self,
        message: Mapping[str, Any] | int | str,
        custom_id: str,
        *,
        values: Iterable[str] | None = None,
        component_type: int | None = None,
        user: UserRef = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Build a click/select on ``message`` (a message dict or id the fake knows)."""
        msg = self.get_message(message["id"] if isinstance(message, Mapping) else message)
        channel = self.channels.get(int(msg["channel_id"])) or {"id": msg["channel_id"], "type": p.GUILD_TEXT}
        ctype = component_type or (p.BUTTON if values is None else p.STRING_SELECT)
        return p.component_interaction(
            custom_id,
            application_id=self.application_id,
            user_data=self._user(user),
            channel=channel,
            message_data=RestApi._public(msg),
            component_type=ctype,
            values=values,
            guild_id=msg.get("guild_id") or channel.get("guild_id"),
            **kwargs,
        )

    async def click(self, message: Mapping[str, Any] | int | str, custom_id: str, **kwargs: Any) -> dict[str, Any]:
        """Dispatch a button click on ``message``; returns the interaction payload."""
        payload = self.component_payload(message, custom_id, **kwargs)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def select(
        self, message: Mapping[str, Any] | int | str, custom_id: str, values: Iterable[str], **kwargs: Any
    ) -> dict[str, Any]:
        """Dispatch a select-menu choice on ``message``."""
        payload = self.component_payload(message, custom_id, values=list(values), **kwargs)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def submit_modal(
        self,
        custom_id: str,
        values: Mapping[str, str],
        *,
        user: UserRef = None,
        dm: bool = False,
        guild: Any = None,
        channel: Any = None,
    ) -> dict[str, Any]:
        """Dispatch a modal submission with ``{text_input_custom_id: value}``."""
        ctx = self._context(user, dm, guild, channel)
        payload = p.modal_submit_interaction(custom_id, values, application_id=self.application_id, **ctx)
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def send_dm(
        self, content: str, *, user: UserRef = None, author_bot: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE: ``user`` DMs the bot. ``author_bot`` flips ``author.bot``."""
        u = dict(self._user(user))
        u["bot"] = author_bot or u.get("bot", False)
        payload = p.dm_message(self.dm_channel_for(u)["id"], u, content, **kwargs)
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    async def send_guild_message(
        self,
        content: str,
        *,
        user: UserRef = None,
        channel: Any = None,
        guild: Any = None,
        mentions: Iterable[UserRef] = (),
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Dispatch MESSAGE_CREATE in a guild text channel (default: the default guild's #general)."""
        ctx = self._context(user, False, guild, channel)
        payload = p.guild_message(
            ctx["channel"]["id"],
            ctx["guild_id"],
            ctx["user_data"],
            content,
            mentions=[self._user(m) for m in mentions],
            **kwargs,
        )
        await self.dispatch("MESSAGE_CREATE", payload)
        return payload

    # ------------------------------------------------------------------ request inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every HTTP request the bot made, in arrival order."""
        return self.log.requests

    @property
    def unhandled_requests(self) -> list[RecordedRequest]:
        """Requests to routes the fake does not implement (answered 404/405)."""
        return [r for r in self.requests if r.unhandled]

    def find_requests(self, method: str | None = None, pattern: str = r".*", **kwargs: Any) -> list[RecordedRequest]:
        """Non-consuming filter; ``pattern`` is a regex that must match the whole path."""
        return self.log.find(method, pattern, **kwargs)

    async def wait_for_request(
        self,
        method: str | None,
        pattern: str,
        *,
        timeout: float = 5.0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """Wait for (and consume) the oldest not-yet-consumed request matching; see :class:`RequestLog`."""
        return await self.log.wait_for(method, pattern, timeout=timeout, predicate=predicate)

    async def wait_for_callback(self, interaction: Mapping[str, Any], *, timeout: float = 5.0) -> RecordedRequest:
        """The bot's POST /interactions/{id}/{token}/callback for this interaction payload."""
        path = rf"/interactions/{interaction['id']}/{re.escape(interaction['token'])}/callback"
        return await self.wait_for_request("POST", path, timeout=timeout)

    async def wait_for_followup(self, interaction: Mapping[str, Any], *, timeout: float = 5.0) -> RecordedRequest:
        """The bot's POST /webhooks/{app_id}/{token} (a followup message) for this interaction."""
        path = rf"/webhooks/{self.application_id}/{re.escape(interaction['token'])}"
        return await self.wait_for_request("POST", path, timeout=timeout)

    async def wait_for_original_edit(self, interaction: Mapping[str, Any], *, timeout: float = 5.0) -> RecordedRequest:
        """The bot's PATCH .../messages/@original (e.g. after ``defer()``) for this interaction."""
        path = rf"/webhooks/{self.application_id}/{re.escape(interaction['token'])}/messages/@original"
        return await self.wait_for_request("PATCH", path, timeout=timeout)

    def clear_requests(self) -> None:
        self.log.clear()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str | None,
        pattern: str,
        status: int | tuple[int, dict[str, Any]],
        body: Any = None,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer the next ``times`` requests matching with ``status``/``body`` instead of the real route.

        ``status`` may be a ``(status, body)`` pair such as ``payloads.CANNOT_DM``. Faults are checked
        before authentication and routing, in the order they were added.
        """
        if isinstance(status, tuple):
            status, body = status
        if body is None:
            body = _DEFAULT_ERRORS.get(status, p.error(0, f"{status}: Error"))
        fault = Fault(
            method=method.upper() if method else None,
            pattern=re.compile(pattern),
            status=status,
            body=copy.deepcopy(body),
            times=times,
            headers=dict(headers or {}),
        )
        self.faults.append(fault)
        return fault

    def rate_limit_next(
        self,
        method: str | None,
        pattern: str,
        *,
        retry_after: float = 0.05,
        is_global: bool = False,
        times: int = 1,
    ) -> Fault:
        """Answer with 429 the way Discord does: ``retry_after`` body, X-RateLimit-* and ``Via`` headers
        (discord.py treats a 429 without ``Via`` as a Cloudflare ban and raises instead of retrying)."""
        body = {
            "message": "You are being rate limited.",
            "retry_after": retry_after,
            "global": is_global,
            "code": 0,
        }
        headers = ratelimit_headers(
            "faultbucket", remaining=0, reset_after=retry_after, scope="global" if is_global else "user"
        )
        headers["Retry-After"] = str(max(1, round(retry_after)))
        if is_global:
            headers["X-RateLimit-Global"] = "true"
        return self.fail_next(method, pattern, 429, body, times=times, headers=headers)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _serve_gateway(self, request: web.Request) -> web.StreamResponse:
        return await serve_gateway(self, request)

    async def _serve_rest(self, request: web.Request) -> web.StreamResponse:
        m = _API_PREFIX.match(request.path)
        path = m["path"] if m else request.path
        rec = RecordedRequest(
            method=request.method,
            path=path,
            query=dict(request.query),
            headers=lower_keys(request.headers),
        )
        await self._read_body(request, rec)
        reply = self._answer(rec, api=m is not None)
        rec.status, rec.response = reply.status, reply.body
        if rec.unhandled:
            _log.warning("fakediscord has no route for %s %s (answered %s)", rec.method, rec.path, rec.status)
        # Serialised before anything can await: the body may share objects with the fake's state.
        body = None if reply.status == 204 or reply.body is None else json.dumps(reply.body).encode()
        await self.log.add(rec)
        if body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        # Exactly "application/json" (no charset): discord.py's json_or_text compares the header verbatim.
        headers = {**reply.headers, "Content-Type": "application/json"}
        return web.Response(body=body, status=reply.status, headers=headers)

    async def _read_body(self, request: web.Request, rec: RecordedRequest) -> None:
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part is None or not hasattr(part, "read"):
                    continue
                data = await part.read(decode=False)
                if part.name == "payload_json":
                    rec.json = json.loads(data)
                else:
                    rec.files.append(
                        RecordedFile(
                            field=part.name or "",
                            filename=part.filename,
                            content_type=part.headers.get("Content-Type"),
                            data=bytes(data),
                        )
                    )
            return
        raw = await request.read()
        if not raw:
            return
        text = raw.decode("utf-8", "replace")
        rec.text = text
        if request.content_type == "application/json":
            try:
                rec.json = json.loads(text)
            except ValueError:
                rec.json = None

    def _answer(self, rec: RecordedRequest, *, api: bool) -> Reply:
        for fault in self.faults:
            if fault.matches(rec.method, rec.path):
                fault.hits += 1
                rec.faulted = True
                headers = dict(fault.headers)
                if fault.status == 429:
                    headers.setdefault("Via", "1.1 google")
                return Reply(fault.status, copy.deepcopy(fault.body), headers)
        if not api:
            return Reply(404, p.error(0, "404: Not Found"))
        route, match, path_known = self.rest.resolve(rec.method, rec.path)
        if route is None or match is None:
            if path_known:
                return Reply(405, p.error(0, "405: Method Not Allowed"))
            return Reply(404, p.error(0, "404: Not Found"))
        rec.route = route.template
        if route.bot_auth:
            auth = rec.headers.get("authorization", "")
            if not auth.startswith("Bot ") or auth[4:] not in self.accepted_tokens:
                return Reply(401, p.error(0, "401: Unauthorized"))
        try:
            reply = route.handler(rec, match)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body)
        if self.send_ratelimit_headers and reply.status < 400:
            reply.headers = {**ratelimit_headers(route.bucket), **reply.headers}
        return reply
