"""Posting one server's weekly digest, for the reminder scheduler.

Why through the reminder scheduler: a digest is a recurring reminder owned by the server, so it gets
the scheduler's restart-safe claims, leases and weekly steps in the server's timezone for free, with
no second scheduler. On top of that claim, `Store.claim_digest` records the post just before it is
sent and refuses a second one within six days, so neither a lease that runs out mid-send (a crash, a
stalled process) nor a schedule moved to another day posts twice in a week: at most one post a week,
across restarts and processes. A send that fails in a way worth retrying (Discord 5xx, a timeout, a
lost connection) gives the week back, and the post carries a nonce so Discord drops a repeat of a post
that in fact went through.

If the channel is gone or the bot may no longer post there, the digest is turned off, the reason is
kept for whoever runs `/groupadmin digest` next, and it is logged once: no retrying forever.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.core.scheduler import DeliveryOutcome
from bot.core.store import Reminder
from bot.core.topics import hour_number
from bot.exts.groups.chart import progress_chart
from bot.exts.groups.text import MIN_MEMBERS, TOP_TOPICS, digest_text

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

GONE = (10003,)  # Unknown Channel


def problem_text(error: discord.HTTPException, channel_id: int) -> str | None:
    """Why the bot can never post in the channel again, or None for an error worth retrying."""
    if isinstance(error, discord.NotFound) or error.code in GONE:
        return f"the channel <#{channel_id}> no longer exists"
    if isinstance(error, discord.Forbidden):
        return f"I can no longer post in <#{channel_id}> (I need View Channel, Send Messages and Attach Files there)"
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
        channel_id = settings.digest_channel_id
        if channel_id is None:  # turned off since it was claimed
            return DeliveryOutcome.DROP
        # Everything that can fail before posting is done before the week is claimed, so a failure
        # here is simply retried by the scheduler.
        steps = self.bot.engine.kb.steps()
        progress = await store.group_progress(guild_id)
        if self.bot.topics is not None:
            await self.bot.topics.flush()  # this week's counts, up to the last few seconds
        # The week since the previous digest was due: each hour is in exactly one digest's week.
        topics = await store.top_topics(guild_id, hour_number(reminder.due_at - timedelta(days=7)), TOP_TOPICS)
        titles = {entry.id: entry.title for entry in self.bot.engine.kb}
        shown = progress.members >= MIN_MEMBERS
        files = [await progress_chart(progress, steps)] if shown else []
        # Counts below the privacy floor were never shown, so they are not what "since last week" compares to.
        claim = await store.claim_digest(guild_id, reminder.due_at, progress.done if shown else None)
        if claim is None:
            log.info("digest of server %s was already posted this week; moving on", guild_id)
            return DeliveryOutcome.SENT
        content = digest_text(progress, steps, claim.previous_counts, topics, titles)
        channel = self.bot.get_partial_messageable(channel_id, guild_id=guild_id, type=discord.ChannelType.text)
        try:
            # The nonce makes Discord drop a repeat of this very post (a retry after a timeout that
            # had in fact gone through).
            await channel.send(
                content, files=files, allowed_mentions=discord.AllowedMentions.none(), nonce=post_nonce(reminder)
            )
        except discord.HTTPException as error:
            problem = problem_text(error, channel_id)
            if problem is not None:
                await store.stop_digest(guild_id, problem)
                log.warning("weekly digest of server %s stopped: %s (%r)", guild_id, problem, error)
                return DeliveryOutcome.DROP
            await store.release_digest(guild_id, reminder.due_at, claim)
            log.info("digest of server %s not posted (%r); will retry", guild_id, error)
            return DeliveryOutcome.RETRY
        except BaseException as error:  # a connection error, a timeout, a cancelled shutdown: give the week back
            await asyncio.shield(store.release_digest(guild_id, reminder.due_at, claim))
            if not isinstance(error, Exception):
                raise
            log.info("digest of server %s not posted (%r); will retry", guild_id, error)
            return DeliveryOutcome.RETRY
        return DeliveryOutcome.SENT


def post_nonce(reminder: Reminder) -> str:
    """The same 25 characters for every attempt at one server's one week (Discord's nonce limit)."""
    return hashlib.sha256(f"{reminder.guild_id}:{reminder.due_at.isoformat()}".encode()).hexdigest()[:25]
