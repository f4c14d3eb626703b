"""What kind of fact a question asks for, and whether an answer holds one.

Why: matching finds the entry a question is *about*, not whether that entry answers it. "Which coding
specialty makes the most money?" is about specialising, and "How old do you need to be to become a
coder?" is about requirements, so both score high against entries that never rank specialties by pay
or name an age. Answering with them is the confident wrong answer this bot must not give. A question
that plainly asks for a pay ranking, a length of time or an age is only answered by an entry whose
text holds one; otherwise the article does not say, and the engine says so.

Deliberately narrow: only phrasings whose wanted fact is unmistakable, and answer tests loose enough
that a real figure is never missed. Everything else passes unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Wanted:
    name: str  # what the article would have to give, for the reply: "age"
    asks: re.Pattern[str]  # the question asks for it
    holds: re.Pattern[str]  # an answer gives it


# A person's age in a question: "at 40", "at the age of 45", "at 55 years old", "in my 50s", "if I'm over 60";
# not a figure ("44,090"), a share, an amount, a time or a length of time after the number.
_NOT_A_QUANTITY = (
    r"(?:\s+years?\s+(?:old|of age)\b"
    r"|(?![.,]\d)(?!\s*(?:%|percent|pct|hours?|hrs?|mins?|minutes|dollars|bucks|k\b|an? |per\b|/|pm\b|am\b|o'clock"
    r"|years?|months?|weeks?|days?|thousand|questions|wpm)))"
)
_AN_AGE = (
    r"(?:\bat (?:the )?(?:age (?:of )?)?(?:1[6-9]|[2-7]\d)\b"
    + _NOT_A_QUANTITY
    + r"|\bin (?:my|your|his|her|their|our) (?:early |mid |late )?[2-7]0'?s\b"
    r"|\b(?:i'm|im|i am|i'll be|if|people|someone|anyone|adults?)\s+(?:who are\s+)?(?:over|past)\s+"
    r"(?:the age of )?[3-7]0\b" + _NOT_A_QUANTITY + ")"
)
# Asking whether it can still be done: only then is the age the point of the question.
_FEASIBLE = (
    r"(?:too (?:late|old)|okay|ok|alright|possible|realistic|doable|feasible|worth it|good idea|smart|wise"
    r"|advisable|normal|common)"
)
_NUMBER = r"(?:\d+(?:[.,]\d+)?|a|an|one|two|three|four|five|six|eight|ten|twelve|few|several)"

WANTED = (
    Wanted(
        "age",
        re.compile(
            r"\b(?:how old|what age|minimum age|age (?:limit|requirement)s?|too (?:old|young) to"
            r"|(?:am i|i'm|im|i am) too (?:old|young))\b"
            # "is it okay to switch careers at 40?", "is it realistic in my 50s?": an age asked about. An age
            # only mentioned ("I finished school at 18, do I need a degree?", "can I start at 45 with no
            # experience?") is context, and 10 pm, 40 hours, 8% or $44,090 are no age at all.
            rf"|\b{_FEASIBLE}\b[^.?!]*?{_AN_AGE}|{_AN_AGE}[^.?!]*?\b{_FEASIBLE}\b",
            re.I,
        ),
        re.compile(r"\bage\b|\byears? old\b", re.I),
    ),
    Wanted(
        "length of time",
        re.compile(r"\bhow long\b|\bhow many (?:months|years|weeks|days|hours)\b", re.I),
        re.compile(rf"\b{_NUMBER}[\s-]*(?:months?|years?|weeks?|days?|hours?)\b", re.I),
    ),
    Wanted(
        "price",
        re.compile(
            # Not "cost of living" or "costs" in general ("why does coding matter for costs?").
            r"\b(?:price|prices|priced|fee|fees|tuition)\b|\bhow much (?:does|do|will|would)\b[^?.]*\bcost\b"
            r"|\bcosts? (?:of|for) (?:the |a |an )?(?:cpc |ccs |aapc |ahima )?(?:exam|test|course|program|class"
            r"|certification|membership|school|training)"
            r"|\bhow much (?:is|are) (?:the |a |an )?(?:cpc |ccs |aapc |ahima )?"
            r"(?:exam|test|course|program|class|certification|membership|school)",
            re.I,
        ),
        re.compile(r"\$\s?\d", re.I),
    ),
    Wanted(
        "ranking by pay",
        re.compile(
            # Not "makes the most": "make the most of networking", "makes the most sense".
            r"\b(?:earns?|pays?|paid)\s+(?:the\s+)?(?:most|best|highest)\b|\bmost money\b"
            r"|\b(?:highest|best|top)[\s-](?:paying|paid)\b",
            re.I,
        ),
        re.compile(r"\$\s?\d|\btop[\s-]paying\b|\bhighest\b", re.I),
    ),
)


def unmet(question: str, answer: str) -> Wanted | None:
    """The kind of fact `question` plainly asks for that `answer` does not hold, if any."""
    for wanted in WANTED:
        if wanted.asks.search(question) and not wanted.holds.search(answer):
            return wanted
    return None
