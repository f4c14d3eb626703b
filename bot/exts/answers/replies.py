"""How an engine `Reply` looks on Discord, shared by `/ask` and the direct-message path.

"Did you mean" suggestions become buttons whose custom_id carries the entry id
(`medcoder:ask:<entry_id>`), so a press is answered from the id alone, even after a restart:
`SuggestionButton` is registered as a dynamic item by the `/ask` cog (`bot.exts.answers.ask`).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, Self

import discord

from bot.core import Reply, ReplyKind
from bot.exts.answers.feedback import feedback_view
from bot.utils.errors import reports_errors
from bot.utils.interactions import is_invoker, respond
from bot.utils.text import BUTTON_LABEL_LIMIT, CUSTOM_ID_LIMIT, escape_user_text, fit_content, truncate
from bot.utils.views import routed_view

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

ASK_PREFIX = "medcoder:ask:"
QUESTION_PREFIX = "> **Question:** "
OUTDATED = "That suggestion is out of date; please ask again with `/ask`."


def question_line(question: str) -> str:
    """The member's question, quoted safely on one line (public replies show what was asked)."""
    return QUESTION_PREFIX + escape_user_text(question)


def compose(reply: Reply, *, question: str | None = None) -> str:
    """Message content for a reply, optionally headed by the quoted question."""
    parts = [question_line(question)] if question and question.strip() else []
    parts.append(reply.text)
    return fit_content("\n".join(parts))


def _kept_question(content: str | None) -> str:
    """The quoted-question line of a message being replaced, so the answer keeps its context."""
    if content and content.startswith(QUESTION_PREFIX):
        return content.split("\n", 1)[0] + "\n"
    return ""


class SuggestionButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=re.compile(re.escape(ASK_PREFIX) + r"(?P<entry_id>\S+)"),
):
    """A "did you mean" choice: pressing it answers that entry."""

    def __init__(self, entry_id: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=truncate(label.strip() or entry_id, BUTTON_LABEL_LIMIT),
                style=discord.ButtonStyle.secondary,
                custom_id=ASK_PREFIX + entry_id,
            )
        )
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        label = getattr(item, "label", None) or match["entry_id"]
        return cls(match["entry_id"], label)

    @reports_errors
    async def callback(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        try:
            reply = interaction.client.engine.answer_entry(self.entry_id)
        except KeyError:
            await respond(interaction, OUTDATED, ephemeral=True)
            return
        if is_invoker(interaction):
            # The asker picked one: the suggestions give way to the answer, in place.
            previous = interaction.message.content if interaction.message else None
            content = fit_content(_kept_question(previous) + reply.text)
            await interaction.response.edit_message(content=content, view=feedback_view(reply))
        else:
            view = feedback_view(reply)
            await respond(interaction, reply.text, ephemeral=True, view=view)


def reply_view(reply: Reply) -> discord.ui.View | None:
    """The components under a reply: suggestion buttons for "did you mean", vote buttons for an answer."""
    view = suggestion_view(reply)
    return view if view is not None else feedback_view(reply)


def suggestion_view(reply: Reply) -> discord.ui.View | None:
    """Buttons for a "did you mean" reply; None for every other kind of reply.

    The view only carries the buttons to Discord: a press is routed by its custom_id to the
    registered `SuggestionButton`, so the view never needs to expire (`timeout=None`).
    """
    if reply.kind is not ReplyKind.SUGGEST or not reply.suggestions:
        return None
    buttons = []
    for suggestion in reply.suggestions[:25]:
        custom_id = ASK_PREFIX + suggestion.entry_id
        if len(custom_id) > CUSTOM_ID_LIMIT or not SuggestionButton.__discord_ui_compiled_template__.fullmatch(
            custom_id
        ):
            log.warning("Suggestion %r cannot be a button: its id does not fit a custom_id", suggestion.entry_id)
            continue
        buttons.append(SuggestionButton(suggestion.entry_id, suggestion.title))
    return routed_view(*buttons) if buttons else None
