"""End-to-end checks that an unmodified discord.py bot works against tests.fakediscord.

They double as usage examples for the fake: a real ``commands.Bot`` logs in, connects over a real
WebSocket, receives injected events and answers over real HTTP, and the tests assert on the recorded
requests.
"""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import FakeDiscord, RecordedRequest, payloads, running_bot
from tests.fakediscord.fixtures import fake_discord, run_bot

__all__ = ["fake_discord", "run_bot"]  # fixtures, imported so this module works without conftest wiring

CALLBACK = r"/interactions/\d+/[^/]+/callback"
CHANNEL_MESSAGES = r"/channels/(?P<channel_id>\d+)/messages"


class ConfirmView(discord.ui.View):
    """One button; records the click so the test can see the View callback ran."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.clicked_by: int | None = None

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.green, custom_id="confirm")
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicked_by = interaction.user.id
        await interaction.response.edit_message(content="Confirmed.", view=None)
        self.stop()


def make_bot(cls: type[commands.Bot] = commands.Bot, **kwargs: object) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = True
    # guild_ready_timeout: discord.py waits this long after the last GUILD_CREATE before on_ready.
    bot = cls(command_prefix="!", intents=intents, guild_ready_timeout=0.1, **kwargs)
    bot.views_sent = []  # type: ignore[attr-defined]

    @bot.tree.command(name="ping", description="Replies with pong")
    async def ping(interaction: discord.Interaction, text: str = "") -> None:
        await interaction.response.send_message(f"pong {text}".strip(), allowed_mentions=discord.AllowedMentions.none())
        await interaction.followup.send("and a followup", ephemeral=True)

    @bot.tree.command(name="confirm", description="Shows a confirm button")
    async def confirm(interaction: discord.Interaction) -> None:
        view = ConfirmView()
        bot.views_sent.append(view)  # type: ignore[attr-defined]
        await interaction.response.send_message("Are you sure?", view=view)

    codes = app_commands.Group(name="codes", description="Code tools")
    icd = app_commands.Group(name="icd", description="ICD-10-CM", parent=codes)

    @icd.command(name="lookup", description="Look up a code")
    async def lookup(interaction: discord.Interaction, code: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"{code}: Type 2 diabetes mellitus")

    @lookup.autocomplete("code")
    async def lookup_complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=c, value=c) for c in ("E11.9", "E11.65", "I10") if c.startswith(current)]

    bot.tree.add_command(codes)

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None:
            await message.channel.send(f"You said: {message.content}")

    return bot


# --------------------------------------------------------------------------- connection


async def test_login_ready_and_identify_intents(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    async with running_bot(bot, fake_discord):
        assert bot.is_ready()
        assert bot.user is not None and bot.user.id == int(fake_discord.bot_user["id"])
        assert bot.application_id == fake_discord.application_id
        guild = bot.get_guild(int(fake_discord.guild["id"]))
        assert guild is not None and not guild.unavailable
        assert guild.get_channel(int(fake_discord.channel["id"])).name == "general"
        assert guild.me is not None

        assert fake_discord.intents == bot.intents.value
        (conn,) = fake_discord.live_connections
        assert conn.query["v"] == "10" and conn.query["encoding"] == "json"
        assert conn.heartbeats >= 1  # discord.py beats right after HELLO
        assert bot.latency < 5
        login = fake_discord.find_requests("GET", "/users/@me")[0]
        assert login.headers["authorization"] == f"Bot {fake_discord.token}"
    assert bot.is_closed()
    # Client.close() asks for 1000, but with its reader task waiting aiohttp puts 4000 on the wire.
    assert conn.closed.is_set() and conn.close_code in (1000, 4000)
    assert fake_discord.unhandled_requests == []


async def test_bad_token_raises_login_failure(fake_discord: FakeDiscord) -> None:
    bot = make_bot()
    with pytest.raises(discord.LoginFailure):
        async with running_bot(bot, fake_discord, token="not-the-token"):
            pass
    assert fake_discord.requests[-1].status == 401
    assert fake_discord.connections == []


async def test_disallowed_privileged_intent_closes_with_4014(fake_discord: FakeDiscord) -> None:
    fake_discord.allowed_privileged_intents = 0
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(make_bot(), fake_discord):  # reconnect=False would raise ConnectionClosed
            pass


async def test_dropped_connection_is_resumed(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    await fake_discord.drop_connections(4000)
    await asyncio.wait_for(resumed.wait(), 5)
    (conn,) = fake_discord.live_connections
    assert conn.resumed and conn.path == "/ws-resume"
    assert len(fake_discord.identifies) == 1 and len(fake_discord.resumes) == 1
    # and the resumed session still delivers events
    await fake_discord.send_dm("still there?")
    req = await fake_discord.wait_for_request("POST", CHANNEL_MESSAGES)
    assert req.json["content"] == "You said: still there?"


@pytest.mark.parametrize("shard_count", [2, None], ids=["explicit", "from-gateway-bot"])
async def test_auto_sharded_bot_connects_both_shards(fake_discord: FakeDiscord, shard_count: int | None) -> None:
    class ShardedBot(commands.AutoShardedBot):
        async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
            pass  # the default sleeps 5 s between shards (Discord's identify rate limit)

    fake_discord.recommended_shards = 2  # what GET /gateway/bot answers when shard_count is None
    second = fake_discord.add_guild("Second Guild")
    bot = make_bot(ShardedBot, shard_count=shard_count)
    async with running_bot(bot, fake_discord):
        assert sorted(bot.shards) == [0, 1]
        assert sorted(tuple(i["shard"]) for i in fake_discord.identifies) == [(0, 2), (1, 2)]
        assert {g.id for g in bot.guilds} == {int(fake_discord.guild["id"]), int(second["id"])}
        for guild in bot.guilds:
            assert guild.shard_id == (guild.id >> 22) % 2
        # a DM goes to shard 0 and still reaches the bot
        await fake_discord.send_dm("hello shards")
        req = await fake_discord.wait_for_request("POST", CHANNEL_MESSAGES)
        assert req.json["content"] == "You said: hello shards"


# --------------------------------------------------------------------------- interactions


async def test_slash_command_reply_and_followup(fake_discord: FakeDiscord, run_bot) -> None:
    await run_bot(make_bot())
    interaction = await fake_discord.invoke_slash("ping", {"text": "hi"})

    callback = await fake_discord.wait_for_callback(interaction)
    assert callback.query == {"with_response": "1"}
    assert callback.json["type"] == payloads.CHANNEL_MESSAGE
    assert callback.json["data"]["content"] == "pong hi"
    assert callback.json["data"]["allowed_mentions"] == {"parse": []}

    followup = await fake_discord.wait_for_followup(interaction)
    assert followup.json["content"] == "and a followup"
    assert followup.json["flags"] & payloads.EPHEMERAL
    assert followup.status == 200

    record = fake_discord.interactions[int(interaction["id"])]
    assert fake_discord.get_message(record.original_id)["content"] == "pong hi"
    assert len(record.followup_ids) == 1


async def test_dm_slash_command_and_nested_subcommand_with_defer(fake_discord: FakeDiscord, run_bot) -> None:
    await run_bot(make_bot())
    interaction = await fake_discord.invoke_slash("codes", {"code": "E11.9"}, group="icd", subcommand="lookup", dm=True)
    callback = await fake_discord.wait_for_callback(interaction)
    assert callback.json["type"] == payloads.DEFERRED_CHANNEL_MESSAGE
    followup = await fake_discord.wait_for_followup(interaction)
    assert followup.json["content"] == "E11.9: Type 2 diabetes mellitus"
    # after a defer the first followup replaces the "thinking..." message, as on Discord
    record = fake_discord.interactions[int(interaction["id"])]
    assert followup.response["id"] == str(record.original_id)
    assert fake_discord.get_message(record.original_id)["channel_id"] == fake_discord.dm_channel_for(None)["id"]


async def test_autocomplete(fake_discord: FakeDiscord, run_bot) -> None:
    await run_bot(make_bot())
    interaction = await fake_discord.autocomplete("codes", "code", {"code": "E11"}, group="icd", subcommand="lookup")
    callback = await fake_discord.wait_for_callback(interaction)
    assert callback.json["type"] == payloads.AUTOCOMPLETE_RESULT
    assert [c["value"] for c in callback.json["data"]["choices"]] == ["E11.9", "E11.65"]


async def test_button_click_reaches_view_callback(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    interaction = await fake_discord.invoke_slash("confirm")
    callback = await fake_discord.wait_for_callback(interaction)
    button = callback.json["data"]["components"][0]["components"][0]
    assert button["custom_id"] == "confirm"

    message = fake_discord.last_bot_message()
    assert message["content"] == "Are you sure?"
    click = await fake_discord.click(message, "confirm")
    update = await fake_discord.wait_for_callback(click)
    assert update.json["type"] == payloads.UPDATE_MESSAGE
    assert update.json["data"]["content"] == "Confirmed." and update.json["data"]["components"] == []
    (view,) = bot.views_sent
    assert await view.wait() is False  # stopped by the callback, not timed out
    assert view.clicked_by == int(fake_discord.user["id"])
    assert fake_discord.get_message(message["id"])["content"] == "Confirmed."


async def test_responding_twice_is_rejected_like_discord(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    errors: list[BaseException] = []

    @bot.tree.command(name="twice", description="Responds twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        try:
            await interaction.followup.send("x" * 2001)
        except discord.HTTPException as exc:
            errors.append(exc)
        await bot.http.request(
            discord.http.Route(
                "POST",
                "/interactions/{interaction_id}/{token}/callback",
                interaction_id=interaction.id,
                token=interaction.token,
            ),
            json={"type": 4, "data": {"content": "again"}},
        )

    async def on_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        errors.append(error)

    bot.tree.on_error = on_error  # type: ignore[method-assign]
    interaction = await fake_discord.invoke_slash("twice")
    await fake_discord.wait_for_callback(interaction)
    second = await fake_discord.wait_for_callback(interaction)
    assert second.status == 400 and second.response["code"] == 40060
    too_long = fake_discord.find_requests("POST", r"/webhooks/\d+/[^/]+")[0]
    assert too_long.status == 400 and too_long.response["code"] == 50035
    await asyncio.sleep(0.05)
    assert isinstance(errors[0], discord.HTTPException) and errors[0].code == 50035


# --------------------------------------------------------------------------- messages


async def test_dm_message_is_answered_in_the_dm_channel(fake_discord: FakeDiscord, run_bot) -> None:
    await run_bot(make_bot())
    sent = await fake_discord.send_dm("what is CPT?")
    req = await fake_discord.wait_for_request("POST", CHANNEL_MESSAGES)
    assert req.match["channel_id"] == sent["channel_id"]
    assert req.json["content"] == "You said: what is CPT?"
    assert req.response["author"]["id"] == fake_discord.bot_user["id"]

    # bots are ignored by the handler
    await fake_discord.send_dm("beep", author_bot=True)
    with pytest.raises(AssertionError):
        await fake_discord.wait_for_request("POST", CHANNEL_MESSAGES, timeout=0.3)


async def test_message_content_intent_is_emulated(fake_discord: FakeDiscord, run_bot) -> None:
    intents = discord.Intents.default()  # no message_content
    bot = await run_bot(commands.Bot(command_prefix="!", intents=intents), guild_ready_timeout=0.1)
    seen: list[str] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    bot.add_listener(on_message)
    await fake_discord.send_guild_message("hidden")
    await fake_discord.send_guild_message("shown", mentions=[fake_discord.bot_user])
    await fake_discord.send_dm("dm content is exempt")
    for _ in range(50):
        if len(seen) == 3:
            break
        await asyncio.sleep(0.01)
    assert seen == ["", "shown", "dm content is exempt"]


async def test_events_outside_the_intents_are_not_delivered(fake_discord: FakeDiscord, run_bot) -> None:
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True  # like a DM-only bot: no guild_messages
    await run_bot(commands.Bot(command_prefix="!", intents=intents), guild_ready_timeout=0.1)
    guild_msg = payloads.guild_message(
        fake_discord.channel["id"], fake_discord.guild["id"], fake_discord.user, "nobody hears this"
    )
    assert await fake_discord.dispatch("MESSAGE_CREATE", guild_msg) == 0  # dropped, as Discord would
    assert fake_discord.dropped_events == [("MESSAGE_CREATE", guild_msg)]
    dm = payloads.dm_message(fake_discord.dm_channel_for(None)["id"], fake_discord.user, "but DMs arrive")
    assert await fake_discord.dispatch("MESSAGE_CREATE", dm) == 1


async def test_file_upload_is_recorded(fake_discord: FakeDiscord, run_bot) -> None:
    import io

    bot = await run_bot(make_bot())
    channel = bot.get_channel(int(fake_discord.channel["id"]))
    msg = await channel.send("report", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="codes.csv"))
    req = fake_discord.find_requests("POST", CHANNEL_MESSAGES)[-1]
    assert req.json["content"] == "report"
    assert [(f.filename, f.data) for f in req.files] == [("codes.csv", b"a,b\n1,2\n")]
    assert msg.attachments[0].filename == "codes.csv" and msg.attachments[0].size == 8
    assert msg.attachments[0].content_type == "text/csv"


# --------------------------------------------------------------------------- commands sync


async def test_command_tree_sync_is_recorded(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    synced = await bot.tree.sync()
    put = await fake_discord.wait_for_request("PUT", rf"/applications/{bot.application_id}/commands")
    assert sorted(c["name"] for c in put.json) == ["codes", "confirm", "ping"]
    codes = next(c for c in put.json if c["name"] == "codes")
    assert codes["options"][0]["type"] == payloads.SUB_COMMAND_GROUP
    assert {c.name for c in synced} == {"codes", "confirm", "ping"}
    assert all(c.id for c in synced)
    assert [c.name for c in await bot.tree.fetch_commands()] == [c["name"] for c in put.json]

    # guild sync, then an interaction for the guild command carries data.guild_id
    guild = discord.Object(int(fake_discord.guild["id"]))
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    await fake_discord.wait_for_request("PUT", rf"/applications/\d+/guilds/{guild.id}/commands")
    interaction = await fake_discord.invoke_slash("ping")
    assert interaction["data"]["guild_id"] == str(guild.id)
    assert (await fake_discord.wait_for_callback(interaction)).json["data"]["content"] == "pong"
    await fake_discord.wait_for_followup(interaction)


# --------------------------------------------------------------------------- faults


async def test_cannot_dm_user_raises_forbidden_50007(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    user = await bot.fetch_user(int(fake_discord.user["id"]))
    fake_discord.fail_next("POST", CHANNEL_MESSAGES, payloads.CANNOT_DM)
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("hello")
    assert caught.value.code == 50007 and caught.value.status == 403
    await user.send("works again")
    assert [r.status for r in fake_discord.find_requests("POST", CHANNEL_MESSAGES)] == [403, 200]


async def test_server_error_is_retried_by_discord_py(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    channel = bot.get_channel(int(fake_discord.channel["id"]))
    fake_discord.fail_next("POST", CHANNEL_MESSAGES, 500)  # discord.py sleeps 1 s, then retries
    message = await channel.send("eventually")
    assert message.content == "eventually"
    attempts = fake_discord.find_requests("POST", CHANNEL_MESSAGES)
    assert [r.status for r in attempts] == [500, 200]
    assert attempts[0].faulted and attempts[0].json == attempts[1].json


async def test_rate_limit_is_waited_out(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    channel = bot.get_channel(int(fake_discord.channel["id"]))
    fake_discord.rate_limit_next("POST", CHANNEL_MESSAGES, retry_after=0.05)
    await channel.send("after the limit")
    assert [r.status for r in fake_discord.find_requests("POST", CHANNEL_MESSAGES)] == [429, 200]


async def test_unknown_route_is_recorded_as_404(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    with pytest.raises(discord.NotFound):
        await bot.fetch_guild_preview(int(fake_discord.guild["id"]))
    (req,) = fake_discord.unhandled_requests
    assert req.path == f"/guilds/{fake_discord.guild['id']}/preview"
    assert req.response == {"message": "404: Not Found", "code": 0}


# --------------------------------------------------------------------------- more interaction flows


class NoteModal(discord.ui.Modal, title="Add a note"):
    note = discord.ui.TextInput(label="Note", custom_id="note_text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Saved: {self.note.value}", ephemeral=True)


class PickView(discord.ui.View):
    @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label=x) for x in ("CPT", "HCPCS")])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_message(f"picked {select.values[0]}")


async def test_original_response_edit_delete_and_followup_edit(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())
    seen: dict[str, object] = {}

    @bot.tree.command(name="life", description="Message lifecycle")
    async def life(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("v1")
        seen["original"] = (await interaction.original_response()).content
        await interaction.edit_original_response(content="v2")
        follow = await interaction.followup.send("f1", wait=True)
        await follow.edit(content="f2")
        await interaction.delete_original_response()

    interaction = await fake_discord.invoke_slash("life")
    await fake_discord.wait_for_original_edit(interaction)
    record = fake_discord.interactions[int(interaction["id"])]
    await fake_discord.wait_for_request("DELETE", r"/webhooks/\d+/[^/]+/messages/@original")
    assert seen["original"] == "v1"
    edit = fake_discord.find_requests("PATCH", r"/webhooks/\d+/[^/]+/messages/(?P<mid>\d+)")[0]
    assert edit.json["content"] == "f2" and int(edit.match["mid"]) == record.followup_ids[0]
    assert fake_discord.get_message(record.original_id).get("_deleted")
    assert fake_discord.unhandled_requests == []


async def test_modal_and_select(fake_discord: FakeDiscord, run_bot) -> None:
    bot = await run_bot(make_bot())

    @bot.tree.command(name="note", description="Opens a modal")
    async def note(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal())

    interaction = await fake_discord.invoke_slash("note")
    callback = await fake_discord.wait_for_callback(interaction)
    assert callback.json["type"] == payloads.MODAL and callback.json["data"]["title"] == "Add a note"
    submitted = await fake_discord.submit_modal(callback.json["data"]["custom_id"], {"note_text": "E11.9 first"})
    reply = await fake_discord.wait_for_callback(submitted)
    assert reply.json["data"]["content"] == "Saved: E11.9 first"

    channel = bot.get_channel(int(fake_discord.channel["id"]))
    sent = await channel.send("Pick one", view=PickView())
    chosen = await fake_discord.select(sent.id, "pick", ["HCPCS"])
    assert (await fake_discord.wait_for_callback(chosen)).json["data"]["content"] == "picked HCPCS"


async def test_standalone_fake_with_zlib_transport_compression() -> None:
    async with FakeDiscord(transport_compression=True) as fake:
        bot = make_bot()
        async with running_bot(bot, fake):  # patches discord.py's URLs itself, restores them on exit
            (conn,) = fake.live_connections
            assert conn.query["compress"] == "zlib-stream" and conn.compressed
            await fake.send_dm("compressed hello")
            req = await fake.wait_for_request("POST", CHANNEL_MESSAGES)
            assert req.json["content"] == "You said: compressed hello"
    assert discord.http.Route.BASE == "https://discord.com/api/v10"


async def test_without_history_the_fake_keeps_no_requests_or_frames_but_still_answers() -> None:
    """`keep_history=False` (benchmarks): Discord's behaviour is unchanged, only the fake's record is off."""
    async with FakeDiscord(keep_history=False) as fake:
        with fake.patch_discord_urls():
            async with running_bot(make_bot(), fake, guild_ready_timeout=0.1):
                seen = []
                original_add = fake.log.add

                async def add(request: RecordedRequest) -> None:
                    seen.append(request)
                    await original_add(request)

                fake.log.add = add
                interaction = await fake.invoke_slash("ping", {"text": "hi"})
                for _ in range(200):
                    if fake.interactions[int(interaction["id"])].followup_ids:
                        break
                    await asyncio.sleep(0.01)
                record = fake.interactions[int(interaction["id"])]
                assert fake.get_message(record.original_id)["content"] == "pong hi"
                assert [r.path.rsplit("/", 1)[-1] for r in seen][:1] == ["callback"]
                assert fake.log.requests == []
                assert all(c.frames_in == [] and c.frames_out == [] for c in fake.connections)
