"""Reading when a member wants a reminder, and stepping recurring reminders. Discord-free.

Why hand-written: dateparser is slow (a heavy import and many regexes for each call) and mishandles
DST: it knows nothing of recurrence, and wall times near a change come out an hour off. The bot
needs a handful of forms, so a small parser on `re`, `datetime` and `zoneinfo` is fast and exact.

Local wall times all go through `_wall_to_utc`, which follows PEP 495 with fold=0:
- A time that doesn't exist (the spring-forward gap, e.g. 02:30 on the US change day) moves forward
  by the length of the gap: 02:30 becomes 03:30. fold=0 reads it with the offset in force before the
  change. The member is reminded as soon as the clock has passed what they asked for, never earlier.
- A time that happens twice (fall-back, 01:30) is its first occurrence: the reminder comes the first
  time the clock shows it, and a daily reminder fires once that night, not twice.

Recurring reminders are computed from the rule, never from the last send time. Daily and weekly
ones step in local time: "every day 08:00" stays at 08:00 local across DST (the UTC gap is then 23 h
or 25 h), and a late delivery does not shift the next one. Hourly ones are `anchor + k * every_hours`
in absolute time, so they never drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

MIN_RECURRENCE = timedelta(hours=1)
MAX_AHEAD = timedelta(days=366)
MAX_LENGTH = 100
DEFAULT_TIME = time(9, 0)  # "tomorrow", "monday", "2026-12-05", "every day"
TONIGHT = time(20, 0)

EXAMPLES = "Try 'in 10 minutes', 'tomorrow 18:00', '2026-12-05 09:30' or 'every monday 19:00'."
CLOCK_HELP = "Use 24-hour like 18:30 or 12-hour like 6:30pm, e.g. 'tomorrow 18:00', 'monday 7pm' or 'every day 8am'."

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS = {name.lower(): i for i, name in enumerate(DAY_NAMES)} | {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "thu": 3, "thur": 3, "thurs": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days"), timedelta(days=1)),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), timedelta(weeks=1)),
}
COMMON_TIMEZONES = (
    "UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
    "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico", "America/Toronto", "America/Mexico_City",
    "America/Sao_Paulo", "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
    "Africa/Lagos", "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Manila", "Asia/Singapore",
    "Asia/Tokyo", "Australia/Sydney",
)  # fmt: skip
NOT_ZONES = {"Factory", "localtime", "posixrules"}  # present in some zoneinfo trees, no use to a member


def _alternatives(words: dict[str, int]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_WD = _alternatives(WEEKDAYS)
_MON = _alternatives(MONTHS)
_CLOCK_NAMED = (
    r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})|(?P<hsep>h)(?P<m2>\d{2})?)?\s*(?:(?P<ap>[ap])\.?m\.?)?|(?P<word>noon|midnight)"
)
_DAY_NAMED = (
    rf"(?:(?:next|this)\s+)?(?P<wd>{_WD})|(?P<rel>today|tonight|tomorrow|tmrw)"
    r"|(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})"
    rf"|(?P<mname>{_MON})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y2>\d{{4}}))?"
    rf"|(?P<d3>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mname3>{_MON})\.?(?:,?\s+(?P<y3>\d{{4}}))?"
)


def _unnamed(pattern: str) -> str:
    """The same pattern with its named groups made plain, to embed it in a bigger one."""
    return "(?:" + re.sub(r"\(\?P<\w+>", "(?:", pattern) + ")"


_CLOCK, _DAY = _unnamed(_CLOCK_NAMED), _unnamed(_DAY_NAMED)
_CLOCK_RE = re.compile(_CLOCK_NAMED, re.ASCII)
_DAY_RE = re.compile(_DAY_NAMED, re.ASCII)
_AT = rf"(?:\s+(?:at\s+)?(?P<clock>{_CLOCK}))?"
_ONE_SHOT = re.compile(
    rf"(?:on\s+)?(?P<day>{_DAY}),?{_AT}|(?:at\s+)?(?P<clock2>{_CLOCK})(?:\s+(?:on\s+)?(?P<day2>{_DAY}))?", re.ASCII
)
_EVERY_DAY = re.compile(rf"(?:(?:every|each)\s*day|daily){_AT}", re.ASCII)
_EVERY_WEEK = re.compile(rf"(?:every|each)\s+(?P<wd>{_WD})s?{_AT}", re.ASCII)
_EVERY = re.compile(r"(?:every|each)\s+(?P<rest>.+)", re.ASCII)
_CLOCK_FIRST = re.compile(rf"(?:at\s+)?(?P<clock>{_CLOCK})\s+(?P<rule>(?:every|each|daily)\b.*)", re.ASCII)
_PART = re.compile(r"(?:,|and)?\s*(?P<n>\d{1,6}|an?|one)\s*(?P<unit>[a-z]+)\s*", re.ASCII)
_SERIALIZED = re.compile(r"(?:daily|weekly:(?P<wd>[0-6])):(?P<h>\d{2}):(?P<m>\d{2})|hourly:(?P<n>[1-9]\d*)", re.ASCII)


class WhenError(ValueError):
    """A `when` that can't be used. `str(err)` is a friendly one-line message for the member."""


