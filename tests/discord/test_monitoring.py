"""Health and metrics over HTTP (MEDCODER_METRICS_PORT), through the real bot against the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import create_bot
from bot.core import Engine
from bot.settings import UnusableSetting
from tests.discord.helpers import dm_messages_path, make_settings, reply_to
from tests.fakediscord import FakeDiscord, running_bot

METRICS = {
    "medcoder_questions",
    "medcoder_match_seconds",
    "medcoder_reminders",
    "medcoder_reminders_late",
    "medcoder_scheduler_lag_seconds",
    "medcoder_gateway_latency_seconds",
    "medcoder_shards",
    "medcoder_guilds",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
        return response.status, await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


async def test_metrics_are_off_by_default(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    bot = create_bot(make_settings(fake, tmp_path), engine)
    async with running_bot(bot, fake, guild_ready_timeout=0.1):
        assert bot.metrics is None
        assert (await bot.answer("cpc salary")).answered  # answering works the same without them


async def test_healthz_and_metrics_count_what_the_bot_does(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    bot = create_bot(make_settings(fake, tmp_path, metrics_port=port), engine)
    async with running_bot(bot, fake, guild_ready_timeout=0.1):
        status, body = await get(port, "/healthz")
        assert status == 200 and json.loads(body) == {"status": "ok", "reason": "ok"}
        questions = ("what does a CPC earn?", "how much do nurses make", "coder courses")
        for n, question in enumerate(questions):  # each from a member of their own: no follow-up context
            member = fake.add_user(f"m{n}")
            await reply_to(fake, await fake.invoke_slash("ask", {"question": question}, user=member))
        await fake.send_dm("thanks!")
        await fake.wait_for_request("POST", dm_messages_path(fake))
        status, text = await get(port, "/metrics")
    assert status == 200
    assert {family.name for family in text_string_to_metric_families(text)} >= METRICS
    values = samples(text)
    expected = Counter(engine.ask(question).kind.value for question in questions) + Counter(["small_talk"])
    assert len(expected) >= 3  # answers, fallbacks and small talk at least: counted apart
    for outcome, count in expected.items():
        assert values[("medcoder_questions_total", (("outcome", outcome),))] == count
    assert values[("medcoder_match_seconds_count", ())] == 4
    assert values[("medcoder_guilds", ())] == 1 and values[("medcoder_shards", ())] == 1
    assert "nurses" not in text and "CPC earn" not in text  # no question text, no member ids in labels
    assert str(fake.user["id"]) not in text


async def test_reminder_deliveries_are_counted(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    bot = create_bot(make_settings(fake, tmp_path, metrics_port=port), engine)
    closed = fake.add_user("closed-dms")
    fake.close_dms(closed)
    async with running_bot(bot, fake, guild_ready_timeout=0.1):
        late = datetime.now(UTC) - timedelta(minutes=5)
        await bot.store.add_reminder(int(fake.user["id"]), "study ICD-10", late, timezone="UTC")
        await bot.store.add_reminder(int(closed["id"]), "study CPT", late, timezone="UTC")
        remind: Any = bot.get_cog("Remind")
        remind.wake()
        await fake.wait_for_request("POST", dm_messages_path(fake), timeout=10)
        paused = ("medcoder_reminders_total", (("outcome", "paused"),))
        async with asyncio.timeout(5):
            while samples((await get(port, "/metrics"))[1])[paused] < 1:  # noqa: ASYNC110  # polling over HTTP
                await asyncio.sleep(0.05)
        _, text = await get(port, "/metrics")
    values = samples(text)
    assert values[("medcoder_reminders_total", (("outcome", "delivered"),))] == 1
    assert values[("medcoder_reminders_total", (("outcome", "paused"),))] == 1  # DMs closed: paused
    assert values[("medcoder_reminders_late_total", ())] == 1
    assert 300 <= values[("medcoder_scheduler_lag_seconds", ())] < 400


async def test_healthz_is_503_when_the_store_is_closed(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    bot = create_bot(make_settings(fake, tmp_path, metrics_port=port), engine)
    async with running_bot(bot, fake, guild_ready_timeout=0.1):
        await bot.store.close()
        status, body = await get(port, "/healthz")
    assert status == 503
    assert json.loads(body) == {"status": "unhealthy", "reason": "the database does not answer (StoreError)"}


async def test_healthz_is_503_when_the_gateway_drops(fake: FakeDiscord, engine: Engine, tmp_path: Path) -> None:
    port = free_port()
    bot = create_bot(make_settings(fake, tmp_path, metrics_port=port), engine)
    seen: list[tuple[int, str]] = []
    # Without reconnecting, the dropped connection stays down (running_bot may re-raise how it ended).
    with contextlib.suppress(discord.ConnectionClosed):
        async with running_bot(bot, fake, guild_ready_timeout=0.1, reconnect=False):
            assert (await get(port, "/healthz"))[0] == 200
            await fake.drop_connections(4000)
            async with asyncio.timeout(5):
                while (answer := await get(port, "/healthz"))[0] == 200:  # noqa: ASYNC110  # polling over HTTP
                    await asyncio.sleep(0.01)
            seen.append(answer)
    [(status, body)] = seen
    assert status == 503 and json.loads(body)["reason"] in {"not connected to Discord's gateway", "the bot is closed"}


async def test_a_metrics_port_in_use_stops_start_up_with_one_clear_error(
    fake: FakeDiscord, engine: Engine, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        bot = create_bot(make_settings(fake, tmp_path, metrics_port=port), engine)
        with pytest.raises(UnusableSetting, match=rf"MEDCODER_METRICS_PORT: cannot serve metrics on 127.0.0.1:{port}"):
            async with running_bot(bot, fake, guild_ready_timeout=0.1):
                pass
    assert bot.metrics is not None and bot._metrics_server is None  # nothing left listening
