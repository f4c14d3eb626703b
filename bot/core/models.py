"""Pydantic models of the knowledge base files.

Why pydantic: a knowledge base is data edited by people; a typo in a field name or a figure
without its source must stop start-up with a precise message, not surface as a wrong answer.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.core.render import provenance

ENTRY_ID = r"^[a-z0-9][a-z0-9-]{1,63}$"
_LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s")
_STEP_PREFIX = re.compile(r"^\s*step\s*\d+\s*[:.,\-–]\s*", re.IGNORECASE)


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


class Figure(BaseModel):
    """One number shown to members, with its provenance exactly as the article gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1)
    value: str = Field(min_length=1, description="as it appears in the answer text, e.g. '$44,090'")
    source: str = Field(min_length=1)
    date: str | None = None
    undated: bool = False

    @model_validator(mode="after")
    def _dated_or_explicitly_undated(self) -> Figure:
        if self.date is None and not self.undated:
            raise ValueError("a figure needs a date, or 'undated: true' where the article gives none")
        if self.date is not None and self.undated:
            raise ValueError("a figure cannot have a date and be marked undated")
        return self

    @property
    def provenance(self) -> str:
        """'U.S. Bureau of Labor Statistics, May 2020' or '…, undated in the article'."""
        return provenance(self.source, self.date)


def short_title(title: str) -> str:
    """A title without its "Step 2:" prefix: lists, menus and buttons number the steps themselves."""
    return _STEP_PREFIX.sub("", title).strip() or title


class StepList(BaseModel):
    """One of the article's step lists, as it gives them (the article has five, and they differ)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    heading: str = Field(min_length=1)
    steps: tuple[str, ...] = Field(min_length=1)
    canonical: bool = False  # the list the step entries (and the checklist) follow


class Entry(BaseModel):
    """One answerable (or knowingly unanswerable) topic of the article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ENTRY_ID)
    kind: Literal["fact", "gap"] = "fact"
    title: str = Field(min_length=1, max_length=80)
    section: str = Field(min_length=1)
    phrasings: tuple[str, ...] = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    answer: str
    figures: tuple[Figure, ...] = ()
    related: tuple[str, ...] = ()
    step: int | None = Field(default=None, ge=1, le=5)
    summary: str | None = Field(default=None, min_length=1, max_length=120)  # a step's one line in /steps
    tasks: tuple[str, ...] = ()
    step_lists: tuple[StepList, ...] = ()  # the article's step lists, on the overview entry

    @field_validator("answer")
    @classmethod
    def _answer_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the answer is empty")
        return unwrap(value.strip())

    @field_validator("phrasings", "keywords", "tasks")
    @classmethod
    def _no_blank_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not str(item).strip() for item in value):
            raise ValueError("contains an empty item")
        return tuple(str(item).strip() for item in value)

    @model_validator(mode="after")
    def _figures_match_answer(self) -> Entry:
        for figure in self.figures:
            if figure.value not in self.answer:
                raise ValueError(f"figure {figure.value!r} ({figure.label}) does not appear in the answer")
        declared = {f.value for f in self.figures}
        for shown in re.findall(r"\$\d[\d,]*|\b\d+(?:\.\d+)?\s?%", self.answer):
            if shown.replace(" ", "") not in declared:
                raise ValueError(f"the answer shows {shown!r} but no figure gives its source and date")
        if self.kind == "gap" and self.figures:
            raise ValueError("a gap entry says what the article lacks; it cannot carry figures")
        if self.step is not None and self.summary is None:
            raise ValueError("a step needs a one-line summary (shown in the list of steps)")
        if sum(s.canonical for s in self.step_lists) > 1:
            raise ValueError("at most one step list can be the canonical one")
        return self

    @property
    def short_title(self) -> str:
        return short_title(self.title)


class Lexicon(BaseModel):
    """Shorthand, multi-word phrases, synonyms and stop words used by the normaliser."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shorthand: dict[str, str] = {}
    phrases: dict[str, str] = {}
    synonyms: dict[str, tuple[str, ...]] = {}
    stopwords: tuple[str, ...] = ()
    # Canonical tokens that name one thing of a kind (a credential, a sector, a coding system): in a
    # follow-up, a new one replaces the one asked about before ("and the CCS?" after the CPC).
    entities: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _each_variant_has_one_meaning(self) -> Lexicon:
        seen: dict[str, str] = {}
        for canonical, variants in self.synonyms.items():
            for variant in variants:
                other = seen.setdefault(str(variant), canonical)
                if other != canonical:
                    raise ValueError(f"synonym {variant!r} is listed under both {other!r} and {canonical!r}")
        return self
