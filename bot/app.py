"""Building the Discord bot: intents, defaults, extensions, without connecting.

`create_bot` does everything that can fail locally (settings, a bad knowledge base) before any
network call, so `run` fails fast and tests can build a complete bot against a fake Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

# discord.py's modules live as long as the process. Frozen out of the collector here, once, they are not
# walked again by the full collection that the rest of a start-up (the bot's modules, its knowledge base)
# would otherwise set off before ready (about 14 ms; `bench/discord_e2e.py`). Nothing made later is frozen.
gc.freeze()

from bot.core import Engine, Reply  # noqa: E402 -- after the freeze on purpose
from bot.core.clock import Clock, SystemClock  # noqa: E402
from bot.core.conversation import Conversations  # noqa: E402
from bot.core.normalize import warm_spelling  # noqa: E402
from bot.core.store import Store, open_store  # noqa: E402
from bot.core.store.models import LATE_AFTER  # noqa: E402
from bot.core.topics import TopicCounter  # noqa: E402
from bot.core.unanswered import UnansweredCounter  # noqa: E402
from bot.exts import EXTENSIONS  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.utils.commands import DEFAULT_CONTEXTS, DEFAULT_INSTALLS  # noqa: E402
from bot.utils.errors import on_app_command_error, on_prefix_command_error  # noqa: E402

if TYPE_CHECKING:
    from aiohttp import web

    from bot.monitoring import Metrics

log = logging.getLogger(__name__)


def bot_intents(settings: Settings) -> discord.Intents:
    """Guilds (for the servers the bot is in) and DM messages; nothing privileged unless asked for.

    Message content is a privileged intent, but Discord delivers the content of DMs to a bot
    without it, and in servers members use slash commands, so the bot never needs it. The privileged
    Server Members intent is only asked for when `members_intent` is set: its one use is hearing that
    a member left a server, so that they leave its study group too.
    """
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    intents.members = settings.members_intent
    return intents


class MedcoderBot(commands.Bot):
    """The bot: holds the settings and the one engine every extension answers from."""

    store: Store  # opened in setup_hook; extensions use it from their cog_load on
    unanswered: UnansweredCounter | None  # None when `record_unanswered` is off
    topics: TopicCounter | None  # what servers' members ask /ask about, for their weekly digest

    def __init__(
        self, *, settings: Settings, engine: Engine, clock: Clock | None = None, commands_only: bool = False
    ) -> None:
        # The bot has no voice features; discord.py's "voice will NOT be supported" warnings at
        # start-up would only send operators looking for a problem that does not exist.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            # Only the owner's `@bot sync` uses a prefix. A mention is the one prefix discord.py
            # does not warn about without the message-content intent (mentions carry content).
            command_prefix=commands.when_mentioned,
            help_command=None,  # `/help` is the help; a prefix `help` would shadow DM questions
            intents=bot_intents(settings),
            # Even with the Server Members intent no member is cached or fetched at start-up: its only
            # use is the raw member-remove event, and chunking every server's members costs memory and
            # delays ready in large servers.
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
            allowed_mentions=discord.AllowedMentions.none(),
            owner_ids=set(settings.owner_ids),  # empty: discord.py asks Discord for the app owner
            allowed_installs=DEFAULT_INSTALLS,
            allowed_contexts=DEFAULT_CONTEXTS,
            **sharding(settings),
        )
        self.settings = settings
        self.engine = engine
        # `medcoder-bot sync`: build the command tree and nothing else (no database, no scheduler). Every
        # extension registers its commands in `setup`; only what runs the bot checks this flag.
        self.commands_only = commands_only
        # Each conversation's context (a member's DM, a member's `/ask` in one channel), for follow-ups
        # ("and the CCS?", "the next one?"): memory only, ten minutes.
        self.conversations = Conversations()
        self._warm_up: asyncio.Task[None] | None = None  # the word list and models, loading once ready
        self.clock: Clock = clock or SystemClock()
        self._store: Store | None = None
        self.unanswered = None
        self.topics = None
        self.metrics: Metrics | None = None  # with MEDCODER_METRICS_PORT: counters, /healthz and /metrics
        self._metrics_server: web.AppRunner | None = None

    async def setup_hook(self) -> None:
        """Async start-up, once per process (unlike `on_ready`, which fires on every reconnect)."""
        self.tree.error(on_app_command_error)
        if not self.commands_only:  # `sync` needs the commands only: no database, no counters
            # The store opens (and migrates) before any extension loads, so every cog can rely on it;
            # a database newer than the code stops start-up here with a clear StoreError.
            self._store = await open_store(self.settings.db, self.settings.database_dsn, clock=self.clock)
            self.store = self._store
            if self.settings.record_unanswered:
                self.unanswered = UnansweredCounter(self.store, cap=self.settings.unanswered_cap, clock=self.clock)
                self.unanswered.start()
            self.topics = TopicCounter(self.store, clock=self.clock)
            self.topics.start()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        if self.commands_only:
            return
        log.info("Loaded %d extensions: %s", len(EXTENSIONS), ", ".join(EXTENSIONS))
        if self.settings.metrics_port is not None:
            await self._serve_metrics(self.settings.metrics_host, self.settings.metrics_port)

    async def _serve_metrics(self, host: str, port: int) -> None:
        # Imported only when asked for: a bot without metrics never loads prometheus_client.
        from bot import monitoring  # noqa: PLC0415

        self.metrics = monitoring.Metrics()
        self.metrics.watch(self)
        self._metrics_server = await monitoring.start_server(self, self.store, self.metrics, host, port)
        log.info("Serving /healthz and /metrics on %s:%d", host, port)

    async def _load_in_background(self) -> None:
        """Once ready, in a thread: the spelling corrector's word list and rapidfuzz (~50 ms, else the first
        misspelt question pays them), then the semantic models (a fraction of a second of CPU and 120 MB). Neither
        delays login; until the models are in, answers are lexical only."""
        try:
            await asyncio.to_thread(warm_spelling)
        except Exception:  # a damaged install: a misspelt question will fail the same way; still load the models
            log.exception("The spelling corrector's word list or rapidfuzz could not be loaded")
        if self.engine.reading is not None or not self.settings.reader:
            return
        try:
            reading = await asyncio.to_thread(self.engine.load_reading)
        except Exception:  # a damaged install: keep answering, lexically, and say so loudly
            log.exception("The semantic models could not be loaded; answering with the lexical matcher only")
            return
        self.engine.attach(reading)
        log.info("Semantic models loaded: answers now use the reader")

    async def answer(self, question: str, conversation: Hashable | None = None) -> Reply:
        """The engine's reply, read against the conversation's last reply, off the event loop.

        Why a thread: the reader takes tens of milliseconds of CPU (onnxruntime releases the GIL), which
        would stall every other member's event on the loop. The conversation's context is read and kept
        here, on the loop. Replies are counted by outcome and timed when metrics are on (never their text).
        """
        previous = self.conversations.previous(conversation) if conversation is not None else None
        started = time.perf_counter()
        reply = await asyncio.to_thread(self.engine.ask, question, previous)
        if conversation is not None:
            self.conversations.remember(conversation, reply.context)
        metrics = self.metrics
        if metrics is not None:
            metrics.match_seconds.observe(time.perf_counter() - started)
            metrics.questions.labels(reply.kind.value).inc()
        return reply

    def count_delivery(self, outcome: str, *, late_by: float | None = None) -> None:
        """A reminder's delivery outcome (delivered, paused, retried, dropped) and, when sent, how late it was."""
        metrics = self.metrics
        if metrics is None:
            return
        metrics.reminders.labels(outcome).inc()
        if late_by is not None:
            metrics.scheduler_lag.set(late_by)
            if late_by > LATE_AFTER.total_seconds():
                metrics.reminders_late.inc()

    async def close(self) -> None:
        """Stop Discord first (extensions unload, schedulers stop), then the metrics server, write the
        pending counts, then close the database."""
        if self._warm_up is not None and not self._warm_up.done():
            self._warm_up.cancel()  # the thread finishes on its own; nothing waits for it
        try:
            await super().close()
        finally:
            try:
                if self._metrics_server is not None:  # after Discord: /healthz says 503 while it closes
                    server, self._metrics_server = self._metrics_server, None
                    with contextlib.suppress(Exception):
                        await server.cleanup()
            finally:
                await self._close_data()

    async def _close_data(self) -> None:
        try:
            for counter in (self.unanswered, self.topics):
                if counter is not None:
                    await counter.close()  # never raises for a store error: it logs
            self.unanswered = self.topics = None
        finally:
            # Even if that was cancelled: an open aiosqlite connection keeps its thread (and the process) alive.
            if self._store is not None:
                store, self._store = self._store, None
                await store.close()

    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError, /) -> None:
        await on_prefix_command_error(ctx, error)

    async def on_ready(self) -> None:
        log.info("Connected as %s (id %s) to %d guilds", self.user, self.user and self.user.id, len(self.guilds))
        if self._warm_up is None and not self.commands_only:  # the first time: on_ready fires on every reconnect
            self._warm_up = asyncio.create_task(self._load_in_background(), name="medcoder-warm-up")


