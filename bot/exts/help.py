"""`/help`: what the bot does, its commands, where its answers come from, and a privacy warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.utils.commands import PRIVATE_DESCRIPTION, everywhere
from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

INTRO = (
    "**MedCoder coach** helps you find your way into medical coding: the steps, education, "
    "certification, experience, pay and job outlook.\n"
    "Every answer comes from **one article** on becoming a medical coder, with its sources and dates. "
    "When the article does not cover something, I say so instead of guessing."
)
DM_NOTE = "You can also send me a direct message with a question in plain words."
PRIVACY_WARNING = (
    "⚠️ **Never paste patient information** here (names, dates of birth, record numbers, "
    "anyone's diagnoses). I don't need it to answer, and it doesn't belong in a chat."
)

# Skipped in the list: the `private` option exists on every command.
_COMMON_OPTIONS = {"private"}


def command_line(command: app_commands.Command) -> str:
    """`/name <required> [optional]: description`, from the command's own definition."""
    options = [
        f"<{p.name}>" if p.required else f"[{p.name}]" for p in command.parameters if p.name not in _COMMON_OPTIONS
    ]
    usage = " ".join([f"/{command.name}", *options])
    return f"`{usage}`: {command.description}"


def group_line(group: app_commands.Group) -> str:
    """`/checklist show|done|undo|reset: description`: a personal feature in one line."""
    subcommands = "|".join(c.name for c in group.commands)
    return f"`/{group.name} {subcommands}`: {group.description}"


class Help(commands.Cog):
    """Tells members what the bot can and cannot do."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot

    def help_text(self) -> str:
        top_level = sorted(self.bot.tree.get_commands(), key=lambda c: c.name)
        commands_ = [c for c in top_level if isinstance(c, app_commands.Command)]
        groups = [c for c in top_level if isinstance(c, app_commands.Group)]
        lines = [INTRO, "", "**Commands** (add `private: True` to any of them to see the reply alone)"]
        lines += [command_line(c) for c in commands_]
        if groups:
            lines += ["", "**Your own progress** (only you see these replies)"]
            lines += [group_line(g) for g in groups]
        lines += ["", DM_NOTE, "", PRIVACY_WARNING]
        return "\n".join(lines)

    @app_commands.command(name="help", description="What this bot does and how to use it")
    @app_commands.describe(private=PRIVATE_DESCRIPTION)
    @everywhere
    async def help(self, interaction: discord.Interaction[MedcoderBot], private: bool = False) -> None:
        await respond(interaction, self.help_text(), ephemeral=private)


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Help(bot))
