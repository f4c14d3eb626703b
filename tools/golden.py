"""Write the golden file: every tuning question and the reply the pipeline gives it now (kind and entry).

Why: a change to the knowledge base, the lexicon, the models or a threshold moves answers in ways no
summary figure shows. `tests/core/test_golden.py` asks every question of this file again and fails with
the list of replies that changed, so every change's effect is read before it lands; after reading it,
accept it by running this script again and committing the file with the change. Tuning parts only: the
frozen parts are graded, never recorded where a change could be fitted to them.

    python tools/golden.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import Engine, Reply

GOLDEN = ROOT / "tests" / "golden" / "tuning_replies.yaml"


def outcome(reply: Reply) -> str:
    """A reply in a few words: its kind and the entries it shows or suggests."""
    shown = [block.entry_id for block in reply.blocks] or ([reply.entry_id] if reply.entry_id else [])
    suggested = [s.entry_id for s in reply.suggestions]
    return " ".join([reply.kind.value, *shown, *(f"?{s}" for s in suggested)])


def tuning_questions() -> list[tuple[str, str]]:
    """(id, question) of every item of every tuning part, in file order."""
    rows: list[tuple[str, str]] = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.tune.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")):
            rows.append((f"{path.name.removesuffix('.tune.yaml')}:{item['id']}", str(item["q"])))
    return rows


def main() -> int:
    engine = Engine.load()
    rows = [{"id": key, "q": question, "reply": outcome(engine.ask(question))} for key, question in tuning_questions()]
    header = "# Written by tools/golden.py: every tuning question and its reply now. Read the test's diff first.\n"
    GOLDEN.write_text(header + yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)}: {len(rows)} replies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
