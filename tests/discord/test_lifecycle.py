"""Start-up and shut-down: intents, tokens, exit codes, explicit sync, buttons that survive a restart."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.app import create_bot
from bot.core import Engine
from bot.core.normalize import english_words
from bot.runner import (
    BAD_TOKEN,
    EXIT_CONFIG,
    EXIT_FAILURE,
    EXIT_OK,
    NO_MEMBERS_INTENT,
    NO_TOKEN,
    run_bot,
    sync_commands,
)
from tests.discord.helpers import make_settings, reply_to
from tests.fakediscord import FakeDiscord, running_bot

GUILDS = 1 << 0
DM_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED = (1 << 1) | (1 << 8) | MESSAGE_CONTENT  # members, presences, message content


async def test_identify_asks_for_guilds_and_dm_messages_only(
    fake: FakeDiscord, run_bot: Callable[..., Any], engine: Engine, tmp_path: Path
) -> None:
    fake.allowed_privileged_intents = 0  # an application with no privileged intent enabled in the portal
    bot = await run_bot(create_bot(make_settings(fake, tmp_path), engine), guild_ready_timeout=0.1)
    assert bot.is_ready()
    (identify,) = fake.identifies
    assert identify["intents"] == GUILDS | DM_MESSAGES
    assert not identify["intents"] & PRIVILEGED
    assert bot.get_guild(int(fake.guild["id"])) is not None  # GUILD_CREATE arrives without privileged intents
    assert fake.find_requests("PUT") == []  # commands are never synced on start


async def test_a_rejected_token_raises_login_failure(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    bot = create_bot(make_settings(fake, tmp_path), engine)
    try:
        with pytest.raises(discord.LoginFailure):
            await asyncio.wait_for(bot.start("not-the-token"), 10)
    finally:
        await bot.close()
    assert fake.requests[-1].status == 401
    assert fake.connections == []


async def test_suggestion_buttons_still_work_after_a_restart(
    fake: FakeDiscord, lexical: Engine, tmp_path: Path
) -> None:
    first = create_bot(make_settings(fake, tmp_path, reader=False), lexical)
    async with running_bot(first, fake, guild_ready_timeout=0.1):
        await reply_to(fake, await fake.invoke_slash("ask", {"question": "coder courses"}))
        await reply_to(fake, await fake.invoke_slash("steps"))
    suggestions, steps = fake.bot_messages()

    second = create_bot(make_settings(fake, tmp_path, reader=False), lexical)
    async with running_bot(second, fake, guild_ready_timeout=0.1):
        clicked = await reply_to(fake, await fake.click(suggestions, "medcoder:ask:where-to-study"))
        chosen = await reply_to(fake, await fake.select(steps, "medcoder:steps", ["step-experience"]))
    assert clicked.json["data"]["content"].startswith("> **Question:** coder courses\n**Where to study")
    assert chosen.json["data"]["content"].startswith("**Step 3: Practical experience**")


# --- the `medcoder-bot run` / `sync` entry points -------------------------------------------------
# They call asyncio.run themselves, so these tests are synchronous and the fake serves from a thread.


@contextlib.contextmanager
def fake_in_a_thread() -> Iterator[FakeDiscord]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fakediscord", daemon=True)
    thread.start()

    async def start() -> FakeDiscord:
        return await FakeDiscord().start()

    fake = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        with fake.patch_discord_urls():
            yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
    assert fake.unhandled_requests == []


@pytest.fixture
def entry_point_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No `.env` to read, a throwaway database, and the root logger restored (the runner configures it)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDCODER_DB", str(tmp_path / "t.db"))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield monkeypatch
    finally:
        for handler in list(root.handlers):  # a copy: removing while iterating skips handlers
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("medcoder-bot:")]


@pytest.mark.parametrize("log_level", ["WARNING", "INFO"])
def test_run_with_a_rejected_token_exits_1_with_one_line(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], log_level: str
) -> None:
    entry_point_env.setenv("DISCORD_TOKEN", "not-the-token")
    entry_point_env.setenv("MEDCODER_LOG_LEVEL", log_level)
    with fake_in_a_thread() as fake:
        assert run_bot() == EXIT_FAILURE
    out, err = capfd.readouterr()
    assert error_lines(err) == [f"medcoder-bot: {BAD_TOKEN}"]
    assert "Traceback" not in out + err and "not-the-token" not in out + err
    if log_level == "WARNING":
        assert err.splitlines() == [f"medcoder-bot: {BAD_TOKEN}"]
    assert [r.status for r in fake.requests] == [401]
    assert fake.connections == []


def test_run_asking_for_a_members_intent_the_portal_refuses_exits_2_with_one_line(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    entry_point_env.setenv("MEDCODER_LOG_LEVEL", "WARNING")
    entry_point_env.setenv("MEDCODER_MEMBERS_INTENT", "true")
    with fake_in_a_thread() as fake:
        fake.allowed_privileged_intents = 0  # not switched on in the developer portal
        entry_point_env.setenv("DISCORD_TOKEN", fake.token)
        assert run_bot() == EXIT_CONFIG
    out, err = capfd.readouterr()
    assert err.splitlines() == [f"medcoder-bot: {NO_MEMBERS_INTENT}"]
    assert "Traceback" not in out + err


@pytest.mark.parametrize("token", [None, "", "   "])
def test_run_without_a_token_exits_2_with_one_line(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], token: str | None
) -> None:
    if token is not None:
        entry_point_env.setenv("DISCORD_TOKEN", token)
    assert run_bot() == EXIT_CONFIG
    out, err = capfd.readouterr()
    assert err.splitlines() == [f"medcoder-bot: {NO_TOKEN}"]
    assert out == ""


def test_sync_entry_point_registers_commands_and_rejects_a_bad_token(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    entry_point_env.setenv("MEDCODER_LOG_LEVEL", "WARNING")
    with fake_in_a_thread() as fake:
        entry_point_env.setenv("DISCORD_TOKEN", fake.token)
        guild_id = int(fake.guild["id"])
        assert sync_commands(None) == EXIT_OK
        assert sync_commands(guild_id) == EXIT_OK
        entry_point_env.setenv("DISCORD_TOKEN", "not-the-token")
        assert sync_commands(None) == EXIT_FAILURE
    out, err = capfd.readouterr()
    # Every extension's top-level command, whatever extensions exist (the core four at least).
    names = sorted(c["name"] for c in fake.global_commands)
    assert {"ask", "help", "salary", "steps"} <= set(names)
    listed = ", ".join(f"/{name}" for name in names)
    assert out.splitlines() == [
        f"Synced {len(names)} commands globally: {listed}.",
        f"Synced {len(names)} commands to guild {guild_id}: {listed}.",
    ]
    assert err.splitlines() == [f"medcoder-bot: {BAD_TOKEN}"]
    assert sorted(c["name"] for c in fake.guild_commands[guild_id]) == names
    assert fake.connections == []  # sync logs in over REST only, never opens the gateway


def test_run_with_discord_unreachable_exits_1_with_one_line(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with fake_in_a_thread() as fake:
        closed_port_base = fake.api_base
    # The fake has stopped: its port now refuses connections.
    entry_point_env.setenv("DISCORD_TOKEN", fake.token)
    entry_point_env.setenv("MEDCODER_LOG_LEVEL", "WARNING")
    entry_point_env.setattr(discord.http.Route, "BASE", closed_port_base)
    assert run_bot() == EXIT_FAILURE
    out, err = capfd.readouterr()
    (line,) = err.splitlines()
    assert line.startswith("medcoder-bot: could not reach Discord:")
    assert "Traceback" not in out + err


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MEDCODER_DEV_GUILD", "not-a-number", "medcoder-bot: invalid settings: MEDCODER_DEV_GUILD: "),
        ("MEDCODER_LOG_LEVEL", "LOUD", "medcoder-bot: invalid settings: MEDCODER_LOG_LEVEL: "),
    ],
)
def test_run_with_invalid_settings_exits_2_with_one_line(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], variable: str, value: str, expected: str
) -> None:
    entry_point_env.setenv("DISCORD_TOKEN", "any")
    entry_point_env.setenv(variable, value)
    assert run_bot() == EXIT_CONFIG
    _, err = capfd.readouterr()
    (line,) = err.splitlines()
    assert line.startswith(expected), line


async def test_the_spelling_word_list_is_read_once_ready_not_on_the_first_question(
    fake: FakeDiscord, run_bot: Callable[..., Any], engine: Engine, tmp_path: Path
) -> None:
    """In the background once ready (login is not delayed by it), before anyone has asked anything."""
    english_words.cache_clear()
    assert english_words.cache_info().currsize == 0
    bot = await run_bot(create_bot(make_settings(fake, tmp_path), engine), guild_ready_timeout=0.1)
    assert bot.is_ready()
    for _ in range(100):
        if english_words.cache_info().currsize == 1:
            break
        await asyncio.sleep(0.02)
    assert english_words.cache_info().currsize == 1
    assert english_words.cache_info().hits == 0  # read by the warm-up: no question has looked it up yet
