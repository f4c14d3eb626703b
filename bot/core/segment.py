"""Finding the question(s) inside a member's message.

Why: a chatty message ("I got my GED last year and my aunt says coding is great... what schooling
do I need?") buries its question in personal context. Matched as one bag of words, the chatter
either dilutes the question below any threshold or hijacks it ("aunt works at a hospital" looks
like pay by sector). Splitting the message into sentences, and a sentence into the questions it
joins with "and"/"also", lets the engine match the question on its own, with the sentence before
it as context, and answer two questions asked in one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.models import QuestionWords

# Sentence ends: ., !, ? (repeated), ellipses, line breaks, semicolons or dashes between clauses, and emoji,
# which chat messages use as full stops ("starting from scratch 😅 which states pay most?").
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d"
_SENTENCE_END = re.compile(
    rf"(?<=[.!?…])[\"')\]]*\s+|\n+|\s*;\s+|\s+[—–]\s+|\s+-{{1,2}}\s+|(?<=\?)(?=[A-Za-z])|\s*[{_EMOJI}]+\s*"
)
_MIN_PART_WORDS = 2


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    question: bool  # ends with "?" or opens like a question


class Segmenter:
    """Splits messages into sentences and questions with one lexicon's question words (`questions:`)."""

    def __init__(self, words: QuestionWords) -> None:
        # "ok nvm, what ...", "so - how ...": chatter in front of a question, each word followed by a space or
        # punctuation.
        lead_ins = rf"(?:(?:{alternation(words.lead_ins)})\b[\s,.:;!-]+)*"
        self._lead_ins = re.compile(rf"^\s*{lead_ins}", re.I)
        self._question_start = re.compile(rf"^{lead_ins}(?:{alternation(words.openers)})\b", re.I)
        # "... take and what does CPC stand for": a second question joined to the first.
        self._joined_question = re.compile(
            rf",?\s+(?:{alternation(words.joiners)})\s+(?:also\s+)?(?=(?:{alternation(words.second_openers)})\b)",
            re.I,
        )
        # A comma before the member says what they are or have done ("walk me through the steps, I'm a receptionist
        # so be gentle", "which cert should I get, I'm a nurse?"): what they say of themselves is a sentence of its
        # own, a statement even when the message's "?" closes it; the "?" is the first part's.
        about_oneself = alternation(words.about_oneself)
        self._about_oneself_after_comma = re.compile(rf",\s+(?=(?:{about_oneself})\b)", re.I)
        self._about_oneself = re.compile(rf"\b(?:{about_oneself})\b[^,.;!?]*", re.I)  # to the clause's end

    def sentences(self, text: str) -> list[Segment]:
        """The message's sentences in order, each marked as a question or not; empty pieces dropped."""
        out = []
        for raw in _SENTENCE_END.split(text):
            whole = raw.strip(" ,")
            if not whole or not any(ch.isalnum() for ch in whole):
                continue
            marked = whole.rstrip(" )\"'.!").endswith("?")
            head, *about = self._about_oneself_after_comma.split(whole)
            out.append(Segment(head, marked or bool(self._question_start.match(head))))
            out.extend(Segment(clause, bool(self._question_start.match(clause))) for clause in about)
        return out

    def without_lead_ins(self, text: str) -> str:
        """The message without the chatter in front of it ("ok nvm, what do hospitals pay" -> "what do hospitals
        pay"); the whole message when nothing would be left."""
        rest = text[self._lead_ins.match(text).end() :]  # type: ignore[union-attr]  # `*` always matches
        return rest if any(ch.isalnum() for ch in rest) else text

    def without_self(self, text: str) -> str:
        """The message without what the member says of themselves ("I'm just starting out, which pays most?")."""
        return self._about_oneself.sub(" ", text)

    def split_joined(self, sentence: str) -> list[str]:
        """A question sentence cut where it joins a second question ("X and what is Y?")."""
        parts = [p.strip(" ,") for p in self._joined_question.split(sentence)]
        if len(parts) < 2 or any(len(p.split()) < _MIN_PART_WORDS for p in parts):
            return [sentence]
        return parts

    def questions(self, parts: list[Segment]) -> list[str]:
        """Every question a message asks, given its `sentences`, in order: question sentences, each cut at
        joined questions."""
        out: list[str] = []
        for segment in parts:
            if segment.question:
                out.extend(self.split_joined(segment.text))
        return out


def focus_candidates(parts: list[Segment]) -> list[str]:
    """Shorter texts that may hold the message's one question, best guess first.

    Each question sentence alone and with the sentence before it (which often names the topic:
    "I'm looking at the CPC. How hard is it?"). A message with no question sentence yields each
    sentence, since "I want to know the pay" states its question.
    """
    if len(parts) < 2:
        return []
    picked = [i for i, s in enumerate(parts) if s.question] or list(range(len(parts)))
    out: list[str] = []
    for i in picked:
        out.append(parts[i].text)
        if i > 0:
            out.append(f"{parts[i - 1].text} {parts[i].text}")
    return list(dict.fromkeys(out))


def last_sentence(text: str) -> str:
    """The last of the text's sentences when it has more than one, else "" (a sentence after the one that names
    a position: "past the first one. what's the next step after that?")."""
    sentences = [part for part in _SENTENCE_END.split(text) if part.strip()]
    return sentences[-1] if len(sentences) > 1 else ""


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """A regex alternation of a lexicon's words and phrases, longest first so that "after that" wins over
    "after"; a phrase's spaces match any run of spaces, and an empty list matches nothing."""
    ordered = sorted({w.casefold() for w in words}, key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered) or r"(?!x)x"
