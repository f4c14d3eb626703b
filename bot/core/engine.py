"""The answer engine: one question in, one `Reply` out.

Why a separate layer over the matcher: the matcher only ranks entries; the engine reads the
message as a conversation (small talk, several questions, chatter around one question, a
follow-up), decides what a member is shown (an answer, "did you mean", or an honest fallback),
and returns it as structure (`Reply.blocks` with every figure's source and date) that each front
end renders: `Reply.text` for Discord, `Reply.plain` for the terminal and `ask --json`.
"""

from __future__ import annotations

import enum
import itertools
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core import render, segment
from bot.core.calibration import CALIBRATION, Calibration
from bot.core.context import Context, Item, entity_figures, items_of, named_entities, named_list
from bot.core.follow_up import Bundled, Direction, FollowUps
from bot.core.knowledge import KnowledgeBase, load_knowledge
from bot.core.matcher import Match, Matcher
from bot.core.models import Entry, Figure
from bot.core.normalize import has_words
from bot.core.render import Block, Source
from bot.core.segment import Segmenter
from bot.core.smalltalk import GREETING

if TYPE_CHECKING:
    from bot.core.reading import Candidate, Reading


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
    read: str = ""  # the text the reply was decided on (a follow-up joined to what it continues)
    context: Context | None = None  # what this reply showed: the next message's context (`Engine.ask(previous=)`)
    used: tuple[str, ...] = field(default_factory=tuple)  # what the reply took from earlier turns, named
    paired: bool = False  # two answers: the reader was sure only of the two together, so less sure than of one

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


SUGGEST_WINDOW = CALIBRATION.suggest_window  # entries further below the best never change a decision
MAX_SUGGESTIONS = 3
MAX_ANSWER_CHARS = 1000  # one reply, however many questions it answers
FOCUS_MIN_TOKENS = 6  # a message this long may hide its question among chatter
FOLLOW_UP_MAX_TOKENS = 4  # "and the CCS?", "what about hospitals?", "why?"
MAX_PARTS = 4  # questions answered from one message; a longer list is no conversation, and each costs a ranking
MAX_FOCUS = 6  # sentences tried as a chatty message's question, so a 4,000-character message stays cheap
MAX_CONTEXT_CHARS = 300  # a conversation keeps this much of a message (a chatty one's question part is what counts)
MAX_CONTEXT_WORDS = 40
POINTER_NEW_WORDS = 2  # a pointing message may bring this many words of its own ("the middle one, the exam?")
POINTER_MAX_TOKENS = 8  # "and the one after that?", "which of those pays the most?"
MIN_PART_TOKENS = 2  # a part of a several-question message with fewer words needs a confident score to stand alone

NO_TOPIC = (
    "That needs a topic: please ask it as a whole question, for example *why get certified?* or *where can I study?*"
)
NOTHING_MORE = "The article says nothing more on that than its answer on *{title}*."
ALL_IT_SAYS = "That is all the article says on it."
OTHER_TIME = "The article has no figures for *{asked}*: the ones I showed are dated as it gives them ({dates})."
OTHER_LEVEL = (
    "The article does not break its figures down by experience, so it has none for starting out or for experienced "
    "coders: the ones I showed are as it gives them ({dates})."
)
BOTH_NOTE = "Your question could be about either of these, so here are both."
UNCLEAR = "That could be about more than one topic I cover."


