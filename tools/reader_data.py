"""The reader's training examples: questions, the entries that answer them and the entries that do not.

Why labels come from the grader's own regexes: a tuning item says which facts a right answer holds,
not which entry gives them, so an entry answers an item exactly when its reply text holds every
`expect` regex (as `../shared/eval/grade.py` would grade it). Sources, each a `source` tag:

* `phrasing`: the knowledge base's phrasings (their own entry answers them, a known gap does not);
* `paraphrase` / `near_miss` / `off_topic` / `small_talk`: `training/*.yaml`, written blind;
* `tune`: the tuning parts of `eval/sets/` (never the frozen parts, never `blind.yaml`).

An example knows its positives and the entries known not to answer it; the rest are unlabelled (a near
miss may well be a known gap's question, so gap entries stay unlabelled for it). Any text that nearly
copies a frozen question is dropped (`eval/dedupe.py`).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "eval"))

from dedupe import frozen_questions, near_copy

from bot.core import Engine

MAX_ANSWER_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Example:
    question: str
    positives: frozenset[str]
    negatives: frozenset[str]
    source: str
    group: str  # the item or entry it came from: cross-validation folds never split a group

    @property
    def fold(self) -> int:
        """0 or 1, by a hash of the group: the two halves of two-fold cross-validation."""
        return fold_of_group(self.group)


def fold_of_group(group: str) -> int:
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % 2


def fold_of(item: dict) -> int:
    """A tuning item's half in `train_reader.py --holdout` (the fold of the examples made from it)."""
    return fold_of_group(f"item:{item['id']}")


def answers(text: str, expect: list[str]) -> bool:
    return len(text) <= MAX_ANSWER_CHARS and all(re.search(rx, text, re.I) for rx in expect)


def examples(engine: Engine, *, with_tuning: bool = True) -> list[Example]:
    kb = engine.kb
    facts = frozenset(e.id for e in kb if e.kind == "fact")
    gaps = frozenset(e.id for e in kb if e.kind == "gap")
    every = frozenset(kb.entries)
    frozen = frozen_questions()
    out: list[Example] = []

    def add(question: str, positives: frozenset[str], negatives: frozenset[str], source: str, group: str) -> None:
        if near_copy(question, frozen) is None:
            out.append(Example(question, positives, negatives - positives, source, group))

    def others(entry_id: str) -> frozenset[str]:
        """Entries known not to answer a question written for `entry_id`: every other entry but its related
        ones, which often answer it too (the steps overview and each step), so they stay unlabelled. A known
        gap never answers a question the article answers, so for a fact's question every gap is one."""
        related = set(kb.entries[entry_id].related) | {e.id for e in kb if entry_id in e.related}
        if kb.entries[entry_id].kind == "fact":
            return (facts - related - {entry_id}) | gaps
        return every - related - {entry_id}

    for entry in kb:
        for phrasing in entry.phrasings:
            add(phrasing, frozenset({entry.id}), others(entry.id), "phrasing", f"entry:{entry.id}")
    for path in sorted((ROOT / "training").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for block in data["entries"]:
            if block["id"] not in kb.entries:
                continue
            group = f"entry:{block['id']}"
            for text in block.get("paraphrases", ()):
                add(text, frozenset({block["id"]}), others(block["id"]), "paraphrase", group)
            for text in block.get("near_misses", ()):
                add(text, frozenset(), facts, "near_miss", f"{group}:near")
        for n, text in enumerate(data.get("off_topic", ())):
            add(text, frozenset(), every, "off_topic", f"{path.stem}:off:{n}")
        for n, talk in enumerate(data.get("small_talk", ())):
            add(talk["text"], frozenset(), every, "small_talk", f"{path.stem}:talk:{n}")
    if with_tuning:
        texts = {entry_id: engine.answer_entry(entry_id).plain for entry_id in kb.entries}
        for item in tuning_items():
            group = f"item:{item['id']}"  # so an example's fold is its item's `fold_of`
            if item.get("kind") == "multi":
                continue  # several entries answer it together: no one entry is its answer
            if item.get("expect_fallback"):
                out.append(Example(item["q"], frozenset(), facts, "tune", group))
                continue
            positives = frozenset(e for e, text in texts.items() if answers(text, item["expect"]))
            if not positives:
                continue  # no single entry holds every fact asked for
            # The article answers it, so no known gap does (unless the label accepts a fallback).
            known_not = facts if item.get("accept_fallback") else every
            out.append(Example(item["q"], positives, known_not - positives, "tune", group))
    return out


def tuning_items() -> list[dict]:
    items: list[dict] = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.tune.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


if __name__ == "__main__":
    from collections import Counter

    found = examples(Engine.load(semantic=False))
    print(Counter(e.source for e in found))
    print(Counter(len(e.positives) for e in found))
