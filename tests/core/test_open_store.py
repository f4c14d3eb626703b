"""Choosing the backend by configuration: `MEDCODER_DATABASE_URL` set means PostgreSQL, else SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.store import SQLiteStore, StoreError, open_store
from bot.core.store.postgres import PostgresStore
from bot.settings import InvalidSettings, Settings
from tests.clock import FakeClock


async def test_no_url_opens_sqlite_at_the_db_path(tmp_path: Path) -> None:
    async with await open_store(tmp_path / "a.db", None, clock=FakeClock()) as store:
        assert isinstance(store, SQLiteStore)
    assert (tmp_path / "a.db").exists()


async def test_a_url_opens_postgres_and_ignores_the_db_path(tmp_path: Path, pg_dsn: str) -> None:
    async with await open_store(tmp_path / "unused.db", pg_dsn, clock=FakeClock()) as store:
        assert isinstance(store, PostgresStore)
        await store.set_timezone(1, "UTC")
    assert not (tmp_path / "unused.db").exists()


async def test_other_urls_are_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="postgresql://"):
        await open_store(tmp_path / "a.db", "mysql://x/y", clock=FakeClock())


def test_settings_read_the_url_and_hide_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDCODER_DATABASE_URL", "postgresql://bot:s3cret@db.example.org:5433/medcoder")
    settings = Settings(_env_file=None)
    assert settings.database_dsn == "postgresql://bot:s3cret@db.example.org:5433/medcoder"
    assert settings.database_label == "postgresql://db.example.org:5433/medcoder"
    assert "s3cret" not in repr(settings)
    monkeypatch.setenv("MEDCODER_DATABASE_URL", "")
    assert Settings(_env_file=None).database_dsn is None  # blank, as copied from .env.example
    monkeypatch.setenv("MEDCODER_DATABASE_URL", "sqlite:///medcoder.db")
    with pytest.raises(InvalidSettings, match="postgresql://"):
        Settings(_env_file=None)
