"""The pipeline's semantic stages: dense candidates beside the lexical ones, and the reader's verdict on each.

Why both kinds of candidate: the lexical matcher finds entries that share words with a question and the
encoder finds those that share its meaning ("is this job going anywhere" shares no word with the outlook
entry). Neither can tell "on the topic" from "answers it", so the reader, a cross-encoder, reads the
question with each candidate's text and gives the probability that the entry answers it; the decision
(`Engine.read_decide`) is taken on that.

What the reader is shown of a long chatty message is its question: the question sentences and the one
before them, at most `FOCUS_WORDS` words from the end, since the reader sees a fixed number of tokens.

Readings are remembered (`READINGS_KEPT`, least recently used out): the same text with the same lexical
candidates always reads the same, and members ask the same few questions over and over ("what are the
steps?"), so a repeat costs a dictionary look-up instead of 20 ms of CPU (`bench/discord_e2e.py`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.passages import question_text, reader_text, small_talk_texts
from bot.core.semantic import PassageIndex, SemanticModels

if TYPE_CHECKING:
    from bot.core.knowledge import KnowledgeBase
    from bot.core.matcher import Match
    from bot.core.segment import Segmenter

FOCUS_WORDS = 40
READINGS_KEPT = 2048  # about 1 MB


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: str
    lexical: float  # the matcher's score, 0-100 (0: not among its candidates)
    dense: float  # the encoder's cosine with the entry's nearest passage
    read: float  # the reader's probability that the entry answers the question


class Reading:
    """The loaded models with the knowledge base's passages embedded: ready to read questions."""

    def __init__(
        self,
        models: SemanticModels,
        kb: KnowledgeBase,
        segmenter: Segmenter,
        *,
        dense_candidates: int,
        read_at_most: int,
    ) -> None:
        self.models = models
        self.kb = kb
        self.segmenter = segmenter
        self.index = PassageIndex(models, kb)
        self.texts = {entry.id: reader_text(entry) for entry in kb}
        self.dense_candidates = dense_candidates
        self.read_at_most = read_at_most
        self._remembered = functools.lru_cache(maxsize=READINGS_KEPT)(self._read)
        examples = kb.small_talk.examples()
        self._talk_intents = [intent for intent, _ in examples]
        self._talk_vectors = self.index.embed_texts(small_talk_texts(kb))
        self._rows: dict[str, list[int]] = {}
        for row, owner in enumerate(self.index.owners):
            self._rows.setdefault(owner, []).append(row)

    def candidates(self, question: str, lexical: list[Match]) -> list[Candidate]:
        """The lexical candidates and the encoder's nearest entries, each read with the question; best read first."""
        return list(self._remembered(self.text(question), tuple((m.entry_id, m.score) for m in lexical)))

    def forget(self) -> None:
        """Forget every remembered reading (`bench/pipeline.py` times readings, not look-ups)."""
        self._remembered.cache_clear()

    def _read(self, text: str, lexical: tuple[tuple[str, float], ...]) -> tuple[Candidate, ...]:
        vector = self.models.embed([text])[0]
        dense = dict(self.index.rank(vector, self.dense_candidates))
        lexical_scores = dict(lexical)
        # Alternate lexical and dense picks so a short budget still holds the best of each.
        ordered: list[str] = []
        for pair in zip(
            list(lexical_scores) + [""] * len(dense), list(dense) + [""] * len(lexical_scores), strict=False
        ):
            ordered.extend(entry_id for entry_id in pair if entry_id and entry_id not in ordered)
        chosen = ordered[: self.read_at_most]
        if not chosen:
            return ()
        probabilities = self.models.read(text, [self.texts[entry_id] for entry_id in chosen])
        found = [
            Candidate(
                entry_id,
                lexical_scores.get(entry_id, 0.0),
                dense.get(entry_id, float(self.index.vectors[self._rows[entry_id]].dot(vector).max())),
                probability,
            )
            for entry_id, probability in zip(chosen, probabilities, strict=True)
        ]
        return tuple(sorted(found, key=lambda c: c.read, reverse=True))

    def small_talk(self, question: str) -> tuple[str | None, float]:
        """The small-talk intent whose example is nearest the message, and the cosine (None, 0 without examples)."""
        if not self._talk_intents:
            return None, 0.0
        scores = self._talk_vectors @ self.models.embed([self.text(question)])[0]
        best = int(scores.argmax())
        return self._talk_intents[best], float(scores[best])

    def text(self, question: str) -> str:
        """What the models read of a message: its focus without the chatter in front ("ok nvm, ..."), spelling
        corrected and shorthand expanded (the words the knowledge base knows: "wats the bls medain 4 coders" ->
        "what the bls median for coders")."""
        return question_text(self.kb.normalizer, self.segmenter.without_lead_ins(self.focus(question)))

    def focus(self, question: str) -> str:
        """What the reader is shown: a short message whole, a long one's question part (see the module's doc)."""
        words = question.split()
        if len(words) <= FOCUS_WORDS:
            return question
        parts = self.segmenter.sentences(question)
        asked = [i for i, s in enumerate(parts) if s.question]
        if asked:
            first = max(asked[0] - 1, 0)
            kept = " ".join(s.text for i, s in enumerate(parts) if i >= first and (s.question or i == first))
            words = kept.split()
        return " ".join(words[-FOCUS_WORDS:])
