"""`/salary` position and sector attach the chart, shown in an embed with alt text, through the fake Discord."""

from __future__ import annotations

import threading

import pytest

from bot.app import MedcoderBot
from bot.core.charts import ChartCache, alt_text, chart_entry, render_salary_chart
from bot.core.models import Entry
from bot.exts.salary import Salary
from tests.discord.helpers import is_ephemeral, reply_to
from tests.fakediscord import FakeDiscord, payloads

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def salary_cog(bot: MedcoderBot) -> Salary:
    # discord.py loads extensions as fresh module objects, so `isinstance(cog, Salary)` would be False.
    cog = bot.get_cog("Salary")
    assert cog is not None and isinstance(cog.charts, ChartCache)
    return cog  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("view", "figures"), [("position", ["$60,080", "$41,000"]), ("sector", ["$47,040", "$43,130"])]
)
async def test_chart_views_attach_the_png_in_an_embed_with_alt_text(
    fake: FakeDiscord, medcoder: MedcoderBot, view: str, figures: list[str]
) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("salary", {"view": view}))
    assert reply.json["type"] == payloads.CHANNEL_MESSAGE
    body = reply.json["data"]
    (upload,) = reply.files
    assert upload.filename == f"salary-{view}.png"
    assert upload.data.startswith(PNG_MAGIC)
    assert upload.data == render_salary_chart(chart_entry(medcoder.engine, view))  # the same chart as the CLI's
    (embed,) = body["embeds"]
    assert embed["image"]["url"] == f"attachment://salary-{view}.png"
    (attachment,) = body["attachments"]
    assert attachment["filename"] == f"salary-{view}.png"
    assert attachment["description"] == alt_text(chart_entry(medcoder.engine, view))
    assert attachment["description"].startswith("Bar chart") and all(f in attachment["description"] for f in figures)
    # The text answer, with its sources, is still the message: readable and quotable without the picture.
    assert all(f in body["content"] for f in figures) and "Source:" in body["content"]
    assert not is_ephemeral(body)
    stored = fake.last_bot_message()
    assert [a["filename"] for a in stored["attachments"]] == [f"salary-{view}.png"]


@pytest.mark.parametrize("view", [None, "overview", "states"])
async def test_text_views_stay_text(fake: FakeDiscord, medcoder: MedcoderBot, view: str | None) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("salary", {"view": view} if view else None))
    assert reply.files == []
    assert not reply.json["data"].get("embeds")
    assert "Source:" in reply.json["data"]["content"]


@pytest.mark.parametrize("dm", [False, True])
async def test_a_private_chart_reply_is_ephemeral_and_still_carries_the_chart(
    fake: FakeDiscord, medcoder: MedcoderBot, dm: bool
) -> None:
    reply = await reply_to(fake, await fake.invoke_slash("salary", {"view": "sector", "private": True}, dm=dm))
    assert reply.json["data"]["flags"] == payloads.EPHEMERAL
    (upload,) = reply.files
    assert upload.filename == "salary-sector.png" and upload.data.startswith(PNG_MAGIC)


async def test_the_second_request_renders_nothing(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    cog = salary_cog(medcoder)
    threads: list[threading.Thread] = []

    def renderer(entry: Entry) -> bytes:
        threads.append(threading.current_thread())
        return render_salary_chart(entry)

    cog.charts = ChartCache(renderer=renderer)
    first = await reply_to(fake, await fake.invoke_slash("salary", {"view": "position"}))
    assert cog.charts.render_count == 1
    # The one render ran in a worker thread, not on the event loop's thread.
    assert threads and threads[0] is not threading.current_thread()
    second = await reply_to(fake, await fake.invoke_slash("salary", {"view": "position"}))
    assert cog.charts.render_count == 1
    assert second.files[0].data == first.files[0].data
    await reply_to(fake, await fake.invoke_slash("salary", {"view": "sector"}))
    assert cog.charts.render_count == 2


async def test_an_unchartable_entry_still_gets_its_text_answer(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    def broken(entry: Entry) -> bytes:
        raise ValueError("cannot chart 'varies': not an amount")

    salary_cog(medcoder).charts = ChartCache(renderer=broken)
    reply = await reply_to(fake, await fake.invoke_slash("salary", {"view": "position"}))
    assert reply.files == [] and not reply.json["data"].get("embeds")
    assert "$60,080" in reply.json["data"]["content"]
