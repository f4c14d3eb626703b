"""Grade the bot on every question set, the way hidden sets are graded.

    python eval/run.py                  # the frozen test parts, blind.yaml and dev.yaml, via `medcoder-bot ask --json`
    python eval/run.py --tune           # the tuning parts instead: the only ones to study while changing the bot
    python eval/run.py --tune --misses  # ... and print each miss of the tuning parts
    python eval/run.py --in-process     # through the engine in this process (faster; the same replies)
    python eval/run.py --dialogues      # the conversation sets (eval/dialogues), graded on their last turn

Conversations go through `medcoder-bot chat --json`, one process per conversation, the way hidden
conversation sets are graded; only the reply to the last message is graded.

The grader is the shared one (`../shared/eval/grade.py`, or the directory in `MEDCODER_GRADER_DIR`), so
"correct" means one thing for every set. Sets: `eval/sets/*.test.yaml` (frozen: read only to report),
`eval/sets/*.tune.yaml` (tune on these), the shared `blind.yaml` (frozen) and `dev.yaml` (spent: it was
tuned on long ago and is kept as a regression check). "Did you mean" is counted on answerable items.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
GRADER_DIR = Path(os.environ.get("MEDCODER_GRADER_DIR", HERE.parent.parent / "shared" / "eval"))
AnswerFn = Callable[[str], str | None]


def load_grader() -> ModuleType:
    sys.path.insert(0, str(GRADER_DIR))
    import grade

    return grade


def chosen_sets(tune: bool, dialogues: bool = False) -> list[Path]:
    part = "tune" if tune else "test"
    if dialogues:
        return sorted((HERE / "dialogues").glob(f"*.{part}.yaml"))
    paths = sorted((HERE / "sets").glob(f"*.{part}.yaml"))
    if not tune:
        paths += [p for p in (GRADER_DIR / "blind.yaml", GRADER_DIR / "dev.yaml") if p.is_file()]
    return paths


def last_replies_chat_json(conversations: list[list[str]]) -> list[dict[str, Any]]:
    """Each conversation through its own `medcoder-bot chat --json` process; the last reply of each."""
    out = []
    for turns in conversations:
        lines = [json.dumps(q) if "\n" in q or q.startswith('"') else q for q in turns]
        command = ["medcoder-bot", "chat", "--json"]
        done = subprocess.run(command, input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
        out.append(json.loads(done.stdout.splitlines()[-1]))
    return out


def last_replies_in_process(conversations: list[list[str]]) -> list[dict[str, Any]]:
    sys.path.insert(0, str(HERE.parent))
    from bot.cli.ask import Chat, reply_json
    from bot.core import Engine
    from bot.settings import reader_enabled

    engine = Engine.load(semantic=reader_enabled())
    out = []
    for turns in conversations:
        chat = Chat(engine)
        reply = None
        for message in turns:
            reply = chat.say(message)
        assert reply is not None and not isinstance(reply, str)
        out.append(json.loads(reply_json(turns[-1], reply, conversation=True)))
    return out


def replies_in_process(questions: list[str]) -> list[dict[str, Any]]:
    sys.path.insert(0, str(HERE.parent))
    from bot.cli.ask import reply_json
    from bot.core import Engine
    from bot.settings import reader_enabled

    engine = Engine.load(semantic=reader_enabled())
    return [json.loads(reply_json(q, engine.ask(q))) for q in questions]


def replies_ask_json(questions: list[str]) -> list[dict[str, Any]]:
    """Every question through one `medcoder-bot ask --json` run, as `grade.py --ask-json` sends them."""
    lines = [json.dumps(q) if "\n" in q or q.startswith('"') else q for q in questions]
    done = subprocess.run(
        ["medcoder-bot", "ask", "--json"], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines()]


def row(name: str, report: Any, suggested: int) -> str:
    def pct(pair: tuple[int, int]) -> str:
        ok, n = pair
        return f"{100 * ok / n:.1f}% ({ok}/{n})" if n else "—"

    answerable = report.in_domain[1]
    wrong = report.wrong_answers
    share = f"{100 * wrong / answerable:.1f}%" if answerable else "—"
    dym = f"{100 * suggested / answerable:.1f}% ({suggested})" if answerable else "—"
    return (
        f"| {name} | {len(report.results)} | {pct(report.overall)} | {pct(report.in_domain)} | "
        f"{pct(report.fallback)} | {wrong} | {share} | {dym} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description="Grade the bot on every question set.")
    parser.add_argument("--tune", action="store_true", help="grade the tuning parts, not the frozen ones")
    parser.add_argument("--misses", action="store_true", help="print every miss (tuning parts only)")
    parser.add_argument("--in-process", action="store_true", help="use the engine in this process")
    parser.add_argument("--dialogues", action="store_true", help="grade the conversation sets on their last turn")
    args = parser.parse_args()
    if args.misses and not args.tune:
        parser.error("--misses is for the tuning parts: frozen parts are read only to report")
    grade = load_grader()
    fetch = replies_in_process if args.in_process else replies_ask_json
    converse = last_replies_in_process if args.in_process else last_replies_chat_json
    print("| set | items | overall | in-domain | fallback | wrong | wrong / answerable | did you mean |")
    print("|---|---|---|---|---|---|---|---|")
    for path in chosen_sets(args.tune, args.dialogues):
        if args.dialogues:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            items = [{**it, "q": it["id"]} for it in raw]  # graded by id: last turns repeat ("thanks!")
            replies = dict(zip((it["id"] for it in raw), converse([it["turns"] for it in raw]), strict=True))
        else:
            items = grade.load_items(str(path))
            replies = dict(zip((it["q"] for it in items), fetch([it["q"] for it in items]), strict=True))
        report = grade.grade(items, lambda q, r=replies: r[q]["text"] if r[q]["answered"] else None)
        suggested = sum(1 for it in items if it.get("expect") and replies[it["q"]]["suggestions"])
        print(row(path.name, report, suggested))
        if args.dialogues:
            kinds = report.per_kind()
            print("    per kind: " + ", ".join(f"{k} {ok}/{n}" for k, (ok, n) in sorted(kinds.items())))
        if args.misses:
            for result, item in zip(report.results, items, strict=True):
                if not result.correct:
                    got = (result.answer or "—").replace("\n", " ")[:160]
                    shown = " / ".join(item["turns"]) if args.dialogues else item["q"]
                    print(f"    {result.id} [{result.kind}] {shown[:200]!r}")
                    print(f"        -> {got}  missing={result.missing}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
