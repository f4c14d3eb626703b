"""Remove tuning items that nearly copy a frozen item, so what is tuned and trained on never holds a test question.

Why: different writers wrote the same short questions ("cpc pay?", "What Is Medical Coding?"), so a frozen
item could have a near-copy in another set's tuning part, and a reader trained on the tuning parts would
have seen the test question. The frozen parts stay as they are (their figures stay comparable over time);
the tuning copy goes, recorded in `eval/sets/dropped.yaml`. The same test (`near_copy`) filters the
training phrasings in `tools/reader_data.py`.

    python eval/dedupe.py           # rewrite the tuning parts, list what was dropped
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

HERE = Path(__file__).resolve().parent
SETS = HERE / "sets"
GRADER_DIR = Path(os.environ.get("MEDCODER_GRADER_DIR", HERE.parent.parent / "shared" / "eval"))
NEAR = 90.0  # rapidfuzz ratio after lower-casing and stripping punctuation: "cpc pay?" = "CPC pay"


def frozen_questions() -> list[str]:
    """Every frozen question: the repository's test parts and the shared blind set (when it is beside us)."""
    paths = sorted(SETS.glob("*.test.yaml"))
    blind = GRADER_DIR / "blind.yaml"
    if blind.is_file():
        paths.append(blind)
    return [item["q"] for path in paths for item in yaml.safe_load(path.read_text(encoding="utf-8"))]


def near_copy(text: str, frozen: Iterable[str]) -> str | None:
    """The frozen question `text` nearly copies, or None."""
    found = process.extractOne(
        text, list(frozen), scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=NEAR
    )
    return None if found is None else found[0]


def main() -> int:
    frozen = frozen_questions()
    dropped_path = SETS / "dropped.yaml"
    dropped = yaml.safe_load(dropped_path.read_text(encoding="utf-8")) if dropped_path.is_file() else []
    for path in sorted(SETS.glob("*.tune.yaml")):
        text = path.read_text(encoding="utf-8")
        header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
        items = yaml.safe_load(text)
        kept = []
        for item in items:
            copied = near_copy(item["q"], frozen)
            if copied is None:
                kept.append(item)
            else:
                dropped.append({"set": path.name, "id": item["id"], "q": item["q"], "copies": copied})
                print(f"{path.name} {item['id']}: {item['q']!r} ~ {copied!r}")
        if len(kept) != len(items):
            body = yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=120)
            path.write_text(header + body, encoding="utf-8")
    dropped_path.write_text(
        "# Tuning items removed by eval/dedupe.py: each nearly copies a frozen question (`copies`).\n"
        + yaml.safe_dump(dropped, sort_keys=False, allow_unicode=True, width=120),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
