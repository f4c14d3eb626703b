"""The answer engine: one question in, one `Reply` out.

Why a separate layer over the matcher: the matcher only ranks entries; the engine reads the
message as a conversation (small talk, several questions, chatter around one question, a
follow-up), decides what a member is shown (an answer, "did you mean", or an honest fallback),
and returns it as structure (`Reply.blocks` with every figure's source and date) that each front
end renders: `Reply.text` for Discord, `Reply.plain` for the terminal and `ask --json`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.core import asked_for, render, segment, smalltalk
from bot.core.knowledge import KnowledgeBase, load_knowledge
from bot.core.matcher import Match, Matcher
from bot.core.models import Entry
from bot.core.normalize import has_words
from bot.core.render import Block, Source


class ReplyKind(enum.StrEnum):
    ANSWER = "answer"  # a confident answer from one entry (or several, for a message asking several things)
    SUGGEST = "suggest"  # "did you mean ...?": close to several entries, none confident
    FALLBACK = "fallback"  # the article does not cover it (or only names what it lacks)
    INVALID = "invalid"  # empty, emoji-only or over-long input: a clear message, no matching
    SMALL_TALK = "small_talk"  # a greeting, thanks or goodbye: a friendly word and what the bot can answer


@dataclass(frozen=True, slots=True)
class Suggestion:
    entry_id: str
    title: str  # short, human: fits a Discord button label (<= 80 characters)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    text: str  # Discord markdown, <= 1,000 characters for answers
    entry_id: str | None = None  # the (first) entry answered
    score: float = 0.0
    suggestions: tuple[Suggestion, ...] = field(default_factory=tuple)
    topic: str = ""  # the question as resolved (a follow-up joined to the one before): the next follow-up's context
    blocks: tuple[Block, ...] = field(default_factory=tuple)  # an answer's structure, one block per entry
    notes: tuple[str, ...] = field(default_factory=tuple)  # the bot's lines after the blocks (billing, ...)
    missing: tuple[str, ...] = field(default_factory=tuple)  # parts of the member's message the article lacks

    @property
    def plain(self) -> str:
        """The reply without Discord markup, for the terminal and `ask --json` (`text` is Discord's)."""
        return render.plain(self.blocks, self.notes, self.text, self.missing)

    @property
    def sources(self) -> tuple[Source, ...]:
        """The provenance of every figure the reply shows, in order, once each."""
        return tuple(dict.fromkeys(source for block in self.blocks for source in block.sources))

    @property
    def known_gap(self) -> bool:
        """A fallback that knows what the article lacks (a gap entry, or a kind of fact no entry gives)."""
        return self.kind is ReplyKind.FALLBACK and (self.entry_id is not None or bool(self.missing))

    @property
    def answered(self) -> bool:
        """True only for a confident answer; suggestions, small talk and fallbacks are not answers."""
        return self.kind is ReplyKind.ANSWER


MAX_QUESTION_CHARS = 4000  # a Discord message's limit


@dataclass(frozen=True, slots=True)
class Calibration:
    """The scores and margins behind every decision, chosen by `tools/calibrate.py`.

    Why not hand-set: the previous hand-set values fitted the dev set and generalised poorly. These
    are chosen by cross-validation on the tuning parts of the evaluation sets only (`eval/`),
    maximising right answers minus twice the wrong ones (a wrong confident answer is worse than
    none), with "did you mean" on at most 5% of answerable questions.
    """

    answer: float = 55.0  # a short question's best entry needs this score...
    long_answer: float = 40.0  # ...a long, chatty one's at least this (its extra words dilute the score)
    per_word: float = 2.0  # the bar drops this much per word past four, down to `long_answer`
    clear_winner: float = 15.0  # a winner this far ahead of the runner-up gets a bonus on long questions
    margin: float = 7.0  # ...and an answer must beat the runner-up by this much
    lead_score: float = 45.0  # a clear lead: a best entry this high...
    lead_margin: float = 15.0  # ...this far ahead of any other is answered even below `answer`
    floor: float = 42.0  # below this nothing is answered or suggested
    close: float = 3.0  # "did you mean" only for entries this close to each other


CALIBRATION = Calibration()
SUGGEST_WINDOW = 20.0  # entries further below the best than this never change a decision
MAX_SUGGESTIONS = 3
MAX_ANSWER_CHARS = 1000  # one reply, however many questions it answers
FOCUS_MIN_TOKENS = 6  # a message this long may hide its question among chatter
FOLLOW_UP_MAX_TOKENS = 4  # "and the CCS?", "what about hospitals?", "why?"
MAX_PARTS = 4  # questions answered from one message; a longer list is no conversation, and each costs a ranking
MAX_FOCUS = 6  # sentences tried as a chatty message's question, so a 4,000-character message stays cheap
MIN_PART_TOKENS = 2  # a part of a several-question message with fewer words needs a confident score to stand alone

# "billing and coding": the article covers coding only; the answer says so in one line.
_BILL = r"\bbill(?:ing|er|ers)?\b"
_AND = r"\s*(?:and|&|/|\+)\s*"
_BILLING = re.compile(rf"{_BILL}(?=.*\bcod)|\bcod\w*{_AND}{_BILL}", re.I | re.S)
_BILLING_AND = re.compile(rf"{_BILL}{_AND}|{_AND}{_BILL}", re.I)
# "billing vs coding", "difference between billing and coding": a comparison the article does not make.
_COMPARED = re.compile(r"\b(?:vs\.?|versus|difference|differences|differ|different|compare[sd]?|comparison|or)\b", re.I)
BILLING_NOTE = "-# Codes are used for billing, but the article does not cover medical billing as a job."  # small text
BILLING_ENTRIES = frozenset({"gap-billing-vs-coding"})
# A message that opens like this continues the previous question rather than starting a new one.
_CUE = re.compile(r"^\s*(?:and|what about|how about|what of|same for|also|but|or|for|in|why|how come|and for)\b", re.I)
# A short message choosing among what was just discussed ("which one pays more?"). Not "it" or "they":
# "do they need certification?" is a question of its own.
_POINTS_BACK = re.compile(r"\b(?:which one|that one|this one|either one|which of them|which of the two)\b", re.I)

NO_TOPIC = (
    "That needs a topic: please ask it as a whole question, for example *why get certified?* or *where can I study?*"
)
NOTHING_MORE = "The article says nothing more on that than its answer on *{title}*."
BOTH_NOTE = "Your question could be about either of these, so here are both."
UNCLEAR = "That could be about more than one topic I cover; could you ask a little more specifically?"
CAN_ANSWER = (
    "I answer from one article on becoming a medical coder: what coding is, the steps, education, "
    "CPC and CCS certification, experience, networking, skills, specialising, salaries by position and "
    "sector, the top paying states it names, and the job outlook."
)


class Engine:
    """Public face of the core: load a knowledge base once, then answer questions.

    Front ends hold one `Engine` for their whole life. Its answers never change after load; the only
    state it writes is the normaliser's caches of corrected words, which are safe to share between
    coroutines (the bot answers on one event loop). A conversation's context is passed in
    (`previous`), never kept here.
    """

    def __init__(
        self, kb: KnowledgeBase, matcher: Matcher | None = None, calibration: Calibration = CALIBRATION
    ) -> None:
        self.kb = kb
        self.calibration = calibration
        self.matcher = matcher or Matcher(kb)
        # Answers never change after load, so each is rendered once rather than on every ask.
        self._blocks = {entry.id: self.block(entry) for entry in kb.entries.values()}
        self._rendered = {entry_id: render.markdown((block,)) for entry_id, block in self._blocks.items()}

    @classmethod
    def load(cls, directory: str | Path | None = None) -> Engine:
        """Load and validate the knowledge base (the packaged one when `directory` is None)."""
        return cls(load_knowledge(directory))

    def ask(self, question: str, previous: str | None = None) -> Reply:
        """Answer a member's free-text message (never raises on any str).

        `previous` is the same member's last question (`Reply.topic`), when a front end keeps a
        conversation: a short follow-up ("and the CCS?", "why?") is then read against it.
        """
        if len(question) > MAX_QUESTION_CHARS:
            return Reply(
                ReplyKind.INVALID,
                f"That message is {len(question):,} characters long; please ask one question in at most "
                f"{MAX_QUESTION_CHARS:,} characters.",
            )
        question = _squeeze(question)  # long whitespace runs would cost every regex below quadratic time
        tokens = self.kb.normalizer.tokens(question)
        if not tokens and not has_words(question):
            return Reply(
                ReplyKind.INVALID,
                "Please ask a question in words, for example *what does a CPC earn?* or *what are the steps?*",
            )
        talk = smalltalk.classify(question)
        if talk is not None:
            return Reply(ReplyKind.SMALL_TALK, f"{smalltalk.REPLIES[talk]} {CAN_ANSWER}", topic=previous or "")
        billing = _BILLING.search(question) is not None and not _COMPARED.search(question)
        if billing:
            question = _BILLING_AND.sub(" ", question)
            tokens = self.kb.normalizer.tokens(question)
        reply = self._resolve(question, tokens, previous)
        unknown = reply.kind is ReplyKind.FALLBACK and reply.entry_id is None and reply.score < self.calibration.floor
        if unknown and not reply.missing and smalltalk.is_introduction(question):
            # "Hi, I'm a nurse's aide and tired of the physical work": an introduction, not a question the
            # article lacks. Greet back and say what can be asked.
            greeting = smalltalk.REPLIES[smalltalk.SmallTalk.GREETING]
            return Reply(ReplyKind.SMALL_TALK, f"{greeting} {CAN_ANSWER}", topic=previous or "")
        if billing and reply.kind is ReplyKind.ANSWER and reply.entry_id not in BILLING_ENTRIES:
            reply = self._compose(reply, reply.blocks, (*reply.notes, BILLING_NOTE), reply.missing)
        return reply

    def _compose(
        self, first: Reply, blocks: tuple[Block, ...], notes: tuple[str, ...], missing: tuple[str, ...]
    ) -> Reply:
        """An answer of several blocks and notes that fits in MAX_ANSWER_CHARS.

        When the whole answers do not fit, each is cut to its lead (short ones whole, the rest sharing
        the room evenly); if that is still too long, the last answers are offered by title instead.
        """
        kept = list(blocks)

        def length(extra: tuple[str, ...] = ()) -> int:
            return len(render.markdown(tuple(kept), (*notes, *extra), missing))

        if length() > MAX_ANSWER_CHARS:
            bare = sum(len(render.markdown((replace(block, body=""),))) + 2 for block in kept)
            left = MAX_ANSWER_CHARS - len(render.markdown((), notes, missing)) - bare - 2
            limits: dict[int, int] = {}
            for count, i in enumerate(sorted(range(len(kept)), key=lambda i: len(kept[i].body))):
                limits[i] = max(0, min(len(kept[i].body), left // (len(kept) - count)))
                left -= limits[i]
            kept = [block.lead(limits[i]) for i, block in enumerate(kept)]
        left_out: list[str] = []
        while len(kept) > 1 and length((_ask_separately(left_out),)) > MAX_ANSWER_CHARS:
            left_out.insert(0, kept.pop().title)
        if left_out:
            notes = (*notes, _ask_separately(left_out))
        final = tuple(kept)
        return Reply(
            ReplyKind.ANSWER,
            render.markdown(final, notes, missing),
            first.entry_id,
            first.score,
            topic=first.topic,
            blocks=final,
            notes=notes,
            missing=missing,
        )

    def _resolve(self, question: str, tokens: list[str], previous: str | None) -> Reply:
        """The best reading of a message: its questions, a follow-up, its focus, or the whole of it.

        `Reply.topic` is the canonical tokens the reply was decided on, space-separated: the context a
        follow-up is joined to (tokens normalise to themselves, and carry no chatter).
        """
        sentences = segment.sentences(question)  # once: a 4,000-character message can hold hundreds
        parts = segment.questions(sentences)[:MAX_PARTS]
        # What the message asks for is read from its one question ("I'm 50. What are the steps?" asks for
        # no age); a message asking several things has each part checked on its own (`_several`).
        asked = parts[0] if len(parts) == 1 else question if not parts else ""
        own = self.judge(tokens, asked)
        if len(parts) >= 2:
            several = self._several(parts)
            if several is not None:
                return replace(several, topic=" ".join(tokens))
        short = len(tokens) <= FOLLOW_UP_MAX_TOKENS
        # "and the CCS?" (only a thing named) follows the previous question even though "the CCS" alone
        # has an answer; "and what are the steps?" has its own and keeps it.
        names_only = all(t in self.kb.normalizer.entities or t in _BARE_QUESTIONS for t in tokens)
        # A question with its own known answer that the article lacks ("how much does a nurse make") is
        # not a follow-up, even right after a question it could be joined to. An entry refused for lacking
        # the kind of fact asked for is no such answer: "which pays best?" after "what does a CCS make?"
        # has its pay ranking in the previous question's topic.
        settled = own.kind is ReplyKind.ANSWER or (own.kind is ReplyKind.FALLBACK and own.entry_id is not None)
        pointing = (_CUE.match(question) and names_only) or _POINTS_BACK.search(question)
        if previous and short and (not settled or pointing):
            follow = self._follow(question, tokens, self.kb.normalizer.tokens(previous))
            if follow is not None:
                return follow
        if own.kind is not ReplyKind.ANSWER and len(tokens) >= FOCUS_MIN_TOKENS:
            for candidate in segment.focus_candidates(sentences)[:MAX_FOCUS]:
                focused_tokens = self.kb.normalizer.tokens(candidate)
                focused = self.judge(focused_tokens, candidate)
                if focused.kind is ReplyKind.ANSWER:
                    return replace(focused, topic=" ".join(focused_tokens))
        return replace(own, topic=" ".join(tokens))

    def _follow(self, question: str, tokens: list[str], previous: list[str]) -> Reply | None:
        """A short message read against the previous question, or None when that reading does not hold.

        It must bring a word the knowledge base knows, if any ("asdfgh" is no follow-up), and the entry it
        reaches must mention one of its own topic words ("schools" after "license" is not about licensing).
        A "why?" or "what is it for?" that only reaches the entry just answered is told the article has
        nothing more, rather than shown the same answer again.
        """
        if tokens and not any(t in self.matcher.idf or t in _BARE_QUESTIONS for t in tokens):
            return None
        joined = self._follow_up(tokens, previous)
        follow = self.judge(joined, question)
        if follow.kind is not ReplyKind.ANSWER and not follow.known_gap:
            return None
        own_words = [t for t in tokens if t not in _BARE_QUESTIONS]
        if follow.entry_id is not None and own_words and not self.matcher.mentions(follow.entry_id, own_words):
            return None
        if (
            follow.answered
            and follow.entry_id is not None
            and all(t in _BARE_QUESTIONS or t in previous for t in tokens)
        ):
            before = self.judge(previous)
            if before.entry_id == follow.entry_id:  # "why?", "what is it for?": nothing new to read it with
                title = self.kb.entries[follow.entry_id].title
                return Reply(
                    ReplyKind.FALLBACK, NOTHING_MORE.format(title=title), None, follow.score, topic=" ".join(joined)
                )
        return replace(follow, topic=" ".join(joined))

    def _follow_up(self, tokens: list[str], previous: list[str]) -> list[str]:
        """A follow-up's tokens joined to the previous question's: a thing it names replaces the thing named before.

        "and the CCS?" after "what does a CPC earn?" asks about CCS pay, not about both credentials.
        """
        entities = self.kb.normalizer.entities
        swaps = any(t in entities for t in tokens)
        kept = [t for t in previous if t not in tokens and not (swaps and t in entities)]
        return tokens + kept

    def judge(self, tokens: list[str], question: str = "") -> Reply:
        """The decision for one bag of canonical tokens (one question, whose words are `question`)."""
        if all(t in _BARE_QUESTIONS for t in tokens):
            # "when?" (no word left once stop words go) or "why?" names no topic: every entry phrased "why
            # ..." would match the latter, so none is the answer. In a conversation it is read against the
            # previous question before it gets here.
            return Reply(ReplyKind.FALLBACK, f"{NO_TOPIC}\n{CAN_ANSWER}")
        # Nothing further than SUGGEST_WINDOW below the best changes a decision: it is never suggested,
        # and a runner-up that far behind leaves a margin past every calibrated margin whatever its score.
        ranked = self.matcher.rank_tokens(tokens, limit=MAX_SUGGESTIONS + 2, window=SUGGEST_WINDOW)
        return self.decide(ranked, len(tokens), question)

    def _several(self, parts: list[str]) -> Reply | None:
        """One reply to a message asking several things: every answer the article has, and what it lacks.

        None when fewer than two parts get a confident reply of their own (an answer or a known gap):
        then the message is read as one question.
        """
        answers: dict[str, Reply] = {}
        missing: list[str] = []
        before: list[str] = []
        for part in parts:
            tokens = self.kb.normalizer.tokens(part)
            reply = self.judge(tokens, part)
            decided = reply.answered or reply.known_gap
            leaning = bool(_CUE.match(part)) and len(tokens) <= FOLLOW_UP_MAX_TOKENS and not decided
            slight = len(tokens) < MIN_PART_TOKENS and reply.score < self.calibration.answer
            if before and (leaning or slight):
                # "and why?", "is that real?": too little to stand alone; read with the part before.
                tokens = self._follow_up(tokens, before)
                reply = self.judge(tokens, part)
            elif slight:
                continue
            before = tokens
            if reply.kind is ReplyKind.ANSWER and reply.entry_id is not None:
                answers.setdefault(reply.entry_id, reply)
            elif reply.known_gap:
                missing.append(part)
        if not answers or len(answers) + len(missing) < 2:
            return None
        first = next(iter(answers.values()))
        blocks = tuple(block for reply in answers.values() for block in reply.blocks)
        return self._compose(first, blocks, (), tuple(_shorten(part) for part in missing))

    def threshold(self, token_count: int, margin: float) -> float:
        """The score an answer needs: lower for long questions with a clear winner, never below the floor.

        Short questions keep the full bar: "how do I become a pilot" shares words with the knowledge
        base and must still fall back.
        """
        c = self.calibration
        if token_count <= 4:
            return c.answer
        bonus = 6.0 if margin >= c.clear_winner else 0.0
        return max(c.long_answer, c.answer - c.per_word * (token_count - 4) - bonus)

    def decide(self, ranked: list[Match], token_count: int = 1, question: str = "") -> Reply:
        """Turn a ranking into an answer, "did you mean" or a fallback; a wrong confident answer is the worst one.

        "Did you mean" is kept for two or more entries genuinely close to each other: a member should
        not have to click for an answer the bot already had. An entry is never the answer to a
        `question` that plainly asks for a kind of fact its text lacks (see `asked_for`).
        """
        c = self.calibration
        if not ranked or ranked[0].score < c.floor:
            return self._fallback(ranked[0].score if ranked else 0.0)
        best = ranked[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        entry = self.kb.entries[best.entry_id]
        margin = best.score - runner_up
        answerable = best.score >= self.threshold(token_count, margin)  # high enough, margin aside
        confident = (answerable and margin >= c.margin) or (
            # A clear lead at a lower score needs more than one word: "real" alone is no topic.
            token_count > 1 and best.score >= c.lead_score and margin >= c.lead_margin
        )
        if confident and entry.kind == "gap":
            return Reply(ReplyKind.FALLBACK, f"{entry.answer}\n{CAN_ANSWER}", entry.id, best.score)
        if confident:
            return self._unmet(question, entry, ranked) or self._answer(entry, best.score)
        close = [
            m
            for m in ranked
            if m.score >= max(c.floor, best.score - c.close) and self.kb.entries[m.entry_id].kind == "fact"
        ][:MAX_SUGGESTIONS]
        if entry.kind == "gap" or len(close) < 2:
            if entry.kind == "fact" and answerable:
                # Good enough to answer but too close to another topic to choose (not a near tie: "did you
                # mean" is kept for those). When that topic is a fact too, answer with both.
                second = self.kb.entries[ranked[1].entry_id] if len(ranked) > 1 else None
                if second is not None and second.kind == "fact":
                    unmet = self._unmet(question, entry, ranked)
                    if unmet is not None:
                        return unmet
                    both = (self._blocks[entry.id], self._blocks[second.id])
                    return self._compose(self._answer(entry, best.score), both, (BOTH_NOTE,), ())
                unmet = self._unmet(question, entry, ranked)
                if unmet is not None:  # "how much is the cpc exam": the exam entry has no price, its gap says so
                    return unmet
                # Otherwise the article does cover it, so don't say it doesn't.
                return Reply(ReplyKind.FALLBACK, f"{UNCLEAR}\n{CAN_ANSWER}", None, round(best.score, 1))
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

    def _unmet(self, question: str, entry: Entry, ranked: list[Match]) -> Reply | None:
        """The honest fallback when `question` asks for a kind of fact `entry` does not give, else None.

        A known gap ranked close behind says precisely what the article lacks ("The article gives no
        prices: ..."), so it is the reply; otherwise a general one names the closest topic.
        """
        wanted = asked_for.unmet(question, entry.answer)
        if wanted is None:
            return None
        score = ranked[0].score
        for match in ranked[1:]:
            gap = self.kb.entries[match.entry_id]
            if gap.kind == "gap" and match.score >= score - self.calibration.margin:
                return Reply(ReplyKind.FALLBACK, f"{gap.answer}\n{CAN_ANSWER}", gap.id, round(match.score, 1))
        return Reply(
            ReplyKind.FALLBACK,
            f"The article I answer from gives no {wanted.name} for that; the closest it covers is "
            f"*{entry.title}*.\n{CAN_ANSWER}",
            None,
            round(score, 1),
            missing=(question,),
        )

    def answer_entry(self, entry_id: str) -> Reply:
        """The answer of one known entry, e.g. after a "did you mean" button; KeyError if unknown."""
        entry = self.kb.entries[entry_id]
        if entry.kind == "gap":
            return Reply(ReplyKind.FALLBACK, f"{entry.answer}\n{CAN_ANSWER}", entry.id, 100.0)
        return self._answer(entry, 100.0)

    @staticmethod
    def block(entry: Entry) -> Block:
        """An entry's answer as a block, with the provenance of every figure it shows."""
        sources = tuple(Source(f.value, f.source, f.date) for f in entry.figures)
        return Block(entry.id, entry.title, entry.answer, sources, entry.related)

    def _answer(self, entry: Entry, score: float) -> Reply:
        return Reply(
            ReplyKind.ANSWER, self._rendered[entry.id], entry.id, round(score, 1), blocks=(self._blocks[entry.id],)
        )

    @staticmethod
    def _fallback(score: float) -> Reply:
        return Reply(
            ReplyKind.FALLBACK,
            f"I don't know that: the article I answer from doesn't cover it.\n{CAN_ANSWER}",
            None,
            round(score, 1),
        )


# A follow-up made only of these asks about the previous question ("why?", "where?").
_BARE_QUESTIONS = frozenset({"why", "where", "when", "example", "detail", "more"})
_SPACES = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r" ?\n[\s]*")


def _squeeze(text: str) -> str:
    """Runs of spaces to one space, runs of line breaks (and the blanks around them) to one line break."""
    return _LINE_BREAKS.sub("\n", _SPACES.sub(" ", text)).strip()


def _ask_separately(titles: list[str]) -> str:
    return "Ask me separately about: " + "; ".join(titles) + "." if titles else ""


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
