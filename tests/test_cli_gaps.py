"""`medcoder-bot kb gaps`: the report on a prepared SQLite file, through a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.cli.gaps import format_report
from bot.core.store import SQLiteStore
from tests.clock import FakeClock

ROOT = Path(__file__).resolve().parents[1]
ALICE, BOB, CAROL = 111, 222, 333


def run(*args: str, db: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDCODER_") and k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env["MEDCODER_DB"] = str(db)
    return subprocess.run(
        [sys.executable, "-m", "bot", "kb", "gaps", *args], capture_output=True, text=True, env=env,
        cwd=cwd, timeout=60, check=False,
    )  # fmt: skip


async def prepare(path: Path) -> None:
    clock = FakeClock()
    async with await SQLiteStore.open(path, clock=clock) as store:
        for text, times in (("how much do nurses make", 3), ("pizza recipe", 1), ("dental coding jobs", 2)):
            for _ in range(times):
                await store.record_unanswered(text, cap=100)
                clock.advance(1)
        await store.record_vote(ALICE, "salary-by-position", False)
        await store.record_vote(BOB, "salary-by-position", False)
        await store.record_vote(CAROL, "salary-by-position", True)
        await store.record_vote(ALICE, "cpt", False)
        await store.record_vote(BOB, "where-to-study", True)  # helpful only: not listed
        await store.record_vote(ALICE, "retired-entry", False)


async def test_report_lists_unanswered_questions_and_unhelpful_answers_by_count(tmp_path: Path) -> None:
    db = tmp_path / "medcoder.db"
    await prepare(db)
    result = run(db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first = lines.index("Most asked questions the knowledge base could not answer (top 10):")
    assert lines[first + 1 : first + 4] == [
        "  3  how much do nurses make",
        "  2  dental coding jobs",
        "  1  pizza recipe",
    ]
    second = lines.index('Answers most often voted "not helpful" (top 10):')
    assert lines[second + 1 :] == [  # where-to-study has helpful votes only: not listed
        "  2 not helpful, 1 helpful  salary-by-position (Average salary by coding position)",
        "  1 not helpful, 0 helpful  cpt (CPT)",
        "  1 not helpful, 0 helpful  retired-entry (no longer in the knowledge base)",
    ]


async def test_top_limits_both_lists(tmp_path: Path) -> None:
    db = tmp_path / "medcoder.db"
    await prepare(db)
    result = run("--top", "1", db=db, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "  3  how much do nurses make" in result.stdout and "pizza" not in result.stdout
    assert "salary-by-position" in result.stdout and "cpt" not in result.stdout
    assert run("--top", "0", db=db, cwd=tmp_path).returncode == 2


async def test_an_empty_or_missing_database_says_so_and_exits_0(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    result = run(db=missing, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nothing to report" in result.stdout
    assert not missing.exists()  # the report creates no database

    empty = tmp_path / "empty.db"
    async with await SQLiteStore.open(empty, clock=FakeClock()):
        pass
    result = run(db=empty, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Nothing recorded yet in {empty}: no unanswered questions and no votes."


def test_format_report_with_votes_only() -> None:
    report = format_report([], {"cpt": (0, 4)}, {"cpt": "CPT codes"}, 5)
    assert report.splitlines() == [
        "Most asked questions the knowledge base could not answer (top 5):",
        "  none recorded",
        "",
        'Answers most often voted "not helpful" (top 5):',
        "  4 not helpful, 0 helpful  cpt (CPT codes)",
    ]
