"""Reading `when` and stepping recurring reminders: every form, every error, and DST in two zones.

`now` is always injected. NOW is Monday 2026-01-05 12:00 UTC: 07:00 in New York (EST), 13:00 in Paris (CET).
DST in 2026: New York springs forward 03-08 02:00→03:00 and falls back 11-01 02:00→01:00; Paris springs
forward 03-29 02:00→03:00 and falls back 10-25 03:00→02:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.timeparse import (
    MIN_RECURRENCE,
    Recurrence,
    Schedule,
    WhenError,
    next_occurrence,
    parse_when,
    resolve_timezone,
    search_timezones,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")
ZUTC = ZoneInfo("UTC")
UNREADABLE = "as a time. Try 'in 10 minutes', 'tomorrow 18:00', '2026-12-05 09:30' or 'every monday 19:00'."


def due(text: str, now: datetime = NOW, tz: ZoneInfo = NY) -> datetime:
    schedule = parse_when(text, now, tz)
    assert schedule.first_due.tzinfo is UTC
    return schedule.first_due


def wall(moment: datetime, tz: ZoneInfo = NY) -> datetime:
    """The local wall time of an aware moment, naive, for comparing with what the member typed."""
    return moment.astimezone(tz).replace(tzinfo=None)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def when_error(text: str, now: datetime = NOW, tz: ZoneInfo = NY) -> str:
    with pytest.raises(WhenError) as caught:
        parse_when(text, now, tz)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


# --- relative ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("in 10 minutes", timedelta(minutes=10)),
        ("in 10 min", timedelta(minutes=10)),
        ("in 10m", timedelta(minutes=10)),
        ("in 1 minute", timedelta(minutes=1)),
        ("in 2h", timedelta(hours=2)),
        ("in 2 hours", timedelta(hours=2)),
        ("in 2 hrs", timedelta(hours=2)),
        ("in 3 days", timedelta(days=3)),
        ("in 1 week", timedelta(weeks=1)),
        ("in 2w", timedelta(weeks=2)),
        ("in 1h30m", timedelta(hours=1, minutes=30)),
        ("in 1 hour and 30 minutes", timedelta(hours=1, minutes=30)),
        ("in 2 days, 3 hours", timedelta(days=2, hours=3)),
        ("in an hour", timedelta(hours=1)),
        ("in a day", timedelta(days=1)),
        ("in one week", timedelta(weeks=1)),
        ("in 366 days", timedelta(days=366)),
        ("  IN 10 Minutes  ", timedelta(minutes=10)),
        ("in   10\tminutes", timedelta(minutes=10)),
    ],
)
def test_relative_times_are_absolute_durations_from_now(text: str, delta: timedelta) -> None:
    schedule = parse_when(text, NOW, NY)
    assert schedule == Schedule(first_due=NOW + delta, recurrence=None, anchor=NOW + delta)


def test_relative_times_ignore_dst() -> None:
    # 2026-03-08 00:00 EST; the clocks jump at 02:00: "in 3 hours" is 3 real hours, 04:00 EDT on the wall.
    now = utc(2026, 3, 8, 5, 0)
    assert due("in 3 hours", now) == utc(2026, 3, 8, 8, 0)
    assert wall(due("in 3 hours", now)) == datetime(2026, 3, 8, 4, 0)


@pytest.mark.parametrize("text", ["in 0 minutes", "in 0h", "in 0 days 0 hours"])
def test_relative_zero_is_refused(text: str) -> None:
    assert "above zero" in when_error(text)


@pytest.mark.parametrize("text", ["in 367 days", "in 53 weeks", "in 9000 hours", "in 999999 weeks"])
def test_relative_beyond_a_year_is_refused(text: str) -> None:
    assert "more than a year away" in when_error(text)


@pytest.mark.parametrize("text", ["in 10", "in ten minutes", "in 10 parsecs", "in 2 months", "in", "in -5 minutes"])
def test_unreadable_relative_times(text: str) -> None:
    assert when_error(text) == f"I couldn't read '{text}' {UNREADABLE}"


# --- days, dates, weekdays, bare times (local wall time) -----------------------------------------


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("tomorrow 18:00", datetime(2026, 1, 6, 18, 0)),
        ("tomorrow at 6pm", datetime(2026, 1, 6, 18, 0)),
        ("tomorrow 8am", datetime(2026, 1, 6, 8, 0)),
        ("Tomorrow", datetime(2026, 1, 6, 9, 0)),
        ("tmrw 7:15 pm", datetime(2026, 1, 6, 19, 15)),
        ("18:00 tomorrow", datetime(2026, 1, 6, 18, 0)),
        ("at 6pm tomorrow", datetime(2026, 1, 6, 18, 0)),
        ("today 18:00", datetime(2026, 1, 5, 18, 0)),
        ("today at 7:01", datetime(2026, 1, 5, 7, 1)),
        ("tonight", datetime(2026, 1, 5, 20, 0)),
        ("tonight 9pm", datetime(2026, 1, 5, 21, 0)),
        ("2026-12-05 09:30", datetime(2026, 12, 5, 9, 30)),
        ("2026-12-05 9:30am", datetime(2026, 12, 5, 9, 30)),
        ("2026-12-05", datetime(2026, 12, 5, 9, 0)),
        ("2026/12/05 21:00", datetime(2026, 12, 5, 21, 0)),
        ("on 2026-12-05 at 09:30", datetime(2026, 12, 5, 9, 30)),
        ("2026-1-5 8pm", datetime(2026, 1, 5, 20, 0)),
        ("dec 5 09:30", datetime(2026, 12, 5, 9, 30)),
        ("December 5th, 2026 9:30am", datetime(2026, 12, 5, 9, 30)),
        ("5 dec", datetime(2026, 12, 5, 9, 0)),
        ("Sept 1 at noon", datetime(2026, 9, 1, 12, 0)),
        ("jan 5 8am", datetime(2026, 1, 5, 8, 0)),
    ],
)
def test_days_and_dates_are_local_wall_time(text: str, local: datetime) -> None:
    assert wall(due(text)) == local


def test_the_same_words_in_another_zone() -> None:
    assert due("tomorrow 18:00", tz=PARIS) == utc(2026, 1, 6, 17, 0)
    assert due("tomorrow 18:00", tz=ZUTC) == utc(2026, 1, 6, 18, 0)
    assert due("2026-07-01 09:30", tz=PARIS) == utc(2026, 7, 1, 7, 30)  # CEST, +02:00


def test_a_date_without_a_year_that_has_gone_means_next_year() -> None:
    now = utc(2026, 12, 10, 12, 0)
    assert wall(due("jan 3", now)) == datetime(2027, 1, 3, 9, 0)
    assert wall(due("dec 20 6pm", now)) == datetime(2026, 12, 20, 18, 0)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("monday 19:00", datetime(2026, 1, 5, 19, 0)),  # today is Monday and 19:00 is ahead
        ("next monday 7pm", datetime(2026, 1, 5, 19, 0)),  # "the next such local time"
        ("monday 6am", datetime(2026, 1, 12, 6, 0)),  # 06:00 has gone today: next week
        ("monday 07:00", datetime(2026, 1, 12, 7, 0)),  # exactly now is not after now
        ("tuesday", datetime(2026, 1, 6, 9, 0)),
        ("on wed at 8:15pm", datetime(2026, 1, 7, 20, 15)),
        ("this friday 17:30", datetime(2026, 1, 9, 17, 30)),
        ("sun 10am", datetime(2026, 1, 11, 10, 0)),
    ],
)
def test_weekdays_are_the_next_such_local_time(text: str, local: datetime) -> None:
    assert wall(due(text)) == local


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("18:00", datetime(2026, 1, 5, 18, 0)),
        ("6pm", datetime(2026, 1, 5, 18, 0)),
        ("at 6:30 pm", datetime(2026, 1, 5, 18, 30)),
        ("7:01", datetime(2026, 1, 5, 7, 1)),
        ("07:00", datetime(2026, 1, 6, 7, 0)),  # it is 07:00 now: tomorrow
        ("6am", datetime(2026, 1, 6, 6, 0)),
        ("midnight", datetime(2026, 1, 6, 0, 0)),
    ],
)
def test_a_bare_time_is_its_next_occurrence_today_or_tomorrow(text: str, local: datetime) -> None:
    assert wall(due(text)) == local


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ("8am", time(8, 0)),
        ("8 am", time(8, 0)),
        ("8 AM", time(8, 0)),
        ("8 a.m.", time(8, 0)),
        ("8:05pm", time(20, 5)),
        ("8:05 p.m.", time(20, 5)),
        ("12am", time(0, 0)),
        ("12:30am", time(0, 30)),
        ("12pm", time(12, 0)),
        ("12:59pm", time(12, 59)),
        ("1am", time(1, 0)),
        ("11pm", time(23, 0)),
        ("20:30", time(20, 30)),
        ("0:00", time(0, 0)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("9:30", time(9, 30)),
        ("20h30", time(20, 30)),
        ("8h", time(8, 0)),
        ("6.30pm", time(18, 30)),
        ("noon", time(12, 0)),
        ("midnight", time(0, 0)),
    ],
)
def test_12_and_24_hour_clocks(clock: str, expected: time) -> None:
    moment = due(f"tomorrow {clock}")
    assert wall(moment) == datetime.combine(date(2026, 1, 6), expected)


@pytest.mark.parametrize(
    "text", ["25:00", "13pm", "0am", "0pm", "24:00", "18:60", "tomorrow 18", "monday 5", "18", "99:99", "tomorrow 7:5"]
)
def test_invalid_times_of_day_list_the_formats(text: str) -> None:
    message = when_error(text)
    if "isn't a time of day" in message:
        assert "18:30" in message
        assert "6:30pm" in message
    else:  # "tomorrow 7:5" doesn't even look like a clock
        assert message == f"I couldn't read '{text}' {UNREADABLE}"


@pytest.mark.parametrize("text", ["2026-02-30", "2026-02-29 10:00", "2026-13-01", "2026-00-10", "feb 30", "31 april"])
def test_invalid_dates_show_an_example(text: str) -> None:
    message = when_error(text)
    assert "isn't a real date" in message
    assert "2026-12-05 09:30" in message


@pytest.mark.parametrize(
    ("text", "tz"),
    [
        ("today 06:00", NY),
        ("today 07:00", NY),  # exactly now
        ("today 6am", NY),
        ("2025-12-31 10:00", NY),
        ("2026-01-05 06:59", NY),
        ("0001-01-01 00:00", PARIS),
        ("2026-01-05", PARIS),  # 09:00 has gone in Paris (13:00 now)
        ("jan 5 6am", NY),  # a date without a year that is today, but earlier
        ("tonight", ZoneInfo("Asia/Tokyo")),  # 21:00 in Tokyo already
    ],
)
def test_a_time_that_has_passed_is_refused(text: str, tz: ZoneInfo) -> None:
    assert when_error(text, tz=tz).startswith("That time has already passed")


def test_today_needs_a_time() -> None:
    assert "today 18:00" in when_error("today")


@pytest.mark.parametrize("text", ["2027-02-01", "2027-01-06 12:00", "9999-12-31 23:59"])
def test_absolute_times_beyond_a_year_are_refused(text: str) -> None:
    assert "more than a year away" in when_error(text)


@pytest.mark.parametrize(
    "text", ["banana", "next tuesday-ish", "whenever", "2026-12-05 09:30 every day", "tomorrow tomorrow", "12/05/2026"]
)
def test_unreadable_times_say_so_and_give_examples(text: str) -> None:
    assert when_error(text) == f"I couldn't read '{text}' {UNREADABLE}"


def test_the_message_quotes_what_the_member_typed_not_our_lowercase() -> None:
    assert when_error("  Next  BLUE moon ") == f"I couldn't read 'Next BLUE moon' {UNREADABLE}"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_is_refused(text: str) -> None:
    assert "Tell me when" in when_error(text)


def test_over_100_characters_is_refused_but_surrounding_spaces_do_not_count() -> None:
    assert "too long" in when_error("in 10 minutes" + " " * 88 + "x")
    assert due(" " * 200 + "in 10 minutes" + " " * 200) == NOW + timedelta(minutes=10)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("in 10 minutes", datetime(2026, 1, 5, 12, 0), NY)


# --- recurring ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "recurrence"),
    [
        ("every monday 19:00", Recurrence("weekly", 19, 0, weekday=0)),
        ("every monday at 7pm", Recurrence("weekly", 19, 0, weekday=0)),
        ("Every Monday At 7PM", Recurrence("weekly", 19, 0, weekday=0)),
        ("every mondays 7pm", Recurrence("weekly", 19, 0, weekday=0)),
        ("each fri 17:30", Recurrence("weekly", 17, 30, weekday=4)),
        ("every sunday", Recurrence("weekly", 9, 0, weekday=6)),
        ("at 7pm every friday", Recurrence("weekly", 19, 0, weekday=4)),
        ("every day 8am", Recurrence("daily", 8, 0)),
        ("every day at 08:00", Recurrence("daily", 8, 0)),
        ("everyday 8am", Recurrence("daily", 8, 0)),
        ("daily 8am", Recurrence("daily", 8, 0)),
        ("daily at 21:15", Recurrence("daily", 21, 15)),
        ("8am every day", Recurrence("daily", 8, 0)),
        ("daily", Recurrence("daily", 9, 0)),
        ("every day", Recurrence("daily", 9, 0)),
        ("every day 12am", Recurrence("daily", 0, 0)),
        ("every hour", Recurrence("hourly", every_hours=1)),
        ("hourly", Recurrence("hourly", every_hours=1)),
        ("every 2 hours", Recurrence("hourly", every_hours=2)),
        ("every 3h", Recurrence("hourly", every_hours=3)),
        ("every 120 minutes", Recurrence("hourly", every_hours=2)),
        ("every 23 hours", Recurrence("hourly", every_hours=23)),
    ],
)
def test_recurring_forms(text: str, recurrence: Recurrence) -> None:
    schedule = parse_when(text, NOW, NY)
    assert schedule.recurrence == recurrence
    assert schedule.anchor == schedule.first_due
    assert schedule.first_due == next_occurrence(recurrence, NOW, NY, anchor=NOW)
    assert schedule.first_due > NOW


def test_first_due_of_recurring_reminders_is_the_next_occurrence_after_now() -> None:
    assert wall(due("every monday 19:00")) == datetime(2026, 1, 5, 19, 0)  # today, Monday
    assert wall(due("every monday 6am")) == datetime(2026, 1, 12, 6, 0)
    assert wall(due("every day 8am")) == datetime(2026, 1, 5, 8, 0)  # 07:00 now
    assert wall(due("every day 7am")) == datetime(2026, 1, 6, 7, 0)
    schedule = parse_when("every 2 hours", NOW, NY)
    assert schedule.first_due == schedule.anchor == NOW + timedelta(hours=2)


@pytest.mark.parametrize("text", ["every 30 minutes", "every minute", "every 59 minutes", "every 45m", "every 5 min"])
def test_recurring_under_an_hour_is_refused(text: str) -> None:
    assert timedelta(hours=1) == MIN_RECURRENCE
    assert when_error(text) == (
        "Recurring reminders must be at least an hour apart: try 'every hour' or 'every 2 hours'."
    )


def test_recurring_in_part_hours_is_refused() -> None:
    assert "whole hours" in when_error("every 90 minutes")
    assert "whole hours" in when_error("every 1h30m")


@pytest.mark.parametrize("text", ["every 2 days", "every week", "every 24 hours", "every 1 day"])
def test_recurring_by_days_asks_for_a_wall_time(text: str) -> None:
    assert "every day 08:00" in when_error(text)


@pytest.mark.parametrize("text", ["every weekday", "every weekday 8am", "every weekend", "every other day"])
def test_every_weekday_is_refused_with_a_way_forward(text: str) -> None:
    message = when_error(text)
    assert "isn't supported" in message
    assert "every monday 08:00" in message


@pytest.mark.parametrize("text", ["every blue moon", "every", "daily banana", "every day 25:00"])
def test_unreadable_recurring(text: str) -> None:
    with pytest.raises(WhenError):
        parse_when(text, NOW, NY)


# --- DST: gaps and folds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tz", "expected_utc", "expected_wall"),
    [
        # 02:30 doesn't exist: forward by the gap to 03:30 summer time.
        ("2026-03-08 02:30", NY, utc(2026, 3, 8, 7, 30), datetime(2026, 3, 8, 3, 30)),
        ("2026-03-08 2am", NY, utc(2026, 3, 8, 7, 0), datetime(2026, 3, 8, 3, 0)),
        ("2026-03-29 02:30", PARIS, utc(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 3, 30)),
        ("2026-03-29 02:00", PARIS, utc(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 3, 0)),
        # Either side of the gap is untouched.
        ("2026-03-08 01:59", NY, utc(2026, 3, 8, 6, 59), datetime(2026, 3, 8, 1, 59)),
        ("2026-03-08 03:00", NY, utc(2026, 3, 8, 7, 0), datetime(2026, 3, 8, 3, 0)),
        # 01:30 happens twice: the first one (still summer time).
        ("2026-11-01 01:30", NY, utc(2026, 11, 1, 5, 30), datetime(2026, 11, 1, 1, 30)),
        ("2026-10-25 02:30", PARIS, utc(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 2, 30)),
    ],
)
def test_gap_times_move_forward_and_repeated_times_take_the_first(
    text: str, tz: ZoneInfo, expected_utc: datetime, expected_wall: datetime
) -> None:
    moment = due(text, tz=tz)
    assert moment == expected_utc
    assert wall(moment, tz) == expected_wall


def test_tomorrow_into_a_gap() -> None:
    assert due("tomorrow 02:30", utc(2026, 3, 28, 12, 0), PARIS) == utc(2026, 3, 29, 1, 30)
    assert due("sunday 2:15am", utc(2026, 3, 5, 12, 0), NY) == utc(2026, 3, 8, 7, 15)


def test_a_daily_reminder_in_the_gap_fires_once_that_day_then_at_its_time() -> None:
    rec = Recurrence("daily", 2, 30)
    times = _chain(rec, utc(2026, 3, 7, 0, 0), NY, 3)
    assert [wall(t) for t in times] == [
        datetime(2026, 3, 7, 2, 30),
        datetime(2026, 3, 8, 3, 30),  # 02:30 doesn't exist that day
        datetime(2026, 3, 9, 2, 30),
    ]


@pytest.mark.parametrize(("tz", "fold_day"), [(NY, date(2026, 11, 1)), (PARIS, date(2026, 10, 25))])
def test_a_daily_reminder_in_the_fold_fires_once_that_night(tz: ZoneInfo, fold_day: date) -> None:
    at = time(1, 30) if tz is NY else time(2, 30)
    rec = Recurrence("daily", at.hour, at.minute)
    first = next_occurrence(rec, datetime.combine(fold_day, time(0, 0), tzinfo=tz), tz)
    assert first.astimezone(tz).fold == 0
    second = next_occurrence(rec, first, tz)  # not the repeat an hour later
    assert wall(second, tz) == datetime.combine(fold_day + timedelta(days=1), at)
    assert second - first == timedelta(hours=25)


def _chain(
    rec: Recurrence, after: datetime, tz: ZoneInfo, count: int, anchor: datetime | None = None
) -> list[datetime]:
    times = []
    for _ in range(count):
        after = next_occurrence(rec, after, tz, anchor)
        times.append(after)
    return times


@pytest.mark.parametrize(
    ("tz", "day_before", "gap"),
    [
        (NY, date(2026, 3, 7), timedelta(hours=23)),
        (NY, date(2026, 10, 31), timedelta(hours=25)),
        (PARIS, date(2026, 3, 28), timedelta(hours=23)),
        (PARIS, date(2026, 10, 24), timedelta(hours=25)),
    ],
)
def test_daily_keeps_local_0800_across_dst(tz: ZoneInfo, day_before: date, gap: timedelta) -> None:
    now = datetime.combine(day_before, time(6, 0), tzinfo=tz).astimezone(UTC)
    schedule = parse_when("every day 08:00", now, tz)
    times = [schedule.first_due, *_chain(schedule.recurrence, schedule.first_due, tz, 3)]
    assert all(t.tzinfo is UTC for t in times)
    assert [wall(t, tz) for t in times] == [
        datetime.combine(day_before + timedelta(days=i), time(8, 0)) for i in range(4)
    ]
    assert [b - a for a, b in pairwise(times)] == [gap, timedelta(hours=24), timedelta(hours=24)]


@pytest.mark.parametrize(
    ("tz", "text", "now", "gap"),
    [
        (NY, "every sunday 08:00", utc(2026, 3, 1, 0, 0), timedelta(days=7, hours=-1)),
        (NY, "every monday 19:00", utc(2026, 10, 25, 0, 0), timedelta(days=7, hours=1)),
        (PARIS, "every monday 19:00", utc(2026, 3, 23, 0, 0), timedelta(days=7, hours=-1)),
        (PARIS, "every saturday 10am", utc(2026, 10, 20, 0, 0), timedelta(days=7, hours=1)),
    ],
)
def test_weekly_keeps_local_time_across_dst(tz: ZoneInfo, text: str, now: datetime, gap: timedelta) -> None:
    schedule = parse_when(text, now, tz)
    assert schedule.recurrence is not None
    second = next_occurrence(schedule.recurrence, schedule.first_due, tz)
    assert second - schedule.first_due == gap
    assert wall(second, tz).time() == wall(schedule.first_due, tz).time()
    assert second.astimezone(tz).weekday() == schedule.recurrence.weekday


# --- no drift -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("tz", [NY, PARIS])
def test_a_late_delivery_does_not_shift_the_next_daily(tz: ZoneInfo) -> None:
    rec = Recurrence("daily", 8, 0)
    due_at = datetime(2026, 3, 7, 8, 0, tzinfo=tz).astimezone(UTC)
    for late in (timedelta(0), timedelta(minutes=1), timedelta(hours=1), timedelta(hours=22)):
        nxt = next_occurrence(rec, due_at + late, tz)
        assert wall(nxt, tz) == datetime(2026, 3, 8, 8, 0)
    # Sent two days late: the next one is still at 08:00 local, after the send.
    assert wall(next_occurrence(rec, due_at + timedelta(days=2, hours=3), tz), tz) == datetime(2026, 3, 10, 8, 0)


def test_a_late_delivery_does_not_shift_the_next_weekly() -> None:
    rec = Recurrence("weekly", 19, 0, weekday=0)
    sent = utc(2026, 3, 3, 2, 30)  # Monday 03-02 19:00 EST, sent 2.5 hours late
    assert wall(next_occurrence(rec, sent, NY)) == datetime(2026, 3, 9, 19, 0)  # now EDT, still 19:00


def test_hourly_steps_from_the_anchor_without_drift() -> None:
    rec = Recurrence("hourly", every_hours=3)
    anchor = utc(2026, 3, 7, 22, 17, 42)
    assert next_occurrence(rec, anchor - timedelta(days=1), NY, anchor) == anchor
    assert next_occurrence(rec, anchor, NY, anchor) == anchor + timedelta(hours=3)
    after = anchor
    for k in range(1, 400):  # each delivery up to 2h59m late; the schedule never moves
        expected = anchor + k * timedelta(hours=3)
        assert next_occurrence(rec, after, NY, anchor) == expected
        after = expected + timedelta(minutes=(k * 37) % 180)
    # Way late: the next one after the send, on the grid.
    late = anchor + timedelta(hours=10, minutes=5)
    assert next_occurrence(rec, late, NY, anchor) == anchor + timedelta(hours=12)


def test_hourly_ignores_dst() -> None:
    rec = Recurrence("hourly", every_hours=1)
    anchor = utc(2026, 3, 8, 5, 0)  # 00:00 EST
    times = _chain(rec, anchor, NY, 4, anchor)
    assert [b - a for a, b in pairwise([anchor, *times])] == [timedelta(hours=1)] * 4
    assert [wall(t).hour for t in times] == [1, 3, 4, 5]  # 02:00 never happens


def test_hourly_needs_its_anchor() -> None:
    with pytest.raises(ValueError, match="anchor"):
        next_occurrence(Recurrence("hourly", every_hours=2), NOW, NY)


def test_next_occurrence_accepts_any_aware_after_and_returns_utc() -> None:
    after = datetime(2026, 1, 5, 7, 0, tzinfo=NY)
    result = next_occurrence(Recurrence("daily", 8, 0), after, NY)
    assert result == utc(2026, 1, 5, 13, 0)
    assert result.tzinfo is UTC


# --- Recurrence ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recurrence", "text", "description"),
    [
        (Recurrence("weekly", 19, 0, weekday=0), "weekly:0:19:00", "every Monday at 19:00"),
        (Recurrence("weekly", 7, 5, weekday=6), "weekly:6:07:05", "every Sunday at 07:05"),
        (Recurrence("daily", 8, 0), "daily:08:00", "every day at 08:00"),
        (Recurrence("daily", 0, 0), "daily:00:00", "every day at 00:00"),
        (Recurrence("hourly", every_hours=3), "hourly:3", "every 3 hours"),
        (Recurrence("hourly", every_hours=1), "hourly:1", "every hour"),
    ],
)
def test_recurrence_serialize_parse_describe(recurrence: Recurrence, text: str, description: str) -> None:
    assert recurrence.serialize() == text
    assert Recurrence.parse(text) == recurrence
    assert recurrence.describe() == description


recurrences = st.one_of(
    st.builds(
        Recurrence,
        kind=st.just("daily"),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
    ),
    st.builds(
        Recurrence,
        kind=st.just("weekly"),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
        weekday=st.integers(0, 6),
    ),
    st.builds(Recurrence, kind=st.just("hourly"), every_hours=st.integers(1, 10**6)),
)


@given(recurrences)
def test_recurrence_round_trip(recurrence: Recurrence) -> None:
    text = recurrence.serialize()
    assert Recurrence.parse(text) == recurrence
    assert Recurrence.parse(text).serialize() == text


@given(st.text(max_size=20))
def test_recurrence_parse_only_raises_when_error(text: str) -> None:
    try:
        recurrence = Recurrence.parse(text)
    except WhenError:
        return
    assert recurrence.serialize() == text


@pytest.mark.parametrize(
    "text",
    ["", "weekly:7:19:00", "weekly:0:19", "daily:24:00", "daily:08:60", "daily:8:00", "hourly:0", "hourly:-1",
     "hourly:03", "monthly:1", "daily:08:00 ", "DAILY:08:00", "weekly:0:19:00:00"],
)  # fmt: skip
def test_recurrence_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(WhenError):
        Recurrence.parse(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "weekly", "hour": 8},  # no weekday
        {"kind": "daily", "weekday": 1},
        {"kind": "daily", "hour": 24},
        {"kind": "hourly"},
        {"kind": "hourly", "every_hours": 0},
        {"kind": "hourly", "every_hours": 2, "hour": 5},
        {"kind": "monthly"},
    ],
)
def test_recurrence_rejects_impossible_rules(kwargs: dict) -> None:
    with pytest.raises(WhenError):
        Recurrence(**kwargs)


# --- timezones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Paris", "Europe/Paris"),
        ("europe/paris", "Europe/Paris"),
        ("  America/New York ", "America/New_York"),
        ("america / new_york", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("Asia/Manila", "Asia/Manila"),
    ],
)
def test_resolve_timezone(name: str, key: str) -> None:
    assert resolve_timezone(name) == ZoneInfo(key)
    assert resolve_timezone(name).key == key


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "", "Paris", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "localtime"]
)
def test_resolve_timezone_refuses_unknown_names(name: str) -> None:
    with pytest.raises(WhenError) as caught:
        resolve_timezone(name)
    assert str(caught.value) == f"Unknown timezone '{name.strip()}'. Use an IANA name like Europe/Paris."


@pytest.mark.parametrize("name", ["UTC", "America/New_York", "Europe/Paris", "Asia/Kolkata", "Pacific/Kiritimati"])
def test_search_timezones_finds_any_iana_zone_by_its_full_name(name: str) -> None:
    assert search_timezones(name)[0] == name
    assert search_timezones(name.lower().replace("_", " "))[0] == name


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory"])
def test_search_timezones_never_offers_pseudo_zones(name: str) -> None:
    assert name not in search_timezones(name, limit=1000)


def test_search_timezones_empty_query_gives_common_zones() -> None:
    common = search_timezones("")
    assert common[:5] == ["UTC", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
    assert "Europe/London" in common
    assert len(common) <= 25
    assert search_timezones("   ", limit=3) == ["UTC", "America/New_York", "America/Chicago"]


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("paris", "Europe/Paris"),
        ("PAR", "Europe/Paris"),
        ("new york", "America/New_York"),
        ("new_york", "America/New_York"),
        ("america/new", "America/New_York"),
        ("utc", "UTC"),
        ("chicago", "America/Chicago"),
        ("manila", "Asia/Manila"),
        ("kolk", "Asia/Kolkata"),
    ],
)
def test_search_timezones_best_first(query: str, first: str) -> None:
    assert search_timezones(query)[0] == first


def test_search_timezones_is_case_insensitive_and_limited() -> None:
    europe = search_timezones("europe/")
    assert len(europe) == 25
    assert all(name.startswith("Europe/") for name in europe)
    assert search_timezones("EUROPE/", limit=5) == search_timezones("europe/", limit=5)
    assert search_timezones("york")[0] == "America/New_York"
    assert search_timezones("zzzz") == []
    assert search_timezones("a", limit=0) == []
    assert all(len(name) <= 100 and name in available_timezones() for name in search_timezones("a"))


# --- properties -------------------------------------------------------------------------------------

TOKENS = [
    "in", "every", "each", "daily", "hourly", "at", "on", "next", "this", "today", "tomorrow", "tonight", "monday",
    "fri", "weekday", "day", "days", "hour", "hours", "h", "m", "min", "minutes", "week", "a", "an", "and", ",",
    "0", "1", "2", "12", "24", "30", "99", "366", "1000000", "8am", "12pm", "13pm", "0am", "18:00", "25:00", "7:30pm",
    "20h30", "noon", "midnight", "2026-12-05", "2026-02-30", "0000-01-01", "9999-12-31", "dec", "5", "5th", "2027",
    "1h30m", "p.m.", "am", "-", ".", ":",
]  # fmt: skip
ZONES = [NY, PARIS, ZUTC, ZoneInfo("Asia/Kolkata"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Pacific/Kiritimati")]
moments = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
texts = st.one_of(st.text(max_size=120), st.lists(st.sampled_from(TOKENS), max_size=6).map(" ".join))


@settings(max_examples=400, deadline=None)
@given(texts, moments, st.sampled_from(ZONES))
def test_parse_when_only_ever_raises_when_error(text: str, now: datetime, tz: ZoneInfo) -> None:
    try:
        schedule = parse_when(text, now, tz)
    except WhenError as err:
        assert str(err) and "\n" not in str(err)
        return
    assert schedule.first_due.tzinfo is UTC
    assert now < schedule.first_due <= now + timedelta(days=366)
    assert schedule.anchor == schedule.first_due
    if schedule.recurrence is not None:
        Recurrence.parse(schedule.recurrence.serialize())


@settings(max_examples=300, deadline=None)
@given(
    moments,
    st.sampled_from([NY, PARIS, ZoneInfo("Australia/Lord_Howe")]),
    st.integers(0, 23),
    st.integers(0, 59),
    st.one_of(st.none(), st.integers(0, 6)),
)
def test_next_occurrence_is_the_rule_wall_time_soon_after(
    after: datetime, tz: ZoneInfo, hour: int, minute: int, weekday: int | None
) -> None:
    rec = Recurrence("daily" if weekday is None else "weekly", hour, minute, weekday)
    result = next_occurrence(rec, after, tz)
    assert result > after
    assert result - after <= (timedelta(days=1, hours=1) if weekday is None else timedelta(days=7, hours=1))
    local = result.astimezone(tz)
    asked = datetime.combine(local.date(), time(hour, minute), tzinfo=tz)
    if asked.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == asked.replace(tzinfo=None):
        assert (local.hour, local.minute) == (hour, minute)  # an existing wall time is kept exactly
    else:
        assert local.replace(tzinfo=None) > asked.replace(tzinfo=None)  # a gap time moved forward
    assert weekday is None or local.weekday() == weekday
