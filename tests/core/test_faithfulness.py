"""The knowledge base says what the article says: qualifiers, contradictions and scope kept.

Each check pins a qualifier an earlier version of an answer had smoothed away (issues 13 and 22), so
a rewording that loses it again fails here, whatever the matcher does.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Engine
from bot.core.knowledge import load_knowledge

ARTICLE_GROUP = "medical records and health information technicians"


def answer(engine: Engine, entry_id: str) -> str:
    return engine.kb.entries[entry_id].answer


def test_the_median_wage_always_names_its_occupation_group(engine: Engine) -> None:
    shown = [e.id for e in engine.kb if "$44,090" in e.answer]
    assert len(shown) >= 3  # the median, the career and the top paying states answers
    for entry_id in shown:
        assert ARTICLE_GROUP in answer(engine, entry_id), entry_id


@pytest.mark.parametrize(
    ("entry_id", "present", "absent"),
    [
        # All five step lists, their lengths, and where specialising really sits.
        (
            "steps-overview",
            [
                r"3, 3, 5, 3 and 5",
                r"relevant degree or certification",
                r"keep\s+up with industry changes",
                r"drops networking",
                r"continuing education to step 4",
                r"specialising",
            ],
            [r"instead of networking"],
        ),
        # A contradiction, not a ladder; the article never says "minimum".
        # ... and "not mandatory" keeps what follows it, as education-requirements does.
        (
            "step-education",
            [
                r"typically requires a postsecondary certificate",
                r"not mandatory, though \w+ can significantly enhance your chances",
                r"do not agree",
            ],
            [r"minimum", r"not mandatory\."],
        ),
        (
            "education-requirements",
            [
                r"contradicts itself",
                r"not mandatory",
                r"can\s+significantly enhance",
                r"accredited medical\s+coding program",
                r"associate's degree",
            ],
            [r"significantly improves", r"minimum"],
        ),
        ("career-outlook-worth", [ARTICLE_GROUP, r"competitive salary"], [r"competitive salary \(a median"]),
        ("salary-top-states", [r"Connecticut", r"Massachusetts", ARTICLE_GROUP, r"no pay figures"], [r"nationally"]),
        ("salary-hourly", [ARTICLE_GROUP, r"annual figures only"], []),
        ("coding-purpose", [r"regulatory bodies", r"researchers"], [r"regulators communicate"]),
        ("skill-terminology-anatomy", [r"does not mention a science background"], [r"^Yes"]),
        ("step-certification", [r"such as", r"typically", r"Consider pursuing"], []),
        (
            "salary-median",
            [ARTICLE_GROUP, r"without figures", r"factors such as experience"],
            [r"/salary", r"pay by position, sector and"],
        ),
        # Only two of the five step lists say "consider"; the article's own summary line comes first.
        (
            "why-certify",
            [
                r"crucial",
                r"highly recommended",
                r"two of its step lists say to consider",
                r"requires a combination of education, certification,? and practical experience",
            ],
            [r"while its step lists"],
        ),
        # Issue 22: "is also beneficial", "can provide", "can vary", "coding systems such as".
        (
            "skills-overview",
            [r"coding software and (?:electronic health records \()?EHRs\)? is also beneficial"],
            [r"plus familiarity"],
        ),
        ("step-networking", [r"networking can provide invaluable connections"], [r"networking brings"]),
        ("licensing", [r"can vary from state to state"], [r"requirements vary"]),
        ("coding-systems", [r"teach coding systems such as CPT, ICD-10 and HCPCS"], [r"teach CPT"]),
        ("certifications-cpc-ccs", [r"most recognized certifications"], []),
        ("technology-and-future", [r"projected to grow rapidly", r"technology advances", r"crucial role"], []),
        ("first-step-today", [r"doing thorough research", r"reaching out to healthcare professionals"], []),
    ],
)
def test_answers_keep_the_articles_qualifiers(
    engine: Engine, entry_id: str, present: list[str], absent: list[str]
) -> None:
    text = " ".join(answer(engine, entry_id).replace("**", "").split())
    for pattern in present:
        assert re.search(pattern, text, re.I), (entry_id, pattern)
    for pattern in absent:
        assert not re.search(pattern, text, re.I | re.M), (entry_id, pattern)


@pytest.mark.parametrize(
    ("entry_id", "present", "absent"),
    [
        # The article's list of coding systems taught is "such as", not the whole syllabus.
        ("step-education", r"coding systems such as CPT, ICD-10 and HCPCS", r"coding systems \("),
        # "These certifications typically require passing an examination": not every one, not a given.
        ("step-certification", r"examination these certifications typically require", r"^Pass the certification exam$"),
    ],
)
def test_checklist_tasks_keep_the_articles_qualifiers(engine: Engine, entry_id: str, present: str, absent: str) -> None:
    tasks = engine.kb.entries[entry_id].tasks
    assert any(re.search(present, task, re.I) for task in tasks), (entry_id, present)
    assert not any(re.search(absent, task, re.I) for task in tasks), (entry_id, absent)


def test_the_billing_note_says_billing_is_a_use_of_codes_not_a_job_the_article_covers() -> None:
    """The article names billing as a use of codes (issue 22); what it lacks is billing as a job."""
    topic = load_knowledge().lexicon.bundled_topic
    assert topic is not None
    note = topic.note  # the note's text, read where it lives
    assert note.startswith("-# ")
    assert "\n" not in note
    assert re.search(r"used for billing", note), note
    assert re.search(r"does not cover medical billing as a job", note), note
    assert not re.search(r"does not cover medical billing\.$", note), note


def test_no_answer_names_a_slash_command(engine: Engine) -> None:
    """Answers are shared by the terminal, where Discord's commands do not exist."""
    for entry in engine.kb:
        assert not re.search(r"`/\w+", entry.answer), entry.id
