"""Answering an interaction correctly whatever state it is in.

An interaction accepts exactly one initial response; anything after that (an error found after
deferring, a second message) must go through the follow-up webhook. Callers should not have to
track which, so every reply goes through `respond`.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.utils.text import fit_content


async def respond(
    interaction: discord.Interaction,
    content: str,
    *,
    ephemeral: bool = False,
    view: discord.ui.View | None = None,
) -> None:
    """Send `content` as the initial response, or as a follow-up if one was already sent."""
    kwargs: dict[str, Any] = {"content": fit_content(content), "ephemeral": ephemeral}
    if view is not None:
        kwargs["view"] = view
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)


def is_invoker(interaction: discord.Interaction) -> bool:
    """Whether the member pressing a component is the one the message answered.

    Only they may change the message in place; anyone else gets their own private reply, so a
    public answer is never rewritten under the person who asked. Messages sent by the DM path
    carry no interaction metadata, and in the bot's DM the only member is the asker.
    """
    message = interaction.message
    if message is None:
        return False
    metadata = message.interaction_metadata
    if metadata is not None:
        return metadata.user.id == interaction.user.id
    return isinstance(interaction.channel, discord.DMChannel)