@dataclass(frozen=True)
class Recurrence:
    kind: Literal["daily", "weekly", "hourly"]
    hour: int = 0  # local wall time for daily/weekly
    minute: int = 0
    weekday: int | None = None  # 0=Monday, weekly only
    every_hours: int | None = None  # hourly only, >= 1

    def __post_init__(self) -> None:
        wall = self.kind in ("daily", "weekly") and 0 <= self.hour <= 23 and 0 <= self.minute <= 59
        ok = {
            "daily": wall and self.weekday is None and self.every_hours is None,
            "weekly": wall and self.weekday in range(7) and self.every_hours is None,
            "hourly": (self.hour, self.minute, self.weekday) == (0, 0, None)
            and isinstance(self.every_hours, int)
            and self.every_hours >= 1,
        }.get(self.kind, False)
        if not ok:
            raise WhenError(f"Invalid recurrence {self!r}.")

    def serialize(self) -> str:
        """Compact and stable: "daily:08:00", "weekly:0:19:00" (0=Monday), "hourly:3"."""
        if self.kind == "hourly":
            return f"hourly:{self.every_hours}"
        prefix = "daily" if self.kind == "daily" else f"weekly:{self.weekday}"
        return f"{prefix}:{self.hour:02d}:{self.minute:02d}"

    @classmethod
    def parse(cls, text: str) -> Recurrence:
        """The inverse of `serialize`."""
        match = _SERIALIZED.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise WhenError(f"Unknown recurrence {text!r}.")
        if match["n"]:
            return cls("hourly", every_hours=int(match["n"]))
        weekday = None if match["wd"] is None else int(match["wd"])
        return cls("daily" if weekday is None else "weekly", int(match["h"]), int(match["m"]), weekday)

    def describe(self) -> str:
        """Like "every Monday at 19:00", "every day at 08:00", "every hour", "every 3 hours"."""
        if self.kind == "hourly":
            return "every hour" if self.every_hours == 1 else f"every {self.every_hours} hours"
        days = "day" if self.weekday is None else DAY_NAMES[self.weekday]
        return f"every {days} at {self.hour:02d}:{self.minute:02d}"


@dataclass(frozen=True)
class Schedule:
    first_due: datetime  # aware, UTC
    recurrence: Recurrence | None
    anchor: datetime  # aware, UTC: the schedule's origin (hourly steps from it); equals first_due


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment!r} must be timezone-aware")
    return moment.astimezone(UTC)


