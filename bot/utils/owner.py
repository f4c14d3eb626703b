"""Buttons that only their owner may press: personal checklists, data deletion.

Why in the custom id and not in a view: the owner's id travels inside `custom_id`, so the check
still works on a message sent before a restart, and in servers an ephemeral message can still be
reached by someone else (a forwarded link, a crafted interaction), so every press is checked.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Self

import discord

from bot.utils.errors import reports_errors
from bot.utils.interactions import respond
from bot.utils.views import routed_view

NOT_YOUR_THING = "This {thing} belongs to someone else; use {command} for your own."


async def refuse_unless_owner(interaction: discord.Interaction, owner_id: int, *, thing: str, command: str) -> bool:
    """True if the presser owns the button; otherwise tell them privately and return False."""
    if interaction.user.id == owner_id:
        return True
    await respond(interaction, NOT_YOUR_THING.format(thing=thing, command=command), ephemeral=True)
    return False


def owner_choice_template(prefix: str) -> re.Pattern[str]:
    """`<prefix><owner_id>:confirm|cancel`, the custom id of an `OwnerChoice` button."""
    return re.compile(re.escape(prefix) + r"(?P<owner_id>\d+):(?P<choice>confirm|cancel)")


class OwnerChoice(discord.ui.DynamicItem[discord.ui.Button], template=re.compile(r"(?!)")):
    """One of a "are you sure?" pair (confirm / cancel) that only its owner may press.

    Subclasses name their custom-id prefix (and pass `template=owner_choice_template(prefix)`),
    the confirm button's label, what they guard, and what confirming and cancelling do. The base
    never matches a custom id itself.
    """

    prefix: ClassVar[str]
    confirm_label: ClassVar[str]
    thing: ClassVar[str]  # "checklist", "request": for the refusal note
    command: ClassVar[str]  # where the presser can get their own, e.g. "`/checklist show`"

    def __init__(self, owner_id: int, choice: str) -> None:
        confirm = choice == "confirm"
        super().__init__(
            discord.ui.Button(
                label=self.confirm_label if confirm else "Cancel",
                style=discord.ButtonStyle.danger if confirm else discord.ButtonStyle.secondary,
                custom_id=f"{self.prefix}{owner_id}:{choice}",
            )
        )
        self.owner_id = owner_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner_id"]), match["choice"])

    @classmethod
    def choice_view(cls, owner_id: int) -> discord.ui.View:
        """The confirm and cancel buttons; routed by custom id, so the view never expires."""
        return routed_view(cls(owner_id, "confirm"), cls(owner_id, "cancel"))

    @reports_errors
    async def callback(self, interaction: discord.Interaction) -> None:
        if not await refuse_unless_owner(interaction, self.owner_id, thing=self.thing, command=self.command):
            return
        message = await (self.confirmed(interaction) if self.choice == "confirm" else self.cancelled(interaction))
        await interaction.response.edit_message(content=message, view=None)

    async def confirmed(self, interaction: discord.Interaction[Any]) -> str:
        """Do the thing; returns the text that replaces the question."""
        raise NotImplementedError

    async def cancelled(self, interaction: discord.Interaction[Any]) -> str:
        """Returns the text that replaces the question when the owner cancels."""
        raise NotImplementedError
