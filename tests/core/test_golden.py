"""Every tuning question still gets the reply recorded in the golden file (`tools/golden.py` writes it).

A failure lists each reply that changed, so a change's effect on real questions is read before it lands;
accept it by running `python tools/golden.py` and committing the file with the change.
"""

from __future__ import annotations

import yaml

from bot.core import Engine
from tools.golden import GOLDEN, outcome, tuning_questions


def test_every_tuning_question_gets_its_recorded_reply(engine: Engine) -> None:
    rows = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    assert [row["id"] for row in rows] == [key for key, _ in tuning_questions()], "the tuning parts changed"
    changed = []
    for row in rows:
        now = outcome(engine.ask(row["q"]))
        if now != row["reply"]:
            changed.append(f"{row['id']} {row['q'][:70]!r}: {row['reply']} -> {now}")
    assert not changed, f"{len(changed)} replies changed (python tools/golden.py accepts them):\n" + "\n".join(changed)
