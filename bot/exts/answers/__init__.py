"""Answering questions: `/ask` in servers and chats, and plain direct messages, from one engine.

One module a job: `ask` (the `/ask` command), `dm` (questions sent to the bot's DM), `replies` (how
an answer, a "did you mean" and its buttons are sent), `feedback` (the vote buttons and counting
unanswered questions). Both front doors share `replies` and `feedback`, so they live here together
rather than in `bot.utils`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.answers.ask import Ask
from bot.exts.answers.dm import DirectMessages

if TYPE_CHECKING:
    from bot.app import MedcoderBot


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Ask(bot))
    await bot.add_cog(DirectMessages(bot))
