"""`medcoder-bot kb check` on a copy of the shipped knowledge base with one thing broken.

Why on the real files: the knock-on effects of one broken entry (every `related:` link to it, the
step it was meant to be) only show at the real knowledge base's size, where one bad figure used to
print eight problems, seven of them in files with nothing to fix.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.core.knowledge import NOT_ENTRIES, default_directory

Edit = Callable[[dict[str, Any]], None]


def copy_of_the_knowledge_base(tmp_path: Path) -> Path:
    copy = tmp_path / "knowledge"
    shutil.copytree(default_directory(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def entry_files(directory: Path) -> dict[Path, list[dict[str, Any]]]:
    """Each file of entries (as `kb check` reads them) -> its entries."""
    return {
        path: yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.yaml"))
        if path.name not in NOT_ENTRIES
    }


def edit_entry(directory: Path, entry_id: str, edit: Edit) -> None:
    [(path, data)] = [(path, data) for path, data in entry_files(directory).items() if entry_id in ids(data)]
    edit(next(raw for raw in data if raw["id"] == entry_id))
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def ids(data: list[dict[str, Any]]) -> list[str]:
    return [raw["id"] for raw in data]


def references_to(directory: Path, entry_id: str) -> int:
    """How many `related:` links name the entry, across the knowledge base."""
    return sum(raw.get("related", []).count(entry_id) for data in entry_files(directory).values() for raw in data)


def check(directory: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = main(["kb", "check", str(directory)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_one_broken_figure_is_one_problem_with_its_references_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = copy_of_the_knowledge_base(tmp_path)
    assert check(kb, capsys)[0] == 0
    figure: dict[str, Any] = {}

    def break_figure(raw: dict[str, Any]) -> None:
        figure.update(raw["figures"][0])
        raw["figures"][0]["value"] = "$1,234"  # not what the answer shows

    edit_entry(kb, "salary-median", break_figure)
    references = references_to(kb, "salary-median")
    assert references >= 2  # enough knock-on effects to matter

    code, lines, err = check(kb, capsys)
    assert code == 1
    assert lines == [
        f"salary.yaml: entry 'salary-median': figure '$1,234' ({figure['label']}) does not appear in the answer"
        f" (and {references} references to this entry)"
    ]
    assert "1 problem(s) found" in err


def test_a_broken_step_also_counts_the_step_it_leaves_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = copy_of_the_knowledge_base(tmp_path)
    edit_entry(kb, "step-education", lambda raw: raw.pop("summary"))
    references = references_to(kb, "step-education")

    code, lines, _ = check(kb, capsys)
    assert code == 1
    assert lines == [
        "steps.yaml: entry 'step-education': a step needs a one-line summary (shown in the list of steps)"
        f" (and {references} reference{'s' * (references != 1)} to this entry and step 1 left without an entry)"
    ]


def test_a_reference_to_an_entry_that_never_existed_is_still_its_own_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb = copy_of_the_knowledge_base(tmp_path)
    edit_entry(kb, "salary-median", lambda raw: raw["figures"][0].update(value="$1,234"))
    edit_entry(kb, "job-outlook", lambda raw: raw.setdefault("related", []).append("salary-nowhere"))

    code, lines, err = check(kb, capsys)
    assert code == 1 and len(lines) == 2 and "2 problem(s) found" in err
    assert lines[0].startswith("salary.yaml: entry 'salary-median': figure '$1,234'")
    assert "references to this entry)" in lines[0]
    assert lines[1].endswith("unknown entry 'salary-nowhere'") and "'job-outlook'" in lines[1]


def test_the_shipped_knowledge_base_keeps_its_matching_contract(capsys: pytest.CaptureFixture[str]) -> None:
    """Every phrasing reaches its own entry and every must_not_match probe does not, through the pipeline."""
    assert main(["kb", "check", "--matching"]) == 0, capsys.readouterr().out
    out, err = capsys.readouterr()
    assert out.startswith("ok: ") and "warning" not in err


def test_a_broken_matching_promise_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A probe the entry answers fails the check. (A phrasing always reaches its entry: a question with its
    words is answered with it, and the knowledge base check refuses a phrasing two entries share.)"""
    copy = copy_of_the_knowledge_base(tmp_path)

    def promise(raw: dict[str, Any]) -> None:
        raw["must_not_match"] = ["how much does a CCS earn?"]  # which it answers

    edit_entry(copy, "salary-by-position", promise)
    code = main(["kb", "check", "--matching", str(copy)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "salary-by-position: must_not_match 'how much does a CCS earn?' is answered with it" in out
    assert "warning: the answer models were built for another version" not in err  # problems first


def test_an_edited_knowledge_base_is_warned_about_its_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = copy_of_the_knowledge_base(tmp_path)
    edit_entry(copy, "salary-median", lambda raw: raw["phrasings"].append("typical coder paycheck"))
    code, _, err = check(copy, capsys)
    assert code == 0
    assert "warning: the answer models were built for another version of this knowledge base" in err


def test_a_lexicon_inconsistency_fails_the_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    copy = copy_of_the_knowledge_base(tmp_path)
    lexicon = copy / "lexicon.yaml"
    lexicon.write_text(
        lexicon.read_text(encoding="utf-8").replace("shorthand:\n", "shorthand:\n  lean: learn\n", 1), "utf-8"
    )
    code, out, _ = check(copy, capsys)
    assert code == 1
    assert any("'lean' is a real English word" in line for line in out)
