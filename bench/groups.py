"""Study-group benchmark (issue 15): `/group progress` on a server with 10,000 opted-in members.

Why: Discord gives a bot 3 seconds to answer an interaction, and `/group progress` answers directly
(no deferral): it counts every opted-in member's steps in the store, lists the names of those who
chose `show_name`, draws the chart (in a worker thread) and uploads it. This fills a real SQLite
file (WAL, as the bot runs it) with `--members` opted-in members, each with a random number of done
steps, a fifth of them shown by name, and times, through the fake Discord in `tests/fakediscord`
(unmodified discord.py on loopback), from dispatching the interaction to the callback with the
chart arriving at the fake. For reference, in the same run, `/steps` (a reply with no store work)
is timed the same way. `--database-url` runs it on PostgreSQL instead.

It prints figures only; it never asserts (tests check behaviour, benchmarks report).

    python bench/groups.py                       # 10,000 members, 20 requests
    python bench/groups.py --members 1000 --requests 50
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.fakediscord` lives in the repository, not the package

GUILD_READY_TIMEOUT = 0.1
WINDOW_S = 3.0  # Discord's interaction window
STEPS = ("step-education", "step-certification", "step-experience", "step-networking", "step-continuing-education")
FIRST_MEMBER = 200_000_000_000_000_000


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


async def fill(bot: Any, guild_id: int, members: int, seed: int) -> float:
    """Opt `members` members in, each with their first k steps done (k random, 0..5); returns seconds."""
    rng = random.Random(seed)
    start = time.perf_counter()
    for n in range(members):
        user = FIRST_MEMBER + n
        for step in STEPS[: rng.randint(0, len(STEPS))]:
            await bot.store.set_step(user, step, True)
        await bot.store.join_group(guild_id, user, show_name=n % 5 == 0)
    return time.perf_counter() - start


async def run(members: int, requests: int, database_url: str | None) -> None:
    from bot.app import create_bot
    from bot.settings import Settings
    from tests.fakediscord import FakeDiscord, running_bot

    with tempfile.TemporaryDirectory(prefix="medcoder-bench-") as tmp:
        async with FakeDiscord() as fake:
            with fake.patch_discord_urls():
                settings = Settings(
                    _env_file=None, discord_token=fake.token, db=Path(tmp) / "groups.db", database_url=database_url
                )
                bot = create_bot(settings)
                async with running_bot(bot, fake, guild_ready_timeout=GUILD_READY_TIMEOUT):
                    guild_id = int(fake.guild["id"])
                    filled = await fill(bot, guild_id, members, seed=15)
                    progress = await bot.store.group_progress(guild_id)
                    print(
                        f"{progress.members:,} opted-in members, {sum(progress.done.values()):,} done steps, "
                        f"{sum(len(v) for v in progress.named.values()):,} of them by members shown by name "
                        f"(filled in {filled:.1f} s) on {type(bot.store).__name__}"
                    )
                    loop = asyncio.get_running_loop()

                    async def one(name: str, **kwargs: Any) -> float:
                        start = loop.time()
                        payload = await fake.invoke_slash(name, **kwargs)
                        request = await fake.wait_for_callback(payload, timeout=30)
                        elapsed = loop.time() - start
                        if request.status >= 300:
                            raise RuntimeError(f"/{name} failed: {request.response}")
                        fake.clear_requests()
                        return elapsed

                    async def case(name: str, **kwargs: Any) -> list[float]:
                        await one(name, **kwargs)  # warm-up
                        return [await one(name, **kwargs) for _ in range(requests)]

                    steps = await case("steps")
                    group = await case("group", subcommand="progress")
                    t = time.perf_counter()
                    for _ in range(requests):
                        await bot.store.group_progress(guild_id)
                    query = (time.perf_counter() - t) / requests

    def line(label: str, times: list[float]) -> str:
        ordered = sorted(times)
        return (
            f"  {label:32} median {ms(statistics.median(times))}   p90 {ms(ordered[int(0.9 * (len(ordered) - 1))])}"
            f"   max {ms(ordered[-1])}"
        )

    print(f"reply time through the fake Discord ({requests} sequential requests; dispatch to callback received):")
    print(line("/steps (reference, no store)", steps))
    print(line("/group progress", group))
    print(f"  of which the store's group_progress query: {ms(query)} (median of direct calls)")
    worst = max(group)
    verdict = "met" if worst < WINDOW_S else "NOT met"
    print(f"  target: within Discord's {WINDOW_S:.0f} s interaction window, worst {worst:.2f} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000, help="opted-in members (default 10,000)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per command (default 20)")
    parser.add_argument("--database-url", help="a postgresql:// URL to run on instead of SQLite")
    args = parser.parse_args()
    asyncio.run(run(args.members, args.requests, args.database_url))


if __name__ == "__main__":
    main()
