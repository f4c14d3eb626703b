"""Buttons that only their owner may press: personal checklists, data deletion.

Why in the custom id and not in a view: the owner's id travels inside `custom_id`, so the check
still works on a message sent before a restart, and in servers an ephemeral message can still be
reached by someone else (a forwarded link, a crafted interaction), so every press is checked.
"""

from __future__ import annotations

import discord

from bot.utils.interactions import respond

NOT_YOURS = "This {thing} belongs to someone else; use {command} for your own."


async def refuse_unless_owner(interaction: discord.Interaction, owner_id: int, *, thing: str, command: str) -> bool:
    """True if the presser owns the button; otherwise tell them privately and return False."""
    if interaction.user.id == owner_id:
        return True
    await respond(interaction, NOT_YOURS.format(thing=thing, command=command), ephemeral=True)
    return False
