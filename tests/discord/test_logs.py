"""Logs: JSON lines on request, no colour off a terminal, and never a member's DM text at any level."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import create_bot
from bot.core import Engine
from bot.core.store import open_store
from bot.logs import PRIVATE_LOGGERS, configure_logging
from bot.settings import Settings
from tests.discord.helpers import dm_messages_path, make_settings
from tests.fakediscord import FakeDiscord, running_bot


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in PRIVATE_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, value in levels.items():
        logging.getLogger(name).setLevel(value)


def test_json_logs_are_one_object_per_line_with_extra_fields() -> None:
    stream = io.StringIO()
    configure_logging(logging.INFO, "json", stream=stream)
    log = logging.getLogger("bot.test")
    log.info("ready with %d guilds", 3, extra={"shard_id": 2, "ref": "abc123"})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["ready with 3 guilds", "failed"]
    first = lines[0]
    assert (
        first["level"] == "INFO" and first["logger"] == "bot.test" and first["shard"] == 2 and first["ref"] == "abc123"
    )
    assert first["time"].endswith("+00:00")
    assert "ValueError: boom" in lines[1]["exception"] and lines[1]["shard"] is None


def test_text_logs_have_no_colour_unless_the_stream_is_a_terminal() -> None:
    piped, terminal = io.StringIO(), Terminal()
    for stream in (piped, terminal):
        configure_logging(logging.INFO, "text", stream=stream)
        logging.getLogger("bot.test").warning("careful")
    assert "careful" in piped.getvalue() and "\x1b[" not in piped.getvalue()
    assert "\x1b[" in terminal.getvalue()  # the same line on a terminal is coloured: the check can fail


def test_the_log_format_setting_is_validated() -> None:
    assert Settings(_env_file=None, log_format="json").log_format == "json"
    with pytest.raises(ValueError, match="log_format"):
        Settings(_env_file=None, log_format="xml")


async def test_dm_text_never_reaches_the_logs_even_at_debug(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging(logging.DEBUG, "json", stream=stream)
    secret = "my patient Jane Roe born 1980 what does a CPC earn"
    bot = create_bot(make_settings(fake, tmp_path), engine)
    async with running_bot(bot, fake, guild_ready_timeout=0.1):
        await fake.send_dm(secret)
        await fake.wait_for_request("POST", dm_messages_path(fake))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line["logger"].startswith("bot") for line in lines)  # the bot did log, in JSON
    assert not any("Jane Roe" in json.dumps(line) for line in lines)


async def test_reminder_notes_never_reach_the_logs_even_at_debug(tmp_path: Path) -> None:
    stream = io.StringIO()
    configure_logging(logging.DEBUG, "json", stream=stream)
    store = await open_store(tmp_path / "t.db", None)
    try:
        await store.add_reminder(42, "SECRET-NOTE call Dr Roe", datetime.now(UTC), timezone="UTC")
        await store.record_unanswered("SECRET-QUESTION about my diagnosis", cap=10)
    finally:
        await store.close()
    assert "SECRET" not in stream.getvalue()
