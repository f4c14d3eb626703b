"""`kb check --coverage ARTICLE`: the article's sentences that no answer covers, so nothing is lost unnoticed.

Why: the knowledge base is the article's facts, written by hand; a fact nobody turned into an answer is
invisible until a member asks for it. This lists every sentence of the article whose content words no
single entry's answer mostly holds, with the reason when `bot/knowledge/omissions.yaml` records one (a
heading, a filler sentence, a fact a gap entry answers instead). It is a report for maintainers: it
exits 0 whatever it finds.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.knowledge import KnowledgeBase

OMISSIONS_FILE = "omissions.yaml"
COVERED_SHARE = 0.6  # of a sentence's content words found in one answer
MIN_WORDS = 4  # shorter lines are headings or table cells
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")


class OmissionsError(ValueError):
    """bot/knowledge/omissions.yaml is not the list of {starts, reason} items it must be."""


@dataclass(frozen=True)
class Uncovered:
    line: int
    sentence: str
    share: float
    reason: str | None


def content_words(kb: KnowledgeBase, text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold().replace("’", "'")) if w not in kb.normalizer.stopwords}


def article_sentences(text: str) -> list[tuple[int, str]]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for sentence in _SENTENCE.split(line.strip()):
            if len(sentence.split()) >= MIN_WORDS:
                out.append((number, sentence))
    return out


def load_omissions(directory: Path) -> list[tuple[str, str]]:
    path = directory / OMISSIONS_FILE
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list) or not all(isinstance(i, dict) and "starts" in i and "reason" in i for i in data):
        raise OmissionsError(f"{path}: must be a list of {{starts: ..., reason: ...}} items")
    return [(str(item["starts"]).casefold(), str(item["reason"])) for item in data]


def uncovered(kb: KnowledgeBase, article: str) -> list[Uncovered]:
    answers = [content_words(kb, entry.answer.replace("**", "")) for entry in kb]
    omissions = load_omissions(kb.directory)
    found = []
    for line, sentence in article_sentences(article):
        words = content_words(kb, sentence)
        if not words:
            continue
        share = max((len(words & answer) / len(words) for answer in answers), default=0.0)
        if share < COVERED_SHARE:
            key = sentence.casefold()
            reason = next((why for start, why in omissions if key.startswith(start)), None)
            found.append(Uncovered(line, sentence, share, reason))
    return found


def run_coverage(kb: KnowledgeBase, article_path: str) -> int:
    path = Path(article_path)
    if not path.is_file():
        print(f"medcoder-bot kb check --coverage: no article at {path}", file=sys.stderr)
        return 2
    try:
        rows = uncovered(kb, path.read_text(encoding="utf-8"))
    except (OmissionsError, yaml.YAMLError) as error:
        print(f"medcoder-bot kb check --coverage: {error}", file=sys.stderr)
        return 1
    explained = [r for r in rows if r.reason]
    open_rows = [r for r in rows if not r.reason]
    print(f"{len(open_rows)} sentence(s) of {path.name} no answer covers, {len(explained)} omitted on purpose:")
    for row in open_rows:
        print(f"  line {row.line} ({row.share:.0%} covered): {row.sentence}")
    for row in explained:
        print(f"  line {row.line}, omitted ({row.reason}): {row.sentence[:100]}")
    return 0
