"""The terminal front end, through a real subprocess: output contracts and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, env=env,
        cwd=cwd or ROOT, timeout=60, check=False,
    )


def test_ask_prints_one_answer(tmp_path: Path) -> None:
    result = run("ask", "what", "is", "the", "median", "salary?", cwd=tmp_path)  # any directory works
    assert result.returncode == 0, result.stderr
    assert "$44,090" in result.stdout and "May 2020" in result.stdout


def test_ask_json_contract() -> None:
    questions = ["cpc pay?", '"what is the\\njob outlook"', "how much do nurses make", "", "😀"]
    result = run("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(questions)
    for row in rows:
        assert list(row) == ["question", "answered", "text", "entry", "score", "suggestions", "kind"]
        assert isinstance(row["answered"], bool) and isinstance(row["text"], str) and row["text"]
        assert isinstance(row["score"], float) and isinstance(row["suggestions"], list)
        assert row["kind"] in {"answer", "suggest", "fallback", "invalid", "small_talk"}
    assert rows[0]["answered"] and rows[0]["entry"] == "salary-by-position" and "$54,590" in rows[0]["text"]
    assert rows[1]["question"] == "what is the\njob outlook" and rows[1]["entry"] == "job-outlook"
    assert rows[2]["answered"] is False
    assert rows[3]["answered"] is False and rows[4]["answered"] is False


def test_ask_json_reports_suggestions_as_not_answered() -> None:
    [row] = [json.loads(x) for x in run("ask", "--json", stdin="coder courses\n").stdout.splitlines()]
    assert row["answered"] is False and row["entry"] is None
    assert 2 <= len(row["suggestions"]) <= 3


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("ask",), 2, "give a question"),
        (("ask", "--json", "extra"), 2, "not both"),
        (("ask", "--kb", "/nonexistent", "salary"), 1, "no such directory"),
        (("kb", "check", "/nonexistent"), 1, "no such directory"),
        (("bogus",), 2, "invalid choice"),
    ],
)
def test_exit_codes(args: tuple[str, ...], code: int, needle: str) -> None:
    result = run(*args)
    assert result.returncode == code
    assert needle in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_kb_check_ok_and_lists_every_problem(tmp_path: Path) -> None:
    ok = run("kb", "check")
    assert ok.returncode == 0 and ok.stdout.startswith("ok:")
    (tmp_path / "lexicon.yaml").write_text("stopwords: [a]\n", encoding="utf-8")
    (tmp_path / "x.yaml").write_text(
        "- {id: one-a, title: T, section: S, phrasings: [alpha beta], answer: ''}\n"
        "- {id: two-b, title: T, section: S, phrasings: [gamma delta], answer: x, related: [nope], color: red}\n",
        encoding="utf-8",
    )
    bad = run("kb", "check", str(tmp_path))
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert any("x.yaml: entry 'one-a', field 'answer'" in line for line in lines)
    assert any("x.yaml: entry 'two-b', field 'color': unknown field" in line for line in lines)
    assert "Traceback" not in bad.stderr


def test_chat_answers_until_quit() -> None:
    result = run("chat", stdin="steps\n\nccs salary\nquit\nnever read\n")
    assert result.returncode == 0
    assert "Networking" in result.stdout and "$60,080" in result.stdout


def test_no_subcommand_without_token_starts_the_chat() -> None:
    result = run(stdin="aapc meaning\n")
    assert result.returncode == 0
    assert "American Academy of Professional Coders" in result.stdout
    assert "terminal chat" in result.stderr
