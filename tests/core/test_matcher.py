"""The matcher's pruning must never change a ranking, only skip work."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from bot.core import Engine
from bot.core import engine as engine_module
from bot.core.matcher import MIN_USEFUL_SCORE, Matcher

QUESTIONS = [item["q"] for item in yaml.safe_load((Path(__file__).parents[1] / "questions.yaml").read_text())]


@pytest.mark.parametrize("vectorise", [False, True])
def test_pruned_ranking_equals_exhaustive_ranking(engine: Engine, vectorise: bool) -> None:
    exhaustive = Matcher(engine.kb, min_score=0.0, vectorise=False)
    pruned = Matcher(engine.kb, vectorise=vectorise)
    extra = ["coder", "salary", "code salary hospital state", "medical coding certification exam cost steps"]
    for question in QUESTIONS + extra:
        want = [m for m in exhaustive.rank(question, limit=5) if m.score >= MIN_USEFUL_SCORE]
        assert pruned.rank(question, limit=5) == want, question


@pytest.mark.parametrize("vectorise", [False, True])
def test_a_window_only_drops_entries_that_far_below_the_best(engine: Engine, vectorise: bool) -> None:
    matcher = Matcher(engine.kb, vectorise=vectorise)
    vocabulary = sorted(matcher.idf)
    combos = [" ".join(vocabulary[i::97][:n]) for i in range(97) for n in (1, 2, 4, 7)]
    for question in QUESTIONS + combos:
        tokens = engine.kb.normalizer.tokens(question)
        full = matcher.rank_tokens(tokens, limit=5)
        want = [m for m in full if m.score >= full[0].score - 20.0]
        assert matcher.rank_tokens(tokens, limit=5, window=20.0) == want, question


def test_the_engines_window_never_changes_a_reply(lexical_engine: Engine) -> None:
    """`Engine.judge` ranks within SUGGEST_WINDOW of the best; deciding on the full top 5 gives the same replies
    (the lexical decision: with the models loaded, the reader decides on its own candidates)."""
    engine = lexical_engine
    c = engine.calibration
    assert max(c.clear_winner, c.margin, c.lead_margin, c.close) <= engine_module.SUGGEST_WINDOW
    vocabulary = sorted(engine.matcher.idf)
    combos = [" ".join(vocabulary[i::89][:n]) for i in range(89) for n in (1, 3, 6)]
    for question in QUESTIONS + combos:
        tokens = engine.kb.normalizer.tokens(question)
        if not tokens:
            continue
        full = engine.decide(engine.matcher.rank_tokens(tokens, limit=engine_module.MAX_SUGGESTIONS + 2), len(tokens))
        assert engine.judge(tokens) == full, question


def test_engine_thresholds_sit_above_the_pruning_floor() -> None:
    """A pruned runner-up must not be able to narrow an answer's margin or hide a suggestion."""
    c = engine_module.CALIBRATION
    assert c.floor >= MIN_USEFUL_SCORE
    assert c.long_answer - c.margin >= MIN_USEFUL_SCORE
    assert c.lead_score - c.lead_margin >= MIN_USEFUL_SCORE


def test_ranking_is_ordered_and_ties_follow_file_order(engine: Engine) -> None:
    ranked = Matcher(engine.kb, min_score=0.0).rank("salary", limit=10)
    order = list(engine.kb.entries)
    for a, b in itertools.pairwise(ranked):
        assert a.score > b.score or (a.score == b.score and order.index(a.entry_id) < order.index(b.entry_id))
