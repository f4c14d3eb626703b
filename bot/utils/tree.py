"""The bot's command tree: discord.py's own, plus hooks that see every slash command before it runs.

Why hooks and not a listener on `app_command_completion`: discord.py starts a task per listener for
every event, so a listener that has something to do once in a while (telling a member that their
reminders are paused) cost a task on every `/ask`, a tenth of a millisecond each time, to return
at once. A hook is a plain call: it decides with a dictionary lookup and starts work (a task, a
`wait_for` on the command's completion) only when there is some. Hooks must be quick and must not
block; one that raises is logged and the command still runs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import discord
from discord import app_commands

log = logging.getLogger(__name__)

CommandHook = Callable[[discord.Interaction[Any]], None]


class MedcoderTree(app_commands.CommandTree[Any]):
    """A `CommandTree` whose `interaction_check` runs the registered hooks; it never refuses a command."""

    def __init__(self, client: discord.Client, **options: Any) -> None:
        super().__init__(client, **options)
        self._hooks: list[CommandHook] = []

    def add_command_hook(self, hook: CommandHook) -> None:
        """Call `hook(interaction)` before every slash or context-menu command (not autocomplete)."""
        self._hooks.append(hook)

    def remove_command_hook(self, hook: CommandHook) -> None:
        if hook in self._hooks:
            self._hooks.remove(hook)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        if interaction.type is discord.InteractionType.application_command:
            for hook in tuple(self._hooks):
                try:
                    hook(interaction)
                except Exception:
                    log.exception("command hook %r failed for interaction %s", hook, interaction.id)
        return True
