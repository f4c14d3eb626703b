"""The lexicon's consistency checks, run by `medcoder-bot kb check` (not at every start: they read the
English word list).

Why: the lexicon is edited by hand and its mistakes are silent. A stopword listed twice hides that one of
the two places meant something else; a synonym whose target is a stopword throws its variants away ("year"
was both, so "annual" vanished from every question); a shorthand whose source is a real English word
rewrites that word in every question ("lean" would become "learn" for a member who means lean), so such a
mapping must be a reviewed decision, listed under `real_word_shorthand`.
"""

from __future__ import annotations

from collections import Counter

from bot.core.models import Lexicon


def lint_lexicon(lexicon: Lexicon, english: frozenset[str]) -> list[str]:
    """Every inconsistency of `lexicon`, one line each (empty when it is clean)."""
    problems: list[str] = []
    stopwords = set(lexicon.stopwords)
    twice = sorted(word for word, count in Counter(lexicon.stopwords).items() if count > 1)
    if twice:
        problems.append(f"stopwords listed more than once: {', '.join(twice)}")
    for target, variants in lexicon.synonyms.items():
        if target in stopwords:
            problems.append(
                f"synonyms: target {target!r} is a stopword, so its variants are dropped from every question"
            )
        for variant in variants:
            if variant in stopwords:
                problems.append(f"synonyms: {variant!r} (under {target!r}) is a stopword")
    for phrase, target in lexicon.phrases.items():
        if target in stopwords:
            problems.append(f"phrases: {phrase!r} maps to the stopword {target!r}")
    for word in sorted(set(lexicon.shorthand) & english):
        problems.append(
            f"shorthand: {word!r} is a real English word; move it to real_word_shorthand if rewriting it is meant"
        )
    for word in sorted(set(lexicon.shorthand) & set(lexicon.real_word_shorthand)):
        problems.append(f"shorthand: {word!r} is in both shorthand and real_word_shorthand")
    return problems
