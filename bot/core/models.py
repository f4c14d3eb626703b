"""The knowledge base's records, and the checks that turn a YAML mapping into one.

Why hand-written checks and not a validation library: a knowledge base is data edited by people, so a
typo in a field name or a figure without its source must stop start-up with a precise message, not
surface as a wrong answer. But these are four small record types read once per process, and pydantic
(which did this before) cost about a tenth of a second and ten megabytes of every start-up, more than
the rest of the knowledge base. `Entry.parse` and `Lexicon.parse` report every problem of a mapping
at once, each with its location (`figures[0].source`) and reason, as `ModelError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypeVar, cast

from bot.core.render import provenance

ENTRY_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"
_ENTRY_ID = re.compile(ENTRY_ID)
_LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s")
_STEP_PREFIX = re.compile(r"^\s*step\s*\d+\s*[:.,\-–]\s*", re.IGNORECASE)
_SHOWN_FIGURE = re.compile(r"\$\d[\d,]*|\b\d+(?:\.\d+)?\s?%")

Loc = tuple[str | int, ...]
T = TypeVar("T")
_REQUIRED = object()


class ModelError(ValueError):
    """Everything wrong with one mapping: (location, reason) pairs; an empty location is the whole record."""

    def __init__(self, errors: list[tuple[Loc, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{'.'.join(map(str, loc)) or 'record'}: {reason}" for loc, reason in errors))


def unwrap(text: str) -> str:
    """Join hard-wrapped YAML lines into paragraphs, keeping list items and blank lines.

    Why: answers are written wrapped for readable diffs, but Discord shows every newline.
    """
    out: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        starts_block = not stripped or _LIST_ITEM.match(line) or not out or not out[-1]
        if starts_block:
            out.append(stripped if not _LIST_ITEM.match(line) else line.rstrip())
        else:
            out[-1] = f"{out[-1]} {stripped}"
    return "\n".join(out)


class _Reader:
    """Reads the fields of one raw mapping, collecting a problem per bad field instead of stopping."""

    def __init__(self, raw: object, cls: type, loc: Loc = ()) -> None:
        if not isinstance(raw, Mapping):
            raise ModelError([(loc, "must be a mapping of fields")])
        self.loc = loc
        self.errors: list[tuple[Loc, str]] = []
        self.raw: Mapping[Any, Any] = raw
        known = {f.name for f in fields(cls)}
        self.errors.extend(((*loc, str(key)), "unknown field") for key in self.raw if key not in known)

    def get(self, name: str, check: Callable[[Any], T], default: Any = _REQUIRED) -> T:
        """The checked value of `name`, or `default` when absent (no default: a required field).

        On a problem it is recorded and a placeholder returned: `done` raises before anyone uses it.
        """
        if name not in self.raw:
            if default is _REQUIRED:
                self.errors.append(((*self.loc, name), "required field is missing"))
                return cast(T, None)
            return cast(T, default)
        try:
            return check(self.raw[name])
        except ModelError as error:  # a nested record: its locations continue this one's
            self.errors.extend(((*self.loc, name, *loc), reason) for loc, reason in error.errors)
        except ValueError as error:
            self.errors.append(((*self.loc, name), str(error)))
        return cast(T, None)

    def done(self) -> None:
        if self.errors:
            raise ModelError(self.errors)


def text(*, min_length: int = 0, max_length: int | None = None) -> Callable[[Any], str]:
    """A string, of a length in bounds."""

    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        if len(value) < min_length:
            raise ValueError(f"must have at least {min_length} character{'s' * (min_length != 1)}")
        if max_length is not None and len(value) > max_length:
            raise ValueError(f"must have at most {max_length} characters")
        return value

    return check


def optional(check: Callable[[Any], T]) -> Callable[[Any], T | None]:
    return lambda value: None if value is None else check(value)


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no"}


def flag(value: Any) -> bool:
    """true or false; also 1/0 and yes/no as text, as YAML writers sometimes quote them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("must be true or false")


