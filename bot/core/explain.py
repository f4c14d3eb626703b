"""`medcoder-bot ask --explain`: every stage of the answer pipeline, for one question.

Why: when an answer is wrong, a maintainer needs to see which stage went wrong: the words after
normalisation, small talk, the questions the message was split into, the lexical and dense candidates,
the reader's verdicts and the decision with the thresholds it used. Like Rasa's ranked intents, this
prints what the pipeline saw; it changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.engine import Engine


def explain(engine: Engine, question: str) -> str:
    """A plain-text report of each stage's output for `question` (asked on its own, with no context)."""
    kb = engine.kb
    c = engine.calibration
    lines: list[str] = []

    def stage(name: str, *body: str) -> None:
        lines.append(f"{name}:")
        lines.extend(f"  {line}" for line in body)

    tokens = kb.normalizer.tokens(question)
    read = kb.small_talk.without_greeting(question)  # what `Engine.ask` hands on after a greeting
    stage("1. normalise", f"tokens: {' '.join(tokens) or '(none)'}")
    talk = kb.small_talk.classify(question)
    sentences = engine.segmenter.sentences(question)
    parts = engine.segmenter.questions(sentences)
    stage(
        "2. small talk and questions",
        f"small talk: {talk or 'no'}",
        f"sentences: {[s.text for s in sentences]}",
        f"questions: {parts or '(none marked)'}",
        f"what the models read: {engine.reading.text(read) if engine.reading else read!r}",
    )
    ranked = engine.matcher.rank_tokens(tokens, limit=c.lexical_candidates + 2) if tokens else []
    lexical = [f"{m.entry_id} {m.score:.1f}" for m in ranked] or ["(none above the matcher's floor)"]
    stage("3a. lexical candidates (score 0-100)", *lexical)
    reading = engine.reading
    if reading is None:
        stage("3b-4. dense candidates and reader", "(models not loaded: lexical decision only)")
    else:
        vector = reading.models.embed([reading.text(read)])[0]
        dense = reading.index.rank(vector, c.dense_candidates)
        stage("3b. dense candidates (cosine)", *(f"{entry_id} {score:.3f}" for entry_id, score in dense))
        candidates = reading.candidates(read, ranked[: c.lexical_candidates])
        stage(
            "4. reader (probability that the entry answers it)",
            *(
                f"{m.entry_id} {m.read:.3f}  ({kb.entries[m.entry_id].kind}; "
                f"lexical {m.lexical:.1f}, dense {m.dense:.3f})"
                for m in candidates
            ),
        )
    reply = engine.ask(question)
    stage(
        "5. decision",
        f"kind: {reply.kind.value}{', two answers' if reply.paired else ''}; entry: {reply.entry_id}; "
        f"score: {reply.score}",
        f"suggestions: {[s.entry_id for s in reply.suggestions]}",
        f"thresholds: reader answer {c.read_answer} (or {c.read_lead} leading by {c.read_lead_margin}), "
        f"pair {c.read_pair} with one at dense {c.read_pair_dense}, matcher and encoder agreeing at "
        f"{c.read_agree_lexical} and {c.read_agree_dense}, gap {c.read_gap}, suggest {c.read_suggest}, "
        f"lexical support {c.read_lexical}; lexical answer {c.answer}, floor {c.floor}",
    )
    return "\n".join(lines)
