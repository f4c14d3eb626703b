"""Explicit command sync, shared by `medcoder-bot sync` and the owner's `sync` command.

Sync is never automatic: global sync is rate-limited by Discord and a start-up sync would spend
that budget on every restart. While developing, set `MEDCODER_DEV_GUILD` so syncs go to one
guild, where they apply at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import discord
from discord import app_commands


@dataclass(frozen=True, slots=True)
class SyncResult:
    commands: list[app_commands.AppCommand]
    guild_id: int | None  # None: global

    @property
    def scope(self) -> str:
        return "globally" if self.guild_id is None else f"to guild {self.guild_id}"

    def summary(self) -> str:
        names = ", ".join(sorted(f"/{command.name}" for command in self.commands)) or "none"
        return f"Synced {len(self.commands)} commands {self.scope}: {names}."


async def sync_tree(tree: app_commands.CommandTree, guild_id: int | None) -> SyncResult:
    """Push the tree's commands to Discord, globally or (copying the global ones) to one guild."""
    if guild_id is None:
        return SyncResult(await tree.sync(), None)
    guild = discord.Object(id=guild_id)
    tree.copy_global_to(guild=guild)
    return SyncResult(await tree.sync(guild=guild), guild_id)