def _wall_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A local wall time as UTC, with fold=0: a gap time moves forward by the gap, a repeated time is the first."""
    return datetime.combine(day, at.replace(fold=0), tzinfo=tz).astimezone(UTC)


def next_occurrence(recurrence: Recurrence, after: datetime, tz: ZoneInfo, anchor: datetime | None = None) -> datetime:
    """The first occurrence strictly after `after` (aware, UTC), from the rule alone.

    Daily/weekly: the next matching local wall time in `tz`. Hourly: the smallest `anchor + k * every_hours`
    (k >= 0) after `after`; `anchor` (the schedule's origin) is required for hourly.
    """
    after = _as_utc(after)
    if recurrence.kind == "hourly":
        if anchor is None:
            raise ValueError("an hourly recurrence steps from its anchor: pass the schedule's anchor")
        anchor, step = _as_utc(anchor), timedelta(hours=recurrence.every_hours or 1)
        return anchor if after < anchor else anchor + ((after - anchor) // step + 1) * step
    at = time(recurrence.hour, recurrence.minute)
    day = after.astimezone(tz).date() - timedelta(days=1)  # a day early: a gap can push yesterday's time past midnight
    while True:
        if recurrence.weekday is None or day.weekday() == recurrence.weekday:
            due = _wall_to_utc(day, at, tz)
            if due > after:
                return due
        day += timedelta(days=1)


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> Schedule:
    """Read what a member typed ("in 10 minutes", "tomorrow 18:00", "every monday 19:00", ...) in their zone."""
    now = _as_utc(now)
    if not text.strip():
        raise WhenError("Tell me when, e.g. 'in 10 minutes' or 'tomorrow 18:00'.")
    if len(text.strip()) > MAX_LENGTH:
        raise WhenError(f"That's too long for a time ({MAX_LENGTH} characters at most). {EXAMPLES}")
    shown = " ".join(text.split())
    words = shown.lower()
    recurrence = None
    if words.startswith("in "):
        due = now + _relative(words[3:], shown)
    elif (recurrence := _recurrence(words, shown)) is None:
        due = _one_shot(words, shown, now, tz)
    elif recurrence.kind == "hourly":  # the schedule starts now: first due one interval on (1 to 23 hours)
        due = now + timedelta(hours=recurrence.every_hours or 1)
    else:
        due = next_occurrence(recurrence, now, tz)
    return Schedule(first_due=due, recurrence=recurrence, anchor=due)


def _unreadable(shown: str) -> WhenError:
    return WhenError(f"I couldn't read '{shown}' as a time. {EXAMPLES}")


def _too_far() -> WhenError:
    return WhenError(f"That's more than a year away: reminders can be set up to {MAX_AHEAD.days} days ahead.")


def _duration(text: str) -> timedelta | None:
    """'10 minutes', '1h30m', 'an hour and 5 min' as a timedelta; None when it isn't one."""
    total, pos = timedelta(), 0
    while pos < len(text):
        part = _PART.match(text, pos)
        if part is None or part["unit"] not in UNITS:
            return None
        total += (1 if part["n"] in ("a", "an", "one") else int(part["n"])) * UNITS[part["unit"]]
        pos = part.end()
    return total if text else None


def _relative(text: str, shown: str) -> timedelta:
    amount = _duration(text)
    if amount is None:
        raise _unreadable(shown)
    if amount <= timedelta(0):
        raise WhenError("That's no time at all: give an amount above zero, e.g. 'in 10 minutes'.")
    if amount > MAX_AHEAD:
        raise _too_far()
    return amount


def _recurrence(words: str, shown: str) -> Recurrence | None:
    """The rule for "every ..."/"daily ..."/"hourly", or None when `words` isn't a recurring form."""
    if clock_first := _CLOCK_FIRST.fullmatch(words):  # "8am every day" reads as "every day 8am"
        words = f"{clock_first['rule']} {clock_first['clock']}"
    if words == "hourly":
        return Recurrence("hourly", every_hours=1)
    if match := _EVERY_DAY.fullmatch(words):
        at = _clock(match["clock"]) if match["clock"] else DEFAULT_TIME
        return Recurrence("daily", at.hour, at.minute)
    if match := _EVERY_WEEK.fullmatch(words):
        at = _clock(match["clock"]) if match["clock"] else DEFAULT_TIME
        return Recurrence("weekly", at.hour, at.minute, WEEKDAYS[match["wd"]])
    if (match := _EVERY.fullmatch(words)) is None:
        return None
    rest = match["rest"]
    if rest.startswith(("weekday", "weekend", "workday", "work day", "other")):
        raise WhenError(
            f"'{shown}' isn't supported: add one reminder per day, e.g. 'every monday 08:00' and 'every tuesday 08:00'."
        )
    interval = _duration(rest if re.match(r"\d|an?\s|one\s", rest) else f"1 {rest}")
    if interval is None:
        raise _unreadable(shown)
    if interval < MIN_RECURRENCE:
        raise WhenError("Recurring reminders must be at least an hour apart: try 'every hour' or 'every 2 hours'.")
    if interval >= timedelta(days=1):
        raise WhenError("For a reminder every day or week, give the time: 'every day 08:00' or 'every monday 19:00'.")
    if interval % timedelta(hours=1):
        raise WhenError("Recurring reminders repeat in whole hours, e.g. 'every 2 hours'.")
    return Recurrence("hourly", every_hours=interval // timedelta(hours=1))


def _clock(text: str) -> time:
    """'18:00', '6pm', '6:30 p.m.', '20h30', 'noon' as a time of day."""
    match = _CLOCK_RE.fullmatch(text)
    if match is None:
        raise WhenError(f"'{text}' isn't a time of day I understand. {CLOCK_HELP}")
    if match["word"]:
        return time(12) if match["word"] == "noon" else time(0)
    hour, minute = int(match["h"]), int(match["m"] or match["m2"] or 0)
    if match["ap"]:
        valid = 1 <= hour <= 12
        hour = hour % 12 + (12 if match["ap"] == "p" else 0)
    else:
        valid = bool(match["m"] or match["hsep"])  # a bare "18" could be anything
    if not valid or hour > 23 or minute > 59:
        raise WhenError(f"'{text}' isn't a time of day I understand. {CLOCK_HELP}")
    return time(hour, minute)


def _one_shot(words: str, shown: str, now: datetime, tz: ZoneInfo) -> datetime:
    match = _ONE_SHOT.fullmatch(words)
    if match is None:
        raise _unreadable(shown)
    day_text, clock_text = match["day"] or match["day2"], match["clock"] or match["clock2"]
    at = _clock(clock_text) if clock_text else None
    if day_text is None:  # a bare time: its next occurrence, today or tomorrow
        assert at is not None
        return next_occurrence(Recurrence("daily", at.hour, at.minute), now, tz)
    parts = _DAY_RE.fullmatch(day_text)
    assert parts is not None
    if parts["wd"]:
        at = at or DEFAULT_TIME
        return next_occurrence(Recurrence("weekly", at.hour, at.minute, WEEKDAYS[parts["wd"]]), now, tz)
    today = now.astimezone(tz).date()
    if parts["rel"] == "today" and at is None:
        raise WhenError("Today at what time? e.g. 'today 18:00' or 'today 6pm'.")
    if parts["rel"]:
        day = today + timedelta(days=1) if parts["rel"] in ("tomorrow", "tmrw") else today
        at = at or (TONIGHT if parts["rel"] == "tonight" else DEFAULT_TIME)
    else:
        year_text = parts["y"] or parts["y2"] or parts["y3"]
        month = int(parts["mo"]) if parts["mo"] else MONTHS[parts["mname"] or parts["mname3"]]
        day = _date(int(year_text) if year_text else today.year, month, int(parts["d"] or parts["d2"] or parts["d3"]))
        if year_text is None and day < today:  # "dec 5" in January of the next year means the coming one
            day = _date(today.year + 1, month, day.day)
        at = at or DEFAULT_TIME
    if day - today > MAX_AHEAD:
        raise _too_far()
    due = _wall_to_utc(day, at, tz) if day >= today else now
    if due <= now:
        raise WhenError(
            f"That time has already passed ({day.isoformat()} {at:%H:%M} in {tz}). "
            "Pick one in the future, e.g. 'tomorrow 18:00' or 'in 2 hours'."
        )
    if due - now > MAX_AHEAD:
        raise _too_far()
    return due


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise WhenError(
            f"{year:04d}-{month:02d}-{day:02d} isn't a real date. "
            "Use year-month-day, e.g. '2026-12-05 09:30', or 'dec 5 9:30am'."
        ) from None


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() - NOT_ZONES))


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.lower(): name for name in _zone_names()}


