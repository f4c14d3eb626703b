"""The salary chart: a valid PNG whose bars, labels and caption come from the knowledge base."""

from __future__ import annotations

import dataclasses
import io
import threading
import time

import pytest
from PIL import Image

from bot.core import Engine
from bot.core.charts import (
    BACKGROUND,
    BAR,
    CHART_VIEWS,
    ChartCache,
    alt_text,
    caption_text,
    chart_entry,
    parse_amount,
    plan_salary_chart,
    render_salary_chart,
    short_label,
)
from bot.core.models import Entry


@pytest.fixture(scope="module")
def kb_engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="module", params=sorted(CHART_VIEWS))
def entry(request: pytest.FixtureRequest, kb_engine: Engine) -> Entry:
    return chart_entry(kb_engine, request.param)


def open_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image.convert("RGB")


def bar_runs(image: Image.Image) -> list[tuple[int, int, int]]:
    """(first row, last row, length in pixels) of each horizontal band of bar-coloured pixels, top to bottom."""
    width, height = image.size
    pixels = image.load()
    runs: list[tuple[int, int, int]] = []
    for y in range(height):
        length = sum(1 for x in range(width) if pixels[x, y] == BAR)
        if length and runs and runs[-1][1] == y - 1:
            first, _, longest = runs[-1]
            runs[-1] = (first, y, max(longest, length))
        elif length:
            runs.append((y, y, length))
    return runs


# --- labels and amounts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "short"),
    [
        ("Certified Professional Coder (CPC), average annual salary", "Certified Professional Coder (CPC)"),
        ("outpatient care centers, median annual wage", "Outpatient care centers"),
        ("physicians' offices, median annual wage", "Physicians' offices"),
        ("hospitals", "Hospitals"),
        ("  nursing homes , a, b", "Nursing homes"),
    ],
)
def test_short_label_is_the_text_before_the_first_comma_capitalised(label: str, short: str) -> None:
    assert short_label(label) == short


@pytest.mark.parametrize(("value", "amount"), [("$54,590", 54590.0), ("$41,000", 41000.0), ("8%", 8.0), ("1.5", 1.5)])
def test_amounts_are_parsed_from_the_figure_values(value: str, amount: float) -> None:
    assert parse_amount(value) == amount


