"""Salary chart benchmark (issue 6): render time per view, and `/salary` reply time with and without the cache.

Why: issue 6 promises that a chart never costs a request more than a few milliseconds, which holds
only because each chart is drawn once per process and cached. This prints:

- the import time of `bot.core.charts` (Pillow included) in this process;
- per view, the first render (cold: Pillow's font not yet loaded at that size) and the median of
  later renders (what every request would pay without the cache), plus the PNG's size;
- the cached look-up (`chart_entry` and `ChartCache.cached` on a warm cache, as `/salary` does);
- `/salary` reply time through the fake Discord in `tests/fakediscord` (unmodified discord.py on
  loopback): dispatch of the interaction to the bot's callback request arriving at the fake, for the
  text-only overview (baseline), and for position and sector with an empty cache before every
  request ("no cache": each request renders, in a worker thread) and with a warm cache.

It prints figures only; it never asserts (tests check behaviour, benchmarks report).

    python bench/charts.py              # 30 requests per case
    python bench/charts.py --requests 100
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402 -- after the clock on purpose
import asyncio  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `tests.fakediscord` lives in the repository, not the package

GUILD_READY_TIMEOUT = 0.1
TARGET_MS = 5.0  # "a few milliseconds" of chart cost per request


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.2f} ms"


def render_times(renders: int) -> None:
    from bot.core import Engine  # the engine first, so the next import times Pillow and the chart module only

    engine = Engine.load()
    t = time.perf_counter()
    from bot.core import charts

    import_s = time.perf_counter() - t
    print(f"import bot.core.charts (Pillow included, after the engine): {ms(import_s)}")
    print(f"chart render ({renders} warm renders per view after the first):")
    for view in charts.CHART_VIEWS:
        entry = charts.chart_entry(engine, view)
        t = time.perf_counter()
        png = charts.render_salary_chart(entry)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(renders):
            t = time.perf_counter()
            charts.render_salary_chart(entry)
            warm.append(time.perf_counter() - t)
        layout = charts.plan_salary_chart(entry)
        print(
            f"  {view:8}  first {ms(cold)}   median {ms(statistics.median(warm))}   "
            f"{layout.width}x{layout.height} px, {len(png) / 1024:.0f} KiB"
        )
    cache = charts.ChartCache()
    cache.get(charts.chart_entry(engine, "position"))
    lookups = 10_000
    t = time.perf_counter()
    for _ in range(lookups):
        cache.cached(charts.chart_entry(engine, "position"))
    per = (time.perf_counter() - t) / lookups
    print(f"  cached look-up (chart_entry + cached, warm cache): {per * 1e6:.1f} µs  [renders: {cache.render_count}]")


async def reply_times(requests: int) -> dict[str, list[float]]:
    from bot.app import create_bot
    from bot.core.charts import ChartCache
    from bot.settings import Settings
    from tests.fakediscord import FakeDiscord, running_bot

    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="medcoder-bench-") as tmp:
        async with FakeDiscord() as fake:
            with fake.patch_discord_urls():
                bot = create_bot(Settings(_env_file=None, discord_token=fake.token, db=Path(tmp) / "b.db"))
                async with running_bot(bot, fake, guild_ready_timeout=GUILD_READY_TIMEOUT):
                    cog: Any = bot.get_cog("Salary")
                    loop = asyncio.get_running_loop()

                    async def one(view: str) -> float:
                        start = loop.time()
                        payload = await fake.invoke_slash("salary", {"view": view})
                        request = await fake.wait_for_callback(payload)
                        elapsed = loop.time() - start
                        if request.status >= 300:
                            raise RuntimeError(f"/salary {view} failed: {request.response}")
                        fake.clear_requests()
                        return elapsed

                    async def case(name: str, view: str, *, cold: bool) -> None:
                        cog.charts = ChartCache()
                        await one(view)  # warm-up (and, for the cached case, the one render)
                        times = []
                        for _ in range(requests):
                            if cold:
                                cog.charts = ChartCache()
                            times.append(await one(view))
                        results[name] = times

                    await case("overview (text only)", "overview", cold=False)
                    for view in ("position", "sector"):
                        await case(f"{view}, no cache", view, cold=True)
                        await case(f"{view}, cached", view, cold=False)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per /salary case")
    parser.add_argument("--renders", type=int, default=20, help="warm renders per view")
    args = parser.parse_args()
    render_times(args.renders)
    print(
        f"/salary reply time through the fake Discord ({args.requests} sequential requests per case; "
        "dispatch to callback received):"
    )
    results = asyncio.run(reply_times(args.requests))
    baseline = statistics.median(results["overview (text only)"])
    for name, times in results.items():
        median = statistics.median(times)
        extra = "" if name.startswith("overview") else f"   chart cost over text: {ms(median - baseline)}"
        print(f"  {name:22} median {ms(median)}   p90 {ms(sorted(times)[int(0.9 * (len(times) - 1))])}{extra}")
    print(f"  target: a cached chart costs a request at most ~{TARGET_MS:.0f} ms over the text-only reply")
    print(f"total bench time {time.perf_counter() - T_START:.1f} s")


if __name__ == "__main__":
    main()
