"""Choose the engine's decision thresholds by cross-validation on the tuning parts of the question sets.

Why: thresholds set by hand fit whatever questions the hand was looking at. Here every candidate
`Calibration` in a small grid is scored on the tuning parts only (`eval/sets/*.tune.yaml`; the frozen
test parts and the shared blind set are never read), by right answers minus twice the wrong ones,
with "did you mean" allowed on at most 5% of answerable questions. Five-fold cross-validation
estimates how the choice generalises (each fold's values chosen on the other four); the values
printed last are chosen on all tuning items and belong in `bot/core/engine.py`'s `Calibration`.

    python tools/calibrate.py [--folds 5]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import re
import sys
from dataclasses import asdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.core import Engine, ReplyKind
from bot.core.engine import Calibration
from bot.core.matcher import MIN_USEFUL_SCORE

MAX_ANSWER_CHARS = 1000
WRONG_COST = 2.0
MAX_SUGGEST_SHARE = 0.05
GRID = {
    "answer": (45.0, 50.0, 55.0, 60.0),
    "long_answer": (36.0, 40.0, 44.0),
    "margin": (3.0, 5.0, 7.0, 10.0),
    "lead_score": (36.0, 40.0, 45.0, 50.0),
    "lead_margin": (10.0, 15.0, 20.0),
    "floor": (34.0, 38.0, 42.0),
    "close": (3.0, 5.0, 7.0),
}


def tuning_items() -> list[dict]:
    items: list[dict] = []
    for path in sorted((ROOT / "eval" / "sets").glob("*.tune.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


def outcome(item: dict, kind: ReplyKind, text: str) -> tuple[int, int, int]:
    """(right, wrong, suggested) for one item, graded as `../shared/eval/grade.py` grades it."""
    answered = kind is ReplyKind.ANSWER
    suggested = int(kind is ReplyKind.SUGGEST and bool(item.get("expect")))
    if item.get("expect_fallback"):
        return int(not answered), int(answered), 0
    if not answered:
        return int(bool(item.get("accept_fallback"))), 0, suggested
    ok = len(text) <= MAX_ANSWER_CHARS and all(re.search(rx, text, re.I) for rx in item["expect"])
    return int(ok), int(not ok), suggested


def evaluate(engines: dict[Calibration, Engine], items: list[dict]) -> dict[Calibration, list[tuple[int, int, int]]]:
    results = {}
    for calibration, engine in engines.items():
        rows = []
        for item in items:
            reply = engine.ask(item["q"])
            rows.append(outcome(item, reply.kind, reply.text))
        results[calibration] = rows
    return results


def best(results: dict[Calibration, list[tuple[int, int, int]]], chosen: list[int], answerable: int) -> Calibration:
    def value(calibration: Calibration) -> tuple[float, float, float, float]:
        rows = [results[calibration][i] for i in chosen]
        right = sum(r for r, _, _ in rows)
        wrong = sum(w for _, w, _ in rows)
        suggested = sum(s for _, _, s in rows)
        feasible = suggested <= MAX_SUGGEST_SHARE * max(answerable, 1)
        # Among equals, the more cautious values: a higher floor, then a higher answer bar.
        return (1.0 if feasible else 0.0, right - WRONG_COST * wrong, calibration.floor, calibration.answer)

    return max(results, key=value)


def valid(c: Calibration) -> bool:
    """The invariants the engine relies on: a lead never needs less than the floor, and the matcher's
    pruning floor (MIN_USEFUL_SCORE) can never hide a runner-up that would narrow an answer's margin
    (`tests/core/test_matcher.py` checks the chosen values too)."""
    return (
        c.floor <= c.lead_score
        and c.floor >= MIN_USEFUL_SCORE
        and c.long_answer - c.margin >= MIN_USEFUL_SCORE
        and c.lead_score - c.lead_margin >= MIN_USEFUL_SCORE
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    items = tuning_items()
    base = Engine.load()
    # Rankings do not depend on the thresholds: rank each token set once for the whole grid.
    base.matcher.rank_tokens = functools.lru_cache(maxsize=None)(  # type: ignore[method-assign]
        lambda tokens, limit=5, window=None, rank=base.matcher.rank_tokens: rank(list(tokens), limit, window)
    )
    rank_cached = base.matcher.rank_tokens

    class Cached:
        def rank_tokens(self, tokens: list[str], limit: int = 5, window: float | None = None):  # type: ignore[no-untyped-def]
            return rank_cached(tuple(tokens), limit, window)

    calibrations = [
        c
        for c in (Calibration(**dict(zip(GRID, values, strict=True))) for values in itertools.product(*GRID.values()))
        if valid(c)
    ]
    engines = {c: Engine(base.kb, matcher=Cached(), calibration=c) for c in calibrations}  # type: ignore[arg-type]
    print(f"{len(items)} tuning items, {len(calibrations)} candidate calibrations", file=sys.stderr)
    results = evaluate(engines, items)

    fold_of = [int(hashlib.sha256(str(it["id"]).encode()).hexdigest(), 16) % args.folds for it in items]
    folds = [[i for i, f in enumerate(fold_of) if f == k] for k in range(args.folds)]
    right = wrong = suggested = 0
    answerable_all = sum(1 for it in items if it.get("expect"))
    for k, held_out in enumerate(folds):
        train = [i for j, fold in enumerate(folds) if j != k for i in fold]
        choice = best(results, train, sum(1 for i in train if items[i].get("expect")))
        rows = [results[choice][i] for i in held_out]
        right += sum(r for r, _, _ in rows)
        wrong += sum(w for _, w, _ in rows)
        suggested += sum(s for _, _, s in rows)
    print(
        f"cross-validated on held-out folds: {right}/{len(items)} right ({100 * right / len(items):.1f}%), "
        f"{wrong} wrong ({100 * wrong / answerable_all:.1f}% of answerable), "
        f"did you mean on {100 * suggested / answerable_all:.1f}% of answerable"
    )
    final = best(results, list(range(len(items))), answerable_all)
    rows = results[final]
    print(
        f"chosen on all tuning items: {sum(r for r, _, _ in rows)}/{len(items)} right, "
        f"{sum(w for _, w, _ in rows)} wrong, {sum(s for _, _, s in rows)} did you mean"
    )
    print("Calibration(" + ", ".join(f"{k}={v}" for k, v in asdict(final).items()) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
