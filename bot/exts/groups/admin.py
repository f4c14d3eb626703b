"""`/groupadmin digest|digest-off|timezone`: a server's weekly digest and timezone, for its admins.

Why a command of its own: Discord sets permissions per top-level command, so the admin side cannot
be a subcommand of `/group`. It is hidden from members without Manage Server
(`default_member_permissions`) and checked again at run time, since a server can override who sees
a command. Replies are ephemeral; the digest is posted by the reminder scheduler (see `digest`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.core.store.models import GuildSettings
from bot.core.timeparse import CLOCK_HELP, DAY_NAMES, WhenError, parse_when, resolve_timezone
from bot.exts.groups.digest import DigestCourier
from bot.exts.timezone import NAME_MAX_LENGTH, local_time, timezone_choices
from bot.utils.interactions import respond

if TYPE_CHECKING:
    from bot.app import MedcoderBot

log = logging.getLogger(__name__)

WEEKDAY_CHOICES = [app_commands.Choice(name=name, value=n) for n, name in enumerate(DAY_NAMES)]
TIME_MAX_LENGTH = 20


class ScheduleError(ValueError):
    """A weekday and time that can't make a weekly schedule; the message is for the admin."""


def weekly_schedule(weekday: int, time: str, now: datetime, zone: str) -> tuple[datetime, str, str]:
    """(first post, serialised recurrence, "HH:MM") for every `weekday` at `time` in `zone`."""
    shown = " ".join(time.split())
    try:
        schedule = parse_when(f"every {DAY_NAMES[weekday]} {shown}", now, resolve_timezone(zone))
    except WhenError as error:
        raise ScheduleError(f"I couldn't read “{shown[:TIME_MAX_LENGTH]}” as a time of day. {CLOCK_HELP}") from error
    rule = schedule.recurrence
    if rule is None or rule.kind != "weekly" or rule.weekday != weekday:
        raise ScheduleError(f"Give only a time of day for `time`, e.g. 18:30 or 6:30pm. {CLOCK_HELP}")
    return schedule.first_due, rule.serialize(), f"{rule.hour:02d}:{rule.minute:02d}"


def describe(settings: GuildSettings) -> str:
    if settings.digest_channel_id is None or settings.digest_weekday is None:
        return "No weekly digest is set."
    return (
        f"The weekly digest is posted in <#{settings.digest_channel_id}> every "
        f"{DAY_NAMES[settings.digest_weekday]} at {settings.digest_time} ({settings.timezone})."
    )


@app_commands.guild_only()
@app_commands.allowed_contexts(guilds=True, dms=False, private_channels=False)
@app_commands.allowed_installs(guilds=True, users=False)
@app_commands.default_permissions(manage_guild=True)
class GroupAdmin(
    commands.GroupCog, group_name="groupadmin", group_description="Study-group settings for this server (Manage Server)"
):
    """The server's weekly digest and timezone; posting is the `DigestCourier`'s job."""

    def __init__(self, bot: MedcoderBot) -> None:
        self.bot = bot
        self.digests = DigestCourier(bot)  # the Remind cog's scheduler hands it the server's digests
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage
        if not interaction.permissions.manage_guild:  # the server may have opened the command to others
            raise app_commands.MissingPermissions(["manage_guild"])
        return True

    def _wake(self, due: datetime) -> None:
        remind = self.bot.get_cog("Remind")
        wake = getattr(remind, "wake", None)
        if wake is not None:
            wake(due)

    @app_commands.command(name="digest", description="Post the group's progress in a channel once a week")
    @app_commands.describe(
        channel="Where to post it", weekday="Which day", time="Time of day in the server's timezone, e.g. 18:30 or 6pm"
    )
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    async def digest(
        self,
        interaction: discord.Interaction[MedcoderBot],
        channel: discord.TextChannel,
        weekday: app_commands.Choice[int],
        time: app_commands.Range[str, 1, TIME_MAX_LENGTH],
    ) -> None:
        assert interaction.guild is not None and interaction.guild_id is not None
        me = interaction.guild.me
        if me is not None:
            allowed = channel.permissions_for(me)
            if not (allowed.view_channel and allowed.send_messages and allowed.attach_files):
                await respond(
                    interaction,
                    f"I can't post the digest in {channel.mention}: give me View Channel, Send Messages and "
                    "Attach Files (for the chart) there, or pick another channel.",
                    ephemeral=True,
                )
                return
        store = self.bot.store
        settings = await store.guild_settings(interaction.guild_id)
        try:
            first, rule, at = weekly_schedule(weekday.value, time, self.bot.clock.now(), settings.timezone)
        except ScheduleError as error:
            await respond(interaction, str(error), ephemeral=True)
            return
        problem = await store.take_digest_problem(interaction.guild_id)
        settings = await store.set_digest(
            interaction.guild_id, channel.id, weekday.value, at, first_due=first, recurrence=rule
        )
        self._wake(first)
        lines = [f"{describe(settings)} The first one comes <t:{int(first.timestamp())}:F>."]
        if problem is not None:
            lines.insert(0, f"Note: the previous weekly digest had stopped because {problem}.")
        await respond(interaction, "\n".join(lines), ephemeral=True)

    @app_commands.command(name="digest-off", description="Stop the weekly digest")
    async def digest_off(self, interaction: discord.Interaction[MedcoderBot]) -> None:
        assert interaction.guild_id is not None
        if await self.bot.store.digest_off(interaction.guild_id):
            content = "The weekly digest is off. Turn it back on with `/groupadmin digest`."
        else:
            content = "There was no weekly digest to turn off."
        await respond(interaction, content, ephemeral=True)

    @app_commands.command(name="timezone", description="The timezone the weekly digest's day and time are in")
    @app_commands.describe(name="An IANA timezone name; start typing a city, e.g. “Chicago”")
    async def timezone(
        self, interaction: discord.Interaction[MedcoderBot], name: app_commands.Range[str, 1, NAME_MAX_LENGTH]
    ) -> None:
        assert interaction.guild_id is not None
        try:
            zone = resolve_timezone(name).key
        except WhenError as error:
            await respond(interaction, str(error), ephemeral=True)
            return
        store = self.bot.store
        settings = await store.set_guild_timezone(interaction.guild_id, zone)
        lines = [f"This server's timezone is now **{zone}**. It's {local_time(self.bot.clock.now(), zone)} there."]
        channel, weekday, at = settings.digest_channel_id, settings.digest_weekday, settings.digest_time
        if channel is not None and weekday is not None and at is not None:  # same day and time, in the new zone
            first, rule, at = weekly_schedule(weekday, at, self.bot.clock.now(), zone)
            settings = await store.set_digest(
                interaction.guild_id, channel, weekday, at, first_due=first, recurrence=rule
            )
            self._wake(first)
            lines.append(describe(settings))
        await respond(interaction, "\n".join(lines), ephemeral=True)

    @timezone.autocomplete("name")
    async def name_autocomplete(
        self, interaction: discord.Interaction[MedcoderBot], current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)
