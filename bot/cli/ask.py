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
from bot.core.conversation import Conversations

PROMPT = "you> "


def reply_json(question: str, reply: Reply, *, conversation: bool = False) -> str:
    """One `ask --json` line; with `conversation` (for `chat --json`) also `context`: what the reply took
    from earlier turns, each named (empty when it stood on its own)."""
    fields = {
        "question": question,
        "answered": reply.answered,
        "text": reply.plain,
        "entry": reply.entry_id,
        "score": float(reply.score),
        "suggestions": [s.title for s in reply.suggestions],
        "kind": reply.kind.value,
        "sources": [{"figure": s.figure, "source": s.source, "date": s.date} for s in reply.sources],
    }
    if conversation:
        fields["context"] = list(reply.used)
    return json.dumps(fields, ensure_ascii=False)


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


def run_ask(words: Sequence[str], *, as_json: bool, kb_dir: str | None, explain: bool = False) -> int:
    if as_json and words:
        print("medcoder-bot ask: give a question or --json (questions on stdin), not both", file=sys.stderr)
        return 2
    if explain and (as_json or not words):
        print('medcoder-bot ask: --explain takes one question, e.g. ask --explain "ccs pay?"', file=sys.stderr)
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
    if explain:
        from bot.core.explain import explain as explained  # noqa: PLC0415  # only for maintainers

        print(explained(engine, " ".join(words)))
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


class Chat:
    """One terminal conversation: the engine with the context of its last reply, as a DM has.

    A "did you mean" choice is picked by its number (the terminal has no buttons); anything else is a
    message, read against the last reply's context for ten minutes (`Conversations`).
    """

    KEY = "terminal"

    def __init__(self, engine: Engine, conversations: Conversations | None = None) -> None:
        self.engine = engine
        self.conversations = conversations or Conversations()
        self.choices: tuple[Suggestion, ...] = ()

    def say(self, message: str) -> Reply | str:
        """The reply to one message, or a line of help when a number picks no choice."""
        if self.choices and message.isdecimal() and message.isascii():
            if not 1 <= int(message) <= len(self.choices):
                return f"There is no choice {message}. {pick_prompt(len(self.choices))}"  # the same choices stand
            reply = self.engine.answer_entry(self.choices[int(message) - 1].entry_id)
        else:
            reply = self.engine.ask(message, previous=self.conversations.previous(self.KEY))
        self.conversations.remember(self.KEY, reply.context)
        self.choices = reply.suggestions
        return reply


def run_chat(
    kb_dir: str | None, stdin: TextIO | None = None, stdout: TextIO | None = None, *, as_json: bool = False
) -> int:
    """The terminal chat; with `as_json`, one message per input line and one JSON object per line out
    (`ask --json`'s fields plus `context`), a stable interface: one process is one conversation."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    engine = load_engine_or_report(kb_dir)
    if engine is None:
        return 1
    chat = Chat(engine)
    if as_json:
        for line in stdin:
            message = decode_line(line)
            reply = chat.say(message.strip()) if message.strip() else engine.ask(message)
            if isinstance(reply, str):
                reply = Reply(ReplyKind.INVALID, reply)
            stdout.write(reply_json(message, reply, conversation=True) + "\n")
            stdout.flush()
        return 0
    interactive = stdin.isatty()
    stdout.write(
        "Medical coding career coach. Ask a question (e.g. 'what are the steps?', 'CPC salary');"
        " 'quit' or Ctrl-D to leave.\n"
    )
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
        reply = chat.say(question)
        stdout.write((reply if isinstance(reply, str) else format_reply(reply)) + "\n\n")
        stdout.flush()
    return 0
