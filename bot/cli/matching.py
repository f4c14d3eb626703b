"""`kb check --matching`: the knowledge base's matching contract, checked through the whole pipeline.

Why: an author adds phrasings so that members' questions reach an entry, and `must_not_match:` probes
for questions it must never answer ("what does a plumber do" for a coding auditor entry). Both are
promises about the pipeline, not the YAML, so they are checked by asking the engine, as a member would.
A phrasing passes when its own entry is the reply's entry (a known gap's reply counts for a gap entry,
and an answer that shows both of two close entries counts for either); a probe passes when its entry is
not. A question word for word one of an entry's phrasings is answered with that entry (`Engine.judge`;
the knowledge base check refuses a phrasing two entries share), so what this still catches is a phrasing
the pipeline reads as something else before any entry is weighed: small talk, a follow-up, several questions.
"""

from __future__ import annotations

from bot.core import Engine, Reply


def entries_shown(reply: Reply) -> set[str]:
    shown = {block.entry_id for block in reply.blocks}
    if reply.entry_id is not None and (reply.answered or reply.known_gap):
        shown.add(reply.entry_id)
    return shown


def matching_problems(engine: Engine) -> list[str]:
    """One line per broken promise: a phrasing that misses its entry, a probe that reaches it."""
    problems = []
    for entry in engine.kb:
        for phrasing in entry.phrasings:
            reply = engine.ask(phrasing)
            if entry.id not in entries_shown(reply):
                got = reply.entry_id or reply.kind.value
                problems.append(f"{entry.id}: phrasing {phrasing!r} reaches {got}, not its entry")
        for probe in entry.must_not_match:
            reply = engine.ask(probe)
            if entry.id in entries_shown(reply):
                problems.append(f"{entry.id}: must_not_match {probe!r} is answered with it")
    return problems
