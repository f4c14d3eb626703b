"""What the bot needs from storage, independent of the database behind it.

Why an interface: cogs, the scheduler and the tests are written against `Store`, whichever
database is behind it. Its one implementation, `bot.core.store.sql.SQLStore`, runs on SQLite (the
default) and PostgreSQL (several processes), and both pass the same tests. All times are aware UTC
datetimes; user ids are Discord snowflakes (ints).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self

from bot.core.clock import Clock
from bot.core.store.models import DigestClaim, GroupProgress, GuildSettings, Reminder, UnansweredCount

MAX_ACTIVE_REMINDERS = 25

# What `Store.listen` returns: awaiting it stops the notifications.
Unlisten = Callable[[], Awaitable[None]]


async def nothing_to_stop() -> None:
    return None


class StoreError(Exception):
    """The store can't be used as asked (schema too new, bad migration files, closed store...)."""


class LimitError(StoreError):
    """A member already has as many active reminders as allowed."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"at most {limit} active reminders per member")


class Store(ABC):
    """Checklists, reminders and the few member settings the bot keeps."""

    @abstractmethod
    async def ping(self) -> None:
        """A trivial query: returns when the database answers, raises StoreError (or the driver's error) if not.

        For the health check: a bot whose store cannot answer is not healthy, even while connected.
        """

    _clock: Clock  # set by each backend; the store's notion of "now" (a fake one in tests)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @abstractmethod
    async def close(self) -> None: ...

    async def listen(self, callback: Callable[[datetime | None], object]) -> Unlisten:
        """Call `callback(due_at)` when another process adds, snoozes or resumes a reminder.

        Why a hook with a no-op default: with one process (SQLite) the cogs already wake the
        scheduler themselves; a shared database (PostgreSQL) also has to hear about reminders
        that other processes added, so their dispatchers don't sleep past a sooner one.
        """
        return nothing_to_stop

    # Member settings
    @abstractmethod
    async def get_timezone(self, user_id: int) -> str | None: ...

    @abstractmethod
    async def set_timezone(self, user_id: int, name: str) -> None: ...

    # Checklist
    @abstractmethod
    async def checklist(self, user_id: int) -> dict[str, datetime]:
        """Step id -> when it was marked done, for done steps only."""

    @abstractmethod
    async def set_step(self, user_id: int, step_id: str, done: bool) -> bool:
        """Mark a step done or not done; True if that changed anything."""

    @abstractmethod
    async def toggle_step(self, user_id: int, step_id: str) -> bool:
        """Flip a step atomically; returns the new state (True = done)."""

    @abstractmethod
    async def reset_checklist(self, user_id: int) -> int:
        """Clear every step; returns how many were done."""

    # Reminders, member side
    @abstractmethod
    async def add_reminder(
        self,
        user_id: int,
        note: str,
        due_at: datetime,
        *,
        timezone: str,
        recurrence: str | None = None,
        step_id: str | None = None,
        anchor_at: datetime | None = None,
        max_active: int = MAX_ACTIVE_REMINDERS,
    ) -> Reminder:
        """Raises `LimitError` when the member already has `max_active` active or paused reminders."""

    @abstractmethod
    async def list_reminders(self, user_id: int) -> list[Reminder]:
        """Active and paused reminders, soonest first."""

    @abstractmethod
    async def get_reminder(self, user_id: int, reminder_id: int) -> Reminder | None:
        """The member's reminder in any status, or None (also when it belongs to someone else)."""

    @abstractmethod
    async def cancel_reminder(self, user_id: int, reminder_id: int) -> bool: ...

    @abstractmethod
    async def snooze(
        self, user_id: int, reminder_id: int, due_at: datetime, *, max_active: int = MAX_ACTIVE_REMINDERS
    ) -> bool:
        """Move a reminder to `due_at` and make it active, re-arming a delivered one-off too."""

    @abstractmethod
    async def pause_member_reminders(self, user_id: int) -> int:
        """Pause all active reminders (DMs closed) and flag a notice for the member's next command."""

    @abstractmethod
    async def take_notice(self, user_id: int) -> bool:
        """True once if a notice is pending (the flag is cleared)."""

    @abstractmethod
    async def resume_member_reminders(self, user_id: int) -> int: ...

    @abstractmethod
    async def purge_finished(self, before: datetime) -> int:
        """Delete done and cancelled reminders finished before `before`; returns how many.

        The scheduler calls it at most hourly, with `before` `KEEP_FINISHED` (30 days) ago.
        """

    # Reminders, dispatcher side
    @abstractmethod
    async def next_wakeup(self) -> datetime | None:
        """When the dispatcher next has work: a due time, a retry time or a lease expiry."""

    @abstractmethod
    async def claim_due(self, now: datetime, *, lease: timedelta, limit: int) -> list[Reminder]:
        """Atomically claim up to `limit` due reminders until `now + lease`, with a fresh claim token."""

    @abstractmethod
    async def finish(self, reminder_id: int, claim_token: str, *, next_due: datetime | None) -> bool:
        """Delivered: done (next_due None) or moved to `next_due`. False if the claim is stale."""

    @abstractmethod
    async def release(self, reminder_id: int, claim_token: str, retry_at: datetime) -> bool:
        """Transient failure: unclaim, count the attempt and try again at `retry_at`."""

    # The member's data
    @abstractmethod
    async def export_member(self, user_id: int) -> dict[str, Any]:
        """Everything stored about the member, JSON-serialisable."""

    @abstractmethod
    async def delete_member(self, user_id: int) -> int:
        """Delete everything stored about the member; returns the number of rows deleted."""

    # What the knowledge base learns from (issue 6)
    @abstractmethod
    async def record_vote(self, user_id: int, entry_id: str, helpful: bool) -> bool:
        """Store the member's vote on an answer entry; True if it replaced an earlier vote on that entry."""

    @abstractmethod
    async def vote_counts(self) -> dict[str, tuple[int, int]]:
        """Entry id -> (helpful votes, not helpful votes), for entries with at least one vote."""

    async def record_unanswered(self, text: str, *, cap: int) -> None:
        """Count one more ask of `text` (no member id); keep at most `cap` texts, dropping the least recent."""
        now = self._clock.now()
        await self.record_unanswered_counts({text: UnansweredCount(1, now, now)}, cap=cap)

    @abstractmethod
    async def record_unanswered_counts(self, counts: Mapping[str, UnansweredCount], *, cap: int) -> None:
        """Add counts gathered in memory (see `bot.core.unanswered`) in one transaction, then keep at
        most `cap` texts, dropping the least recently asked; the texts of this write are dropped last."""

    @abstractmethod
    async def unanswered_top(self, n: int) -> list[tuple[str, int]]:
        """The `n` most asked unanswered texts with their counts, most asked (then most recent) first."""

    # Study groups (issue 15)
    @abstractmethod
    async def join_group(self, guild_id: int, user_id: int, *, show_name: bool) -> bool:
        """Opt the member into the server's group view (or change `show_name`); True if newly joined."""

    @abstractmethod
    async def leave_group(self, guild_id: int, user_id: int) -> bool:
        """Opt out: the member leaves every count of that server at once; True if they were in."""

    @abstractmethod
    async def group_progress(self, guild_id: int) -> GroupProgress:
        """The server's opted-in members, how many finished each step, and who is shown by name."""

    @abstractmethod
    async def guild_settings(self, guild_id: int) -> GuildSettings:
        """The server's settings (defaults when it never set any)."""

    @abstractmethod
    async def set_guild_timezone(self, guild_id: int, timezone: str) -> GuildSettings: ...

    @abstractmethod
    async def set_digest(
        self, guild_id: int, channel_id: int, weekday: int, time: str, *, first_due: datetime, recurrence: str
    ) -> GuildSettings:
        """Post the weekly digest in `channel_id` from `first_due` on (one digest per server: this
        replaces any earlier one), scheduled as a recurring reminder owned by the server."""

    @abstractmethod
    async def digest_off(self, guild_id: int) -> bool:
        """Stop the server's digest; True if one was on."""

    @abstractmethod
    async def stop_digest(self, guild_id: int, problem: str) -> None:
        """The bot can no longer post the digest: turn it off and keep `problem` for the next admin."""

    @abstractmethod
    async def take_digest_problem(self, guild_id: int) -> str | None:
        """Why the bot stopped the digest, once (the note is cleared), or None."""

    @abstractmethod
    async def claim_digest(
        self, guild_id: int, due_at: datetime, counts: Mapping[str, int] | None
    ) -> DigestClaim | None:
        """Record that the digest for occurrence `due_at` is being posted, with the `counts` it shows
        (None when it shows none); None if a digest was already posted within the past six days
        (whichever process posted it, whatever the schedule was): at most one post a week."""

    @abstractmethod
    async def release_digest(self, guild_id: int, due_at: datetime, claim: DigestClaim) -> None:
        """Undo `claim_digest` after a failed post, so a retry can post it."""

    @abstractmethod
    async def count_topics(self, counts: Mapping[tuple[int, int, str], int]) -> None:
        """Add /ask answer counts by (server id, unix hour, entry id), for servers whose digest is on
        (the others' are dropped): no text, no member id. Turning the digest off deletes them."""

    @abstractmethod
    async def top_topics(self, guild_id: int, since_hour: int, n: int) -> list[tuple[str, int]]:
        """The `n` entries most asked about in the server from `since_hour` on, most asked first."""

    @abstractmethod
    async def forget_guild(self, guild_id: int) -> int:
        """Delete everything kept about a server (the bot left it); returns the rows deleted."""
