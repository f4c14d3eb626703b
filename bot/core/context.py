"""What a reply showed, kept as structure so the next message can point back at it.

Why structure and not only the previous question's text: "and the next one?", "which pays more?" or "what
are their full names?" refer to what the member was *shown*: the step just answered, the rows of a salary
table, the organisations named. A `Context` holds exactly that: the entry answered, the list it showed in
order (the canonical steps, a table's rows, the top states), the item last pointed at, the things it named
(credentials, organisations, sectors, most recent first) and the suggestions offered. `bot.core.follow_up`
resolves a message against it; `bot.core.conversation` keeps one per member for ten minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.models import Entry, Figure

if TYPE_CHECKING:
    from bot.core.knowledge import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Item:
    """One item of a list a reply showed."""

    name: str  # as shown: "Step 3: Practical experience", "Certified Coding Specialist (CCS)", "Connecticut"
    entry_id: str | None = None  # the entry that tells more about it (a step's own entry)
    figure: Figure | None = None  # its figure, when the list is a table (for comparisons)
    tokens: frozenset[str] = frozenset()  # canonical tokens naming it ("ccs", "step3"), to recognise it again
    entity: str | None = None  # the entity it is, for a list of things named (`named_list`): asked about by name


@dataclass(frozen=True, slots=True)
class Context:
    """The state of a conversation after one reply (see the module's doc)."""

    question: str = ""  # the member's message as it was read (a follow-up joined to what it continues)
    topic: str = ""  # its canonical tokens, space-separated: what a short follow-up's words are joined to
    entry_id: str | None = None  # the entry answered (None for a fallback or small talk)
    items: tuple[Item, ...] = ()
    list_title: str = ""  # what the list is ("The five steps to becoming a medical coder")
    position: int | None = None  # the item last pointed at (a step answered is its own position)
    asked: tuple[str, ...] = ()  # canonical entity tokens the member named, most recent first
    shown: tuple[str, ...] = ()  # those the answer named, in its order
    suggestions: tuple[str, ...] = field(default_factory=tuple)  # entry ids offered as "did you mean"

    @property
    def entities(self) -> tuple[str, ...]:
        """Every entity in play, the member's own first."""
        return tuple(dict.fromkeys([*self.asked, *self.shown]))

    @property
    def empty(self) -> bool:
        return not (self.question or self.entry_id or self.items or self.suggestions)


def items_of(kb: KnowledgeBase, entry: Entry) -> tuple[tuple[Item, ...], str, int | None]:
    """The list an entry's answer shows, in order, its title, and which item the entry itself is (a step).

    The canonical steps for the steps overview and each step (a step's "next" is the next step); an
    entry's declared `items`; otherwise its figures when it has several (a table), in the order the answer
    shows them. Anything else shows no list.
    """
    normalize = kb.normalizer.tokens
    if entry.step is not None or entry.step_lists:
        steps = kb.steps()
        found = tuple(
            Item(
                f"Step {step.step}: {step.short_title}",
                step.id,
                None,
                frozenset({f"step{step.step}", *normalize(step.short_title, correct=False)}),
            )
            for step in steps
        )
        position = next((i for i, step in enumerate(steps) if step.id == entry.id), None)
        overview = next((e for e in kb if any(s.canonical for s in e.step_lists)), None)
        return found, overview.title if overview is not None else "the steps", position
    if entry.items:
        named = tuple(Item(i.name, i.entry, None, frozenset(normalize(i.name, correct=False))) for i in entry.items)
        return named, entry.title, None
    if len(entry.figures) >= 2:
        ordered = sorted(entry.figures, key=lambda f: entry.answer.find(f.value))
        rows = tuple(Item(f.label, None, f, frozenset(normalize(f.label, correct=False))) for f in ordered)
        return rows, entry.title, None
    return (), "", None


def named_entities(
    kb: KnowledgeBase, tokens: list[str], entry: Entry | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The entities the member named (most recent first), and those the answer names, in its order."""
    known = kb.normalizer.entities
    asked = tuple(dict.fromkeys(t for t in reversed(tokens) if t in known))
    shown: tuple[str, ...] = ()
    if entry is not None:
        shown = tuple(dict.fromkeys(t for t in kb.normalizer.tokens(entry.answer, correct=False) if t in known))
    return asked, shown


def named_list(kb: KnowledgeBase, named: tuple[str, ...], figures: dict[str, Figure]) -> tuple[Item, ...]:
    """Things a reply named side by side, as a list to point into ("what groups hand out coding credentials?"
    -> "tell me about the second one"; "explain CPT and ICD-10" -> "what does the first one stand for?"): each
    with the one figure the knowledge base gives for it, if any, so "which of those earns more?" after the CPC
    and the CCS compares their salaries. Fewer than two things make no list."""
    if len(named) < 2:
        return ()
    names = kb.lexicon.entities
    return tuple(Item(names.get(e, e), None, figures.get(e), frozenset({e}), e) for e in named)


def entity_figures(kb: KnowledgeBase) -> dict[str, Figure]:
    """Each entity's figure, where exactly one figure's label names it (the CPC's average salary; a figure
    the article repeats in two entries is still one figure)."""
    known = kb.normalizer.entities
    found: dict[str, set[Figure]] = {}
    for entry in kb:
        for figure in entry.figures:
            for token in set(kb.normalizer.tokens(figure.label, correct=False)) & known:
                found.setdefault(token, set()).add(figure)
    return {token: next(iter(figures)) for token, figures in found.items() if len(figures) == 1}
