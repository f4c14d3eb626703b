"""Reading a message against the reply before it: positions, comparisons, sources and pronouns.

Why a separate stage: "and the next one?", "which pays more?", "where is that number from?" and "what are
their full names?" name no topic of their own; they point at what was just shown (`bot.core.context`).
This stage only *recognises* such a message and says what it points at; the engine builds the reply. Its
words are the lexicon's `follow_ups` section, so they are data.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.core.context import Context
from bot.core.models import BundledTopic, FollowUpWords
from bot.core.segment import alternation, last_sentence


class Direction(enum.StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    BOTH = "both"  # "what's the difference": every figure, largest first


@dataclass(frozen=True, slots=True)
class Pointer:
    """An item of the list just shown, by position (0-based), or past its end (`out_of_range`)."""

    index: int
    out_of_range: bool = False
    count: int = 1  # "the last two": this many items from `index`


_PLURAL = frozenset({"they", "them", "their", "theirs", "those", "these", "those ones"})
_BARE_NUMBER = re.compile(r"^\D*\b([1-9])\b\D*$")
_SHORT_WORDS = 5  # "tell me about 5": a bare number picks an item only in a message this short
# A year, not a sum ("$2020", "2000 a month", "2,015").
_YEAR = re.compile(
    r"(?<![$\d,.])\b((?:19|20)\d\d)\b(?![,.]?\d)(?!\s*(?:a|an|per|/)\s*(?:month|year|yr|week|hour|hr|day)s?\b)"
)


def _single_words(phrases: tuple[str, ...]) -> frozenset[str]:
    return frozenset(word.casefold() for phrase in phrases for word in phrase.split())


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(rf"\b(?:{alternation(list(phrases))})\b", re.I)


class FollowUps:
    """The compiled follow-up words of one lexicon."""

    def __init__(self, words: FollowUpWords) -> None:
        self.words = words
        self._numbers = {**words.cardinals, **{str(n): n for n in range(1, 21)}}
        self._numbered = re.compile(
            rf"\b(?:step|number|no\.?|item|option|#)\s*#?\s*({alternation(list(self._numbers))})\b", re.I
        )
        # The lexicon's lists that several patterns below share, each made an alternation once.
        ordinals = alternation(list(words.ordinals))
        anchors = alternation(words.anchors)
        closing = alternation(words.closing)
        self._ordinal = re.compile(rf"\b({ordinals})\b", re.I)
        ends = [w for w, n in words.ordinals.items() if n in (1, -1)]  # first, last
        self._several = re.compile(
            rf"\b({alternation(ends)})\s+({alternation([w for w in self._numbers if self._numbers[w] > 1])})\b", re.I
        )
        self._anchor = _words(*words.anchors)
        self._whole_list = re.compile(
            rf"\b(?:that|this|the|your)\s+(?:{alternation(words.whole_list)})\b(?!\s+of\b)", re.I
        )
        # "the second one", "the 2nd option", "second on that list", "number 2": an item picked by its position,
        # said in full.
        self._picking = re.compile(
            rf"(?:\bthe\s+)?\b({ordinals})\s+(?:(?:on|in|of)\s+(?:the|that|this)\s+)?(?:{anchors})\b"
            rf"|{self._numbered.pattern}",
            re.I,
        )
        self._forward = _words(*words.forward)
        self._backward = _words(*words.backward)
        # A move from a position: right before it ("after step 2"), or closing the message ("the 2nd one, what
        # comes after?"), where a bare "after"/"before" does not count ("do i need a job before that?").
        attached = {w.casefold() for w in words.attached_only}
        self._moves_before = {
            direction: re.compile(rf"\b(?:{alternation(phrases)})\s+(?:the\s+)?$", re.I)
            for direction, phrases in ((1, words.forward), (-1, words.backward))
        }
        self._moves_in_full: dict[int, re.Pattern[str]] = {}
        self._moves_closing: dict[int, re.Pattern[str]] = {}
        for direction, phrases in ((1, words.forward), (-1, words.backward)):
            moves = [p for p in phrases if p.casefold() not in attached]
            said = alternation([p for p in moves if " " in p])
            single = alternation([p for p in moves if " " not in p])
            # A move said in full: a phrase ("the one after", "comes before"), or a word that is also an adjective
            # ("next", "prior", "following") before an anchor ("next step"), asked alone ("what's next") or
            # opening the sentence on its own ("next up?", "next, how long does it take?"; not "next year I start"
            # or "previous jobs were in retail").
            self._moves_in_full[direction] = re.compile(
                rf"\b(?:{said})\b|\b(?:{single})\s+(?:{anchors})\b"
                rf"|\bwhat(?:'s|s|\s+is|\s+comes)?\s+(?:{single})\b"
                rf"|^\W*(?:{single})(?:\W+(?:{closing}))*(?:\W*$|\s*[,:;])",
                re.I,
            )
            self._moves_closing[direction] = re.compile(rf"\b(?:{alternation(moves)})(?:\W+(?:{closing}))*\W*$", re.I)
        self._higher = _words(*words.higher)
        self._lower = _words(*words.lower)
        self._compare = _words(*words.compare)
        self._provenance = _words(*words.provenance)
        self._pronoun = _words(*words.pronouns)
        self._kinds = {kind: _words(*spec.words) for kind, spec in words.kinds.items()}
        self._kind_words = frozenset(w for spec in words.kinds.values() for w in spec.words)  # "states", "orgs"
        self._continues = re.compile(rf"^\s*(?:{alternation(words.continuations)})\b", re.I)
        self._chooses = _words(*words.choosing)
        self._reasons = _words(*words.reasons)
        # "ok nvm, ...", "hey, unrelated but ...": said first (after a word or two), not "... sorry if this is random".
        self._switches = re.compile(rf"^\W*(?:\w+\W+){{0,2}}?(?:{alternation(words.switches)})\b", re.I)
        self._newer = _words(*words.newer)
        self._levels = _words(*words.levels)
        self._level_asks = _words(*words.level_asks)
        self._causes = _words(*words.causes)
        self._later_year = re.compile(rf"\b(?:{alternation(words.later)})\s+{_YEAR.pattern}", re.I)
        self.time_words = _single_words(words.newer)
        self.listing_words = _single_words(words.listing)
        # The words that only point ("the second", "which is higher", "their"): what is left names something.
        pointing = (
            *words.forward,
            *words.backward,
            *words.pronouns,
            *words.higher,
            *words.lower,
            *words.compare,
            *words.provenance,
            *words.ordinals,
            *words.cardinals,
        )
        self.pointing_words = _single_words(pointing)
        # ...and with the words that carry a pointing message along ("the second one", "what comes next").
        self.phrases = (*pointing, *words.anchors, *words.filler)
        self.filler_words = _single_words(words.filler)
        self.vocabulary = self.pointing_words | _single_words(self.phrases)

    def pointer(self, text: str, context: Context, named: int | None = None) -> Pointer | None:
        """The item of `context.items` the message picks, if any: "step 3", "the second one", "the last
        step", "next" / "the one before" (from the item last shown, or `named`, an item the message names:
        "what comes after networking"), or a bare number in a very short message ("tell me about 5").

        Things an answer merely named side by side are no sequence: only a position said in full ("the
        second one", "number 2") picks one of them; "what should I do first?" or "what's next?" does not."""
        count = len(context.items)
        if not count:
            return None
        if all(item.entity is not None for item in context.items):
            found = self._picking.search(text)
            if found is None:
                return None
            ordinal, number = found.group(1), found.group(2)
            return self._numbered_item(number, count) if number is not None else self._ordinal_item(ordinal, count)
        found = self._several.search(text)
        if found:  # "the last two", "first 3"
            n = min(self._numbers[found.group(2).casefold()], count)
            start = count - n if self.words.ordinals.get(found.group(1).casefold(), 1) < 0 else 0
            return Pointer(start, count=n)
        found = self._numbered.search(text)
        if found:
            return self._moved_from(text, found, self._numbered_item(found.group(1), count), count)
        found = self._ordinal.search(text)
        if found and (self._anchor.search(text, found.end()) or len(text.split()) <= _SHORT_WORDS):
            return self._moved_from(text, found, self._ordinal_item(found.group(1), count), count)
        base = named if named is not None else context.position
        if self._forward.search(text):
            return _bounded(0 if base is None else base + 1, count)
        if self._backward.search(text) and base is not None:
            return _bounded(base - 1, count)
        found = _BARE_NUMBER.match(text)
        if found and len(text.split()) <= _SHORT_WORDS:
            return _bounded(int(found.group(1)) - 1, count)
        return None

    def _moved_from(self, text: str, position: re.Match[str], picked: Pointer, count: int) -> Pointer:
        """The item a position names, or the one after or before it when the message moves from there: said
        right before the position ("what's before the third one"), closing the message ("im done with step
        2, what comes after?") or in a sentence after the position's ("past the first one. what's the next
        step after that for me?", not "step 2. do i need a job before that?": only a move said in full);
        not "what do i do in step 2 after getting my education"."""
        if picked.out_of_range:
            return picked
        before, after = text[: position.start()], text[position.end() :]
        later = last_sentence(after)
        for direction in (1, -1):
            if (
                self._moves_before[direction].search(before)
                or self._moves_closing[direction].search(after)
                or self._moves_in_full[direction].search(later)
            ):
                return _bounded(picked.index + direction, count)
        return picked

    def _numbered_item(self, number: str, count: int) -> Pointer:
        """The item "number 2" / "step three" names."""
        return _bounded(self._numbers[number.casefold()] - 1, count)

    def _ordinal_item(self, ordinal: str, count: int) -> Pointer:
        """The item "second", "last" or "middle" names, of `count`."""
        n = self.words.ordinals[ordinal.casefold()]
        return _bounded(count // 2 if n == 0 else n - 1 if n > 0 else count + n, count)

    def comparison(self, text: str) -> Direction | None:
        """Whether the message compares what was shown: the largest, the smallest, or all of it. Not when it
        asks why ("why is the CCS higher?"): that asks for a cause, not a ranking."""
        if self.asks_reason(text):
            return None
        if self._compare.search(text):
            return Direction.BOTH
        if self._higher.search(text):
            return Direction.HIGHER
        if self._lower.search(text):
            return Direction.LOWER
        return None

    def switches(self, text: str) -> bool:
        """Whether the message says it changes the subject ("unrelated, but ...", "ok nvm, ...")."""
        return self._switches.match(text) is not None

    def past_the_figures(self, text: str, dated: str) -> str | None:
        """A time past the last year the figures shown name ("after 2029", "beyond 2029"), or None."""
        covered = [int(year) for year in _YEAR.findall(dated)]
        later = self._later_year.search(text)
        if later is not None and covered and int(later.group(1)) >= max(covered):
            return later.group(0)
        return None

    def other_time(self, text: str, dated: str) -> str | None:
        """The time the message asks figures for, when the figures shown do not cover it (`dated`: their dates
        and the words they came with): a year they do not name ("in 2024"), a time past the last year they
        name ("after 2029"), or newer figures ("the latest numbers"). None when it asks about no other time.
        A sum is no year ("2000 a month", "$2020")."""
        covered = [int(year) for year in _YEAR.findall(dated)]
        later = self.past_the_figures(text, dated)
        if later is not None:
            return later
        years = [year for year in _YEAR.findall(text) if int(year) not in covered]
        if years:
            return years[0]
        return "anything newer" if self._newer.search(text) else None

    def asks_level(self, text: str) -> bool:
        """Whether the message names a level of experience ("what do they start at?", "for beginners")."""
        return self._levels.search(text) is not None

    def asks_level_figure(self, text: str) -> bool:
        """Whether the message asks what a level starts at, or whether the figures shown are for one."""
        return self._level_asks.search(text) is not None

    def names_the_list(self, text: str) -> bool:
        """Whether the message names the list just shown as a whole ("second on that list", "the table")."""
        return self._whole_list.search(text) is not None

    def without_levels(self, text: str) -> str:
        """The message without the levels of experience it names, and the words asking a level's figure."""
        return self._level_asks.sub(" ", self._levels.sub(" ", text))

    def gives_cause(self, text: str) -> bool:
        """Whether an answer's text says why what it states is so ("as the healthcare industry expands, ...")."""
        return self._causes.search(text) is not None

    def asks_reason(self, text: str) -> bool:
        """Whether the message asks why something is so."""
        return self._reasons.search(text) is not None

    def asks_cause_of_ranking(self, text: str) -> bool:
        """Whether the message asks why one thing ranks above another ("why does the CCS pay more?"): figures
        shown never say, where an answer may well say why something matters."""
        return self.asks_reason(text) and self.ranks(text)

    def ranks(self, text: str) -> bool:
        """Whether the message ranks or compares things ("ccs pays more than cpc?", "which is lowest")."""
        return bool(self._higher.search(text) or self._lower.search(text) or self._compare.search(text))

    def asks_provenance(self, text: str) -> bool:
        """Whether the message asks where a figure shown comes from, or when."""
        return self._provenance.search(text) is not None

    def continues(self, text: str) -> bool:
        """Whether the message opens as a continuation of the previous question ("and the CCS?")."""
        return self._continues.match(text) is not None

    def chooses(self, text: str) -> bool:
        """Whether the message chooses among what was just discussed ("which one pays more?")."""
        return self._chooses.search(text) is not None

    def pronoun(self, text: str) -> re.Match[str] | None:
        return self._pronoun.search(text)

    def kind_named(self, text: str) -> str | None:
        """The kind of thing a question asks about by its word for the kind ("which orgs ..." -> organisation)."""
        return next((kind for kind, words in self._kinds.items() if words.search(text)), None)

    def kind_of(self, tokens: frozenset[str]) -> str | None:
        """The kind whose entities these canonical tokens name (an item's), if any."""
        return next((kind for kind, spec in self.words.kinds.items() if tokens & set(spec.entities)), None)

    def stands_for(self, pronoun: str, context: Context) -> tuple[list[str], bool]:
        """The entities a pronoun stands for, and whether the member named them (else the answer did).

        The member's own, specific, named thing first ("what is the CCS?" -> "their pay" is the CCS's); else,
        for a plural pronoun after a question about a kind of thing ("which orgs certify?" -> "their full
        names"), the answer's things of that kind. A word for a kind ("states") names no one thing.
        """
        kind = self.kind_named(context.question)
        allowed = set(self.words.kinds[kind].entities) if kind is not None else None
        asked = [e for e in context.asked if e not in self._kind_words and (allowed is None or e in allowed)]
        if asked:
            return asked[:1], True
        if kind is None or pronoun.casefold() not in _PLURAL:
            return [], False
        return [e for e in context.shown if allowed is not None and e in allowed][:3], False

    def replace_pointer(self, text: str, name: str) -> str:
        """The message with the position that picks an item replaced by its name ("tell me about the second
        one" -> "tell me about AHIMA"; `pointer` picks among named things only by such a position)."""
        return self._picking.sub(name, text, count=1)

    def replace_pronoun(self, text: str, name: str) -> str:
        """The message with its first pronoun replaced by `name` ("what's their pay" -> "what's the CCS pay")."""
        return self._pronoun.sub(name, text, count=1)


def _bounded(index: int, count: int) -> Pointer:
    return Pointer(index, out_of_range=not 0 <= index < count)


class Bundled:
    """A topic the article leaves out, named together with coding ("billing and coding"), from the lexicon."""

    def __init__(self, topic: BundledTopic | None) -> None:
        self.topic = topic
        self.note = topic.note if topic is not None else ""
        if topic is None:
            return
        word = rf"\b(?:{alternation(topic.words)})\b"
        joiner = r"\s*(?:and|&|/|\+)\s*"
        bundle = re.escape(topic.with_)
        self._named = re.compile(rf"{word}(?=.*\b{bundle})|\b{bundle}\w*{joiner}{word}", re.I | re.S)
        self._joined = re.compile(rf"{word}{joiner}|{joiner}{word}", re.I)
        self._comparing = _words(*topic.comparing)

    def without(self, question: str) -> str | None:
        """The question without the bundled topic, when it names it beside coding and compares nothing."""
        topic = self.topic
        if topic is None or not self._named.search(question) or self._comparing.search(question):
            return None
        return self._joined.sub(" ", question)

    def said_by(self, entry_id: str | None) -> bool:
        return self.topic is not None and entry_id in self.topic.except_entries
