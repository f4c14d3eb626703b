"""A question that plainly asks for a kind of fact is only answered by an entry that gives one."""

from __future__ import annotations

import pytest

from bot.core import Engine, ReplyKind
from bot.core.asked_for import unmet


@pytest.mark.parametrize(
    ("question", "answer", "lacking"),
    [
        ("what age can you start coding", "You need a high school diploma or GED.", "age"),
        ("what age can you start coding", "There is no minimum age.", None),
        ("how long does the course take", "Courses cover anatomy and CPT.", "length of time"),
        ("how long does the course take", "Most take 9 months to 2 years.", None),
        ("how many weeks is training", "Training is 12-week long.", None),
        ("which specialty earns the most", "Specialising can raise earning potential.", "ranking by pay"),
        ("which specialty earns the most", "Outpatient coders: $50,000.", None),
        ("highest paying state", "The top-paying states are ...", None),
        ("what does a coder do", "Coders translate records into codes.", None),  # asks for no particular kind
        ("does specialising pay more", "Specialising can raise earning potential.", None),  # yes/no, not a ranking
        ("how much is the cpc exam", "Certification requires passing an exam.", "price"),
        ("what does the exam cost", "The exam fee is $399.", None),
        ("how much do coders make", "The median wage is $44,090.", None),  # pay, not a price
        ("how much do I need to study", "Study anatomy.", None),  # an amount of study, not a price
        ("is it okay to switch careers at 45", "Demand is projected to grow.", "age"),
        ("is it realistic in my 50s", "Demand is projected to grow.", "age"),
        ("is it too late if I'm over 60", "Demand is projected to grow.", "age"),
        ("is it smart to start at 55 years old", "Demand is projected to grow.", "age"),
        ("is it too late if I'm over 60", "There is no age limit.", None),  # the answer gives an age
    ],
)
def test_unmet_names_the_kind_of_fact_an_answer_lacks(question: str, answer: str, lacking: str | None) -> None:
    found = unmet(question, answer)
    assert (found.name if found else None) == lacking


AGELESS = "Demand is projected to grow."  # an answer with no age in it: only the question decides


@pytest.mark.parametrize(
    "question",
    [
        # An age only mentioned: the question asks for something else.
        "I finished high school at 18, do i need a degree",
        "at 40 should i get the cpc or ccs",
        "how do i start at 45 with no experience",
        "what education do i need if i start at 40",
        "can i do it in my 20s with no degree",
        "do the online classes start at 10",
        # Numbers after "at" or "over" that are no age, in questions that ask whether something is possible.
        "is it okay to earn at 50k",
        "is it realistic to study at 30 mins a day",
        "is it normal to get paid at 20/hr",
        "is it possible to pass at 70 pct",
        "is it okay to type at 50 wpm",
        "is it ok to finish at 12 weeks",
        "is it realistic to start at 50 thousand",
        "is the median at 44,090 okay",
        "is growth at 12% normal",
        "is it possible to study at 10 pm",
        "is it normal that coders work over 40 hours",
        "is it possible to learn over 70 codes a day",
    ],
)
def test_a_number_that_is_no_age_asked_about_is_not_held_to_one(question: str) -> None:
    assert unmet(question, AGELESS) is None


@pytest.mark.parametrize(
    "question",
    ["is there a minimum age to become a medical coder", "which coding specialty earns the most?"],
)
def test_an_entry_lacking_the_asked_for_fact_is_not_the_answer(engine: Engine, question: str) -> None:
    """Found as confident wrong answers: the entry was on topic but never gave what was asked."""
    reply = engine.ask(question)
    assert reply.kind is ReplyKind.FALLBACK and not reply.answered
    assert reply.known_gap
    assert "gives no" in reply.text and "the closest it covers is" in reply.text


def test_an_entry_that_gives_the_asked_for_fact_is_still_the_answer(engine: Engine) -> None:
    reply = engine.ask("which states pay the most")
    assert reply.answered and reply.entry_id == "salary-top-states"


@pytest.mark.parametrize(
    ("question", "entry", "part"),
    [
        (
            "how many hours a week do coders work, and what does a medical coder do?",
            "coder-role",
            "how many hours a week do coders work",
        ),
        # Without the check the first part took the whole message to the coder's role.
        (
            "how long do coders work each day and what skills do coders need?",
            "skills-overview",
            "how long do coders work each day",
        ),
    ],
)
def test_the_part_asking_for_a_missing_kind_of_fact_is_named(
    engine: Engine, question: str, entry: str, part: str
) -> None:
    reply = engine.ask(question)
    assert reply.answered and reply.entry_id == entry
    assert reply.missing == (part,)


# --- found in review: each of these was refused before its fix ---------------------------------------


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("how do I make the most of networking as a coder?", "step-networking"),  # not a pay ranking
        ("which skill makes the most difference?", "skills-overview"),
        ("my laptop is too old, can I study coding online?", "where-to-study"),  # not a person's age
        ("what are the steps to become a coder? how long?", "steps-overview"),  # the other part asks it
        ("I'm 50, am I too old? what are the steps to become a medical coder?", "steps-overview"),
    ],
)
def test_only_the_question_that_asks_for_a_kind_of_fact_is_held_to_it(
    engine: Engine, question: str, entry: str
) -> None:
    reply = engine.ask(question)
    assert reply.answered and reply.entry_id == entry


def test_a_follow_up_asking_for_a_pay_ranking_is_read_against_the_previous_question(engine: Engine) -> None:
    """Refused alone ("which pays best?" names nothing that ranks pay), so it is no settled question."""
    reply = engine.ask("which pays best?", previous=engine.ask("how much does a ccs make").topic)
    assert reply.answered and reply.entry_id == "salary-by-position"


def test_a_price_question_gets_the_gap_that_says_the_article_has_no_prices(engine: Engine) -> None:
    """The exam entry scored a few points above the gap on exam prices, and the reply was "ask more
    specifically"; the gap says exactly what the article lacks."""
    reply = engine.ask("how much is the cpc exam")
    assert reply.kind is ReplyKind.FALLBACK and reply.entry_id == "gap-exam-cost"
    assert "no prices" in reply.text


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("does cost of living affect coder salary?", "salary-factors"),  # not a price
        ("why does coding matter for costs?", "coding-purpose"),
    ],
)
def test_costs_that_are_not_a_price_are_not_held_to_one(engine: Engine, question: str, entry: str) -> None:
    reply = engine.ask(question)
    assert reply.answered and reply.entry_id == entry
