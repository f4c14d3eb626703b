"""What every slash command of this bot shares: where it can be installed and used.

Members ask from study-group servers, from the bot's DM and, with the app installed to their
account, from any DM or group chat; a command missing one of these would silently vanish there.
"""

from __future__ import annotations

from typing import TypeVar

from discord import app_commands

T = TypeVar("T")

PRIVATE_DESCRIPTION = "Only you see the reply (default: public in servers)"


def everywhere(func: T) -> T:
    """Allow a command in servers and for user installs, in servers, the bot's DM and private chats."""
    func = app_commands.allowed_installs(guilds=True, users=True)(func)
    return app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)(func)


# Defaults for the whole tree, so a command added later without `everywhere` behaves the same.
DEFAULT_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)
DEFAULT_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
