"""`/mydata export|delete`: a member sees, and can erase, everything the bot stores about them.

Both go through the store (`export_member`, `delete_member`), so whatever a feature keeps there
(checklist, reminders, timezone, study groups) is covered without this cog knowing about it. Replies are
ephemeral; the delete confirmation is a pair of owner-only dynamic items
(`medcoder:mydata-delete:<owner_id>:confirm|cancel`), so it still works after a restart and
nobody can press someone else's delete.
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.utils.commands import everywhere
from bot.utils.interactions import respond
from bot.utils.owner import OwnerChoice, owner_choice_template

if TYPE_CHECKING:
    from bot.app import MedcoderBot

DELETE_PREFIX = "medcoder:mydata-delete:"
NOTHING_STORED = "I don't store anything about you."


def export_filename(user_id: int) -> str:
    return f"medcoder-data-{user_id}.json"


def export_file(user_id: int, export: dict[str, Any]) -> discord.File:
    """The export as a pretty-printed UTF-8 JSON file, readable in any text editor."""
    data = json.dumps(export, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return discord.File(io.BytesIO(data), filename=export_filename(user_id), description="Your MedCoder data")


def has_data(export: dict[str, Any]) -> bool:
    return bool(
        export["checklist"]
        or export["reminders"]
        or export["votes"]
        or export["study_groups"]
        or export["timezone"]
        or export["notice_pending"]
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def describe(export: dict[str, Any]) -> str:
    """A phrase like "your checklist (2 done steps), 3 reminders and your timezone (Europe/Paris)"."""
    parts = []
    if export["checklist"]:
        parts.append(f"your checklist ({_count(len(export['checklist']), 'done step')})")
    if export["reminders"]:
        parts.append(_count(len(export["reminders"]), "reminder"))
    if export["votes"]:
        parts.append(f"{_count(len(export['votes']), 'vote')} on answers")
    if export["study_groups"]:
        parts.append(f"your {_count(len(export['study_groups']), 'study-group membership')}")
    if export["timezone"]:
        parts.append(f"your timezone ({export['timezone']})")
    if not parts:
        parts.append("your Discord id")  # a bare member row, e.g. left by a paused-reminders notice
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class DeleteChoice(OwnerChoice, template=owner_choice_template(DELETE_PREFIX)):
    """The answer to "delete everything?": only the owner's confirm deletes anything."""

    prefix = DELETE_PREFIX
    confirm_label = "Delete my data"
    thing = "request"
    command = "`/mydata delete`"

    async def confirmed(self, interaction: discord.Interaction[MedcoderBot]) -> str:
        store = interaction.client.store
        # Described just before deleting: anything added in between is deleted too, only not named.
        before = await store.export_member(self.owner_id)
        deleted = await store.delete_member(self.owner_id)
        interaction.client.conversations.forget_member(self.owner_id)  # the in-memory follow-up context goes too
        return (
            f"Deleted everything I stored about you: {describe(before)}."
            if deleted
            else ("There was nothing left to delete.")
        )

    async def cancelled(self, interaction: discord.Interaction[MedcoderBot]) -> str:
        return "Nothing was deleted."


@everywhere
class MyData(commands.GroupCog, group_name="mydata", group_description="See or delete what the bot stores about you"):
    """Each member's access to, and erasure of, their own stored data."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DeleteChoice)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DeleteChoice)

    @app_commands.command(name="export", description="A JSON file of everything the bot stores about you")
    async def export(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        user_id = interaction.user.id
        export = await self.bot.store.export_member(user_id)
        if not has_data(export):
            await respond(interaction, NOTHING_STORED, ephemeral=True)
            return
        await interaction.response.send_message(
            f"Everything I store about you: {describe(export)}. Only you can see this file.",
            file=export_file(user_id, export),
            ephemeral=True,
        )

    @app_commands.command(name="delete", description="Delete everything the bot stores about you (asks first)")
    async def delete(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        user_id = interaction.user.id
        export = await self.bot.store.export_member(user_id)
        if not has_data(export):
            await self.bot.store.delete_member(user_id)  # a bare member row holds nothing to lose
            await respond(interaction, NOTHING_STORED, ephemeral=True)
            return
        await respond(
            interaction,
            f"Delete everything I store about you? That is {describe(export)}. This can't be undone.",
            ephemeral=True,
            view=DeleteChoice.choice_view(user_id),
        )


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(MyData(bot))
