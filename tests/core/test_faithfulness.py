"""The knowledge base says what the article says: qualifiers, contradictions and scope kept.

Each check pins a qualifier an earlier version of an answer had smoothed away (issue 13), so a
rewording that loses it again fails here, whatever the matcher does.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Engine

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
        (
            "step-education",
            [r"typically requires a postsecondary certificate", r"not mandatory", r"do not agree"],
            [r"minimum"],
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
        ("salary-median", [ARTICLE_GROUP, r"without figures"], [r"/salary", r"pay by position, sector and"]),
        ("why-certify", [r"crucial", r"highly recommended", r"consider"], []),
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


def test_no_answer_names_a_slash_command(engine: Engine) -> None:
    """Answers are shared by the terminal, where Discord's commands do not exist."""
    for entry in engine.kb:
        assert not re.search(r"`/\w+", entry.answer), entry.id
