"""Guard: the knowledge base is written for the article, not for the shared dev questions.

The shared dev set is for tuning; copying its questions into phrasings would make its score
meaningless. This test reads it only when it sits beside the checkout (as in CI).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.core import Engine
from bot.core.normalize import clean

DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "dev.yaml"


@pytest.mark.skipif(not DEV_SET.is_file(), reason="the shared dev set is not beside this checkout")
def test_no_phrasing_is_a_dev_question(engine: Engine) -> None:
    questions = {" ".join(clean(item["q"]).split()).strip(" ?!.") for item in yaml.safe_load(DEV_SET.read_text())}
    copies = [
        (entry.id, phrasing)
        for entry in engine.kb
        for phrasing in entry.phrasings
        if " ".join(clean(phrasing).split()).strip(" ?!.") in questions
    ]
    assert not copies
