"""Checklist store benchmark (issue 5): operations per second with 1,000 members at once.

Why this exists: every checklist button press is a toggle followed by a read to redraw the
progress bar, and the store serialises them on one SQLite connection (an asyncio lock, and
BEGIN IMMEDIATE for toggles) so that no update is lost. This measures what that costs when many
members press at the same moment: throughput, each operation's latency including its wait for
the lock, and a check that the final states are exactly what the toggles imply.

It runs on a real SQLite file (WAL, synchronous=NORMAL) in a temporary directory, prints figures
and never asserts.

    python bench/store.py                 # 1,000 members x 20 rounds of toggle + read
    python bench/store.py --quick         # 1,000 members x 3 rounds
    python bench/store.py --members 200 --rounds 50
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from bot.core.clock import SystemClock
from bot.core.store import SQLiteStore

STEPS = ("step-education", "step-certification", "step-experience", "step-networking", "step-continuing-education")
FIRST_MEMBER = 100_000_000_000_000_000


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _timed(latencies: list[float], operation: Callable[[], Awaitable[object]]) -> None:
    started = time.perf_counter()
    await operation()
    latencies.append(time.perf_counter() - started)


async def _phase(
    name: str, members: int, rounds: int, op: Callable[[int, int], Callable[[], Awaitable[object]]]
) -> None:
    """`members` coroutines at once, each doing `rounds` operations back to back."""
    latencies: list[float] = []

    async def member(index: int) -> None:
        for round_ in range(rounds):
            await _timed(latencies, op(index, round_))

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(member(i) for i in range(members)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ms = [x * 1000 for x in latencies]
    print(
        f"  {name:<22} {len(ms):>7,} ops  {len(ms) / wall:>8,.0f} ops/s  "
        f"latency p50 {statistics.median(ms):6.1f} ms  p99 {_percentile(ms, 0.99):6.1f} ms  "
        f"max {max(ms):6.1f} ms  (cpu {cpu:.2f} s / wall {wall:.2f} s)"
    )


async def run(members: int, rounds: int, seed: int) -> None:
    rng = random.Random(seed)
    plan = [[rng.randrange(len(STEPS)) for _ in range(rounds)] for _ in range(members)]
    with tempfile.TemporaryDirectory(prefix="medcoder-bench-") as folder:
        path = Path(folder) / "bench.db"
        store = await SQLiteStore.open(path, clock=SystemClock())
        print(f"{members:,} members at once, {rounds} rounds each, on {path.name} (SQLite {sqlite3.sqlite_version})")

        def toggle(i: int, r: int) -> Callable[[], Awaitable[object]]:
            return lambda: store.toggle_step(FIRST_MEMBER + i, STEPS[plan[i][r]])

        def read(i: int, _: int) -> Callable[[], Awaitable[object]]:
            return lambda: store.checklist(FIRST_MEMBER + i)

        def press(i: int, r: int) -> Callable[[], Awaitable[object]]:
            async def both() -> None:  # what a button press does: toggle, then redraw from a read
                await store.toggle_step(FIRST_MEMBER + i, STEPS[plan[i][r]])
                await store.checklist(FIRST_MEMBER + i)

            return both

        await _phase("toggle", members, rounds, toggle)
        await _phase("read (checklist)", members, rounds, read)
        await _phase("press (toggle + read)", members, rounds, press)

        # Each step was toggled by `toggle` and again by `press`: every count is even, so all
        # checklists must be empty again. Anything left over would be a lost update.
        leftover = sum([len(await store.checklist(FIRST_MEMBER + i)) for i in range(members)])
        await store.close()
    print(f"  lost updates: {leftover} (0 expected)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    asyncio.run(run(args.members, 3 if args.quick else args.rounds, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
