"""REST API v10 routes of the fake, as a small regex route table over :class:`FakeDiscord` state.

Handlers answer like Discord does where discord.py or bot code can tell the difference: realistic
objects with snowflake ids, 204 where Discord sends no body, and Discord's JSON errors (10003 Unknown
Channel, 40060 already acknowledged, 50006 empty message, 50035 form-body limits ...) so bugs that real
Discord would reject fail in tests too.
"""

from __future__ import annotations

import copy
import hashlib
import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from . import payloads as p
from .records import RecordedFile, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord, InteractionRecord


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """Raised by handlers to answer with a Discord error body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body

    @classmethod
    def of(cls, pair: tuple[int, dict[str, Any]]) -> ApiError:
        return cls(pair[0], copy.deepcopy(pair[1]))


@dataclass
class RouteDef:
    method: str
    template: str
    regex: re.Pattern[str]
    handler: Callable[[RecordedRequest, re.Match[str]], Reply]
    bot_auth: bool

    @property
    def bucket(self) -> str:
        return hashlib.sha1(f"{self.method} {self.template}".encode()).hexdigest()[:16]


_PARAM = re.compile(r"\{(\w+)\}")
MAX_CONTENT = 2000


def _compile(template: str) -> re.Pattern[str]:
    """``/channels/{channel_id}/messages`` -> a regex with named groups (ids are digits, tokens are not)."""
    out, pos = "", 0
    for m in _PARAM.finditer(template):
        out += re.escape(template[pos : m.start()])
        name = m.group(1)
        out += rf"(?P<{name}>[^/]+)" if name in ("token", "emoji") else rf"(?P<{name}>\d+)"
        pos = m.end()
    return re.compile(out + re.escape(template[pos:]))


# --------------------------------------------------------------------------- validation


def validate_message(body: dict[str, Any], files: list[RecordedFile], *, creating: bool) -> None:
    """The limits Discord enforces that chat bots most often trip over."""
    content = body.get("content")
    if content is not None and len(str(content)) > MAX_CONTENT:
        raise ApiError(400, p.form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length."))
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise ApiError(400, p.form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length."))
    total = 0
    limits = {"title": 256, "description": 4096}
    for i, embed in enumerate(embeds):
        for key, limit in limits.items():
            value = embed.get(key) or ""
            total += len(value)
            if len(value) > limit:
                msg = f"Must be {limit} or fewer in length."
                raise ApiError(400, p.form_error(f"embeds.{i}.{key}", "BASE_TYPE_MAX_LENGTH", msg))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            msg = "Must be 25 or fewer in length."
            raise ApiError(400, p.form_error(f"embeds.{i}.fields", "BASE_TYPE_MAX_LENGTH", msg))
        for j, fld in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = str(fld.get(key) or "")
                total += len(value)
                if not value.strip():
                    msg = "This field is required"
                    raise ApiError(400, p.form_error(f"embeds.{i}.fields.{j}.{key}", "BASE_TYPE_REQUIRED", msg))
                if len(value) > limit:
                    msg = f"Must be {limit} or fewer in length."
                    raise ApiError(400, p.form_error(f"embeds.{i}.fields.{j}.{key}", "BASE_TYPE_MAX_LENGTH", msg))
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
    if total > 6000:
        raise ApiError(
            400, p.form_error("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
        )
    if creating and not (
        (content and str(content).strip())
        or embeds
        or files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise ApiError(400, p.error(50006, "Cannot send an empty message"))


def validate_commands(commands: list[dict[str, Any]]) -> None:
    """Name/description rules Discord applies on command sync (discord.py checks some of them locally)."""
    seen: set[tuple[str, int]] = set()
    name_re = re.compile(r"^[-_\w]{1,32}$")
    for i, cmd in enumerate(commands):
        name, kind = cmd.get("name", ""), cmd.get("type", 1)
        if not name_re.match(name) or (kind == 1 and name != name.lower()):
            raise ApiError(
                400, p.form_error(f"{i}.name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
            )
        if kind == 1 and not 1 <= len(cmd.get("description", "")) <= 100:
            msg = "Must be between 1 and 100 in length."
            raise ApiError(400, p.form_error(f"{i}.description", "BASE_TYPE_BAD_LENGTH", msg))
        if len(cmd.get("options") or []) > 25:
            msg = "Must be 25 or fewer in length."
            raise ApiError(400, p.form_error(f"{i}.options", "BASE_TYPE_MAX_LENGTH", msg))
        if (name, kind) in seen:
            msg = "Application command names must be unique"
            raise ApiError(400, p.form_error(f"{i}.name", "APPLICATION_COMMANDS_DUPLICATE_NAME", msg))
        seen.add((name, kind))


# --------------------------------------------------------------------------- the API


class RestApi:
    """Route table + handlers. State lives on the :class:`FakeDiscord` passed in."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.routes: list[RouteDef] = []
        bot, hook = True, False
        r = self._add
        r("GET", "/users/@me", self.get_me, bot)
        r("GET", "/users/{user_id}", self.get_user, bot)
        r("POST", "/users/@me/channels", self.create_dm, bot)
        r("GET", "/gateway", self.get_gateway, False)
        r("GET", "/gateway/bot", self.get_gateway_bot, bot)
        r("GET", "/oauth2/applications/@me", self.get_application, bot)
        r("GET", "/applications/@me", self.get_application, bot)
        for scope in ("", "/guilds/{guild_id}"):
            base = "/applications/{app_id}" + scope + "/commands"
            r("GET", base, self.list_commands, bot)
            r("PUT", base, self.put_commands, bot)
            r("POST", base, self.upsert_command, bot)
            r("GET", base + "/{command_id}", self.get_command, bot)
            r("PATCH", base + "/{command_id}", self.edit_command, bot)
            r("DELETE", base + "/{command_id}", self.delete_command, bot)
        r("GET", "/guilds/{guild_id}", self.get_guild, bot)
        r("GET", "/guilds/{guild_id}/channels", self.get_guild_channels, bot)
        r("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member, bot)
        r("GET", "/channels/{channel_id}", self.get_channel, bot)
        r("GET", "/channels/{channel_id}/messages", self.list_messages, bot)
        r("POST", "/channels/{channel_id}/messages", self.create_message, bot)
        r("GET", "/channels/{channel_id}/messages/{message_id}", self.get_message, bot)
        r("PATCH", "/channels/{channel_id}/messages/{message_id}", self.edit_message, bot)
        r("DELETE", "/channels/{channel_id}/messages/{message_id}", self.delete_message, bot)
        r("POST", "/channels/{channel_id}/typing", self.no_content, bot)
        reaction = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
        r("PUT", reaction, self.no_content, bot)
        r("DELETE", reaction, self.no_content, bot)
        r("POST", "/interactions/{interaction_id}/{token}/callback", self.interaction_callback, hook)
        r("POST", "/webhooks/{app_id}/{token}", self.create_followup, hook)
        r("GET", "/webhooks/{app_id}/{token}/messages/@original", self.get_original, hook)
        r("PATCH", "/webhooks/{app_id}/{token}/messages/@original", self.edit_original, hook)
        r("DELETE", "/webhooks/{app_id}/{token}/messages/@original", self.delete_original, hook)
        r("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self.get_webhook_message, hook)
        r("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", self.edit_webhook_message, hook)
        r("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", self.delete_webhook_message, hook)

    def _add(self, method: str, template: str, handler: Any, bot_auth: bool) -> None:
        self.routes.append(RouteDef(method, template, _compile(template), handler, bot_auth))

    def resolve(self, method: str, path: str) -> tuple[RouteDef | None, re.Match[str] | None, bool]:
        """(route, match, path_known). ``/users/@me`` wins over ``/users/{user_id}`` by table order."""
        path_known = False
        for route in self.routes:
            m = route.regex.fullmatch(path)
            if m is None:
                continue
            path_known = True
            if route.method == method:
                return route, m, True
        return None, None, path_known

    # ------------------------------------------------------------------ helpers

    def _channel(self, channel_id: str) -> dict[str, Any]:
        channel = self.fake.channels.get(int(channel_id))
        if channel is None:
            raise ApiError.of(p.UNKNOWN_CHANNEL)
        return channel

    def _message(self, channel_id: str, message_id: str) -> dict[str, Any]:
        msg = self.fake.messages.get(int(message_id))
        if msg is None or msg["channel_id"] != channel_id or msg.get("_deleted"):
            raise ApiError.of(p.UNKNOWN_MESSAGE)
        return msg

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.fake.application_id:
            raise ApiError(404, p.error(10002, "Unknown Application"))

    def _interaction_by_token(self, app_id: str, token: str) -> InteractionRecord:
        record = self.fake._interactions_by_token.get(token)
        if record is None or int(app_id) != self.fake.application_id:
            raise ApiError(404, p.error(10015, "Unknown Webhook"))
        return record

    @staticmethod
    def _public(msg: dict[str, Any]) -> dict[str, Any]:
        """A copy without the fake's private bookkeeping keys (``_deleted`` ...).

        Copied through JSON (C speed; messages hold only JSON values) rather than `copy.deepcopy`,
        which was the fake's largest cost per request and charged bigger payloads to the bot in
        benchmarks that share the fake's event loop.
        """
        return json.loads(json.dumps({k: v for k, v in msg.items() if not k.startswith("_")}))

    def _out(self, msg: dict[str, Any]) -> dict[str, Any]:
        """A message as a response body: a private copy while the fake keeps history (tests read
        `request.response` later, after the message may have changed), otherwise only filtered, since
        nothing keeps the body and it is serialised before the fake runs anything else."""
        if self.fake.keep_history:
            return self._public(msg)
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _attachments_from(self, body: dict[str, Any], files: list[RecordedFile]) -> list[dict[str, Any]]:
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        out = []
        for index, f in enumerate(files):
            meta = described.get(str(index), {})
            filename = meta.get("filename") or f.filename or f"file{index}"
            ctype = f.content_type
            if not ctype or ctype == "application/octet-stream":
                ctype = mimetypes.guess_type(filename)[0] or ctype
            extra = {"description": meta["description"]} if meta.get("description") else {}
            out.append(p.attachment(filename, len(f.data), ctype, **extra))
        return out

    def _check_upload(self, files: list[RecordedFile]) -> None:
        if sum(len(f.data) for f in files) > self.fake.upload_limit:
            raise ApiError(413, p.error(40005, "Request entity too large"))

    def _apply_edit(self, msg: dict[str, Any], body: dict[str, Any], files: list[RecordedFile]) -> None:
        validate_message(body, files, creating=False)
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if "flags" in body and body["flags"] is not None:
            msg["flags"] = (msg.get("flags", 0) & (p.EPHEMERAL | p.LOADING)) | int(body["flags"])
        if "attachments" in body or files:
            keep_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in msg.get("attachments", []) if a["id"] in keep_ids]
            msg["attachments"] = kept + self._attachments_from(body, files)
        msg["flags"] = msg.get("flags", 0) & ~p.LOADING
        msg["edited_timestamp"] = p.iso_now()

    # ------------------------------------------------------------------ users, app, gateway

    def get_me(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=copy.deepcopy(self.fake.bot_user))

    def get_user(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        found = self.fake.users.get(int(m["user_id"]))
        if found is None:
            raise ApiError(404, p.error(10013, "Unknown User"))
        return Reply(body=copy.deepcopy(found))

    def create_dm(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        recipient = (req.json or {}).get("recipient_id")
        if recipient is None:
            raise ApiError(400, p.form_error("recipient_id", "BASE_TYPE_REQUIRED", "This field is required"))
        return Reply(body=copy.deepcopy(self.fake.dm_channel_for(int(recipient))))

    def get_gateway(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body={"url": self.fake.gateway_url})

    def get_gateway_bot(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return Reply(
            body={
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": limit,
            }
        )

    def get_application(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=copy.deepcopy(self.fake.application))

    # ------------------------------------------------------------------ application commands

    def _command_list(self, m: re.Match[str]) -> list[dict[str, Any]]:
        self._check_app(m["app_id"])
        gid = m.groupdict().get("guild_id")
        if gid is None:
            return self.fake.global_commands
        if int(gid) not in self.fake.guilds:
            raise ApiError(403, p.error(50001, "Missing Access"))
        return self.fake.guild_commands.setdefault(int(gid), [])

    def _stamp_command(self, data: dict[str, Any], m: re.Match[str], old: dict[str, Any] | None) -> dict[str, Any]:
        """Fill in the fields Discord adds on registration; re-registering keeps the command's id."""
        cmd = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            "name_localizations": None,
            "description_localizations": None,
        }
        cmd.update(copy.deepcopy(data))
        cmd["id"] = old["id"] if old else str(p.next_id())
        cmd["application_id"] = str(self.fake.application_id)
        cmd["version"] = str(p.next_id())
        gid = m.groupdict().get("guild_id")
        if gid is not None:
            cmd["guild_id"] = gid
        else:
            cmd.setdefault("dm_permission", True)
        return cmd

    def list_commands(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=copy.deepcopy(self._command_list(m)))

    def put_commands(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        current = self._command_list(m)
        body = req.json
        if not isinstance(body, list):
            raise ApiError(400, p.error(50035, "Invalid Form Body"))
        validate_commands(body)
        by_key = {(c["name"], c.get("type", 1)): c for c in current}
        new = [self._stamp_command(c, m, by_key.get((c["name"], c.get("type", 1)))) for c in body]
        current[:] = new
        return Reply(body=copy.deepcopy(new))

    def upsert_command(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        current = self._command_list(m)
        body = req.json or {}
        validate_commands([body])
        key = (body["name"], body.get("type", 1))
        old = next((c for c in current if (c["name"], c.get("type", 1)) == key), None)
        cmd = self._stamp_command(body, m, old)
        if old is not None:
            current[current.index(old)] = cmd
        else:
            current.append(cmd)
        return Reply(status=200 if old else 201, body=copy.deepcopy(cmd))

    def _find_command(self, m: re.Match[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        current = self._command_list(m)
        found = next((c for c in current if c["id"] == m["command_id"]), None)
        if found is None:
            raise ApiError(404, p.error(10063, "Unknown application command"))
        return current, found

    def get_command(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=copy.deepcopy(self._find_command(m)[1]))

    def edit_command(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        _, found = self._find_command(m)
        found.update(copy.deepcopy(req.json or {}))
        found["version"] = str(p.next_id())
        return Reply(body=copy.deepcopy(found))

    def delete_command(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        current, found = self._find_command(m)
        current.remove(found)
        return Reply(status=204)

    # ------------------------------------------------------------------ guilds & channels

    def _guild(self, guild_id: str) -> dict[str, Any]:
        found = self.fake.guilds.get(int(guild_id))
        if found is None:
            raise ApiError(404, p.error(10004, "Unknown Guild"))
        return found

    def get_guild(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        g = self._guild(m["guild_id"])
        gateway_only = {"members", "channels", "threads", "presences", "voice_states", "joined_at", "large"}
        body = {k: copy.deepcopy(v) for k, v in g.items() if k not in gateway_only}
        body["approximate_member_count"] = g["member_count"]
        return Reply(body=body)

    def get_guild_channels(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=copy.deepcopy(self._guild(m["guild_id"])["channels"]))

    def get_member(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        g = self._guild(m["guild_id"])
        found = next((x for x in g["members"] if x["user"]["id"] == m["user_id"]), None)
        if found is None:
            raise ApiError(404, p.error(10007, "Unknown Member"))
        return Reply(body=copy.deepcopy(found))

    def get_channel(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=copy.deepcopy(self._channel(m["channel_id"])))

    def list_messages(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        channel_id = self._channel(m["channel_id"])["id"]
        msgs = [x for x in self.fake.messages.values() if x["channel_id"] == channel_id and not x.get("_deleted")]
        msgs.sort(key=lambda x: int(x["id"]), reverse=True)
        if "before" in req.query:
            msgs = [x for x in msgs if int(x["id"]) < int(req.query["before"])]
        if "after" in req.query:
            msgs = [x for x in msgs if int(x["id"]) > int(req.query["after"])]
        limit = int(req.query.get("limit", 50))
        return Reply(body=[self._out(x) for x in msgs[:limit]])

    def create_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        channel = self._channel(m["channel_id"])
        body = req.json if isinstance(req.json, dict) else {}
        if channel["type"] == p.DM and int(channel["recipients"][0]["id"]) in self.fake.closed_dms:
            raise ApiError.of(p.CANNOT_DM)
        self._check_upload(req.files)
        validate_message(body, req.files, creating=True)
        msg = self.fake._store_bot_message(
            channel,
            body,
            attachments=self._attachments_from(body, req.files),
            message_type=19 if body.get("message_reference") else 0,
        )
        return Reply(body=self._out(msg))

    def get_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        self._channel(m["channel_id"])
        return Reply(body=self._out(self._message(m["channel_id"], m["message_id"])))

    def edit_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        self._channel(m["channel_id"])
        msg = self._message(m["channel_id"], m["message_id"])
        if msg["author"]["id"] != self.fake.bot_user["id"]:
            raise ApiError(403, p.error(50005, "Cannot edit a message authored by another user"))
        self._check_upload(req.files)
        self._apply_edit(msg, req.json if isinstance(req.json, dict) else {}, req.files)
        return Reply(body=self._out(msg))

    def delete_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        self._channel(m["channel_id"])
        self._message(m["channel_id"], m["message_id"])["_deleted"] = True
        return Reply(status=204)

    def no_content(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        self._channel(m["channel_id"])
        return Reply(status=204)

    # ------------------------------------------------------------------ interactions

    # Which callback types Discord accepts for each interaction type.
    _ALLOWED_CALLBACKS: ClassVar[dict[int, set[int]]] = {
        p.PING: {p.PONG},
        p.APPLICATION_COMMAND: {p.CHANNEL_MESSAGE, p.DEFERRED_CHANNEL_MESSAGE, p.MODAL, 10, 12},
        p.MESSAGE_COMPONENT: {
            p.CHANNEL_MESSAGE,
            p.DEFERRED_CHANNEL_MESSAGE,
            p.DEFERRED_UPDATE_MESSAGE,
            p.UPDATE_MESSAGE,
            p.MODAL,
            10,
            12,
        },
        p.AUTOCOMPLETE: {p.AUTOCOMPLETE_RESULT},
        p.MODAL_SUBMIT: {
            p.CHANNEL_MESSAGE,
            p.DEFERRED_CHANNEL_MESSAGE,
            p.DEFERRED_UPDATE_MESSAGE,
            p.UPDATE_MESSAGE,
        },
    }

    def interaction_callback(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        fake = self.fake
        record = fake.interactions.get(int(m["interaction_id"]))
        if record is None or record.payload["token"] != m["token"]:
            raise ApiError.of(p.UNKNOWN_INTERACTION)
        if record.response_type is not None:
            raise ApiError.of(p.ALREADY_ACKNOWLEDGED)
        body = req.json if isinstance(req.json, dict) else {}
        cb_type = body.get("type")
        itype = record.payload["type"]
        if cb_type not in self._ALLOWED_CALLBACKS.get(itype, set()):
            msg = f"Interaction response type {cb_type} is not valid for interaction type {itype}"
            raise ApiError(400, p.form_error("type", "INTERACTION_RESPONSE_TYPE_INVALID", msg))
        data = body.get("data") or {}
        if cb_type == p.AUTOCOMPLETE_RESULT and len(data.get("choices") or []) > 25:
            msg = "Must be 25 or fewer in length."
            raise ApiError(400, p.form_error("data.choices", "BASE_TYPE_MAX_LENGTH", msg))
        if cb_type == p.CHANNEL_MESSAGE:
            self._check_upload(req.files)
            validate_message(data, req.files, creating=True)
        elif cb_type == p.UPDATE_MESSAGE:
            validate_message(data, req.files, creating=False)

        channel = fake.channels.get(int(record.payload["channel"]["id"])) or record.payload["channel"]
        source = record.payload.get("message")
        source_msg = fake.messages.get(int(source["id"])) if source else None
        if source and source_msg is None:
            source_msg = fake.messages.setdefault(int(source["id"]), copy.deepcopy(source))
        message: dict[str, Any] | None = None
        if cb_type == p.CHANNEL_MESSAGE:
            mtype = 20 if itype == p.APPLICATION_COMMAND else 0
            message = fake._store_bot_message(
                channel,
                data,
                attachments=self._attachments_from(data, req.files),
                message_type=mtype,
                interaction=record,
            )
        elif cb_type == p.DEFERRED_CHANNEL_MESSAGE:
            flags = p.LOADING | (int(data.get("flags") or 0) & p.EPHEMERAL)
            mtype = 20 if itype == p.APPLICATION_COMMAND else 0
            message = fake._store_bot_message(
                channel, {"content": "", "flags": flags}, message_type=mtype, interaction=record
            )
        elif cb_type in (p.DEFERRED_UPDATE_MESSAGE, p.UPDATE_MESSAGE) and source_msg is not None:
            if cb_type == p.UPDATE_MESSAGE:
                self._apply_edit(source_msg, data, req.files)
            message = source_msg
        record.response_type = cb_type
        record.response = body
        if message is not None:
            record.original_id = int(message["id"])
            fake.messages[int(message["id"])] = message

        if req.query.get("with_response", "").lower() not in ("1", "true"):
            return Reply(status=204)
        info: dict[str, Any] = {"id": record.payload["id"], "type": itype}
        result: dict[str, Any] = {"interaction": info}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = bool(message.get("flags", 0) & p.LOADING)
            info["response_message_ephemeral"] = bool(message.get("flags", 0) & p.EPHEMERAL)
            if cb_type in (p.CHANNEL_MESSAGE, p.DEFERRED_CHANNEL_MESSAGE, p.UPDATE_MESSAGE):
                result["resource"] = {"type": cb_type, "message": self._out(message)}
        return Reply(body=result)

    def _original(self, record: InteractionRecord) -> dict[str, Any]:
        msg = self.fake.messages.get(record.original_id) if record.original_id else None
        if msg is None or msg.get("_deleted"):
            raise ApiError.of(p.UNKNOWN_MESSAGE)
        return msg

    def get_original(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=self._out(self._original(self._interaction_by_token(m["app_id"], m["token"]))))

    def edit_original(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        msg = self._original(self._interaction_by_token(m["app_id"], m["token"]))
        self._check_upload(req.files)
        self._apply_edit(msg, req.json if isinstance(req.json, dict) else {}, req.files)
        return Reply(body=self._out(msg))

    def delete_original(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        self._original(self._interaction_by_token(m["app_id"], m["token"]))["_deleted"] = True
        return Reply(status=204)

    def create_followup(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        """A followup. After a deferred (type 5) response, the first followup replaces the "thinking..."
        message (keeping its ephemeral state), which is what Discord does."""
        fake = self.fake
        record = self._interaction_by_token(m["app_id"], m["token"])
        if record.response_type is None:
            raise ApiError.of(p.UNKNOWN_INTERACTION)
        body = req.json if isinstance(req.json, dict) else {}
        self._check_upload(req.files)
        validate_message(body, req.files, creating=True)
        original = fake.messages.get(record.original_id) if record.original_id else None
        if original is not None and original.get("flags", 0) & p.LOADING and not original.get("_deleted"):
            # the deferred message keeps the ephemeral state chosen at defer() time
            edit = {**body, "flags": int(body.get("flags") or 0) & ~p.EPHEMERAL}
            self._apply_edit(original, edit, req.files)
            msg = original
        else:
            channel = fake.channels.get(int(record.payload["channel"]["id"])) or record.payload["channel"]
            msg = fake._store_bot_message(
                channel, body, attachments=self._attachments_from(body, req.files), interaction=record
            )
        record.followup_ids.append(int(msg["id"]))
        if req.query.get("wait", "").lower() not in ("1", "true"):
            return Reply(status=204)
        return Reply(body=self._out(msg))

    def _webhook_message(self, m: re.Match[str]) -> dict[str, Any]:
        record = self._interaction_by_token(m["app_id"], m["token"])
        mid = int(m["message_id"])
        msg = self.fake.messages.get(mid)
        if msg is None or msg.get("_deleted") or (mid not in record.followup_ids and mid != record.original_id):
            raise ApiError.of(p.UNKNOWN_MESSAGE)
        return msg

    def get_webhook_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        return Reply(body=self._out(self._webhook_message(m)))

    def edit_webhook_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        msg = self._webhook_message(m)
        self._check_upload(req.files)
        self._apply_edit(msg, req.json if isinstance(req.json, dict) else {}, req.files)
        return Reply(body=self._out(msg))

    def delete_webhook_message(self, req: RecordedRequest, m: re.Match[str]) -> Reply:
        self._webhook_message(m)["_deleted"] = True
        return Reply(status=204)