def _fold_zone(name: str) -> str:
    """'  america / new york ' -> 'america/new_york'."""
    return "_".join(re.sub(r"\s*/\s*", "/", name.strip()).split()).lower()


def resolve_timezone(name: str) -> ZoneInfo:
    """The zone for an IANA name, forgiving case and spaces for underscores ("europe/paris", "America/New York")."""
    canonical = _zones_by_folded_name().get(_fold_zone(name))
    if canonical is None:
        raise WhenError(f"Unknown timezone '{name.strip()[:MAX_LENGTH]}'. Use an IANA name like Europe/Paris.")
    return ZoneInfo(canonical)


def search_timezones(query: str, limit: int = 25) -> list[str]:
    """Zone names for autocomplete, best first: exact, then prefix, then a part's prefix ("paris"), then substring.

    Common zones come first within each group; an empty query gives the common ones.
    """
    folded = _fold_zone(query)
    names = _zone_names()
    if not folded:
        return [name for name in COMMON_TIMEZONES if name in names][: max(limit, 0)]

    def rank(name: str) -> tuple[int, bool, str]:
        low = name.lower()
        if low == folded:
            group = 0
        elif low.startswith(folded):
            group = 1
        elif any(part.startswith(folded) for part in re.split(r"[/_-]", low)):
            group = 2
        else:
            group = 3
        return group, name not in COMMON_TIMEZONES, name

    return sorted((name for name in names if folded in name.lower()), key=rank)[: max(limit, 0)]
