"""The runner's promises that don't need a gateway: private logging and the sync target."""

from __future__ import annotations

import logging

import pytest

from bot.runner import EXIT_OK, PRIVATE_LOGGERS, _configure_logging, sync_commands
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
