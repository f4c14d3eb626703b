"""Telling a member, privately and once, that their reminders are paused because their DMs are closed.

The scheduler pauses a member's reminders when Discord refuses to DM them (50007); the member's next
command is then followed by a private note, and `/remind resume` turns them back on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import discord

from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

NOTICE = "I couldn't DM you your reminders, so they're paused. Open your DMs and use `/remind resume`."
NOTICE_RECHECK = 60.0  # seconds before a member's pending-notice flag is read again
NOTICE_WAIT = 15 * 60.0  # an interaction can be answered for 15 minutes; a command still running then has failed
NOTICE_CHECKED_LIMIT = 50_000


class PausedNotices:
    """Per member: when their notice flag was last read, whether a DM to them just failed, and a pending check."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        self._notice_checked: OrderedDict[int, float] = OrderedDict()  # member -> when their notice flag was read
        self._dm_failed: set[int] = set()  # members a DM failed for (DMs closed), until they are told
        self._notice_waiters: dict[int, asyncio.Task[None]] = {}  # member -> their pending notice check

    def dm_failed(self, user_id: int) -> None:
        """A DM to this member just failed: look at their notice flag at their next command."""
        self._dm_failed.add(user_id)

    def resumed(self, user_id: int) -> None:
        self._dm_failed.discard(user_id)

    def cancel_all(self) -> None:
        for task in tuple(self._notice_waiters.values()):
            task.cancel()

    def _remember_checked(self, user_id: int, when: float) -> None:
        self._notice_checked[user_id] = when
        self._notice_checked.move_to_end(user_id)
        if len(self._notice_checked) > NOTICE_CHECKED_LIMIT:
            self._notice_checked.popitem(last=False)  # forgetting one only costs one more query

    def before_command(self, interaction: discord.Interaction) -> None:
        """Before any command: if this member may have a "reminders paused" notice, tell them after it.

        A command hook (`bot.utils.tree`) rather than a check in every cog: it covers every command,
        present and future. The store is asked at a member's first command since start-up (a notice may
        predate it), right after one of their DMs failed here, and otherwise at most once per
        `NOTICE_RECHECK` (a scheduler in another process on a shared database may have paused them);
        every other command costs one dictionary lookup. The note is a private follow-up sent once the
        command has replied, so it never takes the place of the command's own first response.
        """
        user_id = interaction.user.id
        now = time.monotonic()
        checked = self._notice_checked.get(user_id)
        if checked is not None and now - checked < NOTICE_RECHECK and user_id not in self._dm_failed:
            return
        command = interaction.command
        if command is None or command.qualified_name == "remind resume":
            return
        # At most one waiter per member: a command that failed never completes, and its waiter would
        # otherwise live for NOTICE_WAIT; the member's next command takes over.
        previous = self._notice_waiters.pop(user_id, None)
        if previous is not None:
            previous.cancel()
        # Registered now, before the command runs, so a fast command's completion cannot be missed.
        completed = self.bot.wait_for(
            "app_command_completion", check=lambda done, _command: done.id == interaction.id, timeout=NOTICE_WAIT
        )
        task = asyncio.create_task(self._tell_paused(interaction, completed, now))
        self._notice_waiters[user_id] = task
        task.add_done_callback(lambda done: self._forget_waiter(user_id, done))

    def _forget_waiter(self, user_id: int, task: asyncio.Task[Any] | None) -> None:
        if task is not None and self._notice_waiters.get(user_id) is task:
            del self._notice_waiters[user_id]

    async def _tell_paused(
        self, interaction: discord.Interaction, completed: Awaitable[Any], checked_at: float
    ) -> None:
        user_id = interaction.user.id
        try:
            await completed
        except TimeoutError:
            return  # the command failed (no completion): the next command asks again
        # Past waiting: a later command must not cancel this any more (the notice may be taken already).
        self._forget_waiter(user_id, asyncio.current_task())
        try:
            told = await self.bot.store.take_notice(user_id)
            self._remember_checked(user_id, checked_at)
            if told:  # not before: a pause still being recorded would otherwise be missed
                self._dm_failed.discard(user_id)
                await respond(interaction, NOTICE, ephemeral=True)
        except Exception:
            log.exception("could not tell member %s that their reminders are paused", user_id)
