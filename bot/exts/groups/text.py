"""How a study group's progress and weekly digest read, from the store's counts. No Discord calls.

The privacy rules live here, so `/group progress` and the digest apply the same ones:
- only members who ran `/group join` in this server are counted;
- below `MIN_MEMBERS` no count at all is shown, since in a group of two each member could read
  off the other's progress;
- a name appears only for a member who chose `show_name`, as a mention that Discord renders as
  their name (the bot sends every message with `AllowedMentions.none()`, so nobody is pinged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.models import Entry, short_title
from bot.core.store.models import GroupProgress
from bot.utils.text import fit_content

MIN_MEMBERS = 3
NAMES_PER_STEP = 10  # then "and N more": a message holds 2,000 characters
TOP_TOPICS = 5


def step_label(number: int, step: Entry) -> str:
    return f"Step {number} · {short_title(step.title)}"


def chart_bars(progress: GroupProgress, steps: Sequence[Entry]) -> list[tuple[str, int]]:
    """(label, members done) per step, in the article's order, for the chart."""
    return [(step_label(n, step), progress.done.get(step.id, 0)) for n, step in enumerate(steps, 1)]


def too_few(members: int) -> str:
    joined = (
        "Nobody has"
        if members == 0
        else f"Only {members} member{'s' if members != 1 else ''} ha{'ve' if members != 1 else 's'}"
    )
    return (
        f"{joined} joined this server's study group so far. Group progress is shown once at least "
        f"{MIN_MEMBERS} members have joined: with fewer, the counts would reveal each member's own "
        "progress. Join with `/group join`."
    )


def _names(user_ids: Sequence[int]) -> str:
    shown = ", ".join(f"<@{uid}>" for uid in user_ids[:NAMES_PER_STEP])
    more = len(user_ids) - NAMES_PER_STEP
    return shown + (f" and {more} more" if more > 0 else "")


def progress_lines(progress: GroupProgress, steps: Sequence[Entry]) -> list[str]:
    """One line per step: how many of the group finished it, and the names of those who allow it."""
    lines = []
    for number, step in enumerate(steps, 1):
        line = f"**{step_label(number, step)}**: {progress.done.get(step.id, 0)} of {progress.members} done"
        named = progress.named.get(step.id, [])
        if named:
            line += f" · {_names(named)}"
        lines.append(line)
    return lines


def progress_text(progress: GroupProgress, steps: Sequence[Entry]) -> str:
    """`/group progress`: the counts, or why there are none."""
    if progress.members < MIN_MEMBERS:
        return too_few(progress.members)
    head = f"## Study group progress\n{progress.members} members have joined with `/group join`."
    foot = "-# Names appear only for members who chose `show_name`. `/group leave` takes you out of every count."
    return fit_content("\n".join([head, *progress_lines(progress, steps), foot]))


def change_lines(previous: Mapping[str, int] | None, now: Mapping[str, int], steps: Sequence[Entry]) -> list[str]:
    """What changed since the last digest ("2 members finished Step 3"), from the two sets of counts."""
    if previous is None:
        return ["Nothing to compare with yet: next week's digest will say what changed."]
    lines = []
    for number, step in enumerate(steps, 1):
        change = now.get(step.id, 0) - previous.get(step.id, 0)
        if change > 0:
            lines.append(f"{change} member{'s' if change != 1 else ''} finished {step_label(number, step)}.")
        elif change < 0:
            lines.append(
                f"{-change} fewer member{'s' if change != -1 else ''} count {step_label(number, step)} as done."
            )
    return lines or ["No change since last week."]


def topic_lines(topics: Sequence[tuple[str, int]], titles: Mapping[str, str]) -> list[str]:
    if not topics:
        return ["Nobody asked `/ask` in this server this week."]
    return [
        f"{n}. {titles.get(entry_id, entry_id)} ({count} time{'s' if count != 1 else ''})"
        for n, (entry_id, count) in enumerate(topics, 1)
    ]


def digest_text(
    progress: GroupProgress,
    steps: Sequence[Entry],
    previous: Mapping[str, int] | None,
    topics: Sequence[tuple[str, int]],
    titles: Mapping[str, str],
) -> str:
    """The weekly digest: progress (or why none), the change since last week, the week's top topics."""
    parts = ["## Weekly study-group digest"]
    if progress.members < MIN_MEMBERS:
        parts.append(too_few(progress.members))
    else:
        parts.append(f"{progress.members} members have joined with `/group join`.")
        parts.extend(progress_lines(progress, steps))
        parts.append("### Since last week")
        parts.extend(change_lines(previous, progress.done, steps))
    parts.append("### Most asked with `/ask` this week")
    parts.extend(topic_lines(topics, titles))
    return fit_content("\n".join(parts))
