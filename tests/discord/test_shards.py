"""Sharded processes: `run --shard-count N --shards A-B`, and DMs answered by whichever process hosts shard 0.

Two real bots (two "processes") share the fake Discord and one PostgreSQL database, each running half
of four shards. Discord sends direct messages on shard 0 only, so the process that hosts shard 0 must
answer them; guild interactions go to the shard that owns the guild.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import MedcoderBot, ShardedMedcoderBot, create_bot
from bot.cli import build_parser
from bot.core import Engine
from bot.settings import InvalidSettings, Settings, parse_shard_range
from tests.clock import FakeClock
from tests.discord.helpers import dm_messages_path, make_settings, reply_to
from tests.fakediscord import FakeDiscord, running_bot


def sharded_bot(fake: FakeDiscord, engine: Engine, tmp_path: Path, dsn: str, shards: str) -> MedcoderBot:
    settings = make_settings(fake, tmp_path, database_url=dsn, shard_count=4, shards=shards)
    bot = create_bot(settings, engine, FakeClock())

    async def identify_now(shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py waits 5 s between shard IDENTIFYs (Discord's rate limit); the fake has none."""

    bot.before_identify_hook = identify_now  # type: ignore[method-assign]
    return bot


@pytest.mark.parametrize("dm_host", [0, 1])
async def test_dms_are_answered_by_the_process_hosting_shard_0(
    fake: FakeDiscord, engine: Engine, tmp_path: Path, pg_dsn: str, dm_host: int
) -> None:
    layouts = ["0-1", "2-3"] if dm_host == 0 else ["2-3", "0-1"]
    received: list[list[str]] = [[], []]
    bots = [sharded_bot(fake, engine, tmp_path, pg_dsn, shards) for shards in layouts]
    for n, bot in enumerate(bots):

        async def on_message(message: discord.Message, n: int = n) -> None:
            received[n].append(message.content)

        bot.add_listener(on_message)
    async with running_bot(bots[0], fake, guild_ready_timeout=0.1), running_bot(bots[1], fake, guild_ready_timeout=0.1):
        assert all(isinstance(bot, ShardedMedcoderBot) for bot in bots)
        assert sorted(c.shard for c in fake.live_connections) == [(0, 4), (1, 4), (2, 4), (3, 4)]
        assert [sorted(bot.shards) for bot in bots] == [parse_shard_range(shards) for shards in layouts]

        await fake.send_dm("how much does a CPC make")
        request = await fake.wait_for_request("POST", dm_messages_path(fake))
        assert request.status < 300 and request.json["content"]
        assert received[dm_host] == ["how much does a CPC make"] and received[1 - dm_host] == []

        # A guild command reaches the process owning the guild's shard, and the data is shared.
        interaction = await fake.invoke_slash("checklist", {"step": "step-education"}, subcommand="done")
        await reply_to(fake, interaction)
        user = int(fake.user["id"])
        for bot in bots:
            assert set(await bot.store.checklist(user)) == {"step-education"}


def test_unsharded_settings_keep_the_plain_bot(fake_discord: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    bot = create_bot(make_settings(fake_discord, tmp_path), engine)
    assert type(bot) is MedcoderBot


def test_shard_settings_and_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_shard_range("0-3") == [0, 1, 2, 3] and parse_shard_range("5") == [5]
    for bad in ("3-1", "a-b", "-1", ""):
        with pytest.raises(ValueError, match="A-B"):
            parse_shard_range(bad)
    settings = Settings(_env_file=None, shard_count=8, shards="4-7")
    assert settings.shard_ids == [4, 5, 6, 7]
    with pytest.raises(InvalidSettings, match="needs MEDCODER_SHARD_COUNT"):
        Settings(_env_file=None, shards="0-1")
    with pytest.raises(InvalidSettings, match="outside 0-3"):
        Settings(_env_file=None, shard_count=4, shards="2-4")
    args = build_parser().parse_args(["run", "--shard-count", "16", "--shards", "8-15"])
    assert (args.shard_count, args.shards) == (16, "8-15")


def test_run_reports_a_bad_shard_range_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.setenv("DISCORD_TOKEN", "x.y.z")
    assert main(["run", "--shard-count", "4", "--shards", "3-9"]) == 2
    err: Any = capsys.readouterr().err
    assert "invalid settings" in err and "outside 0-3" in err
