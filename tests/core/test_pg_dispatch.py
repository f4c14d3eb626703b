"""Several dispatcher processes on one PostgreSQL database: 10,000 reminders, none lost, none twice.

Each worker (`pg_dispatch_worker.py`) is a separate Python process running the real
`ReminderScheduler` on the real `PostgresStore`, as several bot processes would. The reminders are
inserted while the workers already sleep, then one NOTIFY wakes them all at once, so they really
compete for the same rows. Then again with one worker killed by SIGKILL mid-run: the survivors take
over its claims once their lease expires; only reminders it had delivered but not yet recorded as
delivered may be sent twice.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from bot.core.clock import SystemClock
from bot.core.store.models import to_timestamp
from bot.core.store.postgres import CHANNEL, PostgresStore

WORKER = Path(__file__).with_name("pg_dispatch_worker.py")
REMINDERS = 10_000
MEMBERS = 500
BATCH = 100
LEASE_S = 2.0
DEADLINE = 60.0


@dataclass
class Worker:
    process: asyncio.subprocess.Process
    log: Path
    events: dict[str, list[int]] = field(default_factory=dict)

    def read(self) -> dict[str, list[int]]:
        self.events = {"c": [], "d": [], "f": [], "p": []}
        for line in self.log.read_text().splitlines():
            kind, rid = line.split()
            self.events[kind].append(int(rid))
        return self.events

    def delivered_so_far(self) -> int:
        try:
            return self.log.read_bytes().count(b"d ")
        except FileNotFoundError:
            return 0


async def start_workers(dsn: str, tmp_path: Path, count: int, delay: float) -> list[Worker]:
    workers = []
    for n in range(count):
        log = tmp_path / f"worker{n}.log"
        log.touch()
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(WORKER), dsn, str(log), str(LEASE_S), str(BATCH), str(delay),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        workers.append(Worker(process, log))
    for worker in workers:
        assert worker.process.stdout is not None
        line = await asyncio.wait_for(worker.process.stdout.readline(), 30)
        if line != b"ready\n":
            _, err = await worker.process.communicate()
            pytest.fail(f"worker did not start: {line!r} {err.decode()[-2000:]}")
    return workers


async def stop_workers(workers: list[Worker]) -> None:
    for worker in workers:
        if worker.process.returncode is None:
            assert worker.process.stdin is not None
            worker.process.stdin.close()
    for worker in workers:
        try:
            await asyncio.wait_for(worker.process.wait(), 15)
        except TimeoutError:
            worker.process.kill()
            await worker.process.wait()


async def seed_and_wake(dsn: str) -> set[int]:
    """10,000 reminders due now for 500 members (one COPY), then one NOTIFY wakes every worker."""
    due = to_timestamp(SystemClock().now()) - 1
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table("members", records=[(1000 + m,) for m in range(MEMBERS)], columns=["user_id"])
        await conn.copy_records_to_table(
            "reminders",
            records=[(1000 + i % MEMBERS, f"n{i}", due, "UTC", due, due, due) for i in range(REMINDERS)],
            columns=["user_id", "note", "due_at", "timezone", "anchor_at", "created_at", "attempt_at"],
        )
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, str(due))
        return {row["id"] for row in await conn.fetch("SELECT id FROM reminders")}
    finally:
        await conn.close()


async def active_left(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT COUNT(*) FROM reminders WHERE status = 'active'"))
    finally:
        await conn.close()


async def until_delivered(dsn: str, workers: list[Worker]) -> float:
    started = time.monotonic()
    while await active_left(dsn):
        if time.monotonic() - started > DEADLINE:
            raise TimeoutError(f"{await active_left(dsn)} reminders still active after {DEADLINE} s")
        alive = [w for w in workers if w.process.returncode is None]
        assert alive, "every worker died"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
async def migrated(pg_dsn: str) -> str:
    async with await PostgresStore.open(pg_dsn, clock=SystemClock()):
        pass
    return pg_dsn


@pytest.mark.parametrize("processes", [2, 4])
async def test_dispatchers_share_10000_reminders_none_lost_none_twice(
    migrated: str, tmp_path: Path, processes: int
) -> None:
    workers = await start_workers(migrated, tmp_path, processes, delay=0.0)
    try:
        expected = await seed_and_wake(migrated)
        took = await until_delivered(migrated, workers)
    finally:
        await stop_workers(workers)
    per_worker = [w.read()["d"] for w in workers]
    delivered = Counter(rid for ids in per_worker for rid in ids)
    assert set(delivered) == expected  # none lost
    assert max(delivered.values()) == 1  # none twice
    assert all(per_worker), f"every process took a share: {[len(ids) for ids in per_worker]}"
    print(f"{processes} processes: {REMINDERS} reminders in {took:.2f} s, shares {[len(ids) for ids in per_worker]}")


async def test_sigkill_one_of_four_dispatchers_loses_nothing(migrated: str, tmp_path: Path) -> None:
    workers = await start_workers(migrated, tmp_path, 4, delay=0.005)
    victim = workers[0]
    try:
        expected = await seed_and_wake(migrated)
        deadline = time.monotonic() + 30
        while victim.delivered_so_far() < 300:  # polling a file another process writes
            assert time.monotonic() < deadline, "the victim never got going"
            await asyncio.sleep(0.002)
        victim.process.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(victim.process.wait(), 10) == -signal.SIGKILL
        remaining_at_kill = await active_left(migrated)
        took = await until_delivered(migrated, workers[1:])
    finally:
        await stop_workers(workers)
    assert remaining_at_kill > 0, "the kill must land mid-run"

    events = [w.read() for w in workers]
    in_flight = set(events[0]["c"]) - set(events[0]["f"])  # claimed by the victim, never recorded as sent
    delivered = Counter(rid for e in events for rid in e["d"])
    assert set(delivered) == expected  # none lost
    twice = {rid for rid, n in delivered.items() if n > 1}
    assert max(delivered.values()) <= 2
    assert twice <= in_flight  # only what the victim had in flight can repeat
    assert 0 < len(in_flight) <= BATCH * 2
    print(
        f"SIGKILL: victim delivered {len(events[0]['d'])}, held {len(in_flight)} in flight; "
        f"{remaining_at_kill} active at the kill, finished {took:.2f} s later; {len(twice)} sent twice"
    )


async def test_digests_whose_leases_run_out_mid_post_are_posted_once(migrated: str, tmp_path: Path) -> None:
    """Three processes; every post takes longer than the lease, so each digest is claimed again by
    another process while the first still posts: the digest's own record lets one post through."""
    guilds = range(7000, 7060)
    workers = await start_workers(migrated, tmp_path, 3, delay=LEASE_S * 1.5)
    clock = SystemClock()
    due = clock.now().replace(microsecond=0)
    try:
        async with await PostgresStore.open(migrated, clock=clock) as store:
            for guild in guilds:
                await store.set_digest(guild, 1, 0, "19:00", first_due=due, recurrence="weekly:0:19:00")
        conn = await asyncpg.connect(migrated)
        try:
            started = time.monotonic()
            while await conn.fetchval(
                "SELECT COUNT(*) FROM reminders WHERE guild_id IS NOT NULL AND due_at <= $1", to_timestamp(due)
            ):
                assert time.monotonic() - started < DEADLINE, "digests still not moved on to next week"
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
    finally:
        await stop_workers(workers)
    events = [w.read() for w in workers]
    claims = Counter(rid for e in events for rid in e["c"])
    posts = Counter(guild for e in events for guild in e["p"])
    assert max(claims.values()) >= 2, "the test must make leases run out mid-post"
    assert set(posts) == set(guilds)  # every server's digest was posted...
    assert max(posts.values()) == 1  # ...once, although several processes delivered it
