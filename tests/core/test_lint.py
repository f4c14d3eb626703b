"""`kb check` lints the lexicon: each rule catches what it is for, and the shipped lexicon is clean."""

from __future__ import annotations

from dataclasses import replace

from bot.core import Engine
from bot.core.lint import lint_lexicon
from bot.core.normalize import english_words


def test_the_shipped_lexicon_is_clean(engine: Engine) -> None:
    assert lint_lexicon(engine.kb.lexicon, english_words()) == []


def test_each_inconsistency_is_reported(engine: Engine) -> None:
    lexicon = engine.kb.lexicon
    broken = replace(
        lexicon,
        stopwords=(*lexicon.stopwords, "again"),  # listed twice
        synonyms={**lexicon.synonyms, "field": ("area",)},  # a stopword as a target
        phrases={**lexicon.phrases, "at all": "again"},  # a phrase mapped to a stopword
        shorthand={**lexicon.shorthand, "lean": "learn", "thru": "through"},  # real words; one also reviewed
    )
    problems = "\n".join(lint_lexicon(broken, english_words()))
    assert "stopwords listed more than once: again" in problems
    assert "target 'field' is a stopword" in problems
    assert "'at all' maps to the stopword 'again'" in problems
    assert "'lean' is a real English word" in problems
    assert "'thru' is in both shorthand and real_word_shorthand" in problems
