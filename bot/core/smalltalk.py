"""Greetings, thanks, goodbyes and questions about the bot: recognised before matching, answered kindly.

Why a separate step: "hi" or "thanks!" shares no word with the article, so the matcher could only
say "I don't know that", which reads as rude; and a greeting must never borrow an entry's answer.
A message counts as small talk only when every word in it belongs to one intent's phrases or to
harmless filler, so "hi! what does a CPC earn?" is still a question. The intents, their phrases,
replies and the filler words are data: `bot/knowledge/small_talk.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.normalize import clean
from bot.core.yamlfile import read_yaml

SMALL_TALK_FILE = "small_talk.yaml"
GREETING = "greeting"
_WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True, slots=True)
class Intent:
    name: str
    reply: str
    phrases: tuple[str, ...]
    examples: tuple[str, ...] = ()  # whole messages of this kind, for the encoder's nearest-example check


class SmallTalk:
    """The small-talk rules of one knowledge base: intents in the order they are tried, and filler words."""

    def __init__(
        self, intents: tuple[Intent, ...], filler: frozenset[str], question_words: tuple[str, ...], max_words: int
    ):
        self.intents = intents
        self.filler = filler
        self.max_words = max_words
        self.replies = {intent.name: intent.reply for intent in intents}
        self._patterns = {
            intent.name: re.compile(
                r"\b(?:" + "|".join(re.escape(p) for p in sorted(intent.phrases, key=len, reverse=True)) + r")\b"
            )
            for intent in intents
        }
        self._asks = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in question_words) + r")\b")
        greetings = next((intent.phrases for intent in intents if intent.name == GREETING), ())
        self._opening = (
            re.compile(
                r"^\W*(?:"
                + "|".join(re.escape(p).replace(r"\ ", r"\W+") for p in sorted(greetings, key=len, reverse=True))
                + r")\b[\W_]*",
                re.I,
            )
            if greetings
            else None
        )

    @classmethod
    def parse(cls, raw: Any) -> SmallTalk:
        """From the file's mapping; ValueError names what is wrong."""
        if not isinstance(raw, dict) or not isinstance(raw.get("intents"), dict) or not raw["intents"]:
            raise ValueError("needs 'intents': a mapping of intent name to {reply, phrases}")
        unknown = set(raw) - {"intents", "filler", "question_words", "max_words"}
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        intents = []
        for name, spec in raw["intents"].items():
            if not isinstance(spec, dict) or not isinstance(spec.get("reply"), str) or not spec.get("phrases"):
                raise ValueError(f"intent {name!r} needs a 'reply' and a list of 'phrases'")
            phrases = tuple(str(p).casefold() for p in spec["phrases"])
            intents.append(Intent(str(name), spec["reply"], phrases, tuple(str(e) for e in spec.get("examples") or ())))
        if GREETING not in {intent.name for intent in intents}:
            raise ValueError(f"needs a {GREETING!r} intent (introductions are greeted with it)")
        return cls(
            tuple(intents),
            frozenset(str(w) for w in raw.get("filler") or ()),
            tuple(str(w) for w in raw.get("question_words") or ()) or ("what",),
            int(raw.get("max_words", 12)),
        )

    @classmethod
    def load(cls, path: Path) -> SmallTalk:
        return cls.parse(read_yaml(path))

    def classify(self, text: str) -> str | None:
        """The intent `text` is, or None when it holds anything else (such as a question)."""
        words = _words(text)
        if not words or words.count(" ") >= self.max_words:
            return None
        found: str | None = None
        rest = words
        for intent in self.intents:
            rest, count = self._patterns[intent.name].subn(" ", rest)
            if count and found is None:
                found = intent.name
        if found is None or any(word not in self.filler for word in rest.split()):
            return None
        return found

    def examples(self) -> list[tuple[str, str]]:
        """(intent, example) for every intent's examples, in order."""
        return [(intent.name, example) for intent in self.intents for example in intent.examples]

    def is_introduction(self, text: str) -> bool:
        """Whether `text` opens with a greeting and asks nothing after it ("Hi, I'm a nurse's aide and ...").

        Any question word after the greeting makes it a question ("hi, how do I get experience"), with or
        without a question mark.
        """
        words = _words(text)
        found = self._patterns[GREETING].match(words)
        return found is not None and "?" not in text and not self._asks.search(words[found.end() :])

    def without_greeting(self, text: str) -> str:
        """The message without the greeting it opens with ("hi cpc exam" -> "cpc exam"), else as it is.

        Why: the reader was trained on questions; a greeting in front of one reads to it like chatter.
        A greeting that opens with a question word ("what's up", "how are you", "is anyone here") is taken
        off only when punctuation closes it: "what's up, what does a CPC earn?" but not "what's up with
        the CPC exam?", whose first words are its question.
        """
        found = self._opening.match(text) if self._opening is not None else None
        if found is None:
            return text
        greeting = found.group(0)
        if self._asks.match(_words(greeting)) and not re.search(r"[^\w\s'’]", greeting.strip()):
            return text
        rest = text[found.end() :]
        return rest if rest.strip() else text


def _words(text: str) -> str:
    """The message's lowercase words, apostrophes split ("that's" -> "that s"), one space apart."""
    return " ".join(_WORD.findall(clean(text).replace("'", " ").replace("’", " ")))
