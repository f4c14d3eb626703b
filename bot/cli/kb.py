"""`kb check`: validate a knowledge base, and the shared "load or explain" helper."""

from __future__ import annotations

import sys

from bot.cli.coverage import run_coverage
from bot.cli.matching import matching_problems
from bot.core import Engine
from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.lint import lint_lexicon
from bot.core.normalize import english_words
from bot.core.semantic import ModelFilesError, drifted
from bot.settings import reader_enabled


def load_engine_or_report(directory: str | None, *, semantic: bool | None = None) -> Engine | None:
    """The engine, or None after printing every knowledge base problem to stderr. `semantic` None: with the
    models unless `MEDCODER_READER=false` (as for the bot), so the terminal answers as the bot does."""
    if semantic is None:
        try:
            semantic = reader_enabled()
        except ValueError as exc:
            print(f"medcoder-bot: MEDCODER_READER {exc}", file=sys.stderr)
            return None
    try:
        return Engine.load(directory, semantic=semantic)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        return None
    except ModelFilesError as exc:
        print(
            f"medcoder-bot: the answer models are damaged or missing ({exc}); reinstall medcoder-bot", file=sys.stderr
        )
        return None


def run_check(directory: str | None, *, coverage: str | None = None, matching: bool = False) -> int:
    """Validate the knowledge base and lint its lexicon (exit 1 on any problem); warn when the shipped models
    were built for another knowledge base; with `matching`, check every phrasing and probe through the
    pipeline; with `coverage`, report what of the article no answer holds."""
    try:
        kb = load_knowledge(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    findings = [f"lexicon.yaml: {line}" for line in lint_lexicon(kb.lexicon, english_words())]
    if matching:
        engine = load_engine_or_report(directory)
        if engine is None:
            return 1
        findings += matching_problems(engine)
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} problem(s) found", file=sys.stderr)
        return 1
    gaps = sum(1 for e in kb if e.kind == "gap")
    print(f"ok: {len(kb)} entries ({len(kb) - gaps} answers, {gaps} known gaps) in {kb.directory}")
    if drifted(kb):
        print(
            "warning: the answer models were built for another version of this knowledge base; they still read "
            "its entries, but retraining (tools/train_reader.py) would fit them to it",
            file=sys.stderr,
        )
    if coverage is not None:
        return run_coverage(kb, coverage)
    return 0
