"""The runner's promises that don't need a gateway: private logging and the sync target."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.store import open_store
from bot.logs import PRIVATE_LOGGERS
from bot.runner import EXIT_CONFIG, EXIT_OK, _configure_logging, run_bot, sync_commands
from bot.settings import InvalidSettings, Settings, parse_postgres_url
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


PASSWORD = "s3cret-Pw"
BAD_DATABASE_URLS = {
    "an unclosed IPv6 bracket": (f"postgresql://u:{PASSWORD}@[bad/db", "IPv6"),
    "a port that is not a number": (f"postgresql://u:{PASSWORD}@db.example.org:54x2/db", "port is not a number"),
    "a port out of range": (f"postgresql://u:{PASSWORD}@db.example.org:70000/db", "port is not a number"),
    "a / in the password, unencoded": (f"postgresql://u:{PASSWORD}/x@db.example.org/db", "percent-encode"),
    "an @ in the password, unencoded": (f"postgresql://u:{PASSWORD}@x@db.example.org/db", "more than one @"),
    "a ?port= that is not a number": (f"postgresql://u:{PASSWORD}@/db?host=/run/pg&port=five", "?port="),
    "a query that is not name=value": (f"postgresql://u:{PASSWORD}@db.example.org/db?sslmode", "query"),
    "an empty host in a list": (f"postgresql://u:{PASSWORD}@h1,/db", "empty entry"),
    "a / inside the database name": (f"postgresql://u:{PASSWORD}@db.example.org/med/coder", "database name"),
}


@pytest.mark.parametrize(("url", "reason"), BAD_DATABASE_URLS.values(), ids=BAD_DATABASE_URLS.keys())
@pytest.mark.parametrize("command", ["run", "sync"])
def test_a_malformed_database_url_is_one_line_before_any_connection(
    entry_point_env: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], command: str, url: str, reason: str
) -> None:
    """Before this was checked at load, `run` logged in to Discord and then died in asyncpg's URL parser."""
    entry_point_env.setenv("MEDCODER_DATABASE_URL", url)
    with fake_in_a_thread() as fake:
        entry_point_env.setenv("DISCORD_TOKEN", fake.token)
        assert (run_bot() if command == "run" else sync_commands(None)) == EXIT_CONFIG
        assert fake.requests == [] and fake.connections == []  # Discord was never contacted
    out, err = capfd.readouterr()
    (line,) = err.splitlines()
    assert line.startswith("medcoder-bot: invalid settings: MEDCODER_DATABASE_URL: "), line
    assert reason in line
    assert PASSWORD not in out + err and "Traceback" not in out + err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:pw@db.example.org:5433/medcoder",
        "postgres://bot@db.example.org/medcoder",
        "postgresql://bot:p%40ss%2Fw%3Ard@db.example.org/medcoder",  # a percent-encoded @ / : in the password
        "postgresql://bot:pw@h1:5432,h2:5433/medcoder?target_session_attrs=read-write",
        "postgresql://bot:pw@[::1]:5432/medcoder",
        "postgresql://postgres@/medcoder?host=/run/postgresql&port=5433",
        "postgresql:///medcoder",  # the local socket, the user's own name
        "postgresql://db.example.org",  # no database: PostgreSQL uses the user's name
    ],
)
def test_urls_asyncpg_reads_are_accepted(url: str) -> None:
    assert Settings(_env_file=None, database_url=url).database_dsn == url


def test_the_label_shows_where_without_credentials() -> None:
    assert parse_postgres_url("postgresql://bot:pw@h1:5432,h2/medcoder?sslmode=require").label == (
        "postgresql://h1:5432,h2/medcoder"
    )
    with pytest.raises(InvalidSettings) as raised:
        Settings(_env_file=None, database_url=f"postgresql://u:{PASSWORD}@db:x/db")
    assert PASSWORD not in str(raised.value) + repr(raised.value)


def test_a_problem_of_two_options_is_said_once(
    entry_point_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It used to read "invalid settings: settings: --shards 3-5 is outside 0-3"."""
    assert main(["run", "--shard-count", "4", "--shards", "3-5"]) == EXIT_CONFIG
    assert capsys.readouterr().err.splitlines() == ["medcoder-bot: invalid settings: --shards 3-5 is outside 0-3"]
