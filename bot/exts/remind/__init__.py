"""`/remind`: reminders a member sets for themselves, delivered as DMs by the core scheduler.

One module a job: `cog` (the commands), `courier` (one DM), `buttons` (snooze, mark done),
`notices` (telling a member their reminders are paused), `text` (how reminders read).

The cog only translates: `when` goes through `parse_when` in the member's timezone, the store keeps
the reminder, and `ReminderScheduler` (started in `cog_load`, stopped in `cog_unload`, before the bot
closes the store) calls `deliver` when one is due. Every reply is ephemeral: reminders are personal.

The DM's buttons are dynamic items whose custom ids carry the owner and the reminder
(`medcoder:snooze:<owner>:<reminder>:<10m|1h|1d>`, `medcoder:rdone:<owner>:<reminder>:<step>`), so they
keep working after a restart. A member whose DMs are closed (50007) has their reminders paused by
the scheduler; the next app command they complete is followed by a private note saying so, and
`/remind resume` turns them back on. On resume, an occurrence whose time passed while paused is
delivered at once, marked late, and a recurring reminder then continues at its next occurrence
(the same rule as for reminders missed while the bot was down): nothing is silently skipped, and
nothing is repeated (short of a crash mid-send, which the scheduler's lease turns into one repeat).

A finished reminder (a one-off once delivered, or any reminder cancelled or ended) is kept for 30
days (`KEEP_FINISHED` in `bot.core.scheduler`), so `/mydata export` still lists it and a delivered
one's snooze buttons still work; then the scheduler deletes it, and its buttons say it no longer exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.remind.cog import Remind

if TYPE_CHECKING:
    from bot.app import MedcoderBot


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Remind(bot))
