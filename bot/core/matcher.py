"""Ranking knowledge entries against a question.

Why not plain fuzzy ratios: WRatio scores ~85 for any two texts sharing a word, so a threshold
cannot tell right from wrong. Instead each entry is scored on canonical tokens (see
`normalize`), weighted by how rare a token is across entries (IDF):

* phrasing fit: the best phrasing's weighted overlap, as the geometric mean of how much of the
  phrasing the question covers and how much of the question the phrasing explains;
* entry coverage: how much of the question the entry's whole vocabulary (phrasings, keywords,
  title) explains.

Words the knowledge base has never seen weigh heavily, so "how much do dietitians make" does
not borrow the confidence of "how much do coders make". An inverted index keeps the work
proportional to the entries that share a word with the question.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from bot.core.knowledge import KnowledgeBase

PHRASING_WEIGHT = 0.5
PHRASING_COVERAGE_POWER = 1.0  # a phrasing missing a key word is another intent
QUESTION_COVERAGE_POWER = 0.5
# An unknown word weighs like a rare word in a short question ("how much do dietitians make": the
# unknown word is the topic) and less in a long chatty one, where unknown words are mostly chatter.
UNKNOWN_WEIGHT_SHORT = 0.9  # relative to the rarest known word, for questions of <= 3 words
UNKNOWN_WEIGHT_LONG = 0.45  # ... for questions of >= 9 words


@dataclass(frozen=True, slots=True)
class Match:
    entry_id: str
    score: float  # 0..100


@dataclass(frozen=True, slots=True)
class _Phrasing:
    entry: int
    tokens: frozenset[str]
    weight: float


class Matcher:
    """Immutable index over one knowledge base; `rank` is pure and deterministic."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._normalize = kb.normalizer.tokens
        self._ids = list(kb.entries)
        vocab: list[set[str]] = []
        phrasing_tokens: list[tuple[int, set[str]]] = []
        for index, entry in enumerate(kb.entries.values()):
            words: set[str] = set()
            for phrasing in entry.phrasings:
                tokens = set(self._normalize(phrasing, correct=False))
                phrasing_tokens.append((index, tokens))
                words |= tokens
            for keyword in entry.keywords:
                words.update(self._normalize(keyword, correct=False))
            words.update(self._normalize(entry.title, correct=False))
            vocab.append(words)

        df: dict[str, int] = defaultdict(int)
        for words in vocab:
            for token in words:
                df[token] += 1
        total = max(len(vocab), 1)
        self.idf = {t: math.log(1.0 + total / n) for t, n in df.items()}
        self.rarest_weight = math.log(1.0 + total)

        self._phrasings = [
            _Phrasing(entry=i, tokens=frozenset(t), weight=sum(self.idf[w] for w in t))
            for i, t in phrasing_tokens
        ]
        self._phrasings_by_token: dict[str, list[int]] = defaultdict(list)
        for pid, phrasing in enumerate(self._phrasings):
            for token in phrasing.tokens:
                self._phrasings_by_token[token].append(pid)
        self._entries_by_token: dict[str, list[int]] = defaultdict(list)
        for index, words in enumerate(vocab):
            for token in words:
                self._entries_by_token[token].append(index)

    def unknown_weight(self, question_length: int) -> float:
        share = min(max((question_length - 3) / 6.0, 0.0), 1.0)
        return self.rarest_weight * (UNKNOWN_WEIGHT_SHORT + share * (UNKNOWN_WEIGHT_LONG - UNKNOWN_WEIGHT_SHORT))

    def rank(self, question: str, limit: int = 5) -> list[Match]:
        """The best `limit` entries for `question`, best first (ties broken by file order)."""
        return self.rank_tokens(self._normalize(question), limit)

    def rank_tokens(self, tokens: list[str], limit: int = 5) -> list[Match]:
        if not tokens:
            return []
        unknown = self.unknown_weight(len(tokens))
        # An unknown fragment of 1-3 letters ("sa" of a cut-off "salary") says little: half weight.
        weights = {t: self.idf.get(t, unknown if len(t) > 3 else unknown / 2) for t in tokens}
        query_weight = sum(weights.values())

        best_fit: dict[int, float] = defaultdict(float)
        overlap: dict[int, float] = defaultdict(float)
        for token, w in weights.items():
            for pid in self._phrasings_by_token.get(token, ()):
                overlap[pid] += w
        for pid, matched in overlap.items():
            phrasing = self._phrasings[pid]
            fit = (matched / phrasing.weight) ** PHRASING_COVERAGE_POWER * (
                matched / query_weight
            ) ** QUESTION_COVERAGE_POWER
            best_fit[phrasing.entry] = max(best_fit[phrasing.entry], fit)

        coverage: dict[int, float] = defaultdict(float)
        for token, w in weights.items():
            for index in self._entries_by_token.get(token, ()):
                coverage[index] += w

        scored = []
        for index, covered in coverage.items():
            score = PHRASING_WEIGHT * best_fit.get(index, 0.0) + (1 - PHRASING_WEIGHT) * covered / query_weight
            scored.append((-round(100.0 * score, 3), index))
        scored.sort()
        return [Match(self._ids[i], -neg) for neg, i in scored[:limit]]
