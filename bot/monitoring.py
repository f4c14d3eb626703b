"""Health and Prometheus metrics over HTTP, for a supervisor or a container platform (off by default).

Why: a bot a study group relies on runs for months; something must be able to ask "are you
healthy?" (`GET /healthz`: 200 while the gateway is connected and the database answers, 503 with
the reason otherwise) and watch the numbers (`GET /metrics`, Prometheus text format). It is served
by the aiohttp the bot already has, on `MEDCODER_METRICS_PORT`, bound to 127.0.0.1 unless
`MEDCODER_METRICS_HOST` says otherwise. Labels never carry member ids or question text: only the
kind of reply and fixed outcome names.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.settings import UnusableSetting

if TYPE_CHECKING:
    from discord.ext import commands

    from bot.core.store import Store

PING_TIMEOUT = 2.0  # seconds: a database that takes longer is reported unhealthy, not waited for
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
# Matching takes well under a millisecond; the buckets resolve that, and show a slow outlier.
MATCH_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05)


class Metrics:
    """The bot's own counters, on a registry of their own (so several bots in one process, as in tests, never clash)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.questions = Counter(
            "medcoder_questions",
            "Questions answered, by outcome (answer, suggest, fallback, small_talk, invalid)",
            ["outcome"],
            registry=self.registry,
        )
        self.match_seconds = Histogram(
            "medcoder_match_seconds",
            "Time to answer one question in the engine",
            buckets=MATCH_BUCKETS,
            registry=self.registry,
        )
        self.reminders = Counter(
            "medcoder_reminders",
            "Reminder deliveries, by outcome (delivered, paused, retried, dropped)",
            ["outcome"],
            registry=self.registry,
        )
        self.reminders_late = Counter(
            "medcoder_reminders_late",
            "Reminders delivered more than a minute after they were due",
            registry=self.registry,
        )
        self.scheduler_lag = Gauge(
            "medcoder_scheduler_lag_seconds",
            "How late the last delivered reminder was, in seconds",
            registry=self.registry,
        )
        for outcome in ("answer", "suggest", "fallback", "small_talk", "invalid"):
            self.questions.labels(outcome)  # present (at 0) from the start, so dashboards see every series
        for outcome in ("delivered", "paused", "retried", "dropped"):
            self.reminders.labels(outcome)

    def watch(self, bot: commands.Bot) -> None:
        """Also export what is read from the bot at scrape time: gateway latency, shards, guilds."""
        self.registry.register(_BotCollector(bot))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _BotCollector(Collector):
    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        latency = self.bot.latency
        yield GaugeMetricFamily(
            "medcoder_gateway_latency_seconds",
            "Heartbeat latency to Discord's gateway (NaN before the first heartbeat)",
            value=latency if math.isfinite(latency) else math.nan,
        )
        yield GaugeMetricFamily("medcoder_shards", "Shards in the whole bot", value=float(self.bot.shard_count or 1))
        yield GaugeMetricFamily("medcoder_guilds", "Servers this process sees", value=float(len(self.bot.guilds)))


async def health(bot: commands.Bot, store: Store) -> tuple[bool, str]:
    """(healthy, reason): the gateway connected and ready, and the store answering."""
    if bot.is_closed():
        return False, "the bot is closed"
    if not bot.is_ready() or not gateway_connected(bot):
        return False, "not connected to Discord's gateway"
    try:
        await asyncio.wait_for(store.ping(), PING_TIMEOUT)
    except Exception as error:  # any failure to answer is unhealthy; the reason names its kind only
        return False, f"the database does not answer ({type(error).__name__})"
    return True, "ok"


def gateway_connected(bot: commands.Bot) -> bool:
    shards = getattr(bot, "shards", None)
    if isinstance(shards, dict) and shards:  # an AutoShardedBot: every shard of this process
        return all(not shard.is_closed() for shard in shards.values())
    ws = bot.ws
    return ws is not None and ws.open


async def start_server(bot: commands.Bot, store: Store, metrics: Metrics, host: str, port: int) -> web.AppRunner:
    """Serve /healthz and /metrics until the returned runner is cleaned up.

    Why the bot and its store as two arguments: this module then needs nothing from `bot.app`
    (which imports it lazily), so the two never import each other.
    """

    async def healthz(_: web.Request) -> web.Response:
        ok, reason = await health(bot, store)
        return web.json_response({"status": "ok" if ok else "unhealthy", "reason": reason}, status=200 if ok else 503)

    async def metrics_page(_: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), headers={"Content-Type": PROMETHEUS_TEXT})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    runner = web.AppRunner(app, access_log=None)  # access lines would add nothing but noise
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        raise UnusableSetting(
            f"MEDCODER_METRICS_PORT: cannot serve metrics on {host}:{port}: {error.strerror or error}"
        ) from error
    return runner
