"""Choose the answer pipeline's reader thresholds by cross-validation on the tuning parts, and write them.

Why: thresholds set by hand fit whatever questions the hand was looking at. Every candidate set of
thresholds in a small grid is scored on the tuning parts only (`eval/sets/*.tune.yaml`; the frozen parts
and the shared blind set are never read), by right answers minus twice the wrong ones (a wrong confident
answer is worse than none), with "did you mean" on at most 5% of answerable questions.

The reader was trained on the tuning parts too, so scoring it on them would flatter it: each tuning item
is read by models trained *without* it (`tools/train_reader.py --holdout K` leaves fold K out; export them
with `tools/export_models.py`). Five-fold cross-validation over those items then estimates how the chosen
thresholds generalise (each fold's thresholds chosen on the other four). The lexical thresholds are kept
as they are in the file (chosen the same way for the lexical matcher alone).

    python tools/calibrate.py --models 0=/tmp/fold0 [1=/tmp/fold1] [--write]
    python tools/calibrate.py --models 0=bot/models --vary read_agree_lexical   # one rule's thresholds only
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import re
import sys
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from reader_data import fold_of, tuning_items

from bot.core import Engine, ReplyKind
from bot.core.calibration import CALIBRATION, CALIBRATION_FILE, MATCHER_WEIGHTS, Calibration, dump
from bot.core.reading import Reading
from bot.core.semantic import SemanticModels

MAX_ANSWER_CHARS = 1000
WRONG_COST = 2.0
MAX_SUGGEST_SHARE = 0.05
TOLERANCE = 1.0  # in right answers minus twice the wrong ones
GRID: dict[str, tuple[float, ...]] = {
    "read_answer": (0.5, 0.6, 0.7, 0.8),
    "read_lead": (0.25, 0.35, 1.01),  # 1.01: no lead rule
    "read_lead_margin": (0.2, 0.3),
    "read_gap": (0.3, 0.5, 0.7),
    "read_suggest": (0.2, 0.3),
    "read_lexical": (0.0, 0.01, 0.05, 0.1, 0.2),  # 0.0: a confident lexical answer is never overruled
    "read_pair": (0.75, 0.85, 1.01),  # 1.01: never two entries at once
    "read_pair_dense": (0.0, 0.45),
    "read_agree_lexical": (70.0, 80.0, 90.0, 101.0),  # 101: the reader is never overruled this way
    "read_agree_dense": (0.75,),
}
Outcome = tuple[int, int, int]  # right, wrong, suggested


def outcome(item: dict[str, Any], kind: ReplyKind, text: str) -> Outcome:
    """(right, wrong, suggested) for one item, graded as `../shared/eval/grade.py` grades it."""
    answered = kind is ReplyKind.ANSWER
    suggested = int(kind is ReplyKind.SUGGEST and bool(item.get("expect")))
    if item.get("expect_fallback"):
        return int(not answered), int(answered), 0
    if not answered:
        return int(bool(item.get("accept_fallback"))), 0, suggested
    ok = len(text) <= MAX_ANSWER_CHARS and all(re.search(rx, text, re.I) for rx in item["expect"])
    return int(ok), int(not ok), suggested


def cached_engine(models_dir: Path) -> Engine:
    """An engine reading with one fold's models, its expensive stages cached: rankings and the reader's
    verdicts do not depend on the thresholds, so each question is read once for the whole grid."""
    engine = Engine.load(semantic=False)
    reading = Reading(
        SemanticModels.load(models_dir),
        engine.kb,
        engine.segmenter,
        dense_candidates=CALIBRATION.dense_candidates,
        read_at_most=CALIBRATION.read_at_most,
    )
    read = reading.candidates
    memo: dict[tuple[str, tuple[str, ...]], Any] = {}  # (text read, lexical candidates)

    def candidates(question: str, lexical: list[Any]) -> Any:
        key = (question, tuple(m.entry_id for m in lexical))
        if key not in memo:
            memo[key] = read(question, lexical)
        return memo[key]

    reading.candidates = candidates  # type: ignore[method-assign]
    rank = engine.matcher.rank_tokens
    ranked = functools.lru_cache(maxsize=None)(lambda tokens, limit, window: rank(list(tokens), limit, window))
    engine.matcher.rank_tokens = lambda tokens, limit=5, window=None: ranked(tuple(tokens), limit, window)  # type: ignore[method-assign]
    engine.attach(reading)
    return engine


def evaluate(
    engines: dict[int, Engine], items: list[dict[str, Any]], grid: list[Calibration]
) -> dict[Calibration, list[Outcome]]:
    results: dict[Calibration, list[Outcome]] = {}
    for calibration in grid:
        rows = []
        for item in items:
            engine = engines[fold_of(item)]
            engine.calibration = calibration
            reply = engine.ask(item["q"])
            rows.append(outcome(item, reply.kind, reply.plain))
        results[calibration] = rows
    return results


def best(results: dict[Calibration, list[Outcome]], chosen: list[int], items: list[dict[str, Any]]) -> Calibration:
    answerable = sum(1 for i in chosen if items[i].get("expect"))

    def value(calibration: Calibration) -> tuple[float, float]:
        rows = [results[calibration][i] for i in chosen]
        right, wrong, suggested = (sum(r[k] for r in rows) for k in range(3))
        feasible = suggested <= MAX_SUGGEST_SHARE * max(answerable, 1)
        return (1.0 if feasible else 0.0, right - WRONG_COST * wrong)

    values = {calibration: value(calibration) for calibration in results}
    top = max(values.values())
    # Among settings within one item of the best, the most cautious (higher bars for answering), then the best:
    # a single question's difference is noise, and a lower bar is paid for on questions nobody has written yet.
    near = [c for c, v in values.items() if v[0] == top[0] and v[1] >= top[1] - TOLERANCE]
    return max(near, key=lambda c: (c.read_answer, c.read_pair, c.read_pair_dense, c.read_agree_lexical, values[c][1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--models", nargs="+", required=True, metavar="K=DIR", help="fold K's models (trained without it)"
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds over the items read")
    parser.add_argument("--write", action="store_true", help=f"write the chosen values to {CALIBRATION_FILE.name}")
    parser.add_argument(
        "--vary",
        nargs="+",
        choices=sorted(GRID),
        metavar="KEY",
        help="search only these keys, the others held at their calibrated values (a new rule's thresholds, "
        "in minutes rather than the whole grid's hour)",
    )
    args = parser.parse_args()
    engines = {int(k): cached_engine(Path(d)) for k, d in (spec.split("=", 1) for spec in args.models)}
    items = [item for item in tuning_items() if fold_of(item) in engines]
    searched = {key: values for key, values in GRID.items() if args.vary is None or key in args.vary}
    grid = [
        replace(CALIBRATION, **dict(zip(searched, values, strict=True)))
        for values in itertools.product(*searched.values())
    ]
    print(
        f"{len(items)} tuning items read by models that never saw them; {len(grid)} candidate settings", file=sys.stderr
    )
    results = evaluate(engines, items, grid)

    fold = [int(hashlib.sha256(str(it["id"]).encode()).hexdigest(), 16) % args.folds for it in items]
    right = wrong = suggested = 0
    for k in range(args.folds):
        train = [i for i, f in enumerate(fold) if f != k]
        choice = best(results, train, items)
        for i, f in enumerate(fold):
            if f == k:
                r, w, s = results[choice][i]
                right, wrong, suggested = right + r, wrong + w, suggested + s
    answerable = sum(1 for it in items if it.get("expect"))
    print(
        f"cross-validated on held-out folds: {right}/{len(items)} right ({100 * right / len(items):.1f}%), "
        f"{wrong} wrong ({100 * wrong / answerable:.1f}% of answerable), "
        f"did you mean on {100 * suggested / answerable:.1f}% of answerable"
    )
    final = best(results, list(range(len(items))), items)
    rows = results[final]
    print(
        f"chosen on all of them: {sum(r for r, _, _ in rows)}/{len(items)} right, "
        f"{sum(w for _, w, _ in rows)} wrong, {sum(s for _, _, s in rows)} did you mean"
    )
    print({k: v for k, v in asdict(final).items() if k in GRID})
    if args.write:
        header = CALIBRATION_FILE.read_text(encoding="utf-8").split("\nlexical:")[0] + "\n"
        dump(final, MATCHER_WEIGHTS, CALIBRATION_FILE, header)
        print(f"wrote {CALIBRATION_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
