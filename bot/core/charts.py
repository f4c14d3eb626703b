"""Bar charts (PNG): a knowledge-base entry's pay figures, and a study group's progress.

Why Pillow and not matplotlib: Pillow imports in about ten milliseconds, adds a few megabytes and
draws a 1,000-pixel chart in milliseconds; matplotlib costs far more in start-up time and memory for
three or four bars. Why everything comes from the `Entry`: the title, every bar's label and value and
the "Source: …" caption are read from the entry's figures, so a corrected figure or provenance in the
YAML changes the picture with no code change, and the chart can never disagree with the text answer.

Why a cache rendered on first use (not at start-up): the figures never change while the process
runs, so each chart is drawn once per process and every later request only looks the bytes up. Doing
it lazily keeps start-up (which has its own time and memory budget) free of work most processes may
never need (Pillow itself is imported by the first render, not when the `/salary` cog loads); the
first request pays one render (tens of milliseconds, off the event loop in the cog).
"""

from __future__ import annotations

import functools
import io
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.models import Entry, Figure

if TYPE_CHECKING:
    from PIL import ImageFont

    from bot.core.engine import Engine

    Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

# The `/salary` views (shared by the cog and the CLI) and the entry each one shows...
SALARY_VIEWS: dict[str, str] = {
    "overview": "salary-median",
    "position": "salary-by-position",
    "sector": "salary-by-sector",
    "states": "salary-top-states",
}
# ...and the ones drawn as a chart (the others have one figure, or none, to draw).
CHART_VIEWS: dict[str, str] = {view: SALARY_VIEWS[view] for view in ("position", "sector")}

# An opaque dark card: it reads as a card on Discord's light theme and blends calmly into the dark
# one; light text on it has a contrast ratio above 12:1, the bar colour above 3:1 against the card.
BACKGROUND = (43, 45, 49)  # Discord's own dark surface, #2b2d31
BORDER = (78, 80, 88)
TEXT = (242, 243, 245)
MUTED = (181, 186, 193)  # the caption: still above 7:1 on the card
BAR = (88, 101, 242)  # #5865f2

_MONEY = re.compile(r"^\$?\s*(\d[\d,]*(?:\.\d+)?)\s*%?$")


def parse_amount(value: str) -> float:
    """`"$54,590"` -> 54590.0; ValueError for anything that is not a plain amount."""
    match = _MONEY.match(value.strip())
    if match is None:
        raise ValueError(f"cannot chart {value!r}: not an amount")
    return float(match[1].replace(",", ""))


def short_label(label: str) -> str:
    """A bar's label: the figure label up to its first comma, first letter capitalised.

    "outpatient care centers, median annual wage" -> "Outpatient care centers". Only the first
    letter changes, so acronyms such as "(CPC)" keep their case.
    """
    head = label.split(",", 1)[0].strip() or label.strip()
    return head[:1].upper() + head[1:]


def caption_text(entry: Entry) -> str:
    """ "Source: …" with each distinct provenance once, as the text answer gives it."""
    provenances = list(dict.fromkeys(f.provenance for f in entry.figures))
    return "Source: " + "; ".join(provenances)


def alt_text(entry: Entry, limit: int = 1024) -> str:
    """What the chart shows, in words, for screen readers (Discord allows 1,024 characters)."""
    bars = ", ".join(f"{short_label(f.label)} {f.value}" for f in _sorted_figures(entry))
    text = f"Bar chart, {entry.title}: {bars}. {caption_text(entry)}."
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _sorted_figures(entry: Entry) -> list[Figure]:
    """Largest first; equal values keep the article's order."""
    return sorted(entry.figures, key=lambda f: -parse_amount(f.value))


@functools.lru_cache(maxsize=16)
def load_font(size: int) -> Font:
    """Pillow's bundled font at `size` pixels, so no system font is needed.

    Pillow older than 10.1 or built without FreeType only has the small bitmap font; the chart is
    still drawn with it (smaller text) rather than failing.
    """
    from PIL import ImageFont  # noqa: PLC0415  (Pillow loads with the first chart, not at start-up)

    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError, AttributeError):
        return ImageFont.load_default()


@dataclass(frozen=True, slots=True)
class TextBox:
    text: str
    xy: tuple[int, int]
    size: int


@dataclass(frozen=True, slots=True)
class BarBox:
    """One bar: its label and value as drawn, the parsed amount and the bar's pixel box."""

    label: TextBox
    value: TextBox
    amount: float
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 (inclusive)


@dataclass(frozen=True, slots=True)
class ChartLayout:
    """Everything the renderer draws, computed before drawing so tests can check it against the image."""

    width: int
    height: int
    title: TextBox
    bars: tuple[BarBox, ...]
    caption: tuple[TextBox, ...]  # the caption, wrapped to the card's width


