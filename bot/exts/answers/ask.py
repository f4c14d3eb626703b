"""`/ask question`: any question about becoming a medical coder, answered by the engine.

The question is quoted back (escaped, shortened) so a public answer makes sense to the rest of
the channel; "did you mean" replies carry suggestion buttons (see `bot.exts.answers.replies`), answers
carry vote buttons, and unanswered questions are counted (see `bot.exts.answers.feedback`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.engine import MAX_QUESTION_CHARS
from bot.exts.answers.feedback import VoteButton, note_unanswered
from bot.exts.answers.replies import SuggestionButton, compose, reply_view
from bot.utils.commands import PRIVATE_DESCRIPTION, everywhere
from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot


class Ask(commands.Cog):
    """Free-text questions, answered from the article."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        # Every feature registers its own buttons in its cog's cog_load. These belong to answers: the
        # "did you mean" choices and the vote buttons, which the DM path sends too.
        self.bot.add_dynamic_items(SuggestionButton, VoteButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(SuggestionButton, VoteButton)

    @app_commands.command(name="ask", description="Ask anything about becoming a medical coder")
    @app_commands.describe(
        question="Your question, e.g. “which certification should I get?”", private=PRIVATE_DESCRIPTION
    )
    @everywhere
    async def ask(
        self,
        interaction: discord.Interaction[MedcoderBot],
        question: app_commands.Range[str, 1, MAX_QUESTION_CHARS],
        private: bool = False,
    ) -> None:
        # One conversation per member and channel: a follow-up `/ask` ("and the CCS?") reads against the last.
        reply = await self.bot.answer(question, conversation=(interaction.user.id, interaction.channel_id))
        await respond(interaction, compose(reply, question=question), ephemeral=private, view=reply_view(reply))
        note_unanswered(self.bot, reply, question)
        if reply.answered and reply.entry_id and interaction.guild_id is not None and self.bot.topics is not None:
            self.bot.topics.note(interaction.guild_id, reply.entry_id)  # for the server's digest: no text, no member
