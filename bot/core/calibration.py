"""Every number behind the answer pipeline's decisions, read from one file: `bot/core/data/calibration.yaml`.

Why a file and not constants in code: the numbers are chosen by measurement (`tools/calibrate.py`, cross-
validation on the tuning parts of the question sets only), so they are data, like Rasa's pipeline config:
one place to read them, one tool that writes them, and no number hidden in a module.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.core.yamlfile import read_yaml

CALIBRATION_FILE = Path(str(resources.files("bot.core") / "data" / "calibration.yaml"))


@dataclass(frozen=True, slots=True)
class MatcherWeights:
    """How the lexical matcher scores an entry (see `bot.core.matcher`)."""

    phrasing_weight: float = 0.5  # the best phrasing's fit against the whole entry's coverage
    phrasing_coverage_power: float = 1.0  # a phrasing missing a key word is another intent
    question_coverage_power: float = 0.5
    unknown_weight_short: float = 0.9  # an unknown word, relative to the rarest known one, in <= 3 words
    unknown_weight_long: float = 0.45  # ... in >= 9 words, where unknown words are mostly chatter
    min_useful_score: float = 30.0  # entries below this are never ranked


@dataclass(frozen=True, slots=True)
class Calibration:
    """The decision's thresholds: the lexical matcher's scores (0-100) and the reader's probabilities."""

    answer: float = 55.0  # a short question's best entry needs this score...
    long_answer: float = 40.0  # ...a long, chatty one's at least this (its extra words dilute the score)
    per_word: float = 2.0  # the bar drops this much per word past four, down to `long_answer`
    clear_winner: float = 15.0  # a winner this far ahead of the runner-up gets a bonus on long questions
    margin: float = 7.0  # ...and an answer must beat the runner-up by this much
    lead_score: float = 45.0  # a clear lead: a best entry this high...
    lead_margin: float = 15.0  # ...this far ahead of any other is answered even below `answer`
    floor: float = 42.0  # below this nothing is answered or suggested
    close: float = 3.0  # "did you mean" only for entries this close to each other
    suggest_window: float = 20.0  # entries further below the best than this never change a decision
    # With the semantic reader (`bot.core.reading`): probabilities that an entry answers the question.
    read_answer: float = 0.5  # the best entry is answered at this probability...
    read_lead: float = 0.3  # ...or at this one, when it leads every other candidate...
    read_lead_margin: float = 0.25  # ...by this much
    read_gap: float = 0.5  # ...a known gap is the reply at this one
    read_pair: float = 1.01  # the two best candidates, both facts, hold this much between them: show both...
    read_pair_dense: float = 0.0  # ...when the encoder puts one of them at least this near the message
    read_agree_lexical: float = 101.0  # a fact the matcher scores at least this and ranks first...
    read_agree_dense: float = 1.01  # ...and the encoder ranks first at this cosine is answered, whatever the reader
    read_suggest: float = 0.25  # two or more entries at this probability, none answerable: "did you mean"
    read_lexical: float = 0.2  # a confident lexical answer stands when the reader gives it at least this
    read_small_talk: float = 0.8  # a short message nothing answers is small talk this close to an example
    lexical_candidates: int = 3  # the matcher's best entries the reader reads...
    dense_candidates: int = 3  # ...the encoder's nearest entries added to them...
    read_at_most: int = 4  # ...and at most this many in all, per question
    reads_per_message: int = 2  # questions the reader reads for one message; past it, the lexical decision


_KEPT = frozenset({"read_at_most", "reads_per_message"})  # candidates-section keys named as the fields are
_SECTIONS = {
    "lexical": lambda key: key,
    "reader": lambda key: f"read_{key}",
    "candidates": lambda key: key if key in _KEPT else f"{key}_candidates",
}


def load(path: Path = CALIBRATION_FILE) -> tuple[Calibration, MatcherWeights]:
    """The calibration and the matcher's weights from the file; a missing key keeps its default, an unknown
    key is an error (a typo must not silently leave a default in force)."""
    raw: dict[str, Any] = read_yaml(path) or {}
    known = {f.name for f in fields(Calibration)}
    values: dict[str, Any] = {}
    for section, rename in _SECTIONS.items():
        for key, value in (raw.get(section) or {}).items():
            name = rename(key)
            if name not in known:
                raise ValueError(f"{path}: unknown key {section}.{key}")
            values[name] = value
    weights = raw.get("matcher") or {}
    unknown = set(weights) - {f.name for f in fields(MatcherWeights)}
    if unknown or set(raw) - {*_SECTIONS, "matcher"}:
        raise ValueError(f"{path}: unknown keys {sorted(unknown | (set(raw) - {*_SECTIONS, 'matcher'}))}")
    return Calibration(**values), MatcherWeights(**weights)


def dump(calibration: Calibration, weights: MatcherWeights, path: Path = CALIBRATION_FILE, header: str = "") -> None:
    """Write the file back (for `tools/calibrate.py`), sections as `load` reads them."""
    out: dict[str, dict[str, Any]] = {section: {} for section in _SECTIONS}
    for f in fields(Calibration):
        value = getattr(calibration, f.name)
        if f.name.startswith("read_") and f.name not in _KEPT:
            out["reader"][f.name.removeprefix("read_")] = value
        elif f.name in _KEPT or f.name.endswith("_candidates"):
            out["candidates"][f.name.removesuffix("_candidates")] = value
        else:
            out["lexical"][f.name] = value
    out["matcher"] = {f.name: getattr(weights, f.name) for f in fields(MatcherWeights)}
    path.write_text(header + yaml.safe_dump(out, sort_keys=False), encoding="utf-8")


CALIBRATION, MATCHER_WEIGHTS = load()
