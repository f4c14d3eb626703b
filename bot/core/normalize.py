"""Turning a member's message into the canonical words the matcher compares.

Why so many steps: members type "wat r medical codes used 4", "how\u200bmuch", "**@everyone**
salary??" or "CPC's"; entries are written "what are codes used for" and "salary". Cleaning,
shorthand, spelling correction (rapidfuzz, bounded), plural folding, multi-word phrases,
synonyms and stop words bring both sides into one vocabulary.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache, lru_cache, partial
from pathlib import Path

from bot.core.models import Lexicon

_DISCORD_TOKENS = re.compile(
    r"<a?:\w{1,64}:\d{5,25}>"  # custom emoji
    r"|<@[!&]?\d{5,25}>"  # user and role mentions
    r"|<#\d{5,25}>"  # channel mentions
    r"|</[\w -]{1,100}:\d{5,25}>"  # slash-command mentions
    r"|<t:-?\d{1,15}(?::[tTdDfFR])?>"  # timestamps
    r"|@(?:everyone|here)\b"
    r"|(?:https?|ftp)://\S+",
)
# Unicode format characters (category Cf, Unicode 14): zero-width spaces and joiners, bidi
# controls, soft hyphens, tags. Invisible, so dropped; a regex class instead of a per-character
# loop keeps a 4,000-character message well under a millisecond.
_FORMAT_CHARS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_CONTROL_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # categories Cc, Zl, Zp
_MARKDOWN = re.compile(r"[*_~`|>#\\\[\](){}]")
_WORD = re.compile(r"[a-z0-9]+")
# Spelling correction is bounded so that any message up to 4,000 characters stays fast.
MAX_CORRECTIONS = 24
MIN_CORRECT_LEN = 4
MAX_WORD_LEN = 30
STEADY_WORDS = 50_000  # raw words remembered as needing no correction (a few MB at most)
TEXT_TOKENS_KEPT = 20_000  # texts whose tokens are remembered: the knowledge base's, then the first members' words
ENGLISH_WORDS = Path(__file__).with_name("data") / "english_words.txt.gz"


@cache
def english_words() -> frozenset[str]:
    """Real English words of four letters or more (see `data/README.md`), loaded on first use.

    Why: spelling correction only knows the knowledge base's words, so it "corrected" real words the
    knowledge base lacks into ones it has: "nice" into "niche", "master" into "matter", "staying" into
    "studying", each a confident wrong reading. A real word is only corrected into another form of itself
    (see `Normalizer._correct_uncached`). Read on first use (~6 MB, tens of milliseconds): the bot warms
    it in a thread at start-up, and a one-off `ask` only pays when a word needs correcting.
    """
    return frozenset(gzip.decompress(ENGLISH_WORDS.read_bytes()).decode("ascii").split())


@cache
def _closest() -> Callable[..., tuple[str, float, int] | None]:
    """rapidfuzz's best-match search, imported on first use: a start-up whose messages need no correcting (the
    bot's login, a one-off `ask`) never pays its import (~7 ms)."""
    from rapidfuzz import fuzz, process  # noqa: PLC0415

    return partial(process.extractOne, scorer=fuzz.ratio)


def warm_spelling() -> None:
    """Load what spelling correction needs (the word list, rapidfuzz), so that no member's message pays for it;
    the bot calls this in a thread once ready."""
    english_words()
    _closest()


def _shared_prefix(a: str, b: str) -> int:
    """How many leading letters two words share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def clean(text: str) -> str:
    """Unicode- and Discord-normalised, case-folded text (no matching words removed yet).

    Each pass is skipped when a cheap C-level test shows it has nothing to do (ASCII text is already
    NFKC and has no format characters; no control character in printable text; no Discord token
    without "<", "@" or "://"): most questions are plain ASCII, and this runs on every one.
    """
    if not text.isascii():
        text = _FORMAT_CHARS.sub("", unicodedata.normalize("NFKC", text))
    if not text.isprintable():
        text = _CONTROL_CHARS.sub(" ", text)
    if "<" in text or "@" in text or "://" in text:
        text = _DISCORD_TOKENS.sub(" ", text)
    text = _MARKDOWN.sub(" ", text)
    return " ".join(text.casefold().split())


def has_words(text: str) -> bool:
    """Whether any letter or digit is left after cleaning (emoji-only and punctuation-only are not)."""
    return any(ch.isalnum() for ch in clean(text))


def stem(word: str) -> str:
    """Fold English plurals ('coders' -> 'coder', 'salaries' -> 'salary'); nothing cleverer."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "cs")):
        return word[:-1]
    return word


