"""`salary`: the `/salary` figures in the terminal, or their chart written to a PNG file.

Why a CLI for the chart: maintainers check a knowledge-base edit's picture without a Discord
server, and the file is byte-for-byte what the bot attaches (the same renderer, the same entry).
Exit codes: 0 ok, 1 the knowledge base is invalid or the file cannot be written, 2 bad usage.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image

from bot.cli.ask import format_reply
from bot.cli.kb import load_engine_or_report
from bot.core.charts import CHART_VIEWS, SALARY_VIEWS, render_salary_chart

IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


def as_jpeg(png: bytes) -> bytes:
    """The chart re-encoded as a JPEG."""
    with Image.open(io.BytesIO(png)) as picture:
        out = io.BytesIO()
        picture.convert("RGB").save(out, format="JPEG", quality=90)
    return out.getvalue()


DEFAULT_VIEW = "position"


def run_salary(chart: str | None, view: str | None, *, kb_dir: str | None = None) -> int:
    """Print the view's text, or with `chart` write its picture there: PNG, or JPEG for .jpg/.jpeg."""
    view = view or DEFAULT_VIEW
    suffix = Path(chart).suffix.lower() if chart is not None else ".png"
    if suffix not in IMAGE_FORMATS:
        # A name without a suffix is refused too: the documented rule is .png, .jpg or .jpeg, never a guess.
        what = f"a {suffix} file" if suffix else f"{chart!r}: the name has no .png, .jpg or .jpeg suffix"
        print(
            f"medcoder-bot salary: cannot write {what}; give a .png, .jpg or .jpeg name (e.g. --chart salary.png)",
            file=sys.stderr,
        )
        return 2
    if chart is not None and view not in CHART_VIEWS:
        charted = ", ".join(CHART_VIEWS)
        print(f"medcoder-bot salary: the {view} view has no chart (charts: {charted})", file=sys.stderr)
        return 2
    engine = load_engine_or_report(kb_dir, semantic=False)  # tables and charts: no question to read
    if engine is None:
        return 1
    if chart is None:
        print(format_reply(engine.answer_entry(SALARY_VIEWS[view])))
        return 0
    try:
        png = render_salary_chart(engine.kb.entries[CHART_VIEWS[view]])
    except ValueError as error:
        print(f"medcoder-bot salary: cannot draw the {view} chart: {error}", file=sys.stderr)
        return 1
    image = png if IMAGE_FORMATS[suffix] == "PNG" else as_jpeg(png)
    path = Path(chart)
    try:
        path.write_bytes(image)
    except OSError as error:
        print(f"medcoder-bot salary: cannot write {path}: {error.strerror or error}", file=sys.stderr)
        return 1
    print(f"Wrote the {view} salary chart to {path} ({IMAGE_FORMATS[suffix]}, {len(image):,} bytes).")
    return 0
