"""Study groups (issue 15): `/group` for members, `/groupadmin` for a server's admins, the weekly digest.

One module a job: `cog` (`/group join|leave|progress`, and forgetting a server the bot leaves),
`admin` (`/groupadmin digest|digest-off|timezone`), `digest` (posting one digest for the reminder
scheduler), `chart` (the progress picture both post), `text` (how progress and digests read, and
the privacy rules they share).

What is kept is minimal: who opted in where (and whether to show their name), a server's channel,
schedule and timezone, and `/ask` topic counts by knowledge-base entry per server and hour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.exts.groups.admin import GroupAdmin
from bot.exts.groups.cog import Group

if TYPE_CHECKING:
    from bot.app import MedcoderBot


async def setup(bot: MedcoderBot) -> None:
    await bot.add_cog(Group(bot))
    await bot.add_cog(GroupAdmin(bot))
