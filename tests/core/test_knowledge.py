"""Knowledge base validation: every problem is reported precisely, and nothing half-loads."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.knowledge import KnowledgeError, Problem, default_directory, load_knowledge

LEXICON = default_directory() / "lexicon.yaml"


def entry(entry_id: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": entry_id,
        "title": f"Title of {entry_id}",
        "section": "Test section",
        "phrasings": [f"question about {entry_id.replace('-', ' ')}", f"tell me {entry_id.replace('-', ' ')}"],
        "answer": f"The answer about {entry_id}.",
    }
    base.update(fields)
    return base


def write_kb(tmp_path: Path, entries: list[dict[str, Any]], name: str = "facts.yaml") -> Path:
    shutil.copy(LEXICON, tmp_path / "lexicon.yaml")
    (tmp_path / name).write_text(yaml.safe_dump(entries, sort_keys=False), encoding="utf-8")
    return tmp_path


def problems_of(directory: Path) -> list[Problem]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory)
    return info.value.problems


def test_the_shipped_knowledge_base_is_valid() -> None:
    kb = load_knowledge()
    assert len(kb) >= 40
    assert [e.id for e in kb.steps()] == [
        "step-education",
        "step-certification",
        "step-experience",
        "step-networking",
        "step-continuing-education",
    ]
    for required in ("steps-overview", "salary-median", "salary-by-position", "salary-by-sector", "salary-top-states"):
        assert required in kb.entries
    assert all(e.tasks for e in kb.steps())


def test_a_valid_minimal_knowledge_base_loads(tmp_path: Path) -> None:
    kb = load_knowledge(write_kb(tmp_path, [entry("alpha-topic"), entry("beta-topic", related=["alpha-topic"])]))
    assert list(kb.entries) == ["alpha-topic", "beta-topic"]


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write_kb(tmp_path, [entry("alpha-topic")])
    (tmp_path / "more.yaml").write_text(
        yaml.safe_dump([entry("alpha-topic", phrasings=["other words here", "more other words"])])
    )
    [problem] = problems_of(tmp_path)
    assert (problem.file, problem.entry, problem.field) == ("more.yaml", "alpha-topic", "id")
    assert "duplicate id" in problem.reason and "facts.yaml" in problem.reason


def test_unknown_field(tmp_path: Path) -> None:
    [problem] = problems_of(write_kb(tmp_path, [entry("alpha-topic", answr="typo")]))
    assert (problem.file, problem.entry, problem.field, problem.reason) == (
        "facts.yaml",
        "alpha-topic",
        "answr",
        "unknown field",
    )


def test_empty_answer(tmp_path: Path) -> None:
    [problem] = problems_of(write_kb(tmp_path, [entry("alpha-topic", answer="   ")]))
    assert (problem.entry, problem.field) == ("alpha-topic", "answer")
    assert "empty" in problem.reason


@pytest.mark.parametrize(
    ("figure", "reason"),
    [
        ({"label": "median", "value": "$1,000", "date": "May 2020"}, "required field is missing"),
        ({"label": "median", "value": "$1,000", "source": "BLS"}, "needs a date"),
        ({"label": "median", "value": "$1,000", "source": "BLS", "date": "2020", "undated": True}, "cannot have"),
    ],
)
def test_figure_without_source_or_date(tmp_path: Path, figure: dict[str, Any], reason: str) -> None:
    bad = entry("alpha-topic", answer="It pays $1,000.", figures=[figure])
    problems = problems_of(write_kb(tmp_path, [bad]))
    assert any(
        p.entry == "alpha-topic" and p.field and p.field.startswith("figures[0]") and reason in p.reason
        for p in problems
    ), problems


def test_a_figure_in_the_answer_must_be_declared(tmp_path: Path) -> None:
    [problem] = problems_of(write_kb(tmp_path, [entry("alpha-topic", answer="Coders earn $99,999 and 12% more.")]))
    assert problem.entry == "alpha-topic"
    assert "$99,999" in problem.reason and "source and date" in problem.reason


def test_dangling_reference(tmp_path: Path) -> None:
    [problem] = problems_of(write_kb(tmp_path, [entry("alpha-topic", related=["nowhere"])]))
    assert (problem.entry, problem.field) == ("alpha-topic", "related[0]")
    assert "unknown entry 'nowhere'" in problem.reason


def test_references_to_an_entry_that_failed_are_counted_once_on_its_first_problem(tmp_path: Path) -> None:
    broken = entry("alpha-topic", answer="", colour="red")  # two problems of its own
    others = [entry("beta-topic", related=["alpha-topic", "nowhere"]), entry("gamma-topic", related=["alpha-topic"])]
    problems = problems_of(write_kb(tmp_path, [broken, *others]))
    assert [(p.entry, p.field, p.references) for p in problems] == [
        ("alpha-topic", "colour", 2),
        ("alpha-topic", "answer", 0),
        ("beta-topic", "related[1]", 0),  # an entry that never existed is still a problem of the link
    ]
    assert (
        str(problems[0])
        == "facts.yaml: entry 'alpha-topic', field 'colour': unknown field (and 2 references to this entry)"
    )
    assert "unknown entry 'nowhere'" in problems[2].reason


def test_phrasing_shared_by_two_entries(tmp_path: Path) -> None:
    a = entry("alpha-topic", phrasings=["how much do coders earn", "alpha words"])
    b = entry("beta-topic", phrasings=["beta words", "What do CODERS earn?"])  # same once normalised
    [problem] = problems_of(write_kb(tmp_path, [a, b]))
    assert (problem.entry, problem.field) == ("beta-topic", "phrasings[1]")
    assert "shared with entry 'alpha-topic'" in problem.reason


def test_invalid_yaml_and_missing_lexicon(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    problems = problems_of(tmp_path)
    assert any(p.file == "lexicon.yaml" and "missing" in p.reason for p in problems)
    assert any(p.file == "broken.yaml" and "not valid YAML" in p.reason for p in problems)


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    entries = [entry("alpha-topic", answer=""), entry("beta-topic", related=["gone"]), entry("BAD ID")]
    problems = problems_of(write_kb(tmp_path, entries))
    assert {p.entry for p in problems} == {"alpha-topic", "beta-topic", "BAD ID"}
    assert any(str(p).startswith("facts.yaml: entry 'beta-topic', field 'related[0]'") for p in problems)


def test_every_step_name_resolves_the_same_way_for_checklists_and_reminders() -> None:
    """One `find_step` behind `/checklist done|undo` and `/remind add step`: id, number, title, short title."""
    from bot.core.store.models import find_step
    from bot.exts import checklist
    from bot.exts.remind import cog as remind

    assert checklist.find_step is find_step and remind.find_step is find_step
    steps = load_knowledge().steps()
    for number, step in enumerate(steps, 1):
        for name in (
            step.id,
            step.id.removeprefix("step-"),
            str(number),
            f"Step {number}",
            step.title,
            step.short_title,
            f"  {step.short_title.upper()} ",
        ):
            assert find_step(steps, name) is step, name
    assert find_step(steps, "Education") is steps[0]  # the short title the reminders' copy used to miss
    assert find_step(steps, "6") is None and find_step(steps, "") is None
