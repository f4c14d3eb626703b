"""The answer engine: one question in, one `Reply` out.

Why a separate layer over the matcher: the matcher only ranks entries; the engine decides what
a member is shown (an answer, "did you mean", or an honest fallback) and renders the text with
every figure's source and date, identically for the terminal and for Discord.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.knowledge import KnowledgeBase, load_knowledge
from bot.core.matcher import Match, Matcher
from bot.core.models import Entry
from bot.core.normalize import has_words


class ReplyKind(enum.StrEnum):
    ANSWER = "answer"  # a confident answer from one entry
    SUGGEST = "suggest"  # "did you mean ...?": close to several entries, none confident
    FALLBACK = "fallback"  # the article does not cover it (or only names what it lacks)
    INVALID = "invalid"  # empty, emoji-only or over-long input: a clear message, no matching


@dataclass(frozen=True, slots=True)
class Suggestion:
    entry_id: str
    title: str  # short, human: fits a Discord button label (<= 80 characters)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    text: str  # Discord markdown, <= 1,000 characters for answers
    entry_id: str | None = None
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)

    @property
    def answered(self) -> bool:
        """True only for a confident answer; suggestions and fallbacks are not answers."""
        return self.kind is ReplyKind.ANSWER


MAX_QUESTION_CHARS = 4000  # a Discord message's limit
ANSWER_THRESHOLD = 55.0  # below this no entry is trusted on its own...
LONG_QUESTION_THRESHOLD = 42.0  # ...except in a long, chatty question, whose extra words dilute the score
CLEAR_WINNER_MARGIN = 15.0  # in a long question, a winner this far ahead may pass a lower bar
ANSWER_MARGIN = 7.0  # ...and it must beat the runner-up by this much
SUGGEST_THRESHOLD = 40.0  # entries this close are offered as "did you mean"
SUGGEST_WINDOW = 20.0  # ...if they are within this of the best
MAX_SUGGESTIONS = 3

CAN_ANSWER = (
    "I answer from one article on becoming a medical coder: what coding is, the five steps, education, "
    "CPC and CCS certification, experience, networking, skills, specialising, salaries (by position, "
    "sector and top states) and the job outlook."
)


class Engine:
    """Public face of the core: load a knowledge base once, then answer questions.

    Front ends hold one `Engine` for their whole life; it is immutable after load, so it is
    safe to share between coroutines and threads.
    """

    def __init__(self, kb: KnowledgeBase, matcher: Matcher | None = None) -> None:
        self.kb = kb
        self.matcher = matcher or Matcher(kb)
        # Answers never change after load, so each is rendered once rather than on every ask.
        self._rendered = {entry.id: self.render(entry) for entry in kb.entries.values()}

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Engine:
        """Load and validate the knowledge base (the packaged one when `directory` is None)."""
        return cls(load_knowledge(directory))

    def ask(self, question: str) -> Reply:
        """Answer a member's free-text question (never raises on any str)."""
        if len(question) > MAX_QUESTION_CHARS:
            return Reply(
                ReplyKind.INVALID,
                f"That message is {len(question):,} characters long; please ask one question in at most "
                f"{MAX_QUESTION_CHARS:,} characters.",
            )
        tokens = self.kb.normalizer.tokens(question)
        if not tokens and not has_words(question):
            return Reply(
                ReplyKind.INVALID,
                "Please ask a question in words, for example *what does a CPC earn?* or *what are the steps?*",
            )
        # Nothing further than SUGGEST_WINDOW below the best changes a decision: it is never suggested,
        # and a runner-up that far behind leaves a margin past CLEAR_WINNER_MARGIN whatever its score.
        ranked = self.matcher.rank_tokens(tokens, limit=MAX_SUGGESTIONS + 2, window=SUGGEST_WINDOW)
        return self.decide(ranked, len(tokens))

    @staticmethod
    def threshold(token_count: int, margin: float) -> float:
        """The score an answer needs: lower for long questions with a clear winner, never below the floor.

        Short questions keep the full bar: "how do I become a pilot" shares words with the knowledge
        base and must still fall back.
        """
        if token_count <= 4:
            return ANSWER_THRESHOLD
        bonus = 6.0 if margin >= CLEAR_WINNER_MARGIN else 0.0
        return max(LONG_QUESTION_THRESHOLD, ANSWER_THRESHOLD - 2.0 * (token_count - 4) - bonus)

    def decide(self, ranked: list[Match], token_count: int = 1) -> Reply:
        """Turn a ranking into one of the three outcomes; a wrong confident answer is the worst one."""
        if not ranked or ranked[0].score < SUGGEST_THRESHOLD:
            return self._fallback(ranked[0].score if ranked else 0.0)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        entry = self.kb.entries[best.entry_id]
        margin = best.score - runner_up
        confident = best.score >= self.threshold(token_count, margin) and margin >= ANSWER_MARGIN
        if confident and entry.kind == "gap":
            return Reply(ReplyKind.FALLBACK, f"{entry.answer}\n{CAN_ANSWER}", entry.id, best.score)
        if confident:
            return self._answer(entry, best.score)
        close = [
            m for m in ranked
            if m.score >= max(SUGGEST_THRESHOLD, best.score - SUGGEST_WINDOW)
            and self.kb.entries[m.entry_id].kind == "fact"
        ][:MAX_SUGGESTIONS]
        if entry.kind == "gap" or not close:
            return self._fallback(best.score)
        suggestions = tuple(Suggestion(m.entry_id, self.kb.entries[m.entry_id].title) for m in close)
        lines = "\n".join(f"- {s.title}" for s in suggestions)
        return Reply(
            ReplyKind.SUGGEST,
            f"I'm not sure which of these you mean. Did you mean:\n{lines}",
            None,
            round(best.score, 1),
            suggestions,
        )

    def answer_entry(self, entry_id: str) -> Reply:
        """The answer of one known entry, e.g. after a "did you mean" button; KeyError if unknown."""
        entry = self.kb.entries[entry_id]
        if entry.kind == "gap":
            return Reply(ReplyKind.FALLBACK, f"{entry.answer}\n{CAN_ANSWER}", entry.id, 100.0)
        return self._answer(entry, 100.0)

    @staticmethod
    def render(entry: Entry) -> str:
        """An entry's answer with the provenance of every figure it shows."""
        text = f"**{entry.title}**\n{entry.answer}"
        provenances = list(dict.fromkeys(f.provenance for f in entry.figures))
        if provenances:
            text += "\n-# Source: " + "; ".join(provenances)
        return text

    def _answer(self, entry: Entry, score: float) -> Reply:
        return Reply(ReplyKind.ANSWER, self._rendered[entry.id], entry.id, round(score, 1))

    @staticmethod
    def _fallback(score: float) -> Reply:
        return Reply(
            ReplyKind.FALLBACK,
            f"I don't know that: the article I answer from doesn't cover it.\n{CAN_ANSWER}",
            None,
            round(score, 1),
        )
