"""The runner's promises that don't need a gateway: private logging and the sync target."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.store import open_store
from bot.logs import PRIVATE_LOGGERS
from bot.runner import EXIT_OK, _configure_logging, sync_commands
from bot.settings import Settings
from tests.discord import test_lifecycle
from tests.discord.test_lifecycle import fake_in_a_thread

entry_point_env = test_lifecycle.entry_point_env  # the same isolated environment fixture


def test_debug_logging_never_prints_message_bodies(entry_point_env: pytest.MonkeyPatch) -> None:
    """discord.py logs whole gateway events and request bodies at DEBUG: those hold DM text."""
    _configure_logging(Settings(_env_file=None, log_level="DEBUG"))
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
    for name in PRIVATE_LOGGERS:
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert logging.getLogger(name).isEnabledFor(logging.INFO), name


def test_sync_global_overrides_the_dev_guild(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    entry_point_env.setenv("MEDCODER_LOG_LEVEL", "WARNING")
    with fake_in_a_thread() as fake:
        guild_id = int(fake.guild["id"])
        entry_point_env.setenv("DISCORD_TOKEN", fake.token)
        entry_point_env.setenv("MEDCODER_DEV_GUILD", str(guild_id))
        assert sync_commands(None) == EXIT_OK
        assert fake.guild_commands.get(guild_id) and not fake.global_commands
        assert sync_commands(None, force_global=True) == EXIT_OK
        assert fake.global_commands
    out, _ = capfd.readouterr()
    assert "globally" in out.splitlines()[-1]


def test_sync_delivers_nothing_and_leaves_the_database_untouched(
    entry_point_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`sync` publishes commands and does nothing else: a due reminder stays due, the file unchanged."""
    database = tmp_path / "t.db"  # the entry_point_env's MEDCODER_DB

    async def add_due_reminder() -> None:
        store = await open_store(str(database), None)
        try:
            await store.add_reminder(42, "study ICD-10", datetime.now(UTC) - timedelta(minutes=5), timezone="UTC")
        finally:
            await store.close()

    asyncio.run(add_due_reminder())
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("t.db*")}
    entry_point_env.setenv("MEDCODER_LOG_LEVEL", "WARNING")
    with fake_in_a_thread() as fake:
        entry_point_env.setenv("DISCORD_TOKEN", fake.token)
        assert sync_commands(None) == EXIT_OK
        time.sleep(0.3)  # a scheduler, had one started, would have delivered by now
        assert {c["name"] for c in fake.global_commands} >= {"ask", "remind", "checklist"}
        sent = [r for r in fake.requests if r.method == "POST" and "/messages" in r.path]
        opened = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/users/@me/channels")]
    assert sent == [] and opened == []  # no DM channel opened, no message sent
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.glob("t.db*")}
    assert after == before  # not opened: not even WAL files appear

    async def still_due() -> list[object]:
        store = await open_store(str(database), None)
        try:
            return list(await store.list_reminders(42))
        finally:
            await store.close()

    [reminder] = asyncio.run(still_due())
    assert getattr(reminder, "status", "active") == "active"
