"""The real bot on PostgreSQL (`MEDCODER_DATABASE_URL`) against the fake Discord: same commands, shared data."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from bot.app import create_bot
from bot.core import Engine
from bot.core.store.postgres import PostgresStore
from tests.clock import FakeClock
from tests.discord.helpers import make_settings, reply_to
from tests.fakediscord import FakeDiscord, running_bot


async def test_checklist_state_lives_in_postgres_and_is_shared(
    fake: FakeDiscord, engine: Engine, tmp_path: Path, pg_dsn: str
) -> None:
    settings = make_settings(fake, tmp_path, database_url=pg_dsn)
    async with running_bot(create_bot(settings, engine, FakeClock()), fake, guild_ready_timeout=0.1) as bot:
        assert isinstance(bot.store, PostgresStore)
        interaction = await fake.invoke_slash("checklist", {"step": "step-education"}, subcommand="done")
        await reply_to(fake, interaction)
    assert not (tmp_path / "t.db").exists()  # MEDCODER_DB is not used with a URL
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT step_id FROM checklist WHERE user_id = $1", int(fake.user["id"])) == (
            "step-education"
        )
    finally:
        await conn.close()
