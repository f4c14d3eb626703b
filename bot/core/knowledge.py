"""Loading and validating the knowledge base: all of it or nothing.

Why all-or-nothing: a bot that starts with half its entries answers some questions wrongly
and nobody notices. `load_knowledge` either returns a complete, cross-checked
`KnowledgeBase` or raises `KnowledgeError` listing every problem (file, entry, field, reason).

Each problem is reported once, at its root: an entry that fails validation is missing from the
cross-checks, so every `related:` link to it (and the step it was meant to be) would fail too. Those
knock-on effects are counted on the entry's own problem, "(and 7 references to this entry)", rather
than listed as problems of their own that would send the editor to files with nothing to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.core.models import Entry, Lexicon, ModelError, number
from bot.core.normalize import Normalizer
from bot.core.smalltalk import SMALL_TALK_FILE, SmallTalk
from bot.core.yamlfile import read_yaml

LEXICON_FILE = "lexicon.yaml"
# The lexicon, the small talk, and what `kb check --coverage` leaves out on purpose.
NOT_ENTRIES = {LEXICON_FILE, SMALL_TALK_FILE, "omissions.yaml"}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the knowledge base, precise enough to fix without searching."""

    file: str
    entry: str | None
    field: str | None
    reason: str
    references: int = 0  # other entries' `related` links left dangling because this entry failed
    step: int | None = None  # the step this failed entry was meant to be, left without an entry

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f": entry {self.entry!r}"
        if self.field:
            where += f", field {self.field!r}"
        knock_on = []
        if self.references:
            knock_on.append(f"{self.references} reference{'s' * (self.references != 1)} to this entry")
        if self.step is not None:
            knock_on.append(f"step {self.step} left without an entry")
        return f"{where}: {self.reason}" + (f" (and {' and '.join(knock_on)})" if knock_on else "")


@dataclass
class _Failed:
    """An entry that failed validation: its first problem, and what its absence breaks elsewhere."""

    problem: int  # index of its first problem in the list
    step: int | None  # the step its mapping claims, if that much is readable
    references: int = 0
    missing_step: int | None = None


class KnowledgeError(Exception):
    """The knowledge base is invalid; `problems` lists everything found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid knowledge base ({len(problems)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated entries (in file order) and the lexicon they are matched with."""

    entries: Mapping[str, Entry]
    lexicon: Lexicon
    normalizer: Normalizer
    directory: Path
    small_talk: SmallTalk

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def steps(self) -> list[Entry]:
        """The canonical steps, ordered by their number."""
        return sorted((e for e in self if e.step is not None), key=lambda e: e.step or 0)

    @property
    def can_answer(self) -> str:
        """What the bot can answer, said after small talk and fallbacks: built from the entries' `topic`s."""
        topics = [e.topic for e in self if e.topic and e.kind == "fact"]
        listed = ", ".join(topics[:-1]) + f" and {topics[-1]}" if len(topics) > 1 else "".join(topics)
        return f"I answer from one article on becoming a medical coder: {listed or 'its topics'}."

    def facts(self) -> list[Entry]:
        """Entries that answer something (not the article's known gaps)."""
        return [e for e in self if e.kind == "fact"]


def default_directory() -> Path:
    """The knowledge base shipped inside the package (`bot/knowledge/`), installed or in a checkout."""
    return Path(str(resources.files("bot.knowledge")))


def load_knowledge(directory: str | Path | None = None) -> KnowledgeBase:
    """Read every `*.yaml` file of `directory`; raise `KnowledgeError` on any problem."""
    root = Path(directory) if directory is not None else default_directory()
    problems: list[Problem] = []
    if not root.is_dir():
        raise KnowledgeError([Problem(str(root), None, None, "no such directory")])

    lexicon = _load_lexicon(root / LEXICON_FILE, problems)
    small_talk = _load_small_talk(root, problems)
    entries: dict[str, Entry] = {}
    origin: dict[str, str] = {}
    failed: dict[str, _Failed] = {}
    files = sorted(p for p in root.glob("*.yaml") if p.name not in NOT_ENTRIES)
    if not files:
        problems.append(Problem(str(root), None, None, "no knowledge files (*.yaml) found"))
    for path in files:
        for entry in _load_entries(path, problems, failed):
            if entry.id in entries:
                problems.append(
                    Problem(path.name, entry.id, "id", f"duplicate id (first defined in {origin[entry.id]})")
                )
                continue
            entries[entry.id] = entry
            origin[entry.id] = path.name

    normalizer = Normalizer(lexicon or Lexicon(), extra_vocabulary=_entry_words(entries.values()))
    _check_references(entries, origin, problems, failed)
    _check_shared_phrasings(entries, origin, normalizer, problems)
    _check_steps(entries, origin, problems, failed)
    for f in failed.values():
        problems[f.problem] = replace(problems[f.problem], references=f.references, step=f.missing_step)
    if problems or lexicon is None or small_talk is None:
        raise KnowledgeError(problems)
    return KnowledgeBase(entries=entries, lexicon=lexicon, normalizer=normalizer, directory=root, small_talk=small_talk)


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        return read_yaml(path)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, None, None, f"cannot read: {exc}"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problems.append(Problem(path.name, None, None, f"not valid YAML{at}: {getattr(exc, 'problem', exc)}"))
    return None


