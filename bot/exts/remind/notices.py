"""Telling a member, privately and once, that their reminders are paused because their DMs are closed.

The scheduler pauses a member's reminders when Discord refuses to DM them (50007); the member's next
command is then followed by a private note, and `/remind resume` turns them back on.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import discord

from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

NOTICE = "I couldn't DM you your reminders, so they're paused. Open your DMs and use `/remind resume`."
NOTICE_RECHECK = 60.0  # seconds before a member's pending-notice flag is read again
NOTICE_CHECKED_LIMIT = 50_000


class PausedNotices:
    """Per member: when their notice flag was last read, and whether a DM to them just failed."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        self._notice_checked: OrderedDict[int, float] = OrderedDict()  # member -> when their notice flag was read
        self._dm_failed: set[int] = set()  # members a DM failed for (DMs closed), until they are told

    def dm_failed(self, user_id: int) -> None:
        """A DM to this member just failed: look at their notice flag after their next command."""
        self._dm_failed.add(user_id)

    def resumed(self, user_id: int) -> None:
        self._dm_failed.discard(user_id)

    def _remember_checked(self, user_id: int, when: float) -> None:
        self._notice_checked[user_id] = when
        self._notice_checked.move_to_end(user_id)
        if len(self._notice_checked) > NOTICE_CHECKED_LIMIT:
            self._notice_checked.popitem(last=False)  # forgetting one only costs one more query

    async def after_command(self, interaction: discord.Interaction, command: Any) -> None:
        """After any completed command: if this member has a "reminders paused" notice, tell them.

        Called from the Remind cog's `on_app_command_completion` listener, so it covers every command,
        present and future, and the note is a private follow-up that never takes the place of the
        command's own reply. The store is asked at a member's first command since start-up (a notice
        may predate it), right after one of their DMs failed here, and otherwise at most once per
        `NOTICE_RECHECK` (a scheduler in another process on a shared database may have paused them);
        every other command costs one dictionary lookup.
        """
        user_id = interaction.user.id
        now = time.monotonic()
        checked = self._notice_checked.get(user_id)
        if checked is not None and now - checked < NOTICE_RECHECK and user_id not in self._dm_failed:
            return
        if getattr(command, "qualified_name", None) == "remind resume":
            return
        try:
            told = await self.bot.store.take_notice(user_id)  # once: of two commands at once, one tells
            self._remember_checked(user_id, now)
            if told:  # not before: a pause still being recorded would otherwise be missed
                self._dm_failed.discard(user_id)
                await respond(interaction, NOTICE, ephemeral=True)
        except Exception:
            log.exception("could not tell member %s that their reminders are paused", user_id)
