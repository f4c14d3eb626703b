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

import bisect
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
from bot.core.calibration import MATCHER_WEIGHTS
from bot.core.knowledge import KnowledgeBase

# The weights live in the calibration file (`bot/core/calibration.py` documents each).
PHRASING_WEIGHT = MATCHER_WEIGHTS.phrasing_weight
PHRASING_COVERAGE_POWER = MATCHER_WEIGHTS.phrasing_coverage_power
QUESTION_COVERAGE_POWER = MATCHER_WEIGHTS.question_coverage_power
# An unknown word weighs like a rare word in a short question ("how much do dietitians make": the
# unknown word is the topic) and less in a long chatty one, where unknown words are mostly chatter.
UNKNOWN_WEIGHT_SHORT = MATCHER_WEIGHTS.unknown_weight_short
UNKNOWN_WEIGHT_LONG = MATCHER_WEIGHTS.unknown_weight_long
# Entries scoring below this are never ranked: they cannot be an answer or a suggestion, and a
# runner-up this low cannot narrow an answer's margin (see the engine's thresholds).
MIN_USEFUL_SCORE = MATCHER_WEIGHTS.min_useful_score
VECTORISE_FROM = 1000  # entries


def score_bound(phrasing_share: Any, share: Any) -> Any:
    """The most an entry can score, given the share of its lightest phrasing that the question's
    words could cover (at most 1) and the share of the question its vocabulary covers.

    The one formula behind the plain-Python bounds, the numpy bounds (it works element-wise on arrays)
    and `min_share_for`.
    """
    return (
        PHRASING_WEIGHT * phrasing_share**PHRASING_COVERAGE_POWER * share**QUESTION_COVERAGE_POWER
        + (1 - PHRASING_WEIGHT) * share
    )


def min_share_for(floor: float) -> float:
    """The least share of a question's weight an entry must cover for its score to reach `floor`.

    Even a perfectly covered phrasing (phrasing share 1) gives at most
    PHRASING_WEIGHT * share**QUESTION_COVERAGE_POWER + (1 - PHRASING_WEIGHT) * share, which rises with
    the share; below the share where that meets `floor` an entry needs no closer look. Found by
    bisection once per matcher, then lowered a hair so rounding can never drop an entry that qualifies.
    """
    low, high = 0.0, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        if score_bound(1.0, mid) < floor:
            low = mid
        else:
            high = mid
    return max(0.0, low - 1e-9)


@dataclass(frozen=True, slots=True)
class Match:
    entry_id: str
    score: float  # 0..100


