"""Plain, immutable values the store hands out: reminders, checklist items, a member's export.

Why frozen dataclasses and not rows: callers (cogs, the scheduler) must not be able to change a
reminder behind the store's back, and the values stay the same whichever database produced them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, TypeVar

from bot.core.models import short_title

ReminderStatus = Literal["active", "paused", "done", "cancelled"]
LATE_AFTER = timedelta(seconds=60)
MAX_NOTE_LENGTH = 200


def check_note(note: str) -> None:
    """The store's own guard on a reminder note, whichever backend: 1 to MAX_NOTE_LENGTH characters."""
    if not note.strip() or len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"a reminder note needs 1 to {MAX_NOTE_LENGTH} characters")


def to_timestamp(moment: datetime) -> int:
    """Whole unix seconds; refuses naive datetimes, which would silently mean local time."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} must be timezone-aware")
    return int(moment.timestamp())


def from_timestamp(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class UnansweredCount:
    """How often one unanswered text was asked since the last write, and when (first and last)."""

    count: int
    first_seen: datetime
    last_seen: datetime


def unanswered_rows(counts: Mapping[str, UnansweredCount]) -> list[tuple[str, int, int, int]]:
    """(text, count, first_seen, last_seen) rows for both backends' upsert, in text order, so that
    processes sharing a database lock rows in the same order (no deadlock)."""
    return [
        (text, c.count, to_timestamp(c.first_seen), to_timestamp(c.last_seen)) for text, c in sorted(counts.items())
    ]


def unanswered_to_drop(oldest_first: Sequence[str], batch: Iterable[str], excess: int) -> list[str]:
    """Which texts to delete to get `excess` rows under the cap, given all texts least recent first.

    Texts counted in this write go last, so what was just asked survives even when older texts share
    its second; only a write of more texts than the cap drops some of its own (its least recent).
    Both backends call this, so the rule is the same whichever database holds the counts.
    """
    fresh = set(batch)
    ordered = [t for t in oldest_first if t not in fresh] + [t for t in oldest_first if t in fresh]
    return ordered[: max(0, excess)]


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder.

    `due_at` is the occurrence being reminded of; it does not move on retries, so a late delivery
    can say when it was due. `attempt_at` is when the dispatcher next looks at it: the due time,
    a retry time, or, while `claim_token` is set, the end of the claim's lease.
    """

    id: int
    user_id: int | None  # the member's reminder; None for a server's weekly digest (`guild_id`)
    note: str
    step_id: str | None
    due_at: datetime
    recurrence: str | None
    timezone: str
    anchor_at: datetime
    status: ReminderStatus
    created_at: datetime
    attempt_at: datetime
    attempts: int = 0
    claim_token: str | None = None
    finished_at: datetime | None = None
    guild_id: int | None = None  # set for a server's weekly digest, which the same scheduler posts

    @property
    def recurring(self) -> bool:
        return self.recurrence is not None

    def is_late(self, now: datetime, grace: timedelta = LATE_AFTER) -> bool:
        """Delivered noticeably after it was due (the bot was down, or retries took a while)."""
        return now - self.due_at > grace

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.guild_id is None:  # a member's reminder: the export shows what it always showed
            del data["guild_id"]
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


class StepLike(Protocol):
    """What a checklist needs from a knowledge-base step entry."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def tasks(self) -> Sequence[str]: ...


StepT = TypeVar("StepT", bound=StepLike)


def find_step(steps: Sequence[StepT], text: str) -> StepT | None:
    """The step a member named, ignoring case and spacing: its number ("2", "step 2"), its id (what
    autocomplete sends, with or without "step-"), its title or its short title ("Education").

    The one lookup behind `/checklist done|undo` and `/remind add step`, so both accept the same names.
    """
    key = name_key(text)
    for number, step in enumerate(steps, 1):
        names = {str(number), f"step {number}", step.id, step.id.removeprefix("step-"), step.title}
        names.add(short_title(step.title))
        if key in {name_key(name) for name in names}:
            return step
    return None


def name_key(text: str) -> str:
    """A step name as `find_step` compares it: lower case, single spaces."""
    return " ".join(text.split()).lower()


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """A step of the member's checklist: the knowledge base's step with its done state."""

    step_id: str
    title: str
    tasks: tuple[str, ...]
    done_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None


def build_checklist(steps: Iterable[StepLike], done: Mapping[str, datetime]) -> list[ChecklistItem]:
    """The steps in order with the member's state; stored ids that no longer exist are left out."""
    return [ChecklistItem(s.id, s.title, tuple(s.tasks), done.get(s.id)) for s in steps]


@dataclass(frozen=True, slots=True)
class MemberExport:
    """Everything stored about one member (what `/mydata export` hands them)."""

    user_id: int
    timezone: str | None
    notice_pending: bool
    checklist: dict[str, datetime] = field(default_factory=dict)
    reminders: list[Reminder] = field(default_factory=list)
    votes: dict[str, tuple[bool, datetime]] = field(default_factory=dict)  # entry id -> (helpful, voted at)
    groups: list[GroupMembership] = field(default_factory=list)  # the servers whose group view they joined

    def to_json(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "timezone": self.timezone,
            "notice_pending": self.notice_pending,
            "checklist": [{"step_id": k, "done_at": v.isoformat()} for k, v in sorted(self.checklist.items())],
            "reminders": [r.to_json() for r in self.reminders],
            "votes": [
                {"entry_id": k, "helpful": helpful, "voted_at": at.isoformat()}
                for k, (helpful, at) in sorted(self.votes.items())
            ],
            "study_groups": [
                {"guild_id": g.guild_id, "show_name": g.show_name, "joined_at": g.joined_at.isoformat()}
                for g in sorted(self.groups, key=lambda g: g.guild_id)
            ],
        }


@dataclass(frozen=True, slots=True)
class GroupMembership:
    """A member's opt-in to one server's group view."""

    guild_id: int
    show_name: bool
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class GroupProgress:
    """A server's opted-in members and how many finished each step; nothing about anyone else.

    `named` lists, per step, the members who finished it and chose `show_name`; the others are
    counted only.
    """

    members: int
    done: dict[str, int]  # step id -> opted-in members who marked it done
    named: dict[str, list[int]]  # step id -> member ids shown by name, in joining order


@dataclass(frozen=True, slots=True)
class GuildSettings:
    """A server's settings: its timezone and weekly digest (channel None when off)."""

    guild_id: int
    timezone: str = "UTC"
    digest_channel_id: int | None = None
    digest_weekday: int | None = None
    digest_time: str | None = None

    @property
    def digest_on(self) -> bool:
        return self.digest_channel_id is not None


@dataclass(frozen=True, slots=True)
class DigestClaim:
    """This week's digest, claimed for posting: the counts posted last time, for "since last week"."""

    previous_counts: dict[str, int] | None
    previous_sent_for: int | None
