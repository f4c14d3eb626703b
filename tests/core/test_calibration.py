"""The calibration file: every threshold and weight of the pipeline, read from one place."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.core import Engine
from bot.core.calibration import CALIBRATION, CALIBRATION_FILE, MATCHER_WEIGHTS, Calibration, dump, load
from bot.core.matcher import PHRASING_WEIGHT, Match
from bot.core.reading import Candidate


def test_the_file_round_trips_and_is_what_the_engine_uses(engine: Engine, tmp_path: Path) -> None:
    calibration, weights = load(CALIBRATION_FILE)
    assert calibration == CALIBRATION == engine.calibration
    assert weights == MATCHER_WEIGHTS
    assert weights.phrasing_weight == PHRASING_WEIGHT
    changed = replace(calibration, read_answer=0.42, dense_candidates=5)
    dump(changed, weights, tmp_path / "c.yaml", "# header\n")
    assert load(tmp_path / "c.yaml") == (changed, weights)
    assert (tmp_path / "c.yaml").read_text(encoding="utf-8").startswith("# header\n")


@pytest.mark.parametrize(
    "text", ["reader:\n  answr: 0.5\n", "lexical:\n  floor: 40\nsurprise: {}\n", "matcher:\n  weight: 1\n"]
)
def test_an_unknown_key_is_an_error_not_a_silent_default(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="unknown key"):
        load(path)


def test_a_missing_key_keeps_its_default(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("reader:\n  answer: 0.9\n", encoding="utf-8")
    calibration, _ = load(path)
    assert calibration.read_answer == 0.9 and calibration.floor == Calibration().floor


def test_thresholds_change_decisions(engine: Engine) -> None:
    """The reader's bars are really used: at 1.01 nothing is answered on the reader's word alone."""
    unreachable = {"read_answer": 1.01, "read_lead": 1.01, "read_lexical": 1.01, "read_pair": 2.01}
    strict = Engine(engine.kb, calibration=replace(engine.calibration, **unreachable))
    assert engine.reading is not None
    strict.attach(engine.reading)
    question = "what pay can someone with a CCS expect?"  # not word for word a phrasing
    assert engine.ask(question).answered
    assert not strict.ask(question).answered


def test_one_message_is_read_at_most_reads_per_message_times(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """A message of many questions and chatter costs a bounded number of readings; the rest is lexical."""
    assert engine.reading is not None
    calls: list[str] = []
    real = engine.reading.candidates

    def counted(text: str, shortlist: list[Match]) -> list[Candidate]:
        calls.append(text)
        return real(text, shortlist)

    monkeypatch.setattr(engine.reading, "candidates", counted)
    chatty = (
        "hi all. I'm new. what does a CPC earn? and the CCS? how long is the exam? what are the steps? "
        "is the job outlook good? which states pay most? what skills do I need? is it remote?"
    )
    reply = engine.ask(chatty)
    assert reply.answered
    assert 1 <= len(calls) <= engine.calibration.reads_per_message
    calls.clear()
    engine.ask("what does a CPC earn?")
    assert len(calls) == 1  # the budget is per message, not spent by the one before
