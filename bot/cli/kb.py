"""`kb check`: validate a knowledge base, and the shared "load or explain" helper."""

from __future__ import annotations

import sys

from bot.cli.coverage import run_coverage
from bot.core import Engine
from bot.core.knowledge import KnowledgeError, load_knowledge


def load_engine_or_report(directory: str | None) -> Engine | None:
    """The engine, or None after printing every knowledge base problem to stderr."""
    try:
        return Engine.load(directory)
    except KnowledgeError as exc:
        print(str(exc), file=sys.stderr)
        return None


def run_check(directory: str | None, *, coverage: str | None = None) -> int:
    try:
        kb = load_knowledge(directory)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem)
        print(f"{len(exc.problems)} problem(s) found", file=sys.stderr)
        return 1
    gaps = sum(1 for e in kb if e.kind == "gap")
    print(f"ok: {len(kb)} entries ({len(kb) - gaps} answers, {gaps} known gaps) in {kb.directory}")
    if coverage is not None:
        return run_coverage(kb, coverage)
    return 0