class Engine:
    """Public face of the core: load a knowledge base once, then answer questions.

    Front ends hold one `Engine` for their whole life. Its answers change only when a reader is attached
    (`attach`, once, when the models have loaded); the state it writes as it answers is caches (the
    normaliser's corrections, the reader's remembered readings) and a per-thread reading budget, so the
    bot's worker threads share one engine. A conversation's context is passed in (`previous`), never
    kept here.
    """

    def __init__(
        self,
        kb: KnowledgeBase,
        matcher: Matcher | None = None,
        calibration: Calibration = CALIBRATION,
        reading: Reading | None = None,
    ) -> None:
        self.kb = kb
        self.calibration = calibration
        self.matcher = matcher or Matcher(kb)
        self.reading: Reading | None = None  # set by `attach`
        self.follow_ups = FollowUps(kb.lexicon.follow_ups)
        self.segmenter = Segmenter(kb.lexicon.questions)
        self._bundled = Bundled(kb.lexicon.bundled_topic)
        self._bare = frozenset(kb.lexicon.follow_ups.bare)
        # Phrase by phrase: "best paying" is one canonical token of its own, which the words apart are not.
        self._follow_up_tokens = frozenset(
            token
            for phrase in (*self.follow_ups.phrases, *self.follow_ups.vocabulary)
            for token in self.kb.normalizer.tokens(phrase, correct=False)
        )
        # The words that only rank ("more", "lowest", "vs"); "best paying" also says what is ranked.
        words = kb.lexicon.follow_ups
        self._ranking_tokens = frozenset(
            token
            for word in (*words.higher, *words.lower, *words.compare)
            if " " not in word
            for token in self.kb.normalizer.tokens(word, correct=False)
        )
        self._figure_tokens = frozenset(
            token for word in words.figures for token in self.kb.normalizer.tokens(word, correct=False)
        )
        # Answers never change after load, so each is rendered once rather than on every ask.
        self._blocks = {entry.id: self.block(entry) for entry in kb.entries.values()}
        self._rendered = {entry_id: render.markdown((block,)) for entry_id, block in self._blocks.items()}
        # What the figures name and where they stand, for comparisons of things named side by side.
        self._entity_figures = entity_figures(kb)
        self._figure_owners: dict[Figure, set[str]] = {}  # a figure the article repeats has several
        for entry in kb:
            for figure in entry.figures:
                self._figure_owners.setdefault(figure, set()).add(entry.id)
        # Phrasing -> entry, for the reader's decisions only: built when a reader is attached (`attach`).
        self._phrased: dict[tuple[str, ...], str] = {}
        if reading is not None:
            self.attach(reading)

    @classmethod
    def load(cls, directory: str | Path | None = None, *, semantic: bool = True) -> Engine:
        """Load and validate the knowledge base (the packaged one when `directory` is None), and the
        semantic models unless `semantic` is False (then answers are lexical only)."""
        engine = cls(load_knowledge(directory))
        if semantic:
            engine.attach(engine.load_reading())
        return engine

    def load_reading(self) -> Reading:
        """Load the models and embed this knowledge base's passages (slow: the bot does it in a thread)."""
        from bot.core.reading import Reading  # noqa: PLC0415  # onnxruntime only when the models are wanted
        from bot.core.semantic import SemanticModels  # noqa: PLC0415

        c = self.calibration
        return Reading(
            SemanticModels.load(),
            self.kb,
            self.segmenter,
            dense_candidates=c.dense_candidates,
            read_at_most=c.read_at_most,
        )

    def attach(self, reading: Reading) -> None:
        """Answer with the semantic reader from now on (the bot attaches it once its models have loaded)."""
        self._phrased = self._phrasings()
        self.reading = reading

    def ask(self, question: str, previous: Context | None = None) -> Reply:
        """Answer a member's free-text message (never raises on any str).

        `previous` is the context the same member's last reply left (`Reply.context`), when a front end
        keeps a conversation: a message pointing back at it ("the next one?", "which pays more?", "what
        are their names?") or continuing it ("and the CCS?", "why?") is read against it. Every reply
        carries the context it leaves in turn.

        The reader reads at most `reads_per_message` questions for one message (its parts, its focus,
        a follow-up's readings); past that, the lexical decision stands, so no message costs more than
        that many readings (per thread: the bot answers in several at once).
        """
        budget = _READS_LEFT.set([self.calibration.reads_per_message])
        try:
            return self._ask(question, previous)
        finally:
            _READS_LEFT.reset(budget)

    def _ask(self, question: str, previous: Context | None) -> Reply:
        if len(question) > MAX_QUESTION_CHARS:
            return Reply(
                ReplyKind.INVALID,
                f"That message is {len(question):,} characters long; please ask one question in at most "
                f"{MAX_QUESTION_CHARS:,} characters.",
                context=previous,
            )
        question = _squeeze(question)  # long whitespace runs would cost every regex below quadratic time
        tokens = self.kb.normalizer.tokens(question)
        if not tokens and not has_words(question):
            return Reply(
                ReplyKind.INVALID,
                "Please ask a question in words, for example *what does a CPC earn?* or *what are the steps?*",
                context=previous,
            )
        talk = self.kb.small_talk.classify(question)
        if talk is not None:
            return self._small_talk(talk, previous)
        introduction = self.kb.small_talk.is_introduction(question)
        question = self.kb.small_talk.without_greeting(question)
        if previous is not None and self.follow_ups.switches(question):
            previous = None  # "ok nvm, what do hospitals pay?": a new subject, read on its own
        if previous is not None and not previous.empty:
            pointed = self._point_back(question, tokens, previous)
            if pointed is not None:
                return pointed
        bundled = self._bundled.without(question)
        if bundled is not None:
            question = bundled
            tokens = self.kb.normalizer.tokens(question)
        reply = self._resolve(question, tokens, previous)
        if not reply.used:
            reply = self._each_named(question, tokens, reply)
        unknown = reply.kind is ReplyKind.FALLBACK and reply.entry_id is None and not reply.suggestions
        # An introduction is greeted even when a known gap fits its words ("... tired of the physical work").
        unasked = introduction and reply.kind is ReplyKind.FALLBACK and not reply.suggestions
        if (unknown or unasked) and not reply.missing and not reply.used:
            talk = GREETING if introduction else self._small_talk_like(question)
            if talk is not None:
                # "Hi, I'm a nurse's aide and tired of the physical work", "this server is nice": not a question
                # the article lacks. Greet back (or chat) and say what can be asked.
                return self._small_talk(talk, previous)
        if bundled is not None and reply.kind is ReplyKind.ANSWER and not self._bundled.said_by(reply.entry_id):
            reply = self._compose(reply, reply.blocks, (*reply.notes, self._bundled.note), reply.missing)
        if (
            previous is not None
            and reply.answered
            and previous.entry_id in {block.entry_id for block in reply.blocks}
            and self._asks_why_figures_rank(question, previous)
        ):
            # "why does the CCS pay more?" right after the table that shows it: the reason is not in the answer
            # just given (alone, or beside another), and the article gives no other.
            return self._nothing_more(previous)
        if previous is not None and self._repeats_without_figure(reply, tokens, previous):
            # "how much do they pay in connecticut?" right after the top states: the answer just given names it
            # without a figure, and the article has no other.
            return self._nothing_more(previous)
        return self._leave_context(reply, question, previous)

    def _point_back(self, question: str, tokens: list[str], context: Context) -> Reply | None:
        """A message that points at what the last reply showed: an item by position, a comparison of its
        figures, their sources, or a pronoun standing for a thing it named. None when it is no such message.

        Positions and comparisons are read only from a message that asks about no other kind of thing than
        the list shows ("which state pays most?" after the salary table is a question of its own) and brings
        at most a couple of words of its own.
        """
        follow = self.follow_ups
        shown = self._shown_figures(context)
        new = self._new_words(tokens, context)
        if shown and len(tokens) <= POINTER_MAX_TOKENS:
            later = self._other_time(question, tokens, context, shown, new) or self._other_level(
                question, tokens, context, shown
            )
            if later is not None:
                return later
        if len(tokens) > POINTER_MAX_TOKENS or self._other_kind(question, context):
            pointer = None
        else:
            own = set(tokens) - self._follow_up_tokens
            named = next((i for i, item in enumerate(context.items) if item.tokens & own), None)
            pointer = follow.pointer(question, context, named) if len(new) <= POINTER_NEW_WORDS else None
            if pointer is not None and pointer.count > 1:
                return self._pointed_items(pointer.index, pointer.count, context)
            if pointer is not None:
                return self._pointed_item(pointer.index, pointer.out_of_range, context, question)
            direction = follow.comparison(question)
            if direction is not None and (context.items or shown) and self._asks_of_their_figures(tokens, context):
                # Words of its own must name figures to compare with ("... than the national median?").
                extra = self._figures_named(question, context)
                compared = self._compare(direction, context, extra) if not new or extra else None
                if compared is not None:
                    return compared
        if context.entry_id is not None and follow.asks_provenance(question) and len(new) <= POINTER_NEW_WORDS:
            figures = self.kb.entries[context.entry_id].figures
            if figures:
                return self._provenance(figures, context)
        named_entities = self.kb.normalizer.entities
        pronoun = follow.pronoun(question)
        named_here = [t for t in tokens if t in named_entities]
        # A thing named beside the pronoun is what the message is about ("what about CCS, what's their pay?"),
        # unless the message compares the figures of two things of a kind: "how does their pay compare to a
        # records coder?" after the CCS (not "is it better than the CCS?", nor "do they pay less than Connecticut?").
        figures_compared = follow.comparison(question) is not None and bool(set(tokens) & self._figure_tokens)
        if pronoun is None or (named_here and not figures_compared):
            return None
        stands_for, asked = follow.stands_for(pronoun.group(0), context)
        if not stands_for or set(stands_for) <= set(named_here):
            return None
        if named_here and len({follow.kind_of(frozenset({t})) for t in [*stands_for, *named_here]}) > 1:
            return None
        if context.entry_id is not None and self._asks_why_figures_rank(question, context):
            return self._nothing_more(context)  # "why do those pay more?" after the salary table
        if not asked:
            alone = self._resolve(question, tokens, None)
            # "how much do they make?" after the top states: a question of its own, about coders. Not when
            # its own answer is about one of the things the pronoun stands for ("what are their names?"
            # after the AAPC and AHIMA answers the AAPC alone).
            entry = alone.entry_id
            partial = len(stands_for) > 1 and entry is not None and self.matcher.mentions(entry, stands_for)
            if alone.answered and not partial:
                return None
        names = [self.kb.lexicon.entities.get(e, e) for e in stands_for]
        name = " and ".join(names)
        rewritten = follow.replace_pronoun(question, name)
        reply = self._resolve(rewritten, self.kb.normalizer.tokens(rewritten), None)
        if len(names) > 1:
            # "what are their full names?" after the AAPC and AHIMA: each one's answer, when they differ.
            answers = self._answers_of_each([follow.replace_pronoun(question, one) for one in names])
            if len(answers) > 1:
                reply = self._together(answers)
        if self._repeats_without_figure(reply, tokens, context):
            return self._nothing_more(context)  # "what do insurance companies pay their coders?" after the sectors
        if reply.answered or reply.known_gap:
            return self._leave_context(replace(reply, used=(name,)), rewritten, context)
        return None

    def _asks_why_figures_rank(self, question: str, context: Context) -> bool:
        """ "Why does the CCS pay more?" right after a list or figures were shown, or a bare "why is that?"
        right after "so the CCS pays more?": why they rank as they do is not in the article ("why does
        networking matter more?" after the networking step is a question its answer may hold)."""
        follow = self.follow_ups
        if not follow.asks_cause_of_ranking(question):
            if not (follow.asks_reason(question) and follow.ranks(context.question)):
                return False
            carrying = self._bare | self._follow_up_tokens
            if any(t not in carrying for t in self.kb.normalizer.tokens(question)):
                return False  # a cause of its own ("why is demand growing?"), not the ranking's
        # A list answered as a whole (the top states), not one item of it (a step, within the five).
        listed = len(context.items) >= 2 and context.position is None
        return listed or len(self._shown_figures(context)) >= 2

    def _other_time(
        self, question: str, tokens: list[str], context: Context, shown: list[Figure], new: list[str]
    ) -> Reply | None:
        """ "and after 2029?", "whats it now in 2024": the article's figures are for their own dates only. Not a
        question of its own that names a year ("i finished school in 2015, can i still become a coder?"). With
        words of its own, a message is past the figures only when it still names what they measure and asks
        nothing the matcher answers elsewhere: "after 2029, does it keep growing?" after the outlook, not
        "after 2029 will i need a degree?"."""
        follow = self.follow_ups
        dates = [date for date in dict.fromkeys(f.date for f in shown) if date]
        dated = " ".join([*dates, *(f.label for f in shown), context.question])
        if set(new) - follow.time_words:
            alone = self._lexical(tokens)
            elsewhere = alone.answered and alone.entry_id != context.entry_id
            on_topic = bool(set(tokens) & set(context.topic.split())) and not elsewhere
            when = follow.past_the_figures(question, dated) if on_topic else None
        else:
            when = follow.other_time(question, dated)
        if when is None:
            return None
        return self._no_such_figures(OTHER_TIME, shown, context, asked=when)

    def _other_level(self, question: str, tokens: list[str], context: Context, shown: list[Figure]) -> Reply | None:
        """ "what do they start at?", "is that for entry level?" right after figures: the article gives none by
        experience. Only a message that points back at those shown (a pronoun, "and ...", or a word asking for a
        figure) and, past its level of experience, names no word of its own but figures and what the answer
        says, known to the knowledge base or not: "how do beginners get experience?" and "do they hire
        entry-level?" are questions of their own. A level the member gives of themselves ("I'm just starting
        out, which of those pays most?") asks nothing of the figures."""
        follow = self.follow_ups
        asked = self.segmenter.without_self(question)
        if not follow.asks_level(asked):
            return None
        points = follow.pronoun(asked) is not None or follow.continues(asked) or bool(set(tokens) & self._figure_tokens)
        said = self._said(context.entry_id) if context.entry_id is not None else frozenset()
        known = self._context_words(context) | self._bare | self._figure_tokens | said
        rest = self.kb.normalizer.tokens(follow.without_levels(asked))
        if not points or any(t not in known for t in rest):
            return None
        # It asks for a figure: in a word for one, by asking what a level starts at or whether the figures are
        # for it, or in no word but the topic's ("and for experienced coders?"); "do they hire entry-level?" does not.
        topic = set(context.topic.split()) | set(context.entities) | self._bare | said
        asks = set(tokens) & self._figure_tokens or follow.asks_level_figure(asked)
        if not asks and any(t not in topic for t in rest):
            return None
        return self._no_such_figures(OTHER_LEVEL, shown, context)

    def _no_such_figures(self, template: str, shown: list[Figure], context: Context, **asked: str) -> Reply:
        """The dead end of figures asked for another time or level: `template` with the shown figures' dates.
        The topic stays, so a next follow-up still reads against the figures."""
        dates = [date for date in dict.fromkeys(f.date for f in shown) if date]
        text = template.format(dates=", ".join(dates) or "undated in the article", **asked)
        return Reply(ReplyKind.FALLBACK, text, None, 100.0, topic=context.topic, context=context)

    def _repeats_without_figure(self, reply: Reply, tokens: list[str], context: Context) -> bool:
        """Whether `reply` would give the answer just shown again, alone, to a message asking for a figure that
        answer does not give: the article has no other, so the honest reply is that it says nothing more."""
        return (
            reply.answered
            and not reply.paired
            and reply.entry_id is not None
            and reply.entry_id == context.entry_id
            and self._asks_figure_not_shown(tokens, context)
        )

    def _asks_figure_not_shown(self, tokens: list[str], context: Context) -> bool:
        """Whether a message asks for a figure of a thing the last reply showed without one (a state of the top
        states) or did not show at all, in words neither its answer nor its entry's vocabulary uses ("insurance
        companies" after the sectors' wages; not "overall" or "certified" after the median). Not of a thing shown
        with its figure ("and the CCS?" after the salary table)."""
        asked = set(tokens)
        if not asked & self._figure_tokens:
            return False
        if any(item.figure is None and item.tokens & asked for item in context.items):
            return True
        entry_id = str(context.entry_id)
        said = self._said(entry_id)
        return any(
            t not in said and t not in self._figure_tokens and not self.matcher.mentions(entry_id, [t])
            for t in self._new_words(tokens, context)
        )

    def _nothing_more(self, context: Context) -> Reply:
        """The reply to a message that asks past what the article says on the answer just given (the cause of
        a ranking it shows): the same topic stays, so a next follow-up still reads against it."""
        title = self.kb.entries[str(context.entry_id)].title
        text = NOTHING_MORE.format(title=title)
        return Reply(ReplyKind.FALLBACK, text, None, 100.0, topic=context.topic, context=context, used=(title,))

    def _other_kind(self, question: str, context: Context) -> bool:
        """Whether the message asks about another kind of thing than the list shown ("which states ..." after
        the salary table). A kind named is no other question when the message points back at what was shown
        ("does any sector pay under that?" after the job outlook or the CPC's salary): it compares the two; nor
        when it names the list just shown ("who's second on that list?" after the top states)."""
        asked = self.follow_ups.kind_named(question)
        if asked is None or self.follow_ups.names_the_list(question):
            return False
        points_back = self.follow_ups.pronoun(question) is not None
        if not context.items:
            return not points_back
        shown = self.follow_ups.kind_of(frozenset().union(*(item.tokens for item in context.items)))
        compares = points_back and self.follow_ups.comparison(question) is not None and self._has_figures(asked)
        return shown is not None and asked != shown and not compares

    def _asks_of_their_figures(self, tokens: list[str], context: Context) -> bool:
        """Whether a comparison is about the figures shown. Things named side by side carry another entry's
        figures (the CPC's salary beside the certification answer), so ranking them must ask about what those
        figures measure ("which of those earns more", not "which is more popular" or "which is better")."""
        owners = {
            owner
            for item in context.items
            if item.entity is not None and item.figure is not None
            for owner in self._figure_owners.get(item.figure, ())
        }
        if not owners:
            return True
        own = [t for t in tokens if t not in self._ranking_tokens]
        return any(self.matcher.mentions(owner, own) for owner in owners)

    def _has_figures(self, kind: str) -> bool:
        """Whether the knowledge base gives a figure for any thing of this kind (a sector's wage; no state's)."""
        return any(e in self._entity_figures for e in self.follow_ups.words.kinds[kind].entities)

    def _new_words(self, tokens: list[str], context: Context) -> list[str]:
        """The message's words that the knowledge base knows and the last reply neither showed nor asked."""
        shown = self._context_words(context)
        return [t for t in tokens if t not in shown and t not in self._bare and t in self.matcher.idf]

    def _context_words(self, context: Context) -> set[str]:
        """The words the last reply showed or was asked in, and those that only point back at it."""
        shown = set(context.topic.split()) | set(context.entities) | self._follow_up_tokens
        shown |= set(self.kb.normalizer.tokens(context.list_title, correct=False))
        for item in context.items:
            shown |= item.tokens
        return shown

    def _figures_named(self, question: str, context: Context) -> list[Figure]:
        """Figures of another entry that a comparison names ("... than the national median?", "does any sector
        pay under that?"): its words that neither point nor carry nor stop, read as a question of their own;
        the rows naming what it names, or all of them."""
        carrying = self.follow_ups.pointing_words | self.follow_ups.filler_words
        words = [
            w
            for w in self.kb.normalizer.surface(question)
            if w not in carrying and self.kb.normalizer.tokens(w, correct=False)  # no stop word ("do any of")
        ]
        tokens = self.kb.normalizer.tokens(" ".join(words), correct=False)
        if not set(tokens) - set(context.topic.split()) - self._bare:
            return []
        own = [self._entity_figures[t] for t in tokens if t in self._entity_figures]
        if own:
            return own  # "does a CCS beat that?": the CCS's own figure, whichever entry answers its name
        # The words left are a fragment ("median", "what hospitals pay"), not a question: the matcher's
        # confident answer names it ("... below the median?": the national median, not the sectors' medians);
        # the reader, which reads whole questions, only when the matcher is unsure.
        reading = self._lexical(tokens)
        if not reading.answered:
            reading = self.judge(tokens, " ".join(words), pairs=False)
        if reading.entry_id is None or not reading.answered or reading.entry_id == context.entry_id:
            return []
        figures = list(self.kb.entries[reading.entry_id].figures)
        named = [f for f in figures if set(self.kb.normalizer.tokens(f.label, correct=False)) & set(tokens)]
        return named or figures

    def _shown_figures(self, context: Context) -> list[Figure]:
        """The figures the last reply showed: its list's (none, for a list without figures: the top states), or
        its entry's when it showed no list."""
        rows = [item.figure for item in context.items if item.figure is not None]
        if context.items or context.entry_id is None:
            return rows
        return list(self.kb.entries[context.entry_id].figures)

    def _provenance(self, figures: tuple[Figure, ...], context: Context) -> Reply:
        """Where the figures just shown come from, and when, as the article gives it."""
        lines = "\n".join(f"- {f.label}: **{f.value}**: {f.provenance}" for f in figures)
        body = f"Where the figures I showed come from, as the article gives it:\n{lines}"
        block = Block(context.entry_id or "", "Sources", body, _sources(figures))
        title = self.kb.entries[context.entry_id].title if context.entry_id else ""
        return _about_shown(block, context, (title,))

    def _pointed_item(self, index: int, out_of_range: bool, context: Context, question: str = "") -> Reply:
        """The reply to "the second one", "next", "step 3": that item's entry, the message asked of the thing
        it names ("what does the second one stand for?" -> "what does CPT stand for?"), its figure, or its name."""
        title = context.list_title or "the list I showed"
        if out_of_range:
            where = "after the last" if index >= len(context.items) else "before the first"
            text = f"There is no item {where} one in *{title}*: it has {len(context.items)}."
            return Reply(ReplyKind.FALLBACK, text, None, 0.0, topic=context.topic, context=context, used=(title,))
        item = context.items[index]
        used = (f"{title}, item {index + 1}",)
        moved = replace(context, position=index)
        if item.entry_id is not None and item.entry_id in self.kb.entries:
            reply = self.answer_entry(item.entry_id)
            reply = self._leave_context(
                replace(reply, topic=" ".join(self.kb.normalizer.tokens(item.name))), item.name, None
            )
            context_after = reply.context
            # A step keeps the list it came from, unless its own answer shows a list of its own (things it
            # merely names side by side are no list to move along instead).
            own_list = context_after is not None and any(i.entity is None for i in context_after.items)
            if context_after is not None and not own_list:
                reply = replace(reply, context=replace(moved, entry_id=item.entry_id))
            return replace(reply, used=used)
        if item.entity is not None and question:
            asked = self.follow_ups.replace_pointer(question, item.name)
            reply = self._resolve(asked, self.kb.normalizer.tokens(asked), None)
            # Only a reply about that thing (a question that reads as another is no pick); the list stays, so
            # "and the first one?" still points into it, and the thing is the one "it" now stands for.
            if (reply.answered or reply.known_gap) and self.matcher.mentions(str(reply.entry_id), [item.entity]):
                picked = replace(moved, entry_id=reply.entry_id, asked=(item.entity,))
                return replace(reply, context=picked, used=used)
        if item.figure is not None:
            figure = item.figure
            body = f"{figure.label}: **{figure.value}**."
            block = Block(context.entry_id or "", title, body, _sources((figure,)))
        else:
            body = f"Number {index + 1} of the {len(context.items)} in *{title}*: **{item.name}**."
            block = Block(context.entry_id or "", title, body)
        return _about_shown(block, moved, used)

    def _pointed_items(self, start: int, count: int, context: Context) -> Reply:
        """ "The last two": those items, each as `_pointed_item` would give it, in one reply."""
        replies = [self._pointed_item(i, False, context) for i in range(start, start + count)]
        blocks = tuple(block for reply in replies for block in reply.blocks)
        title = context.list_title or "the list I showed"
        reply = self._compose(replies[0], blocks, (), ())
        moved = replace(context, position=start + count - 1)
        return replace(reply, context=moved, used=(f"{title}, items {start + 1}-{start + count}",))

    def _compare(self, direction: Direction, context: Context, extra: list[Figure]) -> Reply | None:
        """The figures just shown (the one the member asked about, when they named one), with any figure the
        message names beside them, ordered, with their provenance; honest when the list has no figures. None
        when one figure is left to rank ("is that good compared to other jobs?" after the 8% growth rate)."""
        title = context.list_title or (self.kb.entries[context.entry_id].title if context.entry_id else "that")
        rows = self._shown_figures(context)
        if not rows and extra:
            return None  # "does a CCS beat that?" after the top states: no figure shown to hold it against
        if not rows:
            text = f"The article gives no figures for the items of *{title}*, so it cannot compare them."
            return Reply(ReplyKind.FALLBACK, text, None, 0.0, topic=context.topic, context=context, used=(title,))
        focus = [item.figure for item in context.items if item.figure is not None and item.tokens & set(context.asked)]
        if extra and focus:
            rows = focus
        shown = list(rows)
        rows += [f for f in extra if f not in rows]
        # Only like with like: a growth rate is not ranked among dollar wages. The unit most rows share
        # (the first row's on a tie) is kept.
        units = [_unit(f.value) for f in rows]
        kept = max(dict.fromkeys(units), key=units.count)
        rows = [f for f, unit in zip(rows, units, strict=True) if unit == kept]
        if len(rows) < 2 or not set(rows) & set(shown):
            return None  # nothing to rank, or none of what was shown ("does a CPC beat that?" after 8% growth)
        ordered = sorted(rows, key=lambda f: _amount(f.value), reverse=direction is not Direction.LOWER)
        first = ordered[0]
        word = "lowest" if direction is Direction.LOWER else "highest"
        lines = "\n".join(f"- {f.label}: **{f.value}**" for f in ordered)
        body = f"Of these figures, the {word} is **{first.label}: {first.value}**.\n{lines}"
        # The figures' own entry is the answer's ("which of those pays better?" after the CPC and the CCS are
        # named: the salary table's rows), when they all come from one.
        owners = set.intersection(*(self._figure_owners.get(f, set()) for f in ordered))
        owner = context.entry_id if context.entry_id in owners or len(owners) != 1 else owners.pop()
        block = Block(owner or "", f"Compared: {title}", body, _sources(ordered))
        return replace(_about_shown(block, context, (title,)), entry_id=owner)

    def _small_talk(self, intent: str, previous: Context | None) -> Reply:
        """A friendly word and what the bot can answer; the conversation stays where it was."""
        text = f"{self.kb.small_talk.replies[intent]} {self.kb.can_answer}"
        return Reply(ReplyKind.SMALL_TALK, text, topic=_topic(previous), context=previous)

    def _small_talk_like(self, question: str) -> str | None:
        """The small-talk intent of a message nothing answers: with the models loaded, a short message close
        to an intent's example ("this server is nice") is that intent."""
        if self.reading is None or len(question.split()) > self.kb.small_talk.max_words:
            return None
        intent, similarity = self.reading.small_talk(question)
        return intent if similarity >= self.calibration.read_small_talk else None

    def _leave_context(self, reply: Reply, question: str, previous: Context | None) -> Reply:
        """The reply with the context it leaves: what it answered, the list it showed, what it named."""
        if reply.context is not None:
            return reply
        read = reply.read or question
        tokens = reply.topic.split()
        entry = self.kb.entries.get(reply.entry_id) if reply.entry_id and reply.answered else None
        items: tuple[Item, ...] = ()
        list_title = ""
        position = None
        if entry is not None:
            items, list_title, position = items_of(self.kb, entry)
        elif reply.suggestions:
            items = tuple(Item(s.title, s.entry_id) for s in reply.suggestions)
            list_title = "the topics I suggested"
        asked, shown = named_entities(self.kb, tokens, entry)
        if entry is not None and not items:
            kind, named = self._named_side_by_side(read, asked, shown)
            items = named_list(self.kb, named, self._entity_figures)
            list_title = f"the {kind}s named in {entry.title}" if items else ""
        context = Context(
            question=read[:MAX_CONTEXT_CHARS],
            topic=" ".join(tokens[:MAX_CONTEXT_WORDS]),
            entry_id=entry.id if entry is not None else None,
            items=items,
            list_title=list_title,
            position=position,
            asked=asked,
            shown=shown,
            suggestions=tuple(s.entry_id for s in reply.suggestions),
        )
        return replace(reply, context=context)

    def _named_side_by_side(
        self, question: str, asked: tuple[str, ...], shown: tuple[str, ...]
    ) -> tuple[str, tuple[str, ...]]:
        """The kind and the things of that kind a reply put side by side: the ones the member named, in their
        order ("explain CPT and ICD-10"), else those of the kind the question asked for, in the answer's order
        ("what groups hand out coding credentials?" -> the AAPC, AHIMA). Nothing when neither holds."""
        kinds = self.follow_ups.words.kinds
        own = tuple(reversed(asked))
        kind = self.follow_ups.kind_of(frozenset(own))
        if len(own) >= 2 and kind is not None and all(e in kinds[kind].entities for e in own):
            return kind, own
        kind = self.follow_ups.kind_named(question)
        if kind is None:
            return "", ()
        return kind, tuple(e for e in shown if e in kinds[kind].entities)

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

    def _resolve(self, question: str, tokens: list[str], previous: Context | None) -> Reply:
        """The best reading of a message: its questions, a follow-up, its focus, or the whole of it.

        `Reply.topic` is the canonical tokens the reply was decided on, space-separated: the context a
        follow-up is joined to (tokens normalise to themselves, and carry no chatter).
        """
        sentences = self.segmenter.sentences(question)  # once: a 4,000-character message can hold hundreds
        parts = self.segmenter.questions(sentences)[:MAX_PARTS]
        # What the message asks for is read from its one question ("I'm 50. What are the steps?" asks for
        # no age); a message asking several things has each part checked on its own (`_several`).
        asked = parts[0] if len(parts) == 1 else question if not parts else ""
        if len(parts) >= 2:
            # Each part is read before the whole: the reader's budget goes to the questions asked.
            several = self._several(parts)
            if several is not None:
                return replace(several, topic=" ".join(tokens))
        own = self.judge(tokens, asked, question)
        short = len(tokens) <= FOLLOW_UP_MAX_TOKENS
        # "and the CCS?" (only a thing named) follows the previous question even though "the CCS" alone
        # has an answer; "and what are the steps?" has its own and keeps it.
        entities = self.kb.normalizer.entities
        names_only = all(t in entities or t in self._bare for t in tokens)
        # A question with its own known answer that the article lacks ("how much does a nurse make") is
        # not a follow-up, even right after a question it could be joined to. An entry refused for lacking
        # the kind of fact asked for is no such answer: "which pays best?" after "what does a CCS make?"
        # has its pay ranking in the previous question's topic.
        settled = own.kind is ReplyKind.ANSWER or (own.kind is ReplyKind.FALLBACK and own.entry_id is not None)
        # A thing of the same kind as the one just asked about, named alone ("cpc?" after "what's a CCS make"),
        # continues the question just as "and the CPC?" does.
        # Words the knowledge base does not know name nothing either, beside such a thing: "and a plain medical
        # records coder" after the CCS's pay (not "and ahima fr" after the CPC's: no thing of the same kind).
        known = self.matcher.idf
        loosely = all(t in entities or t in self._bare or t not in known for t in tokens)
        swaps = previous is not None and loosely and self._swapped(previous, tokens) is not None
        names_only = names_only or swaps
        pointing = (self.follow_ups.continues(question) and names_only) or swaps or self.follow_ups.chooses(question)
        if previous is not None and previous.topic and short and (not settled or pointing):
            follow = self._follow(question, tokens, previous)
            if follow is not None:
                return follow
        if own.kind is not ReplyKind.ANSWER and (len(tokens) >= FOCUS_MIN_TOKENS or len(sentences) > 1):
            for candidate in segment.focus_candidates(sentences)[:MAX_FOCUS]:
                focused_tokens = self.kb.normalizer.tokens(candidate)
                focused = self.judge(focused_tokens, candidate)
                if focused.kind is ReplyKind.ANSWER:
                    return replace(focused, topic=" ".join(focused_tokens))
        return replace(own, topic=" ".join(tokens))

    def _follow(self, question: str, tokens: list[str], context: Context) -> Reply | None:
        """A short message read against the previous question, or None when that reading does not hold.

        It must bring a word the knowledge base knows, if any ("asdfgh" is no follow-up), and the entry it
        reaches must mention one of its own topic words ("schools" after "license" is not about licensing).
        A thing it names replaces the same kind of thing the previous question named ("cpc?" after "what's
        a CCS make" reads "what's a CPC make"). When it only reaches the entry just answered, that answer is
        given again only if it holds the answer: a thing of its list ("and the CCS?" in the salary table) or
        the reader's word, and never for a bare "why?" or the cause of a ranking it shows; otherwise ("why does
        the CCS pay more?", "what about after 2029?") the article has nothing more.
        """
        if tokens and not any(t in self.matcher.idf or t in self._bare for t in tokens):
            return None
        previous = context.topic.split()
        joined = self._follow_up(tokens, previous)
        text = self._swapped(context, tokens) or f"{context.question} {question}"
        own_words = [t for t in tokens if t not in self._bare]
        # Two answers at once only for a follow-up with words of its own after an answer ("what do they teach"
        # after where to study): joined to what the article lacks, or with nothing of its own ("really?",
        # "why?"), the reader's belief split between two entries says it is about neither.
        follow = self.judge(joined, text, pairs=bool(own_words) and context.entry_id is not None)
        if follow.kind is not ReplyKind.ANSWER and not follow.known_gap:
            return None
        if follow.entry_id is not None and own_words and not self.matcher.mentions(follow.entry_id, own_words):
            return None
        named = [t for t in own_words if t in self.kb.normalizer.entities]
        if follow.entry_id is not None and named and not self.matcher.mentions(follow.entry_id, named):
            # "what about CCS, what's that one short for?" after CPT: about the CCS, which CPT's answer never names.
            return None
        used = (f"the previous question: {context.question}",)
        if follow.answered and follow.entry_id is not None and follow.entry_id == context.entry_id:
            # The cause of a ranking shown ("why is the CCS higher?") is not in the article; a cause the member
            # names ("why is demand growing?" after the job outlook) may be in the answer, when the reader says so.
            ranking = self._asks_why_figures_rank(question, context)
            why = self.follow_ups.asks_reason(question)
            bare_why = why and not own_words
            names_an_item = not why and any(set(tokens) & item.tokens for item in context.items)
            if ranking or bare_why or (not names_an_item and not self._reads_as_answer(text, follow.entry_id)):
                # "why?" after figures asks why they are what they are, which the article never says, unless
                # the answer gives their cause itself (the job outlook's growth: the healthcare industry expands).
                entry = self.kb.entries[follow.entry_id]
                figures = bool(entry.figures) and not self.follow_ups.gives_cause(entry.answer)
                if not ranking and (
                    (bare_why and not figures)
                    or (not bare_why and self._asks_past(question, own_words, follow.entry_id))
                ):
                    # Asking past the answer just given ("why?", "is that all they do?", "how do I find out what
                    # mine needs?"): what the article says on it is all there is, so it is shown again, said to be all.
                    again = self._compose(follow, (self._blocks[follow.entry_id],), (ALL_IT_SAYS,), ())
                    return replace(again, topic=" ".join(joined), read=text, used=used)
                title = self.kb.entries[follow.entry_id].title
                nothing = Reply(ReplyKind.FALLBACK, NOTHING_MORE.format(title=title), None, follow.score)
                return replace(nothing, topic=" ".join(joined), read=text, used=used)
        return replace(follow, topic=" ".join(joined), read=text, used=used)

    def _asks_past(self, question: str, own_words: list[str], entry_id: str) -> bool:
        """Whether a follow-up the answer just given does not clearly hold asks further on that same topic: a
        question whose own words, if any, the answer's text uses ("how do I find out what mine needs" after
        the state licensing), naming no thing of its own. Not a remark ("lol my state isn't even there"), a
        place the article gives nothing on ("what about texas"), or one item of a list ("why connecticut?").
        """
        asks = any(sentence.question for sentence in self.segmenter.sentences(question))
        if not asks or any(t in self.kb.normalizer.entities for t in own_words):
            return False
        said = self._said(entry_id)
        return not own_words or any(t in said for t in own_words)

    def _said(self, entry_id: str) -> frozenset[str]:
        """The canonical words an entry's answer uses (the normaliser keeps uncorrected texts' tokens)."""
        return frozenset(self.kb.normalizer.tokens(self._blocks[entry_id].body, correct=False))

    def _reads_as_answer(self, text: str, entry_id: str) -> bool:
        """Whether the reader is sure `entry_id` answers `text` (lexical only: never, to be safe)."""
        found = {c.entry_id: c.read for c in self._read(text, [Match(entry_id, 100.0)]) or []}
        return found.get(entry_id, 0.0) >= self.calibration.read_answer

    def _read(self, text: str, shortlist: list[Match]) -> list[Candidate] | None:
        """The reader's candidates for `text`, or None without models or once this message's readings
        are spent (`ask`)."""
        left = _READS_LEFT.get()
        if self.reading is None or (left is not None and left[0] <= 0):
            return None
        if left is not None:
            left[0] -= 1
        return self.reading.candidates(text, shortlist)

    def _each_named(self, question: str, tokens: list[str], reply: Reply) -> Reply:
        """The reply to a question naming several things of one kind side by side ("who are the AAPC and
        AHIMA?"): when its one reading answered for only one of them (or offered "did you mean"), and another
        gets another answer, each one's answer; otherwise `reply` ("CPC vs CCS pay": one table holds both; an
        honest "I don't know" stays one)."""
        if reply.kind not in (ReplyKind.ANSWER, ReplyKind.SUGGEST):
            return reply
        named = [t for t in dict.fromkeys(tokens) if t in self.kb.normalizer.entities]
        entry = reply.entry_id
        if entry is not None and all(self.matcher.mentions(entry, [t]) for t in named):
            return reply  # its entry is about all of them ("what do the CPC and CCS stand for?")
        kinds = {self.follow_ups.kind_of(frozenset({t})) for t in named}
        if len(named) < 2 or len(kinds) != 1 or None in kinds:
            return reply
        words = question.split()
        found = [self._span(words, token) for token in named]
        spans = sorted(span for span in found if span is not None)
        # Side by side ("the AAPC and AHIMA", "CPC, CCS or ..."), so one name can stand for the list: "is the
        # AAPC better than AHIMA?" or "what does a CCS make, and how about a records coder?" are read whole.
        listing = self.follow_ups.listing_words
        between = [words[a[1] : b[0]] for a, b in itertools.pairwise(spans)]
        if len(spans) < len(named) or any(w.strip(",").casefold() not in listing for gap in between for w in gap):
            return reply
        start, end = spans[0][0], spans[-1][1]
        names = [self.kb.lexicon.entities[token].removeprefix("the ") for token in named]
        answers = self._answers_of_each([" ".join([*words[:start], name, *words[end:]]) for name in names])
        if len(answers) < 2 or (reply.answered and reply.entry_id not in answers):
            return reply
        return replace(self._together(answers), topic=reply.topic)

    def _answers_of_each(self, questions: list[str]) -> dict[str, Reply]:
        """Each question's answer, read on its own, by entry (the first reply for an entry), in order."""
        answers: dict[str, Reply] = {}
        for question in questions:
            alone = self._resolve(question, self.kb.normalizer.tokens(question), None)
            if alone.kind is ReplyKind.ANSWER and alone.entry_id is not None:
                answers.setdefault(alone.entry_id, alone)
        return answers

    def _together(self, answers: dict[str, Reply]) -> Reply:
        """One reply holding every answer's blocks, in order."""
        blocks = tuple(block for reply in answers.values() for block in reply.blocks)
        return self._compose(next(iter(answers.values())), blocks, (), ())

    def _span(self, words: list[str], token: str) -> tuple[int, int] | None:
        """Where in `words` the fewest words that name `token` are ("the ccs", not "what is the ccs")."""
        for size in (1, 2, 3):
            for i in range(len(words) - size + 1):
                if self.kb.normalizer.tokens(" ".join(words[i : i + size]), correct=False) == [token]:
                    return i, i + size
        return None

    def _swapped(self, context: Context, tokens: list[str]) -> str | None:
        """The previous question with the thing it named replaced by the one the follow-up names, when the
        follow-up names exactly one thing of the same kind ("cpc?" after "what's a CCS make"), else None."""
        named = [t for t in tokens if t in self.kb.normalizer.entities]
        old = [e for e in context.asked if e not in named]
        if len(named) != 1 or not old:
            return None
        kind = self.follow_ups.kind_of(frozenset({named[0]}))
        if kind is None or kind != self.follow_ups.kind_of(frozenset({old[0]})):
            return None
        words = context.question.split()
        name = self.kb.lexicon.entities[named[0]].removeprefix("the ")
        span = self._span(words, old[0])
        if span is None:
            return None
        return " ".join([*words[: span[0]], name, *words[span[1] :]])

    def _follow_up(self, tokens: list[str], previous: list[str]) -> list[str]:
        """A follow-up's tokens joined to the previous question's: a thing it names replaces the thing named before.

        "and the CCS?" after "what does a CPC earn?" asks about CCS pay, not about both credentials.
        """
        entities = self.kb.normalizer.entities
        swaps = any(t in entities for t in tokens)
        kept = [t for t in previous if t not in tokens and not (swaps and t in entities)]
        return tokens + kept

    def judge(self, tokens: list[str], question: str = "", read: str = "", *, pairs: bool = True) -> Reply:
        """The decision for one bag of canonical tokens (one question, whose words are `question`); the reader
        reads `read` when given (a chatty message's whole text, whose other sentences name its topic). Without
        `pairs`, two answers are never shown at once (`read_decide`)."""
        if all(t in self._bare for t in tokens):
            # "when?" (no word left once stop words go) or "why?" names no topic: every entry phrased "why
            # ..." would match the latter, so none is the answer. In a conversation it is read against the
            # previous question before it gets here.
            return Reply(ReplyKind.FALLBACK, f"{NO_TOPIC}\n{self.kb.can_answer}")
        ranked = self._ranked(tokens)
        lexical = self.decide(ranked, len(tokens))
        if self.reading is None:
            return lexical
        phrased = self._phrased.get(tuple(self.kb.normalizer.surface(question))) if question else None
        if phrased is not None:
            # Word for word one of an entry's phrasings: the knowledge base says what answers it, and the
            # reader does not overrule that ("how much do coders make in texas": the top states, no state's pay).
            entry = self.kb.entries[phrased]
            if entry.kind == "gap":
                return self._gap(entry, 100.0)
            return self._answer(entry, 100.0)
        candidates = self._read(read or question or " ".join(tokens), ranked[: self.calibration.lexical_candidates])
        return lexical if candidates is None else self.read_decide(candidates, lexical, pairs=pairs)

    def _ranked(self, tokens: list[str]) -> list[Match]:
        """The matcher's ranking that `decide` reads. Nothing further than SUGGEST_WINDOW below the best changes
        a decision: it is never suggested, and a runner-up that far behind leaves a margin past every
        calibrated margin whatever its score."""
        return self.matcher.rank_tokens(tokens, limit=MAX_SUGGESTIONS + 2, window=SUGGEST_WINDOW)

    def _lexical(self, tokens: list[str]) -> Reply:
        """The matcher's decision alone, without the reader (a fragment's reading, or a cheap check)."""
        return self.decide(self._ranked(tokens), len(tokens))

    def read_decide(self, candidates: list[Candidate], lexical: Reply, *, pairs: bool = True) -> Reply:
        """The decision on the reader's verdicts: answer, both, a known gap, "did you mean", or a fallback.

        In this order: a fact the reader is sure answers it (or that clearly leads every other candidate); else
        a confident lexical answer the reader does not rule out (it gives that entry at least `read_lexical`);
        else both of the two best candidates, when both are facts and together the reader is sure of them; else
        a known gap the reader is sure of, or the lexical matcher's known gap; else "did you mean" among the facts
        the reader half believes; else the honest fallback.
        """
        c = self.calibration
        if not candidates:
            return lexical
        agreed = self._agreed(candidates)
        if agreed is not None:
            # The matcher and the encoder, which read the message in two unrelated ways, both put one fact first,
            # the matcher almost fully covered: the reader's doubt is the odd one out ("outpatient center pay":
            # it read the outpatient coding specialty, a known gap).
            return self._answer(self.kb.entries[agreed.entry_id], agreed.lexical)
        best = candidates[0]
        entry = self.kb.entries[best.entry_id]
        facts = [m for m in candidates if self.kb.entries[m.entry_id].kind == "fact"]
        runner_up = candidates[1].read if len(candidates) > 1 else 0.0
        leads = best.read >= c.read_lead and best.read - runner_up >= c.read_lead_margin
        if entry.kind == "fact" and (best.read >= c.read_answer or leads):
            return self._answer(entry, 100 * best.read)
        read = {m.entry_id: m.read for m in candidates}
        if lexical.answered and lexical.entry_id is not None and read.get(lexical.entry_id, 0.0) >= c.read_lexical:
            return lexical
        second = candidates[1] if len(candidates) > 1 else None
        if (
            pairs
            and entry.kind == "fact"
            and second is not None
            and self.kb.entries[second.entry_id].kind == "fact"
            and best.read + second.read >= c.read_pair
            and max(best.dense, second.dense) >= c.read_pair_dense
        ):
            # The reader splits its belief between two entries that both hold the fact asked for ("what does
            # CPC stand for": the certifications and the pay table both name it); together it is sure. Unless the
            # encoder finds neither near the message: a remark it half-places between two entries is about neither.
            return self._pair(entry, second.entry_id, 100 * best.read)
        if entry.kind == "gap" and best.read >= c.read_gap:
            return self._gap(entry, round(100 * best.read, 1))
        if lexical.known_gap:
            return lexical
        close = [m for m in facts if m.read >= c.read_suggest][:MAX_SUGGESTIONS]
        if len(close) >= 2:
            return self._suggest([m.entry_id for m in close], 100 * best.read)
        return self._fallback(100 * best.read)

    def _agreed(self, candidates: list[Candidate]) -> Candidate | None:
        """The fact the matcher (at `read_agree_lexical` or more) and the encoder (at `read_agree_dense`) both
        rank first, whatever the reader gives it; else None."""
        c = self.calibration
        lexical = max(candidates, key=lambda m: m.lexical)
        dense = max(candidates, key=lambda m: m.dense)
        agreed = (
            lexical.entry_id == dense.entry_id
            and lexical.lexical >= c.read_agree_lexical
            and lexical.dense >= c.read_agree_dense
            and self.kb.entries[lexical.entry_id].kind == "fact"
        )
        return lexical if agreed else None

    def _pair(self, entry: Entry, second_id: str, score: float) -> Reply:
        """Two answers at once, the reader's first whole and the second cut to the room left: the first is the
        likelier, so it is the one never cut short; a second with too little room is offered by title."""
        first, second = self._blocks[entry.id], self._blocks[second_id]
        room = MAX_ANSWER_CHARS - len(render.markdown((first, replace(second, body="")), (BOTH_NOTE,)))
        if len(second.opening) + len(" …") < room:  # cut inside its first sentence, the second says nothing
            reply = self._compose(self._answer(entry, score), (first, second.lead(room)), (BOTH_NOTE,), ())
        else:
            reply = self._compose(self._answer(entry, score), (first,), (_ask_separately([second.title]),), ())
        return replace(reply, paired=True)

    def _several(self, parts: list[str]) -> Reply | None:
        """One reply to a message asking several things: every answer the article has, and what it lacks.

        None when fewer than two parts get a confident reply of their own (an answer or a known gap):
        then the message is read as one question.
        """
        answers: dict[str, Reply] = {}
        missing: list[str] = []
        before: list[str] = []
        before_text = ""
        for part in parts:
            tokens = self.kb.normalizer.tokens(part)
            reply = self.judge(tokens, part)
            decided = reply.answered or reply.known_gap
            # "and which one pays more": the things it chooses among are the part before's, however sure its own
            # reading ("and is it worth it?" stands alone: what "it" is changes little of the answer).
            points_back = self.follow_ups.chooses(part)
            leaning = (
                bool(self.follow_ups.continues(part))
                and len(tokens) <= FOLLOW_UP_MAX_TOKENS
                and (not decided or points_back)
            )
            slight = len(tokens) < MIN_PART_TOKENS and reply.score < self.calibration.answer
            if before and (leaning or slight):
                # "and why?", "is that real?": too little to stand alone; read with the part before, by the
                # models too ("is the CCS harder than the CPC? and which one pays more": "which one" is theirs).
                joined_tokens = self._follow_up(tokens, before)
                joined = self.judge(joined_tokens, part, f"{before_text} {part}")
                # A part that stood alone keeps its own reading unless the joined one answers something more:
                # "what are the steps? and which one takes longest" is a question the article does not answer,
                # not the steps again.
                if not decided or (joined.answered and joined.entry_id not in answers):
                    tokens, reply = joined_tokens, joined
            elif slight:
                continue
            before, before_text = tokens, part
            if reply.kind is ReplyKind.ANSWER and reply.entry_id is not None:
                answers.setdefault(reply.entry_id, reply)
            elif reply.known_gap:
                missing.append(part)
        if not answers or len(answers) + len(missing) < 2:
            return None
        first = next(iter(answers.values()))
        blocks: dict[str, Block] = {}  # each entry once: a part answered with two may share one with the next
        for reply in answers.values():
            for block in reply.blocks:
                blocks.setdefault(block.entry_id, block)
        return self._compose(first, tuple(blocks.values()), (), tuple(_shorten(part) for part in missing))

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

    def decide(self, ranked: list[Match], token_count: int = 1) -> Reply:
        """Turn a ranking into an answer, "did you mean" or a fallback; a wrong confident answer is the worst one.

        "Did you mean" is kept for two or more entries genuinely close to each other: a member should
        not have to click for an answer the bot already had.
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
            return self._gap(entry, best.score)
        if confident:
            return self._answer(entry, best.score)
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
                    both = (self._blocks[entry.id], self._blocks[second.id])
                    return self._compose(self._answer(entry, best.score), both, (BOTH_NOTE,), ())
                # Otherwise the article does cover it, so don't say it doesn't: name both readings to choose.
                return self._suggest([m.entry_id for m in ranked[:2]], best.score, UNCLEAR)
            return self._fallback(best.score)
        return self._suggest([m.entry_id for m in close], best.score)

    def _suggest(
        self, entry_ids: list[str], score: float, lead: str = "I'm not sure which of these you mean."
    ) -> Reply:
        """ "Did you mean ...?": every ambiguous reply names the entries it hesitates between, to choose."""
        suggestions = tuple(Suggestion(e, self.kb.entries[e].title) for e in entry_ids)
        lines = "\n".join(f"- {s.title}" for s in suggestions)
        return Reply(ReplyKind.SUGGEST, f"{lead} Did you mean:\n{lines}", None, round(score, 1), suggestions)

    def answer_entry(self, entry_id: str) -> Reply:
        """The answer of one known entry, e.g. after a "did you mean" button, with the context it leaves (a
        follow-up then reads against the entry chosen); KeyError if unknown."""
        entry = self.kb.entries[entry_id]
        topic = " ".join(self.kb.normalizer.tokens(entry.title, correct=False))
        if entry.kind == "gap":
            return self._leave_context(replace(self._gap(entry, 100.0), topic=topic), entry.title, None)
        return self._leave_context(replace(self._answer(entry, 100.0), topic=topic), entry.title, None)

    @staticmethod
    def block(entry: Entry) -> Block:
        """An entry's answer as a block, with the provenance of every figure it shows."""
        return Block(entry.id, entry.title, entry.answer, _sources(entry.figures), entry.related)

    def _phrasings(self) -> dict[tuple[str, ...], str]:
        """Each phrasing's words (cleaned, spelling corrected: `Normalizer.surface`) -> its entry; words two
        entries both phrase are left out. Words, not canonical tokens: synonyms would make "what does a
        plumber do" a phrasing of an entry on coding auditors (both are "another job")."""
        found: dict[tuple[str, ...], str] = {}
        shared: set[tuple[str, ...]] = set()
        for entry in self.kb:
            for phrasing in entry.phrasings:
                words = tuple(self.kb.normalizer.surface(phrasing))
                if words and found.setdefault(words, entry.id) != entry.id:
                    shared.add(words)
        return {words: entry_id for words, entry_id in found.items() if words not in shared}

    def _answer(self, entry: Entry, score: float) -> Reply:
        return Reply(
            ReplyKind.ANSWER, self._rendered[entry.id], entry.id, round(score, 1), blocks=(self._blocks[entry.id],)
        )

    def _gap(self, entry: Entry, score: float) -> Reply:
        """A known gap's reply: what the article does not say, and what the bot can answer."""
        return Reply(ReplyKind.FALLBACK, f"{entry.answer}\n{self.kb.can_answer}", entry.id, score)

    def _fallback(self, score: float) -> Reply:
        return Reply(
            ReplyKind.FALLBACK,
            f"I don't know that: the article I answer from doesn't cover it.\n{self.kb.can_answer}",
            None,
            round(score, 1),
        )


