"""What the knowledge base learns from members: votes on answers, and the questions it could not answer.

Answers (and only answers: a fallback or a "did you mean" has nothing to judge) carry "Helpful" /
"Not helpful" buttons whose custom_id holds the entry id and the vote (`medcoder:vote:<entry_id>:<1|0>`),
so a press works after a restart and for anyone who sees the message. The store keeps one vote per
member and entry, with the entry id and never the question that led to it. `VoteButton` is
registered by the `/ask` cog (`bot.exts.answers.ask`), which the DM path shares.

Questions that fell back or only got suggestions are counted by their cleaned text, with no member
id, so maintainers see what to add (`medcoder-bot kb gaps`); `MEDCODER_RECORD_UNANSWERED=false`
turns that off. The counts are kept in memory and written a few seconds later (`bot.core.unanswered`).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.core import Reply, ReplyKind
from bot.core.normalize import clean
from bot.utils.errors import reports_errors
from bot.utils.interactions import respond
from bot.utils.text import CUSTOM_ID_LIMIT
from bot.utils.views import routed_view

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

VOTE_PREFIX = "medcoder:vote:"
# The emoji are part of the label text rather than a separate `emoji` field: they look the same, and
# every answer carries these buttons, so the smaller payload (no emoji object to build and parse on
# each side) is measurable on the /ask path.
HELPFUL_LABEL, NOT_HELPFUL_LABEL = "👍 Helpful", "👎 Not helpful"
NOTED = "Thanks, noted."
REPLACED = "Thanks, noted. This replaces your earlier vote on this answer."
OUTDATED = "That answer is no longer in the knowledge base, so there is nothing to vote on."
UNANSWERED_MAX_LENGTH = 200  # long enough to recognise a question, short enough that a pasted essay isn't kept


def vote_custom_id(entry_id: str, helpful: bool) -> str:
    return f"{VOTE_PREFIX}{entry_id}:{int(helpful)}"


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.compile(re.escape(VOTE_PREFIX) + r"(?P<entry_id>[a-z0-9][a-z0-9-]*):(?P<helpful>[01])"),
):
    """One of the two vote buttons under an answer; anyone may press it, once per entry (a re-vote replaces)."""

    def __init__(self, entry_id: str, helpful: bool) -> None:
        label = HELPFUL_LABEL if helpful else NOT_HELPFUL_LABEL
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=vote_custom_id(entry_id, helpful),
            )
        )
        self.entry_id = entry_id
        self.helpful = helpful

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(match["entry_id"], match["helpful"] == "1")

    @reports_errors
    async def callback(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        bot = interaction.client
        if self.entry_id not in bot.engine.kb.entries:
            await respond(interaction, OUTDATED, ephemeral=True)
            return
        replaced = await bot.store.record_vote(interaction.user.id, self.entry_id, self.helpful)
        # Private, and the public answer stays as it is: a vote is nobody else's business.
        await respond(interaction, REPLACED if replaced else NOTED, ephemeral=True)


def feedback_view(reply: Reply) -> discord.ui.View | None:
    """The vote buttons for an answer; None for every other kind of reply."""
    if reply.kind is not ReplyKind.ANSWER or reply.entry_id is None:
        return None
    return _vote_view(reply.entry_id)


@functools.lru_cache(maxsize=1024)
def _vote_view(entry_id: str) -> discord.ui.View | None:
    """One finished view per entry, reused for every answer of it (it is only ever serialised)."""
    custom_id = vote_custom_id(entry_id, True)
    if len(custom_id) > CUSTOM_ID_LIMIT or not VoteButton.__discord_ui_compiled_template__.fullmatch(custom_id):
        log.warning("Entry %r cannot have vote buttons: its id does not fit a custom_id", entry_id)
        return None
    return routed_view(VoteButton(entry_id, True), VoteButton(entry_id, False))


def unanswered_text(question: str) -> str:
    """What is stored for an unanswered question: its cleaned text, shortened."""
    return clean(question)[:UNANSWERED_MAX_LENGTH].strip()


def note_unanswered(bot: MedcoderBot, reply: Reply, question: str) -> None:
    """Count a question that fell back or only got suggestions, when the setting allows; no member id.

    Synchronous and cheap on purpose: it runs after every unanswered `/ask` and DM, and the counts are
    written behind, in batches (`bot.core.unanswered`), so a slow or failing store never touches a reply.
    """
    counter = bot.unanswered
    if counter is None or reply.kind not in (ReplyKind.FALLBACK, ReplyKind.SUGGEST):
        return
    text = unanswered_text(question)
    if text:
        counter.note(text)
