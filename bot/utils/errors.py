"""Turning failures into short, polite replies; the details go to the log, never to members.

Known errors (cooldowns, permissions, checks, bad option values) get a one-line explanation.
Anything else gets "Something went wrong (ref XXXXXX)" and is logged with that ref and the
context needed to find it, so a member can quote the ref and an operator can find the traceback.
Message text and option values are never logged: members may paste things they should not.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.utils.interactions import respond
from bot.utils.text import escape_user_text

log = logging.getLogger(__name__)


def new_ref() -> str:
    """A short random reference a member can quote and an operator can grep the log for."""
    return secrets.token_hex(3).upper()


def unexpected_message(ref: str) -> str:
    return f"Something went wrong (ref {ref}). Please try again; if it keeps happening, quote the ref."


def known_error_message(error: app_commands.AppCommandError) -> str | None:
    """The member-facing line for an error that is not a bug, or None for one that is."""
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.BotMissingPermissions):
        return "I don't have the permissions I need here: " + ", ".join(error.missing_permissions) + "."
    if isinstance(error, app_commands.MissingPermissions):
        needed = " and ".join(_permission_name(p) for p in error.missing_permissions)
        return f"You need the {needed} permission to do that." if needed else "You can't do that here."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't use “{escape_user_text(str(error.value), 50)}” for that option."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "That command has changed since your app loaded it; try again in a minute."
    return None


def _permission_name(permission: str) -> str:
    """Discord's name for a permission as members see it ("manage_guild" is "Manage Server")."""
    return permission.replace("guild", "server").replace("_", " ").title()


def _describe(interaction: discord.Interaction) -> str:
    """Where an interaction came from, without anything the member typed."""
    command = interaction.command.qualified_name if interaction.command else None
    custom_id = interaction.data.get("custom_id") if interaction.data else None
    return (
        f"command={command} custom_id={custom_id} interaction={interaction.id} "
        f"user={interaction.user.id} guild={interaction.guild_id} channel={interaction.channel_id}"
    )


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Log an unexpected failure with a fresh ref and tell the member that ref, privately."""
    ref = new_ref()
    original = getattr(error, "original", error)
    log.error("Unhandled error ref=%s %s", ref, _describe(interaction), exc_info=original)
    await _send_quietly(interaction, unexpected_message(ref))


async def on_app_command_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
    """The command tree's single error handler (installed in `MedcoderBot.setup_hook`)."""
    message = known_error_message(error)
    if message is None:
        await report_interaction_error(interaction, error)
        return
    log.info("Refused %s: %s", _describe(interaction), type(error).__name__)
    await _send_quietly(interaction, message)


async def _send_quietly(interaction: discord.Interaction, content: str) -> None:
    """Reply privately; a failure here (expired interaction, Discord outage) is only logged."""
    try:
        await respond(interaction, content, ephemeral=True)
    except Exception as error:  # an error handler must not raise
        log.warning("Could not send an error reply for interaction %s: %r", interaction.id, error)


async def report_message_error(message: discord.Message, error: BaseException) -> None:
    """The DM path's equivalent of `report_interaction_error` (the DM text is never logged)."""
    ref = new_ref()
    log.error(
        "Unhandled error ref=%s message=%s user=%s channel=%s",
        ref,
        message.id,
        message.author.id,
        message.channel.id,
        exc_info=error,
    )
    try:
        await message.channel.send(unexpected_message(ref))
    except Exception as send_error:  # an error handler must not raise
        log.warning("Could not send an error reply for message %s: %r", message.id, send_error)


async def on_prefix_command_error(ctx: commands.Context, error: commands.CommandError) -> None:
    """Prefix commands are owner tools: strangers and typos get silence, real failures a ref."""
    if isinstance(error, commands.CommandNotFound | commands.CheckFailure):
        return
    if isinstance(error, commands.UserInputError):
        usage = f" Usage: `{ctx.clean_prefix}{ctx.command} {ctx.command.signature}`" if ctx.command else ""
        await ctx.send(f"{error}{usage}")
        return
    await report_message_error(ctx.message, getattr(error, "original", error))


ItemT = TypeVar("ItemT")


def reports_errors(
    handler: Callable[[ItemT, Any], Coroutine[Any, Any, None]],
) -> Callable[[ItemT, Any], Coroutine[Any, Any, None]]:
    """For a component's `callback`: failures get the same ref'd private reply as commands.

    Dynamic items (every button and menu the bot sends) bypass the command tree's error handler,
    so without this each one would need its own try/except.
    """

    @functools.wraps(handler)
    async def callback(self: ItemT, interaction: Any) -> None:
        try:
            await handler(self, interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)

    return callback