def _wrap(text: str, font: Font, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines or [""]


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar to draw: its label, the value printed beside it, and the amount that sets its length."""

    label: str
    value: str
    amount: float


def plan_salary_chart(entry: Entry, *, width: int = 1000) -> ChartLayout:
    """The entry's figures, largest on top, captioned with their provenance."""
    if not entry.figures:
        raise ValueError(f"entry {entry.id!r} has no figures to chart")
    bars = [Bar(short_label(f.label), f.value, parse_amount(f.value)) for f in _sorted_figures(entry)]
    return plan_bar_chart(entry.title, bars, caption_text(entry), width=width)


def plan_bar_chart(
    title: str, bars: Sequence[Bar], caption: str, *, width: int = 1000, full_scale: float | None = None
) -> ChartLayout:
    """Lay a chart out: sizes scale with `width` so text stays large when Discord shrinks it on a phone.

    Each label sits on its own line above its bar, so long names never squeeze the bars; bars start
    at zero (an honest length), reach `full_scale` (default: the largest amount) at full width, and
    the value is printed just right of each bar.
    """
    if not bars:
        raise ValueError("a chart needs at least one bar")
    if width < 300:
        raise ValueError("a chart narrower than 300 pixels cannot be read")
    unit = width / 1000
    pad = round(40 * unit)
    title_size, label_size, caption_size = round(44 * unit), round(34 * unit), round(26 * unit)
    bar_height, label_gap, row_gap = round(48 * unit), round(8 * unit), round(26 * unit)
    title_font, label_font, caption_font = load_font(title_size), load_font(label_size), load_font(caption_size)
    inner = width - 2 * pad

    y = pad
    title_lines = _wrap(title, title_font, inner)
    title_box = TextBox("\n".join(title_lines), (pad, y), title_size)
    y += len(title_lines) * round(title_size * 1.25) + round(24 * unit)

    largest = full_scale or max(bar.amount for bar in bars) or 1.0
    value_room = max(int(label_font.getlength(bar.value)) for bar in bars) + round(16 * unit)
    bar_room = inner - value_room
    boxes: list[BarBox] = []
    for bar in bars:
        label = TextBox(bar.label, (pad, y), label_size)
        y += round(label_size * 1.2) + label_gap
        length = max(1, round(bar_room * min(bar.amount, largest) / largest))
        box = (pad, y, pad + length - 1, y + bar_height - 1)
        value_y = y + (bar_height - round(label_size * 1.2)) // 2
        value = TextBox(bar.value, (pad + length + round(14 * unit), value_y), label_size)
        boxes.append(BarBox(label, value, bar.amount, box))
        y += bar_height + row_gap

    y += round(6 * unit)
    lines: list[TextBox] = []
    for line in _wrap(caption, caption_font, inner):
        lines.append(TextBox(line, (pad, y), caption_size))
        y += round(caption_size * 1.3)
    return ChartLayout(width, y + pad, title_box, tuple(boxes), tuple(lines))


GROUP_CAPTION = (
    "Members of this server who ran /group join and marked each step done in /checklist."
    " Members who have not joined are never counted."
)


def plan_group_chart(steps: Sequence[tuple[str, int]], members: int, *, width: int = 1000) -> ChartLayout:
    """A study group's progress: one bar per step, full width meaning every opted-in member."""
    if members < 1:
        raise ValueError("a group chart needs at least one member")
    bars = [Bar(label, f"{done} of {members}", done) for label, done in steps]
    title = f"Study group progress: {members} member{'s' if members != 1 else ''}"
    return plan_bar_chart(title, bars, GROUP_CAPTION, width=width, full_scale=members)


def render_group_chart(steps: Sequence[tuple[str, int]], members: int, *, width: int = 1000) -> bytes:
    """The PNG of `plan_group_chart`."""
    return draw_chart(plan_group_chart(steps, members, width=width))


def draw_chart(layout: ChartLayout) -> bytes:
    """Draw a planned chart and encode it as PNG."""
    from PIL import Image, ImageDraw  # noqa: PLC0415  (see load_font)

    image = Image.new("RGB", (layout.width, layout.height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, layout.width - 1, layout.height - 1), outline=BORDER, width=2)
    draw.multiline_text(layout.title.xy, layout.title.text, fill=TEXT, font=load_font(layout.title.size))
    for bar in layout.bars:
        draw.text(bar.label.xy, bar.label.text, fill=TEXT, font=load_font(bar.label.size))
        draw.rectangle(bar.box, fill=BAR)
        draw.text(bar.value.xy, bar.value.text, fill=TEXT, font=load_font(bar.value.size))
    for line in layout.caption:
        draw.text(line.xy, line.text, fill=MUTED, font=load_font(line.size))
    out = io.BytesIO()
    image.save(out, format="PNG")  # optimize=True saves 3% for 4x the time
    return out.getvalue()


def render_salary_chart(entry: Entry, *, width: int = 1000) -> bytes:
    """The PNG of `entry`'s figures as a horizontal bar chart, largest on top."""
    return draw_chart(plan_salary_chart(entry, width=width))


class ChartCache:
    """PNG bytes per entry, rendered at most once per cache.

    Keyed by the entry itself (frozen, compared by value), so a different knowledge base never gets a
    stale picture. `render_count` lets tests and the benchmark prove a warm request draws nothing.
    Thread-safe: the cog renders in a worker thread, and two first requests must not draw twice.
    """

    def __init__(self, renderer: Callable[[Entry], bytes] = render_salary_chart) -> None:
        self._renderer = renderer
        self._pngs: dict[Entry, bytes] = {}
        self._lock = threading.Lock()
        self.render_count = 0

    def cached(self, entry: Entry) -> bytes | None:
        """The bytes if already rendered; lets callers skip the worker thread when warm."""
        return self._pngs.get(entry)

    def get(self, entry: Entry) -> bytes:
        """The chart of `entry`, rendering it now if this cache has not yet."""
        png = self._pngs.get(entry)
        if png is not None:
            return png
        with self._lock:
            png = self._pngs.get(entry)
            if png is None:
                png = self._renderer(entry)
                self.render_count += 1
                self._pngs[entry] = png
        return png

    def clear(self) -> None:
        with self._lock:
            self._pngs.clear()


CHARTS = ChartCache()  # the process-wide cache the bot and the CLI use


def chart_entry(engine: Engine, view: str) -> Entry:
    """The entry a chart view draws; KeyError for a view without a chart."""
    return engine.kb.entries[CHART_VIEWS[view]]