# The reader's readings left for the message being answered, per thread (`Engine.ask`); None outside `ask`.
_READS_LEFT: ContextVar[list[int] | None] = ContextVar("reads_left", default=None)

_SPACES = re.compile(r"[^\S\n]+")
_LINE_BREAKS = re.compile(r" ?\n[\s]*")


def _squeeze(text: str) -> str:
    """Runs of spaces to one space, runs of line breaks (and the blanks around them) to one line break."""
    return _LINE_BREAKS.sub("\n", _SPACES.sub(" ", text)).strip()


def _sources(figures: Iterable[Figure]) -> tuple[Source, ...]:
    """The provenance lines of figures shown: each value with its source and date, as the article gives them."""
    return tuple(Source(f.value, f.source, f.date) for f in figures)


def _unit(value: str) -> str:
    """'$44,090' -> '$', '8%' -> '%': what a figure counts, so only like figures are compared."""
    return "%" if value.strip().endswith("%") else "$" if "$" in value else ""


def _amount(value: str) -> float:
    """'$44,090' -> 44090.0, '8%' -> 8.0: a figure's size, for ordering."""
    digits = re.sub(r"[^\d.]", "", value)
    return float(digits) if digits else 0.0


def _about_shown(block: Block, context: Context, used: tuple[str, ...]) -> Reply:
    """An answer about what the last reply showed (an item, a comparison, sources): the conversation's topic
    and entry stay as they were; `context` is what it leaves (moved on, for an item)."""
    return Reply(
        ReplyKind.ANSWER,
        render.markdown((block,)),
        context.entry_id,
        100.0,
        topic=context.topic,
        blocks=(block,),
        context=context,
        used=used,
    )


def _topic(context: Context | None) -> str:
    return context.topic if context is not None else ""


def _ask_separately(titles: list[str]) -> str:
    return "Ask me separately about: " + "; ".join(titles) + "." if titles else ""


def _shorten(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