class Normalizer:
    """Maps text to canonical tokens with one lexicon; its rules never change after construction, and its
    only writes are bounded caches (spelling corrections, known words, texts' tokens), so one instance
    serves every question, from the bot's worker threads too."""

    def __init__(self, lexicon: Lexicon, extra_vocabulary: Iterable[str] = ()) -> None:
        self.stopwords = frozenset(lexicon.stopwords)
        self.entities = frozenset(lexicon.entities)
        self.shorthand = {k: tuple(v.split()) for k, v in {**lexicon.shorthand, **lexicon.real_word_shorthand}.items()}
        self.synonyms: dict[str, str] = {}
        for canonical, variants in lexicon.synonyms.items():
            for variant in (canonical, *variants):
                for form in {variant, stem(variant)}:
                    self.synonyms.setdefault(form, canonical)
        self._protected = self.stopwords | frozenset(self.synonyms)
        self.phrases: dict[tuple[str, ...], str] = {}
        for phrase, replacement in lexicon.phrases.items():
            key = tuple(self._fold_plural(w) for w in _WORD.findall(clean(phrase)))
            if key:
                self.phrases[key] = replacement
        self._longest_phrase = max((len(k) for k in self.phrases), default=1)
        self._rewrites = [(re.compile(r.match), r.replace) for r in lexicon.rewrites]
        self._in_context = {word: (rule.means, frozenset(rule.with_)) for word, rule in lexicon.in_context.items()}
        self._phrase_starts = frozenset(k[0] for k in self.phrases)

        vocabulary: set[str] = (
            set(self._protected) | set(lexicon.shorthand.values()) | set(lexicon.real_word_shorthand.values())
        )
        for phrase in lexicon.phrases:
            vocabulary.update(_WORD.findall(clean(phrase)))
        for text in extra_vocabulary:
            vocabulary.update(_WORD.findall(clean(text)))
        self.vocabulary = frozenset(w for w in vocabulary if w.isalpha() or w in self._protected)
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary):
            self._by_initial.setdefault(word[0], []).append(word)
        self._correct = lru_cache(maxsize=4096)(self._correct_uncached)
        self._text_tokens: dict[str, list[str]] = {}  # knowledge base texts, normalised once
        # Raw words whose expansion can never need spelling correction (known words, short words,
        # numbers) -> that expansion: most words of most questions, looked up once instead of checked
        # word by word on every message. Bounded, so a flood of new numbers cannot grow it for ever.
        self._steady: dict[str, tuple[str, ...]] = {}

    def _fold_plural(self, word: str) -> str:
        return word if word in self._protected else stem(word)

    def _fold(self, word: str) -> str:
        """A word's plural folded, and an -ing or -ed form the knowledge base lacks folded to a verb it
        has ("using" -> "use", "joining" -> "join", "planned" -> "plan").

        Why only to known words: a member's "joining" should meet the article's "join", but a general
        suffix stripper mangles words ("nursing" -> "nurs"); folding only onto a word the knowledge
        base already uses can't invent a token, and words it has ("coding") are left as they are.
        """
        folded = self._fold_plural(word)
        if folded in self._protected or folded in self.vocabulary or len(folded) <= 4:
            return folded
        if folded.endswith("ing"):
            base = folded[:-3]
        elif folded.endswith("ed"):
            base = folded[:-2]
        else:
            return folded
        doubled = base[:-1] if len(base) > 3 and base[-1] == base[-2] else ""  # "planned" -> "plan"
        for candidate in (base + "e", base, doubled):
            if len(candidate) >= 3 and candidate in self.vocabulary:
                return self._fold_plural(candidate)
        return folded

    def known(self, word: str) -> bool:
        return word in self.vocabulary or stem(word) in self.vocabulary

    def _may_need_correction(self, word: str) -> bool:
        return len(word) >= MIN_CORRECT_LEN and word.isalpha() and not self.known(word)

    def _correct_uncached(self, word: str) -> str:
        """The closest known word with the same initial, or the word itself when none is close or it is a
        real English word that is not another form of it (misspellings that are real words, "collage",
        belong in the lexicon's shorthand).

        Another form shares all but the last letter of the shorter word, and at least five: "curricula" still
        meets "curriculum" and "learnt" "learn", but "nice" is not read as "niche", "master" as "matter",
        "staying" as "studying" or "physical" as "physician". Irregular forms ("diagnoses") are lexicon
        synonyms.
        """
        candidates = self._by_initial.get(word[0], ())
        cutoff = 85.0 if len(word) <= 4 else 80.0
        best = _closest()(word, candidates, score_cutoff=cutoff)
        if best is None or abs(len(best[0]) - len(word)) > 2:
            return word
        found: str = best[0]
        if word in english_words() and _shared_prefix(word, found) < max(5, min(len(word), len(found)) - 1):
            return word
        return found

    def surface(self, text: str, *, correct: bool = True) -> list[str]:
        """Cleaned, shorthand-expanded and (optionally) spelling-corrected words, in order."""
        cleaned = clean(text)
        for pattern, replacement in self._rewrites:
            cleaned = pattern.sub(replacement, cleaned)
        words: list[str] = []
        corrected: dict[str, str] = {}  # per message: a repeated unknown word costs one look-up
        steady = self._steady
        for raw in _WORD.findall(cleaned):
            expansion = steady.get(raw)
            if expansion is not None:
                words.extend(expansion)
                continue
            if len(raw) > MAX_WORD_LEN or raw == "s":  # "s" is what is left of "coder's"
                continue
            expansion = self.shorthand.get(raw, (raw,))
            if len(steady) < STEADY_WORDS and not any(self._may_need_correction(w) for w in expansion):
                steady[raw] = expansion
                words.extend(expansion)
                continue
            for word in expansion:
                if word in corrected:
                    words.append(corrected[word])
                elif correct and len(corrected) < MAX_CORRECTIONS and self._may_need_correction(word):
                    corrected[word] = self._correct(word)
                    words.append(corrected[word])
                else:
                    words.append(word)
        return words

    def tokens(self, text: str, *, correct: bool = True) -> list[str]:
        """Canonical matching tokens of `text`, de-duplicated, in first-seen order.

        Texts read without correction (`correct=False`) are cached, up to TEXT_TOKENS_KEPT: the loader's
        checks and the matcher normalise the same phrasings, and they never change after load.
        """
        if not correct:
            cached = self._text_tokens.get(text)
            if cached is None:
                cached = self._tokens(text, correct=False)
                if len(self._text_tokens) < TEXT_TOKENS_KEPT:  # follow-ups read members' words this way too
                    self._text_tokens[text] = cached
            return list(cached)
        return self._tokens(text, correct=True)

    def _tokens(self, text: str, *, correct: bool) -> list[str]:
        words = self.surface(text, correct=correct)
        contextual = self._in_context
        if contextual and any(w in contextual for w in words):
            # "what do records coders make?": a question ending on such a word reads it in its meaning too.
            words = [
                (rule[0] if rule[1].intersection(words) or words[-1] == w else "") if (rule := contextual.get(w)) else w
                for w in words
            ]
        folded = [self._fold(w) for w in words if w]
        merged: list[str] = []
        i = 0
        while i < len(folded):
            if folded[i] not in self._phrase_starts:
                merged.append(folded[i])
                i += 1
                continue
            for size in range(min(self._longest_phrase, len(folded) - i), 0, -1):
                replacement = self.phrases.get(tuple(folded[i : i + size]))
                if replacement is not None:
                    merged.extend(replacement.split())
                    i += size
                    break
            else:
                merged.append(folded[i])
                i += 1
        out: dict[str, None] = {}
        for word in merged:
            canonical = self.synonyms.get(word, word)
            if canonical in self.stopwords or len(canonical) < 2 or canonical.isdigit():
                continue
            out[canonical] = None
        return list(out)
