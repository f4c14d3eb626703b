"""The gateway side of the fake: one :class:`GatewayConnection` per WebSocket the bot opens.

It speaks gateway v10 with JSON encoding: HELLO, IDENTIFY -> READY + GUILD_CREATE, heartbeats and
ACKs, RESUME -> RESUMED, REQUEST_GUILD_MEMBERS -> GUILD_MEMBERS_CHUNK, and the close codes discord.py
reacts to (4004 bad token, 4014 disallowed intents, ...). discord.py always asks for
``compress=zlib-stream`` in the URL, but it also accepts plain TEXT frames, so by default the fake
answers uncompressed; ``FakeDiscord(transport_compression=True)`` sends real zlib-stream frames instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

# Opcodes
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11

# Intents
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
GUILD_MESSAGE_TYPING = 1 << 11
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
DIRECT_MESSAGE_TYPING = 1 << 14
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT
ALL_INTENTS = (1 << 26) - 1

# (intent needed in a guild, intent needed in a DM) for events that Discord filters by intent.
_EVENT_INTENTS: dict[str, tuple[int, int]] = {
    "MESSAGE_CREATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_UPDATE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_DELETE": (GUILD_MESSAGES, DIRECT_MESSAGES),
    "MESSAGE_REACTION_ADD": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "MESSAGE_REACTION_REMOVE": (GUILD_MESSAGE_REACTIONS, DIRECT_MESSAGE_REACTIONS),
    "TYPING_START": (GUILD_MESSAGE_TYPING, DIRECT_MESSAGE_TYPING),
    "GUILD_MEMBER_ADD": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_MEMBER_UPDATE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "GUILD_MEMBER_REMOVE": (GUILD_MEMBERS, GUILD_MEMBERS),
    "PRESENCE_UPDATE": (GUILD_PRESENCES, GUILD_PRESENCES),
    "GUILD_CREATE": (GUILDS, GUILDS),
    "GUILD_UPDATE": (GUILDS, GUILDS),
    "GUILD_DELETE": (GUILDS, GUILDS),
    "CHANNEL_CREATE": (GUILDS, GUILDS),
    "CHANNEL_UPDATE": (GUILDS, GUILDS),
    "CHANNEL_DELETE": (GUILDS, GUILDS),
}


def event_allowed(event: str, data: Any, intents: int) -> bool:
    """Whether Discord would deliver ``event`` to a session identified with ``intents``."""
    needed = _EVENT_INTENTS.get(event)
    if needed is None:
        return True
    in_guild = isinstance(data, dict) and data.get("guild_id") is not None
    if event.startswith(("GUILD_", "CHANNEL_")):
        in_guild = True
    return bool(intents & (needed[0] if in_guild else needed[1]))


def redact_content(event: str, data: Any, intents: int, bot_id: str) -> Any:
    """Emulate the MESSAGE_CONTENT privileged intent: without it, guild messages that neither come from
    nor mention the bot arrive with empty content/embeds/attachments/components (DMs are exempt)."""
    if event not in ("MESSAGE_CREATE", "MESSAGE_UPDATE") or intents & MESSAGE_CONTENT:
        return data
    if not isinstance(data, dict) or data.get("guild_id") is None:
        return data
    if data.get("author", {}).get("id") == bot_id:
        return data
    if any(m.get("id") == bot_id for m in data.get("mentions", [])):
        return data
    redacted = dict(data)
    for key in ("content",):
        redacted[key] = ""
    for key in ("embeds", "attachments", "components"):
        redacted[key] = []
    redacted.pop("poll", None)
    return redacted


@dataclass(repr=False)
class GatewayConnection:
    """One WebSocket connection from the bot. ``frames_in``/``frames_out`` keep every decoded frame
    (unless the fake was made with ``keep_history=False``)."""

    fake: FakeDiscord
    ws: web.WebSocketResponse
    query: dict[str, str]
    path: str
    session_id: str | None = None
    shard: tuple[int, int] = (0, 1)
    intents: int | None = None
    identify: dict[str, Any] | None = None
    seq: int = 0
    heartbeats: int = 0
    resumed: bool = False
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int | None = None
    frames_in: list[dict[str, Any]] = field(default_factory=list)
    frames_out: list[dict[str, Any]] = field(default_factory=list)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _zlib: Any = None

    def __repr__(self) -> str:
        state = "open" if self.is_open else f"closed({self.close_code})"
        kind = "resumed" if self.resumed else ("identified" if self.identify else "connecting")
        return f"<GatewayConnection shard={list(self.shard)} {kind} {state} seq={self.seq}>"

    @property
    def shard_id(self) -> int:
        return self.shard[0]

    @property
    def compressed(self) -> bool:
        """True when frames go out as zlib-stream binary (see ``FakeDiscord.transport_compression``)."""
        return self._zlib is not None

    @property
    def is_open(self) -> bool:
        return not self.ws.closed and not self.closed.is_set()

    def owns_guild(self, guild_id: int | str) -> bool:
        """Discord's sharding formula: ``(guild_id >> 22) % shard_count``."""
        return (int(guild_id) >> 22) % self.shard[1] == self.shard[0]

    async def send(self, op: int, d: Any = None, t: str | None = None) -> None:
        async with self._lock:
            if op == DISPATCH:
                self.seq += 1
                frame = {"op": op, "d": d, "s": self.seq, "t": t}
            else:
                frame = {"op": op, "d": d, "s": None, "t": None}
            if self.fake.keep_history:
                self.frames_out.append(frame)
            text = json.dumps(frame)
            if self._zlib is not None:
                await self.ws.send_bytes(self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
            else:
                await self.ws.send_str(text)

    async def dispatch(self, event: str, data: Any) -> None:
        await self.send(DISPATCH, data, event)

    async def close(self, code: int, message: str = "") -> None:
        self.close_code = code
        await self.ws.close(code=code, message=message.encode())

    # ------------------------------------------------------------------ protocol

    async def run(self) -> None:
        """Serve the connection until either side closes it."""
        if self.query.get("compress") == "zlib-stream" and self.fake.transport_compression:
            self._zlib = zlib.compressobj()
        await self.send(HELLO, {"heartbeat_interval": self.fake.heartbeat_interval_ms})
        async for msg in self.ws:
            if msg.type is not WSMsgType.TEXT:
                if msg.type is WSMsgType.BINARY:
                    await self.close(4002, "Decode error")  # the fake only understands JSON text frames
                continue
            try:
                frame = json.loads(msg.data)
                op = frame["op"]
            except (ValueError, KeyError, TypeError):
                await self.close(4002, "Decode error")
                continue
            if self.fake.keep_history:
                self.frames_in.append(frame)
            await self._handle(op, frame.get("d"))
        if self.close_code is None:
            self.close_code = self.ws.close_code

    async def _handle(self, op: int, d: Any) -> None:
        if op == HEARTBEAT:
            self.heartbeats += 1
            if self.fake.ack_heartbeats:
                await self.send(HEARTBEAT_ACK)
        elif op == IDENTIFY:
            await self._identify(d)
        elif op == RESUME:
            await self._resume(d)
        elif not self.ready.is_set():
            await self.close(4003, "Not authenticated.")
        elif op == REQUEST_GUILD_MEMBERS:
            await self._request_members(d)
        elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
            pass  # recorded in frames_in; nothing to answer
        else:
            await self.close(4001, "Unknown opcode.")

    async def _identify(self, d: dict[str, Any]) -> None:
        fake = self.fake
        if self.ready.is_set():
            await self.close(4005, "Already authenticated.")
            return
        if d.get("token") not in fake.accepted_tokens:
            await self.close(4004, "Authentication failed.")
            return
        shard = tuple(d.get("shard") or (0, 1))
        if len(shard) != 2 or not 0 <= shard[0] < shard[1]:
            await self.close(4010, "Invalid shard.")
            return
        intents = d.get("intents")
        if not isinstance(intents, int) or intents & ~ALL_INTENTS:
            await self.close(4013, "Invalid intent(s).")
            return
        if intents & PRIVILEGED_INTENTS & ~fake.allowed_privileged_intents:
            await self.close(4014, "Disallowed intent(s).")
            return
        self.identify = d
        self.shard = (int(shard[0]), int(shard[1]))
        self.intents = intents
        self.session_id = secrets.token_hex(16)
        fake.identifies.append(d)
        fake._sessions[self.session_id] = self
        own_guilds = [g for gid, g in fake.guilds.items() if self.owns_guild(gid)]
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": copy.deepcopy(fake.bot_user),
                "guilds": [{"id": g["id"], "unavailable": True} for g in own_guilds],
                "session_id": self.session_id,
                "session_type": "normal",
                "resume_gateway_url": fake.resume_gateway_url,
                "shard": list(self.shard),
                "application": {"id": str(fake.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": ["us-east"],
            },
        )
        for g in own_guilds:
            await self.dispatch("GUILD_CREATE", copy.deepcopy(g))
        self.ready.set()
        fake._connection_changed()

    async def _resume(self, d: dict[str, Any]) -> None:
        fake = self.fake
        previous = fake._sessions.get(d.get("session_id", ""))
        if d.get("token") not in fake.accepted_tokens or previous is None:
            await self.send(INVALID_SESSION, False)
            return
        self.session_id = previous.session_id
        self.shard = previous.shard
        self.intents = previous.intents
        self.identify = previous.identify
        self.seq = max(previous.seq, int(d.get("seq") or 0))
        self.resumed = True
        fake._sessions[self.session_id] = self
        fake.resumes.append(d)
        await self.dispatch("RESUMED", {})
        self.ready.set()
        fake._connection_changed()

    async def _request_members(self, d: dict[str, Any]) -> None:
        guild = self.fake.guilds.get(int(d["guild_id"]))
        members = [] if guild is None else guild["members"]
        if d.get("user_ids"):
            wanted = {str(u) for u in d["user_ids"]}
            members = [m for m in members if m["user"]["id"] in wanted]
        elif d.get("query"):
            members = [m for m in members if m["user"]["username"].lower().startswith(d["query"].lower())]
        if d.get("limit"):
            members = members[: d["limit"]]
        payload: dict[str, Any] = {
            "guild_id": str(d["guild_id"]),
            "members": copy.deepcopy(members),
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce") is not None:
            payload["nonce"] = d["nonce"]
        if d.get("presences"):
            payload["presences"] = []
        await self.dispatch("GUILD_MEMBERS_CHUNK", payload)


async def serve_gateway(fake: FakeDiscord, request: web.Request) -> web.StreamResponse:
    """aiohttp handler for the gateway URL (and the resume URL)."""
    ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
    await ws.prepare(request)
    conn = GatewayConnection(fake=fake, ws=ws, query=dict(request.query), path=request.path)
    fake.connections.append(conn)
    fake._connection_changed()
    try:
        await conn.run()
    finally:
        conn.closed.set()
        if conn.close_code is None:
            conn.close_code = ws.close_code
        with contextlib.suppress(Exception):
            await ws.close()
        fake._connection_changed()
    return ws