def sharding(settings: Settings) -> dict[str, Any]:
    """`AutoShardedBot` options from the settings; none for an unsharded bot."""
    if settings.shard_count is None:
        return {}
    return {"shard_count": settings.shard_count, "shard_ids": settings.shard_ids}


class ShardedMedcoderBot(MedcoderBot, commands.AutoShardedBot):
    """The same bot running a range of shards (`MEDCODER_SHARD_COUNT`, `MEDCODER_SHARDS`).

    Why a subclass chosen by configuration: past 2,500 servers Discord requires sharding, and a large
    bot runs several processes, each with some shards, sharing PostgreSQL. A bot that doesn't configure
    shards keeps the plain single-connection `commands.Bot` it always had. Direct messages arrive on
    shard 0 only, so whichever process hosts shard 0 answers them; every process dispatches reminders.
    """


def create_bot(
    settings: Settings | None = None,
    engine: Engine | None = None,
    clock: Clock | None = None,
    *,
    commands_only: bool = False,
) -> MedcoderBot:
    """A fully configured bot, not yet connected; settings from the environment unless given.

    `clock` is for tests and benchmarks that move time (reminders); the default is the wall clock.
    `commands_only` builds just the command tree (for `sync`): the database is never opened and no
    reminder is delivered.
    """
    settings = settings if settings is not None else Settings()
    cls = MedcoderBot if settings.shard_count is None else ShardedMedcoderBot
    return cls(
        settings=settings,
        # The semantic models load in the bot's own start-up, in a thread once ready (`on_ready`).
        engine=engine if engine is not None else Engine.load(semantic=False),
        clock=clock,
        commands_only=commands_only,
    )
