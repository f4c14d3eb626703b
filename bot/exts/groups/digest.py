"""Posting one server's weekly digest, for the reminder scheduler.

Why through the reminder scheduler: a digest is a recurring reminder owned by the server, so it gets
the scheduler's restart-safe claims, leases and weekly steps in the server's timezone for free, with
no second scheduler. On top of the claim, `Store.claim_digest` records the occurrence before the post
is sent, so even a lease that runs out mid-send (a crash, a stalled process) never posts a week twice:
at most one post per week, across restarts and processes.

If the channel is gone or the bot may no longer post there, the digest is turned off, the reason is
kept for whoever runs `/groupadmin digest` next, and it is logged once: no retrying forever. A
transient failure (Discord 5xx, a timeout) gives the week back and the scheduler retries with backoff.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.core.charts import render_group_chart
from bot.core.scheduler import DeliveryOutcome
from bot.core.store import Reminder
from bot.core.topics import day_number
from bot.exts.groups.text import MIN_MEMBERS, TOP_TOPICS, chart_bars, digest_text

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

CHART_FILE = "group-progress.png"
GONE = (10003,)  # Unknown Channel


def problem_text(error: discord.HTTPException, channel_id: int) -> str | None:
    """Why the bot can never post in the channel again, or None for an error worth retrying."""
    if isinstance(error, discord.NotFound) or error.code in GONE:
        return f"the channel <#{channel_id}> no longer exists"
    if isinstance(error, discord.Forbidden):
        return f"I lost permission to post in <#{channel_id}>"
    return None


class DigestCourier:
    """Posts digests; one per bot, used by the scheduler through the Remind cog."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot

    async def deliver(self, reminder: Reminder) -> DeliveryOutcome:
        guild_id = reminder.guild_id
        if guild_id is None:
            raise ValueError(f"reminder {reminder.id} is a member's, not a server's digest")
        store = self.bot.store
        settings = await store.guild_settings(guild_id)
        if settings.digest_channel_id is None:  # turned off since it was claimed
            return DeliveryOutcome.DROP
        steps = self.bot.engine.kb.steps()
        progress = await store.group_progress(guild_id)
        claim = await store.claim_digest(guild_id, reminder.due_at, progress.done)
        if claim is None:
            log.info("digest %s of server %s was already posted; moving on", reminder.id, guild_id)
            return DeliveryOutcome.SENT
        if self.bot.topics is not None:
            await self.bot.topics.flush()  # this week's counts, up to the last few seconds
        week_start = day_number(reminder.due_at - timedelta(days=6))
        topics = await store.top_topics(guild_id, week_start, TOP_TOPICS)
        titles = {entry.id: entry.title for entry in self.bot.engine.kb}
        content = digest_text(progress, steps, claim.previous_counts, topics, titles)
        channel_id = settings.digest_channel_id
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id, type=discord.ChannelType.text)
        try:
            files = []
            if progress.members >= MIN_MEMBERS:
                png = await asyncio.to_thread(render_group_chart, chart_bars(progress, steps), progress.members)
                files.append(discord.File(io.BytesIO(png), filename=CHART_FILE, description="Group progress chart"))
            await channel.send(content, files=files, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            problem = problem_text(error, channel_id)
            if problem is None:
                await store.release_digest(guild_id, reminder.due_at, claim)
                log.info("digest of server %s not posted (%r); will retry", guild_id, error)
                return DeliveryOutcome.RETRY
            await store.stop_digest(guild_id, problem)
            log.warning("weekly digest of server %s stopped: %s (%r)", guild_id, problem, error)
            return DeliveryOutcome.DROP
        except (OSError, TimeoutError) as error:
            await store.release_digest(guild_id, reminder.due_at, claim)
            log.info("digest of server %s not posted (%r); will retry", guild_id, error)
            return DeliveryOutcome.RETRY
        return DeliveryOutcome.SENT