def number(*, ge: int, le: int) -> Callable[[Any], int]:
    """A whole number in bounds; also as text ("3") or a float without a fraction (3.0)."""

    def check(value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        elif isinstance(value, str):
            try:
                value = int(value.strip())
            except ValueError:
                raise ValueError("must be a whole number") from None
        if not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not ge <= value <= le:
            raise ValueError(f"must be between {ge} and {le}")
        return int(value)

    return check


def items(check: Callable[[Any], T], *, min_length: int = 0) -> Callable[[Any], tuple[T, ...]]:
    """A list whose every item passes `check`; problems are located by index."""

    def check_all(value: Any) -> tuple[T, ...]:
        if not isinstance(value, list | tuple):
            raise ValueError("must be a list")
        if len(value) < min_length:
            raise ValueError(f"must have at least {min_length} item{'s' * (min_length != 1)}")
        out: list[T] = []
        errors: list[tuple[Loc, str]] = []
        for index, item in enumerate(value):
            try:
                out.append(check(item))
            except ModelError as error:
                errors.extend(((index, *loc), reason) for loc, reason in error.errors)
            except ValueError as error:
                errors.append(((index,), str(error)))
        if errors:
            raise ModelError(errors)
        return tuple(out)

    return check_all


def mapping(check: Callable[[Any], T]) -> Callable[[Any], dict[str, T]]:
    """A mapping from text to values that pass `check`; problems are located by key."""

    def check_all(value: Any) -> dict[str, T]:
        if not isinstance(value, Mapping):
            raise ValueError("must be a mapping")
        out: dict[str, T] = {}
        errors: list[tuple[Loc, str]] = []
        for key, item in value.items():
            if not isinstance(key, str):
                errors.append(((key if isinstance(key, int) else str(key), "[key]"), "keys must be text"))
                continue
            try:
                out[key] = check(item)
            except ModelError as error:
                errors.extend(((key, *loc), reason) for loc, reason in error.errors)
            except ValueError as error:
                errors.append(((key,), str(error)))
        if errors:
            raise ModelError(errors)
        return out

    return check_all


def stripped_items(*, min_length: int = 0) -> Callable[[Any], tuple[str, ...]]:
    """A list of text items, none blank, each stripped."""
    check_all = items(text(), min_length=min_length)

    def check(value: Any) -> tuple[str, ...]:
        checked = check_all(value)
        if any(not item.strip() for item in checked):
            raise ValueError("contains an empty item")
        return tuple(item.strip() for item in checked)

    return check


@dataclass(frozen=True, slots=True)
class Figure:
    """One number shown to members, with its provenance exactly as the article gives it."""

    label: str
    value: str  # as it appears in the answer text, e.g. '$44,090'
    source: str
    date: str | None = None
    undated: bool = False

    @classmethod
    def parse(cls, raw: object) -> Figure:
        """A figure from its YAML mapping; `ModelError` lists every problem."""
        read = _Reader(raw, cls)
        figure = cls(
            label=read.get("label", text(min_length=1)),
            value=read.get("value", text(min_length=1)),
            source=read.get("source", text(min_length=1)),
            date=read.get("date", optional(text()), None),
            undated=read.get("undated", flag, False),
        )
        read.done()
        if figure.date is None and not figure.undated:
            raise ValueError("a figure needs a date, or 'undated: true' where the article gives none")
        if figure.date is not None and figure.undated:
            raise ValueError("a figure cannot have a date and be marked undated")
        return figure

    @property
    def provenance(self) -> str:
        """'U.S. Bureau of Labor Statistics, May 2020' or '…, undated in the article'."""
        return provenance(self.source, self.date)


def short_title(title: str) -> str:
    """A title without its "Step 2:" prefix: lists, menus and buttons number the steps themselves."""
    return _STEP_PREFIX.sub("", title).strip() or title


@dataclass(frozen=True, slots=True)
class StepList:
    """One of the article's step lists, as it gives them (the article has five, and they differ)."""

    heading: str
    steps: tuple[str, ...]
    canonical: bool = False  # the list the step entries (and the checklist) follow

    @classmethod
    def parse(cls, raw: object) -> StepList:
        read = _Reader(raw, cls)
        step_list = cls(
            heading=read.get("heading", text(min_length=1)),
            steps=read.get("steps", items(text(), min_length=1)),
            canonical=read.get("canonical", flag, False),
        )
        read.done()
        return step_list


@dataclass(frozen=True, slots=True)
class ListItem:
    """One item of the list an answer shows, in order: a conversation can then say "the second one"."""

    name: str  # as the answer shows it
    entry: str | None = None  # the entry that tells more about it, when one does

    @classmethod
    def parse(cls, raw: object) -> ListItem:
        read = _Reader(raw, cls)
        item = cls(name=read.get("name", text(min_length=1)), entry=read.get("entry", optional(text()), None))
        read.done()
        return item


def _kind(value: Any) -> Literal["fact", "gap"]:
    if value not in ("fact", "gap"):
        raise ValueError("must be 'fact' or 'gap'")
    return value


def _entry_id(value: Any) -> str:
    if not isinstance(value, str) or not _ENTRY_ID.match(value):
        raise ValueError("must be 2-64 lowercase letters, digits and hyphens, starting with a letter or digit")
    return value


def _answer(value: Any) -> str:
    if not text()(value).strip():
        raise ValueError("the answer is empty")
    return unwrap(value.strip())


@dataclass(frozen=True, slots=True)
class Entry:
    """One answerable (or knowingly unanswerable) topic of the article."""

    id: str
    title: str
    section: str
    phrasings: tuple[str, ...]
    answer: str
    kind: Literal["fact", "gap"] = "fact"
    keywords: tuple[str, ...] = ()
    figures: tuple[Figure, ...] = ()
    related: tuple[str, ...] = ()
    step: int | None = None  # 1-5
    summary: str | None = None  # a step's one line in /steps
    tasks: tuple[str, ...] = ()
    step_lists: tuple[StepList, ...] = ()  # the article's step lists, on the overview entry
    items: tuple[ListItem, ...] = ()  # the list the answer shows, when it is not its figures or the steps
    topic: str | None = None  # a few words for the "what I can answer" line ("the job outlook")
    must_not_match: tuple[str, ...] = ()  # questions this entry must never be the answer to (`kb check --matching`)

    @classmethod
    def parse(cls, raw: object) -> Entry:
        """An entry from its YAML mapping; `ModelError` lists every problem of its fields, else the
        first one of the entry as a whole (figures that the answer does not show, and so on)."""
        read = _Reader(raw, cls)
        entry = cls(
            id=read.get("id", _entry_id),
            kind=read.get("kind", _kind, "fact"),
            title=read.get("title", text(min_length=1, max_length=80)),
            section=read.get("section", text(min_length=1)),
            phrasings=read.get("phrasings", stripped_items(min_length=1)),
            keywords=read.get("keywords", stripped_items(), ()),
            answer=read.get("answer", _answer),
            figures=read.get("figures", items(Figure.parse), ()),
            related=read.get("related", items(text()), ()),
            step=read.get("step", optional(number(ge=1, le=5)), None),
            summary=read.get("summary", optional(text(min_length=1, max_length=120)), None),
            tasks=read.get("tasks", stripped_items(), ()),
            step_lists=read.get("step_lists", items(StepList.parse), ()),
            items=read.get("items", items(ListItem.parse), ()),
            topic=read.get("topic", optional(text(min_length=1, max_length=60)), None),
            must_not_match=read.get("must_not_match", stripped_items(), ()),
        )
        read.done()
        try:
            entry._check_whole()
        except ValueError as error:
            raise ModelError([((), str(error))]) from None
        return entry

    def _check_whole(self) -> None:
        for figure in self.figures:
            if figure.value not in self.answer:
                raise ValueError(f"figure {figure.value!r} ({figure.label}) does not appear in the answer")
        declared = {f.value for f in self.figures}
        for shown in _SHOWN_FIGURE.findall(self.answer):
            if shown.replace(" ", "") not in declared:
                raise ValueError(f"the answer shows {shown!r} but no figure gives its source and date")
        if self.kind == "gap" and self.figures:
            raise ValueError("a gap entry says what the article lacks; it cannot carry figures")
        if self.step is not None and self.summary is None:
            raise ValueError("a step needs a one-line summary (shown in the list of steps)")
        if sum(s.canonical for s in self.step_lists) > 1:
            raise ValueError("at most one step list can be the canonical one")

    @property
    def short_title(self) -> str:
        return short_title(self.title)


@dataclass(frozen=True, slots=True)
class Rewrite:
    """A regular expression applied to a question's cleaned text, and its replacement."""

    match: str
    replace: str

    @classmethod
    def parse(cls, raw: object) -> Rewrite:
        read = _Reader(raw, cls)
        rewrite = cls(match=read.get("match", text(min_length=1)), replace=read.get("replace", text()))
        read.done()
        try:
            re.compile(rewrite.match)
        except re.error as error:
            raise ModelError([(("match",), f"not a valid regular expression: {error}")]) from None
        return rewrite


@dataclass(frozen=True, slots=True)
class InContext:
    """A word that reads as `means` only beside one of `with` (or at the end of a question), else is dropped."""

    means: str
    with_: tuple[str, ...]

    @classmethod
    def parse(cls, raw: object) -> InContext:
        if not isinstance(raw, Mapping):
            raise ModelError([((), "must be a mapping with 'means' and 'with'")])
        renamed = {("with_" if k == "with" else k): v for k, v in raw.items()}
        read = _Reader(renamed, cls)
        found = cls(means=read.get("means", text(min_length=1)), with_=read.get("with_", stripped_items(min_length=1)))
        read.done()
        return found


@dataclass(frozen=True, slots=True)
class QuestionWords:
    """The words that mark a sentence as a question, and join two questions in one ("... and what is ...")."""

    lead_ins: tuple[str, ...] = ()
    openers: tuple[str, ...] = ()
    joiners: tuple[str, ...] = ()
    second_openers: tuple[str, ...] = ()
    about_oneself: tuple[str, ...] = ()  # "I'm", "I've never": what follows says what the member is or has done

    @classmethod
    def parse(cls, raw: object) -> QuestionWords:
        read = _Reader(raw, cls)
        found = cls(
            lead_ins=read.get("lead_ins", stripped_items(), ()),
            openers=read.get("openers", stripped_items(min_length=1)),
            joiners=read.get("joiners", stripped_items(), ()),
            second_openers=read.get("second_openers", stripped_items(), ()),
            about_oneself=read.get("about_oneself", stripped_items(), ()),
        )
        read.done()
        return found


@dataclass(frozen=True, slots=True)
class BundledTopic:
    """A topic the article leaves out that members name together with coding ("billing and coding")."""

    words: tuple[str, ...]
    with_: str  # the start of the word it is bundled with ("cod": coding, coder)
    comparing: tuple[str, ...]  # words that make the message a comparison of the two, read as it is
    note: str  # the line added to an answer for the rest of the message
    except_entries: tuple[str, ...] = ()  # answers that already say it

    @classmethod
    def parse(cls, raw: object) -> BundledTopic:
        if not isinstance(raw, Mapping):
            raise ModelError([((), "must be a mapping")])
        read = _Reader({("with_" if k == "with" else k): v for k, v in raw.items()}, cls)
        found = cls(
            words=read.get("words", stripped_items(min_length=1)),
            with_=read.get("with_", text(min_length=1)),
            comparing=read.get("comparing", stripped_items(), ()),
            note=read.get("note", text(min_length=1)),
            except_entries=read.get("except_entries", stripped_items(), ()),
        )
        read.done()
        return found


@dataclass(frozen=True, slots=True)
class EntityKind:
    """A kind of thing some entities name, and the words a question uses for that kind."""

    entities: tuple[str, ...]
    words: tuple[str, ...]

    @classmethod
    def parse(cls, raw: object) -> EntityKind:
        read = _Reader(raw, cls)
        kind = cls(
            entities=read.get("entities", stripped_items(min_length=1)),
            words=read.get("words", stripped_items(min_length=1)),
        )
        read.done()
        return kind


@dataclass(frozen=True, slots=True)
class FollowUpWords:
    """The words that make a message point back at the reply before it: data, so they can be read and extended."""

    ordinals: dict[str, int] = field(default_factory=dict)  # "third": 3, "last": -1 (from the end)
    cardinals: dict[str, int] = field(default_factory=dict)  # "three": 3, only after "step" or "number"
    forward: tuple[str, ...] = ()  # "next", "after that": the item after the one last shown
    backward: tuple[str, ...] = ()  # "previous", "the one before"
    attached_only: tuple[str, ...] = ()  # "after": moves from a position only said right before it
    closing: tuple[str, ...] = ()  # "one", "for me": words that may follow a move closing a message
    pronouns: tuple[str, ...] = ()  # "it", "they", "that one": the thing named last
    higher: tuple[str, ...] = ()  # "which pays more / the most": the largest figure just shown
    lower: tuple[str, ...] = ()  # "the least", "lower"
    compare: tuple[str, ...] = ()  # "difference", "vs": every figure shown, largest first
    provenance: tuple[str, ...] = ()  # "where is that from", "what year": the shown figures' sources
    anchors: tuple[str, ...] = ()  # "one", "option", "step": beside an ordinal, it picks an item
    whole_list: tuple[str, ...] = ()  # "list", "table": after "that" or "the", the list just shown
    filler: tuple[str, ...] = ()  # words that name no topic in a pointing message ("what comes next")
    continuations: tuple[str, ...] = ()  # "and ...", "what about ...": continues the previous question
    choosing: tuple[str, ...] = ()  # "which one", "that one": chooses among what was discussed
    reasons: tuple[str, ...] = ()  # "why", "how come": asks for a cause, which no figure shown gives
    switches: tuple[str, ...] = ()  # "new question", "unrelated but": the message starts afresh
    later: tuple[str, ...] = ()  # "after", "beyond": before a year, a time past the figures' own
    listing: tuple[str, ...] = ()  # "and", "or", "vs": between things named side by side
    newer: tuple[str, ...] = ()  # "latest", "more recent": figures newer than the article's
    levels: tuple[str, ...] = ()  # "starting", "entry level": a level of experience the figures are not given by
    level_asks: tuple[str, ...] = ()  # "start at", "is that for": asking a level's figure
    bare: tuple[str, ...] = ()  # canonical tokens that name no topic ("why", "where")
    figures: tuple[str, ...] = ()  # words asking for a figure ("pay", "avg"): of a thing shown without one
    causes: tuple[str, ...] = ()  # "because", "as the": an answer using one gives a cause of what it says
    kinds: dict[str, EntityKind] = field(default_factory=dict)  # "orgs" -> the organisations named

    @classmethod
    def parse(cls, raw: object) -> FollowUpWords:
        read = _Reader(raw, cls)
        words = cls(
            ordinals=read.get("ordinals", mapping(number(ge=-3, le=20)), {}),  # 0: the middle one
            cardinals=read.get("cardinals", mapping(number(ge=1, le=20)), {}),
            forward=read.get("forward", stripped_items(), ()),
            backward=read.get("backward", stripped_items(), ()),
            attached_only=read.get("attached_only", stripped_items(), ()),
            closing=read.get("closing", stripped_items(), ()),
            pronouns=read.get("pronouns", stripped_items(), ()),
            higher=read.get("higher", stripped_items(), ()),
            lower=read.get("lower", stripped_items(), ()),
            compare=read.get("compare", stripped_items(), ()),
            provenance=read.get("provenance", stripped_items(), ()),
            anchors=read.get("anchors", stripped_items(), ()),
            whole_list=read.get("whole_list", stripped_items(), ()),
            filler=read.get("filler", stripped_items(), ()),
            continuations=read.get("continuations", stripped_items(), ()),
            choosing=read.get("choosing", stripped_items(), ()),
            reasons=read.get("reasons", stripped_items(), ()),
            switches=read.get("switches", stripped_items(), ()),
            later=read.get("later", stripped_items(), ()),
            listing=read.get("listing", stripped_items(), ()),
            newer=read.get("newer", stripped_items(), ()),
            levels=read.get("levels", stripped_items(), ()),
            level_asks=read.get("level_asks", stripped_items(), ()),
            bare=read.get("bare", stripped_items(), ()),
            figures=read.get("figures", stripped_items(), ()),
            causes=read.get("causes", stripped_items(), ()),
            kinds=read.get("kinds", mapping(EntityKind.parse), {}),
        )
        read.done()
        return words


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Shorthand, multi-word phrases, synonyms and stop words used by the normaliser."""

    shorthand: dict[str, str] = field(default_factory=dict)
    real_word_shorthand: dict[str, str] = field(default_factory=dict)  # reviewed: real words used only as typos
    rewrites: tuple[Rewrite, ...] = ()  # regular expressions applied first, in order ("step three" -> step3)
    in_context: dict[str, InContext] = field(default_factory=dict)  # "make" is pay only beside "how much"
    phrases: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: tuple[str, ...] = ()
    # Canonical tokens that name one thing of a kind (a credential, a sector, a coding system), each with
    # the name a reply uses for it: in a follow-up, a new one replaces the one asked about before ("and the
    # CCS?" after the CPC), and "they" or "it" stands for the one named last.
    entities: dict[str, str] = field(default_factory=dict)
    follow_ups: FollowUpWords = field(default_factory=FollowUpWords)
    bundled_topic: BundledTopic | None = None
    questions: QuestionWords = field(default_factory=QuestionWords)

    @classmethod
    def parse(cls, raw: object) -> Lexicon:
        """The lexicon from its YAML mapping; `ModelError` lists every problem."""
        read = _Reader(raw, cls)
        lexicon = cls(
            shorthand=read.get("shorthand", mapping(text()), {}),
            real_word_shorthand=read.get("real_word_shorthand", mapping(text()), {}),
            rewrites=read.get("rewrites", items(Rewrite.parse), ()),
            in_context=read.get("in_context", mapping(InContext.parse), {}),
            phrases=read.get("phrases", mapping(text()), {}),
            synonyms=read.get("synonyms", mapping(items(text())), {}),
            stopwords=read.get("stopwords", items(text()), ()),
            entities=read.get("entities", mapping(text(min_length=1)), {}),
            follow_ups=read.get("follow_ups", FollowUpWords.parse, FollowUpWords()),
            bundled_topic=read.get("bundled_topic", optional(BundledTopic.parse), None),
            questions=read.get("questions", QuestionWords.parse, QuestionWords()),
        )
        read.done()
        seen: dict[str, str] = {}
        for canonical, variants in lexicon.synonyms.items():
            for variant in variants:
                other = seen.setdefault(variant, canonical)
                if other != canonical:
                    raise ModelError([((), f"synonym {variant!r} is listed under both {other!r} and {canonical!r}")])
        return lexicon