@pytest.mark.parametrize("value", ["about $50k", "", "n/a", "$"])
def test_a_value_that_is_not_an_amount_cannot_be_charted(value: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_amount(value)


# --- the image --------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1000, 640])
def test_the_chart_is_a_png_of_the_planned_size(entry: Entry, width: int) -> None:
    layout = plan_salary_chart(entry, width=width)
    image = open_png(render_salary_chart(entry, width=width))
    assert image.size == (width, layout.height)
    assert 0.3 * width < layout.height < 1.2 * width  # a card, not a strip or a tower
    assert image.getpixel((width // 2, layout.height - 5)) == BACKGROUND  # opaque card to the edge


def test_bars_are_ordered_by_value_largest_on_top(entry: Entry) -> None:
    layout = plan_salary_chart(entry)
    runs = bar_runs(open_png(render_salary_chart(entry)))
    assert len(runs) == len(entry.figures)
    lengths = [length for _, _, length in runs]
    assert lengths == sorted(lengths, reverse=True)
    # The pixels are where the layout says, and lengths are proportional to the amounts (bars start at 0).
    assert [(first, last) for first, last, _ in runs] == [(b.box[1], b.box[3]) for b in layout.bars]
    assert lengths == [b.box[2] - b.box[0] + 1 for b in layout.bars]
    amounts = [parse_amount(f.value) for f in entry.figures]
    for bar, length in zip(layout.bars, lengths, strict=True):
        assert length / lengths[0] == pytest.approx(bar.amount / max(amounts), abs=0.01)


def test_bar_order_follows_the_values_not_the_order_in_the_file(entry: Entry) -> None:
    shuffled = dataclasses.replace(entry, figures=tuple(reversed(entry.figures)))
    expected = sorted(entry.figures, key=lambda f: -parse_amount(f.value))
    layout = plan_salary_chart(shuffled)
    assert [b.value.text for b in layout.bars] == [f.value for f in expected]
    assert [b.label.text for b in layout.bars] == [short_label(f.label) for f in expected]
    lengths = [length for _, _, length in bar_runs(open_png(render_salary_chart(shuffled)))]
    assert lengths == sorted(lengths, reverse=True)


def test_title_labels_values_and_caption_come_from_the_entry(entry: Entry) -> None:
    layout = plan_salary_chart(entry)
    assert layout.title.text == entry.title
    assert {b.value.text for b in layout.bars} == {f.value for f in entry.figures}
    assert {b.label.text for b in layout.bars} == {short_label(f.label) for f in entry.figures}
    caption = " ".join(line.text for line in layout.caption)
    assert caption == caption_text(entry) == "Source: " + entry.figures[0].provenance
    assert caption.endswith("undated in the article")  # as the knowledge base marks these tables


def test_a_changed_knowledge_base_changes_the_picture(entry: Entry) -> None:
    """Nothing is hard-coded: new provenance, labels, values and title all reach the layout and the pixels."""
    first, *rest = entry.figures
    changed_first = dataclasses.replace(
        first,
        label="remote coders, median annual wage",
        value="$99,990",
        source="U.S. Bureau of Labor Statistics",
        date="May 2023",
        undated=False,
    )
    changed = dataclasses.replace(entry, title="Pay in a future edition", figures=(changed_first, *rest))
    layout = plan_salary_chart(changed)
    assert layout.title.text == "Pay in a future edition"
    assert layout.bars[0].label.text == "Remote coders" and layout.bars[0].value.text == "$99,990"
    caption = " ".join(line.text for line in layout.caption)
    assert caption == (
        "Source: U.S. Bureau of Labor Statistics, May 2023; "
        "the article's table (no source named), undated in the article"
    )
    assert plan_salary_chart(entry).caption != layout.caption
    assert render_salary_chart(changed) != render_salary_chart(entry)


def test_a_long_caption_wraps_inside_the_card(entry: Entry) -> None:
    long_source = "a very long source name " * 8
    figures = tuple(dataclasses.replace(f, source=long_source.strip()) for f in entry.figures)
    layout = plan_salary_chart(dataclasses.replace(entry, figures=figures))
    assert len(layout.caption) > 1
    assert " ".join(line.text for line in layout.caption) == f"Source: {long_source.strip()}, undated in the article"
    assert all(line.xy[1] + line.size <= layout.height for line in layout.caption)


def test_text_is_drawn_in_light_ink_on_the_dark_card(entry: Entry) -> None:
    layout = plan_salary_chart(entry)
    image = open_png(render_salary_chart(entry))
    x, y = layout.title.xy
    region = image.crop((x, y, x + 300, y + layout.title.size))
    assert all(high > 200 for _, high in region.getextrema())  # near-white strokes
    assert sum(BACKGROUND) < 200


def test_alt_text_lists_the_bars_in_order_with_the_source(entry: Entry) -> None:
    text = alt_text(entry)
    expected = sorted(entry.figures, key=lambda f: -parse_amount(f.value))
    positions = [text.index(f"{short_label(f.label)} {f.value}") for f in expected]
    assert positions == sorted(positions)
    assert text.startswith("Bar chart") and caption_text(entry) in text
    assert len(alt_text(entry, limit=40)) == 40


def test_an_entry_without_chartable_figures_is_refused(kb_engine: Engine) -> None:
    with pytest.raises(ValueError, match="no figures"):
        plan_salary_chart(kb_engine.kb.entries["salary-factors"])
    entry = chart_entry(kb_engine, "position")
    odd = dataclasses.replace(entry, figures=(dataclasses.replace(entry.figures[0], value="varies"),))
    with pytest.raises(ValueError, match="not an amount"):
        render_salary_chart(odd)


# --- the cache --------------------------------------------------------------------------------


def test_the_second_request_renders_nothing(kb_engine: Engine) -> None:
    cache = ChartCache()
    first = cache.get(chart_entry(kb_engine, "position"))
    assert cache.render_count == 1
    again = cache.get(chart_entry(kb_engine, "position"))
    assert again is first and cache.render_count == 1
    assert cache.cached(chart_entry(kb_engine, "position")) is first
    cache.get(chart_entry(kb_engine, "sector"))
    assert cache.render_count == 2
    with pytest.raises(KeyError):
        chart_entry(kb_engine, "states")


def test_an_edited_entry_is_not_served_a_stale_chart(kb_engine: Engine) -> None:
    cache = ChartCache()
    entry = chart_entry(kb_engine, "sector")
    edited = dataclasses.replace(entry, title="Median wage by sector (edited)")
    assert cache.get(entry) != cache.get(edited)
    assert cache.render_count == 2


def test_concurrent_first_requests_render_once(kb_engine: Engine) -> None:
    calls: list[str] = []

    def slow_renderer(entry: Entry) -> bytes:
        calls.append(entry.id)
        time.sleep(0.05)
        return b"png"

    cache = ChartCache(renderer=slow_renderer)
    entry = chart_entry(kb_engine, "position")
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(entry))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [b"png"] * 8
    assert calls == ["salary-by-position"] and cache.render_count == 1
