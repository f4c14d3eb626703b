"""`ask` and `chat`: the engine in the terminal.

`ask --json` is a stable contract (graders use it): one JSON object per input line, in order,
with the fields `question, answered, text, entry, score, suggestions`, then the added `kind` (answer,
suggest, fallback, invalid or small_talk) and `sources` (each figure shown, with its source and date,
null when the article gives none). `text` is plain: no Discord markup. Each line is answered on its own: follow-ups
are a conversation feature of `chat` and the Discord DM, not of a batch.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from bot.cli.kb import load_engine_or_report
from bot.core import Engine, Reply, ReplyKind, Suggestion

PROMPT = "you> "


def reply_json(question: str, reply: Reply) -> str:
    return json.dumps(
        {
            "question": question,
            "answered": reply.answered,
            "text": reply.plain,
            "entry": reply.entry_id,
            "score": float(reply.score),
            "suggestions": [s.title for s in reply.suggestions],
            "kind": reply.kind.value,
            "sources": [{"figure": s.figure, "source": s.source, "date": s.date} for s in reply.sources],
        },
        ensure_ascii=False,
    )


def decode_line(line: str) -> str:
    """A line that is a JSON string literal is decoded (so a question can hold newlines)."""
    line = line.rstrip("\r\n")
    if line.startswith('"'):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            return line
        if isinstance(value, str):
            return value
    return line


def answer_lines(engine: Engine, lines: Iterable[str], out: TextIO) -> None:
    for line in lines:
        question = decode_line(line)
        out.write(reply_json(question, engine.ask(question)) + "\n")
        out.flush()


def run_ask(words: Sequence[str], *, as_json: bool, kb_dir: str | None) -> int:
    if as_json and words:
        print("medcoder-bot ask: give a question or --json (questions on stdin), not both", file=sys.stderr)
        return 2
    if not as_json and not words:
        print('medcoder-bot ask: give a question, e.g. medcoder-bot ask "what does a CPC earn?"', file=sys.stderr)
        return 2
    engine = load_engine_or_report(kb_dir)
    if engine is None:
        return 1
    if as_json:
        answer_lines(engine, sys.stdin, sys.stdout)
        return 0
    reply = engine.ask(" ".join(words))
    if reply.kind is ReplyKind.SUGGEST and reply.suggestions:
        # The process ends here, so there is no number to type: offer each choice as a question to re-run,
        # one that reaches that entry (its first phrasing; `kb check --matching` keeps that true).
        lines = "\n".join(
            f"  {s.title}:  medcoder-bot ask {shlex.quote(engine.kb.entries[s.entry_id].phrasings[0])}"
            for s in reply.suggestions
        )
        print(f"I'm not sure which of these you mean. Ask again with one of them:\n{lines}")
        return 0
    print(format_reply(reply))
    return 0


def format_reply(reply: Reply) -> str:
    """Terminal rendering: plain text, the source line labelled, suggestions numbered to pick from."""
    if reply.kind is ReplyKind.SUGGEST and reply.suggestions:
        lines = "\n".join(f"  {n}. {s.title}" for n, s in enumerate(reply.suggestions, 1))
        return f"I'm not sure which of these you mean:\n{lines}\n{pick_prompt(len(reply.suggestions))}"
    return reply.plain


def pick_prompt(count: int) -> str:
    return "Type 1 to choose it." if count == 1 else f"Type a number from 1 to {count} to choose one."


def run_chat(kb_dir: str | None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    engine = load_engine_or_report(kb_dir)
    if engine is None:
        return 1
    interactive = stdin.isatty()
    stdout.write(
        "Medical coding career coach. Ask a question (e.g. 'what are the steps?', 'CPC salary');"
        " 'quit' or Ctrl-D to leave.\n"
    )
    previous: str | None = None  # the last question, for follow-ups ("and the CCS?"); this session only
    choices: tuple[Suggestion, ...] = ()  # the last "did you mean" list, picked by number
    while True:
        if interactive:
            stdout.write(PROMPT)
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        question = line.strip()
        if question.casefold() in {"quit", "exit", ":q"}:
            break
        if not question:
            continue
        if choices and question.isdecimal() and question.isascii():
            if not 1 <= int(question) <= len(choices):
                stdout.write(f"There is no choice {question}. {pick_prompt(len(choices))}\n\n")
                stdout.flush()
                continue  # the same choices stand
            reply = engine.answer_entry(choices[int(question) - 1].entry_id)
        else:
            reply = engine.ask(question, previous=previous)
            previous = reply.topic or None
        choices = reply.suggestions
        stdout.write(format_reply(reply) + "\n\n")
        stdout.flush()
    return 0
