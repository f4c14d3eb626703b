"""Plain direct messages: any text sent to the bot in its DM is answered, no prefix needed.

Discord delivers DM content to bots without the privileged message-content intent. A per-member
limit (5 messages in 10 seconds) answers the first excess message once and then stays quiet.
A short follow-up ("and the CCS?") is read against the member's previous question of the last
ten minutes, kept in memory only (`bot.core.conversation`). The text of a DM is never logged; an
unanswered one is only counted, without the member's id (`bot.exts.answers.feedback`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.exts.answers.feedback import note_unanswered
from bot.exts.answers.replies import compose, reply_view
from bot.utils.errors import report_message_error
from bot.utils.ratelimit import SlidingWindowLimiter, Verdict

if TYPE_CHECKING:
    from bot.app import MedcoderBot

RATE = 5
PER_SECONDS = 10.0
SLOW_DOWN = (
    "You're sending messages faster than I can keep up with. "
    "I'll answer again in a few seconds; try one question at a time."
)
_CONVERSATION_TYPES = {discord.MessageType.default, discord.MessageType.reply}


class DirectMessages(commands.Cog):
    """Answers questions sent to the bot in its DM, from the same engine as `/ask`."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        self.limiter = SlidingWindowLimiter(RATE, PER_SECONDS)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self._is_question(message):
            return
        # The owner's prefix commands (`@MedCoder sync`) are left to the command handler.
        if (await self.bot.get_context(message)).command is not None:
            return
        verdict = self.limiter.hit(message.author.id)
        if verdict is Verdict.SILENT:
            return
        try:
            if verdict is Verdict.NOTIFY:
                await message.channel.send(SLOW_DOWN)
                return
            member = message.author.id
            reply = await self.bot.answer(message.content, conversation=member)
            view = reply_view(reply)
            if view is None:
                await message.channel.send(compose(reply))
            else:
                await message.channel.send(compose(reply), view=view)
            note_unanswered(self.bot, reply, message.content)
        except Exception as error:
            await report_message_error(message, error)

    def _is_question(self, message: discord.Message) -> bool:
        """A member's own message in a DM with the bot (not bots, not itself, not system events)."""
        return (
            message.guild is None
            and isinstance(message.channel, discord.DMChannel)
            and not message.author.bot
            and message.author != self.bot.user
            and message.type in _CONVERSATION_TYPES
        )
