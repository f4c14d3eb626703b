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
class Lexicon:
    """Shorthand, multi-word phrases, synonyms and stop words used by the normaliser."""

    shorthand: dict[str, str] = field(default_factory=dict)
    phrases: dict[str, str] = field(default_factory=dict)
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stopwords: tuple[str, ...] = ()
    # Canonical tokens that name one thing of a kind (a credential, a sector, a coding system): in a
    # follow-up, a new one replaces the one asked about before ("and the CCS?" after the CPC).
    entities: tuple[str, ...] = ()

    @classmethod
    def parse(cls, raw: object) -> Lexicon:
        """The lexicon from its YAML mapping; `ModelError` lists every problem."""
        read = _Reader(raw, cls)
        lexicon = cls(
            shorthand=read.get("shorthand", mapping(text()), {}),
            phrases=read.get("phrases", mapping(text()), {}),
            synonyms=read.get("synonyms", mapping(items(text())), {}),
            stopwords=read.get("stopwords", items(text()), ()),
            entities=read.get("entities", items(text()), ()),
        )
        read.done()
        seen: dict[str, str] = {}
        for canonical, variants in lexicon.synonyms.items():
            for variant in variants:
                other = seen.setdefault(variant, canonical)
                if other != canonical:
                    raise ModelError([((), f"synonym {variant!r} is listed under both {other!r} and {canonical!r}")])
        return lexicon
