"""Delivering one reminder as a DM, for the scheduler: the message, its buttons, and what happened.

A member's DM channel never changes, so its id is remembered here: discord.py keeps only the last
128 DM channels, and without this a burst of reminders to many members would cost an extra "open DM"
request each. discord.py handles 429s and the global rate limit itself.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

import discord

from bot.core.scheduler import DeliveryOutcome
from bot.core.store import Reminder
from bot.exts.remind.buttons import reminder_step, reminder_view
from bot.exts.remind.text import delivery_outcome, delivery_text

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

DM_CHANNEL_CACHE = 50_000  # member ids -> DM channel ids: two ints each, a few MB at most
# How each delivery outcome is counted in the metrics (`DM_CLOSED` pauses the member's reminders).
OUTCOME_LABELS = {
    DeliveryOutcome.DM_CLOSED: "paused",
    DeliveryOutcome.RETRY: "retried",
    DeliveryOutcome.DROP: "dropped",
    DeliveryOutcome.SENT: "delivered",
}


class Courier:
    """Sends reminder DMs; `on_dm_closed(member)` hears of a member whose DMs are closed."""

    def __init__(self, bot: MedcoderBot, on_dm_closed: Callable[[int], None]) -> None:
        self.bot = bot
        self.on_dm_closed = on_dm_closed
        self._dm_channels: OrderedDict[int, int] = OrderedDict()  # member id -> DM channel id, LRU

    async def deliver(self, reminder: Reminder, user_id: int) -> DeliveryOutcome:
        """Send one reminder DM to its member; the scheduler records the outcome (sent, paused, retried, dropped)."""
        step = reminder_step(self.bot, reminder.step_id)
        content = delivery_text(reminder, self.bot.clock.now(), step)
        view = reminder_view(user_id, reminder.id, step)
        try:
            channel = await self._dm_channel(user_id)
            await channel.send(content, view=view)
        except Exception as error:
            self._dm_channels.pop(user_id, None)  # whatever went wrong, open the DM afresh next time
            outcome = delivery_outcome(error)
            if outcome is DeliveryOutcome.DM_CLOSED:
                self.on_dm_closed(user_id)
            log.info("reminder %s to member %s not delivered (%r): %s", reminder.id, user_id, error, outcome.value)
            self.bot.count_delivery(OUTCOME_LABELS[outcome])
            return outcome
        late_by = (self.bot.clock.now() - reminder.due_at).total_seconds()
        self.bot.count_delivery(OUTCOME_LABELS[DeliveryOutcome.SENT], late_by=max(0.0, late_by))
        return DeliveryOutcome.SENT

    async def _dm_channel(self, user_id: int) -> discord.abc.Messageable:
        channel_id = self._dm_channels.get(user_id)
        if channel_id is not None:
            self._dm_channels.move_to_end(user_id)
            return self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        channel = await self.bot.create_dm(discord.Object(user_id))
        self._dm_channels[user_id] = channel.id
        if len(self._dm_channels) > DM_CHANNEL_CACHE:
            self._dm_channels.popitem(last=False)
        return channel