class Matcher:
    """Immutable index over one knowledge base; `rank` is pure and deterministic."""

    def __init__(
        self, kb: KnowledgeBase, *, min_score: float = MIN_USEFUL_SCORE, vectorise: bool | None = None
    ) -> None:
        self.kb = kb
        self.min_score = min_score
        # numpy pays off once posting lists are long; for the article's few dozen entries its
        # per-call overhead costs more than the plain loop (both give identical rankings).
        self._vectorise = len(kb.entries) >= VECTORISE_FROM if vectorise is None else vectorise
        self._normalize = kb.normalizer.tokens
        self._ids = list(kb.entries)
        self._positions = {entry_id: index for index, entry_id in enumerate(self._ids)}
        vocab: list[set[str]] = []
        phrasing_tokens: list[list[frozenset[str]]] = []
        for entry in kb.entries.values():
            phrasings = [frozenset(self._normalize(p, correct=False)) for p in entry.phrasings]
            words: set[str] = set().union(*phrasings)
            for keyword in entry.keywords:
                words.update(self._normalize(keyword, correct=False))
            words.update(self._normalize(entry.title, correct=False))
            vocab.append(words)
            phrasing_tokens.append(phrasings)

        df: dict[str, int] = defaultdict(int)
        for words in vocab:
            for token in words:
                df[token] += 1
        total = max(len(vocab), 1)
        self.idf = {t: math.log(1.0 + total / n) for t, n in df.items()}
        self.rarest_weight = math.log(1.0 + total)
        # Per entry: its phrasings as (tokens, 1 / total weight), for exact scoring of few entries.
        self._phrasings: list[list[tuple[frozenset[str], float]]] = [
            [(tokens, 1.0 / sum(self.idf[t] for t in tokens)) for tokens in phrasings if tokens]
            for phrasings in phrasing_tokens
        ]
        # Per entry: token -> the positions of its phrasings that hold it, so scoring an entry touches
        # only the phrasings sharing a word with the question (a few of its six on average).
        self._phrasings_by_token: list[dict[str, tuple[int, ...]]] = []
        for weighted in self._phrasings:
            by_token: dict[str, list[int]] = defaultdict(list)
            for position, (tokens, _) in enumerate(weighted):
                for token in tokens:
                    by_token[token].append(position)
            self._phrasings_by_token.append({t: tuple(ps) for t, ps in by_token.items()})
        # The lightest phrasing bounds how much of any phrasing a given overlap can cover.
        self._lightest = [max((inverse for _, inverse in phrasings), default=0.0) for phrasings in self._phrasings]
        self._entries_by_token: dict[str, list[int]] = defaultdict(list)
        for index, words in enumerate(vocab):
            for token in words:
                self._entries_by_token[token].append(index)
        if self._vectorise:
            self._index_arrays()
        self._min_share = min_share_for(self.min_score / 100.0)

    def mentions(self, entry_id: str, tokens: list[str]) -> bool:
        """Whether the entry's vocabulary (phrasings, keywords, title) holds any of `tokens`."""
        index = self._positions[entry_id]
        return any(index in self._entries_by_token.get(token, ()) for token in tokens)

    def unknown_weight(self, question_length: int) -> float:
        share = min(max((question_length - 3) / 6.0, 0.0), 1.0)
        return self.rarest_weight * (UNKNOWN_WEIGHT_SHORT + share * (UNKNOWN_WEIGHT_LONG - UNKNOWN_WEIGHT_SHORT))

    def rank(self, question: str, limit: int = 5) -> list[Match]:
        """The best `limit` entries for `question`, best first (ties broken by file order)."""
        return self.rank_tokens(self._normalize(question), limit)

    def rank_tokens(self, tokens: list[str], limit: int = 5, window: float | None = None) -> list[Match]:
        """Rank by exact score, but score exactly only the entries that can still make the top.

        Entry coverage is cheap (one pass over the posting lists) and bounds the full score from
        above: no phrasing can match more than the entry's covered weight, so its phrasing share is
        at most covered / (lightest phrasing's weight). Entries are scored exactly in order of
        that bound and the loop stops once it falls below the `limit`-th exact score or
        `min_score`. With 10,000 entries, a question sharing only "where" with 2,000 of them
        scores a handful exactly.

        `window` (points) also leaves out entries scoring more than that below the best, and stops
        scoring once no remaining entry can come that close: the engine never looks further down
        (see `Engine.ask`), and on the article it halves the entries scored per question.
        """
        if not tokens:
            return []
        unknown = self.unknown_weight(len(tokens))
        # An unknown fragment of 1-3 letters ("sa" of a cut-off "salary") says little: half weight.
        weights = {t: self.idf.get(t, unknown if len(t) > 3 else unknown / 2) for t in tokens}
        inverse_query = 1.0 / sum(weights.values())

        floor = self.min_score / 100.0
        bounded = self._bounds_vectorised if self._vectorise else self._bounds_small
        bounds = bounded(weights, inverse_query, floor)

        best: list[tuple[float, int]] = []  # (-score rounded, index), sorted, at most `limit`
        reach = math.inf if window is None else window + 1e-6
        for negative_bound, index, entry_share in bounds:
            bound = -negative_bound
            if len(best) >= limit and bound * 100.0 < -best[-1][0] - 1e-6:
                break
            if best and bound * 100.0 < -best[0][0] - reach:
                break
            score = round(100.0 * self._score(index, entry_share, weights, inverse_query), 3)
            if score >= self.min_score:
                bisect.insort(best, (-score, index))
                del best[limit:]
        top = -best[0][0] if best else 0.0
        return [Match(self._ids[i], -negative) for negative, i in best if -negative >= top - reach]

    def _bounds_small(
        self, weights: dict[str, float], inverse_query: float, floor: float
    ) -> list[tuple[float, int, float]]:
        """(-bound, index, share) best bound first, in plain Python: cheapest for a small index.

        Negated so a plain tuple sort orders them (best first, ties by file order) without a key
        function: this runs for every entry sharing a word with the question (half the article's
        entries for "coder") on every `/ask`.
        """
        coverage: dict[int, float] = defaultdict(float)
        entries_by_token = self._entries_by_token
        for token, w in weights.items():
            for index in entries_by_token.get(token, ()):
                coverage[index] += w
        lightest = self._lightest
        least = self._min_share
        bounds = []
        for index, covered in coverage.items():
            share = covered * inverse_query
            if share < least:  # cannot reach the floor even with a perfect phrasing
                continue
            upper = score_bound(min(covered * lightest[index], 1.0), share)
            if upper >= floor:
                bounds.append((-upper, index, share))
        bounds.sort()
        return bounds

    def _index_arrays(self) -> None:
        """numpy posting lists for a large index; imported only then, so the article's bot never loads numpy."""
        import numpy  # noqa: PLC0415  # only a large knowledge base pays for it

        self._np = numpy
        self._postings: dict[str, np.ndarray] = {
            token: numpy.fromiter(entries, dtype=numpy.intp) for token, entries in self._entries_by_token.items()
        }
        self._lightest_array = numpy.array(self._lightest, dtype=numpy.float64)

    def _bounds_vectorised(
        self, weights: dict[str, float], inverse_query: float, floor: float
    ) -> list[tuple[float, int, float]]:
        """The same (-bound, index, share) with numpy, for a large index where thousands of entries share a word."""
        np = self._np
        coverage = np.zeros(len(self._ids))
        for token, w in weights.items():
            postings = self._postings.get(token)
            if postings is not None:
                coverage[postings] += w  # a posting list never repeats an entry
        share = coverage * inverse_query
        upper = score_bound(np.minimum(1.0, coverage * self._lightest_array), share)
        candidates = np.flatnonzero(upper >= floor)
        order = candidates[np.lexsort((candidates, -upper[candidates]))]
        return list(zip((-upper[order]).tolist(), order.tolist(), share[order].tolist(), strict=True))

    def _score(self, index: int, share: float, weights: dict[str, float], inverse_query: float) -> float:
        by_token = self._phrasings_by_token[index]
        matched: dict[int, float] = {}
        for token, w in weights.items():
            for position in by_token.get(token, ()):
                matched[position] = matched.get(position, 0.0) + w
        fit = 0.0
        phrasings = self._phrasings[index]
        for position, weight in matched.items():
            fit = max(
                fit,
                (weight * phrasings[position][1]) ** PHRASING_COVERAGE_POWER
                * (weight * inverse_query) ** QUESTION_COVERAGE_POWER,
            )
        return PHRASING_WEIGHT * fit + (1 - PHRASING_WEIGHT) * share
