"""Split a question set into a tuning part and a frozen test part, once, reproducibly.

Why: phrasings, lexicon and thresholds chosen while looking at a set's questions flatter that set.
Each kind is split on its own (so both parts hold every style) by a hash of the item id, so the
split never depends on the order or the wording of the questions; 40% of every kind is frozen.

    python eval/split.py eval/written_a.yaml   # writes eval/sets/written_a.tune.yaml and .test.yaml
    python eval/split.py --out eval/dialogues dialogues_a.yaml   # conversations go beside their kind
"""

from __future__ import annotations

import hashlib
import math
import sys
from pathlib import Path

import yaml

TEST_SHARE = 0.4
SETS = Path(__file__).resolve().parent / "sets"


def split(items: list[dict]) -> tuple[list[dict], list[dict]]:
    by_kind: dict[str, list[dict]] = {}
    for item in items:
        by_kind.setdefault(item.get("kind", "?"), []).append(item)
    tune: list[dict] = []
    test: list[dict] = []
    for group in by_kind.values():
        ordered = sorted(group, key=lambda it: hashlib.sha256(str(it["id"]).encode()).hexdigest())
        cut = math.ceil(len(ordered) * TEST_SHARE)
        test.extend(ordered[:cut])
        tune.extend(ordered[cut:])
    order = {id(it): i for i, it in enumerate(items)}
    return sorted(tune, key=lambda it: order[id(it)]), sorted(test, key=lambda it: order[id(it)])


def main(path: str, sets: Path = SETS) -> None:
    source = Path(path)
    items = yaml.safe_load(source.read_text(encoding="utf-8"))
    tune, test = split(items)
    sets.mkdir(exist_ok=True)
    for part, chosen in (("tune", tune), ("test", test)):
        target = sets / f"{source.stem}.{part}.yaml"
        header = f"# {source.name}, {part} part ({len(chosen)} of {len(items)} items), made by eval/split.py\n"
        target.write_text(header + yaml.safe_dump(chosen, sort_keys=False, allow_unicode=True, width=120), "utf-8")
        print(f"{target}: {len(chosen)} items")


if __name__ == "__main__":
    args = sys.argv[1:]
    out = SETS
    if args[:1] == ["--out"]:
        out, args = Path(args[1]), args[2:]
    for arg in args:
        main(arg, out)