def _load_lexicon(path: Path, problems: list[Problem]) -> Lexicon | None:
    if not path.is_file():
        problems.append(Problem(path.name, None, None, "missing: the lexicon file is required"))
        return None
    data = _read_yaml(path, problems)
    if data is None:
        return None
    try:
        return Lexicon.parse(data)
    except ModelError as exc:
        problems.extend(Problem(path.name, None, _loc(loc), reason) for loc, reason in exc.errors)
    return None


def _load_small_talk(root: Path, problems: list[Problem]) -> SmallTalk | None:
    """The knowledge base's small talk, or the packaged one when it has none (a knowledge base made for a
    test or another article need not repeat greetings)."""
    path = root / SMALL_TALK_FILE
    if not path.is_file():
        path = default_directory() / SMALL_TALK_FILE
    data = _read_yaml(path, problems)
    if data is None:
        return None
    try:
        return SmallTalk.parse(data)
    except ValueError as exc:
        problems.append(Problem(path.name, None, None, str(exc)))
    return None


def _load_entries(path: Path, problems: list[Problem], failed: dict[str, _Failed]) -> Iterator[Entry]:
    data = _read_yaml(path, problems)
    if data is None:
        return
    if not isinstance(data, list):
        problems.append(Problem(path.name, None, None, "the file must be a list of entries"))
        return
    for index, raw in enumerate(data):
        entry_id = raw.get("id") if isinstance(raw, dict) else None
        label = str(entry_id) if entry_id else f"#{index + 1}"
        if not isinstance(raw, dict):
            problems.append(Problem(path.name, label, None, "an entry must be a mapping of fields"))
            continue
        try:
            yield Entry.parse(raw)
        except ModelError as exc:
            if isinstance(entry_id, str) and entry_id not in failed:
                failed[entry_id] = _Failed(len(problems), _claimed_step(raw.get("step")))
            problems.extend(Problem(path.name, label, _loc(loc), reason) for loc, reason in exc.errors)


def _claimed_step(value: Any) -> int | None:
    try:
        return number(ge=1, le=5)(value)
    except ValueError:
        return None


def _loc(loc: tuple[int | str, ...]) -> str | None:
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in loc]
    text = "".join(p if p.startswith("[") else f".{p}" for p in parts).lstrip(".")
    return text or None


def _entry_words(entries: Any) -> list[str]:
    words: list[str] = []
    for entry in entries:
        for text in (*entry.phrasings, *entry.keywords, entry.title):
            words.extend(text.split())
    return words


def _check_references(
    entries: dict[str, Entry], origin: dict[str, str], problems: list[Problem], failed: dict[str, _Failed]
) -> None:
    for entry in entries.values():
        for index, target in enumerate(entry.related):
            if target not in entries and target in failed:
                failed[target].references += 1  # fixed with the entry itself, so counted on its problem
            elif target not in entries:
                problems.append(Problem(origin[entry.id], entry.id, f"related[{index}]", f"unknown entry {target!r}"))
            elif target == entry.id:
                problems.append(Problem(origin[entry.id], entry.id, f"related[{index}]", "refers to itself"))


def _check_shared_phrasings(
    entries: dict[str, Entry], origin: dict[str, str], normalizer: Normalizer, problems: list[Problem]
) -> None:
    """Two entries with the same phrasing (as the matcher sees it) make matching a coin toss."""
    owner: dict[tuple[str, ...], str] = {}
    for entry in entries.values():
        for index, phrasing in enumerate(entry.phrasings):
            key = tuple(sorted(set(normalizer.tokens(phrasing, correct=False))))
            if not key:
                problems.append(Problem(origin[entry.id], entry.id, f"phrasings[{index}]", "has no meaningful word"))
                continue
            first = owner.setdefault(key, entry.id)
            if first != entry.id:
                problems.append(
                    Problem(
                        origin[entry.id],
                        entry.id,
                        f"phrasings[{index}]",
                        f"phrasing {phrasing!r} is shared with entry {first!r}",
                    )
                )


def _check_steps(
    entries: dict[str, Entry], origin: dict[str, str], problems: list[Problem], failed: dict[str, _Failed]
) -> None:
    by_step: dict[int, list[str]] = {}
    for entry in entries.values():
        if entry.step is not None:
            by_step.setdefault(entry.step, []).append(entry.id)
    if not by_step:
        return
    for step in range(1, 6):
        ids = by_step.get(step, [])
        if len(ids) > 1:
            for extra in ids[1:]:
                problems.append(Problem(origin[extra], extra, "step", f"step {step} is already {ids[0]!r}"))
        elif not ids:
            claimant = next((f for f in failed.values() if f.step == step), None)
            if claimant is not None:
                claimant.missing_step = step
            else:
                problems.append(Problem("(knowledge base)", None, "step", f"no entry is step {step}"))
