"""The terminal front end, through a real subprocess: output contracts and exit codes."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.calibration import CALIBRATION

ROOT = Path(__file__).resolve().parents[1]


def run(
    *args: str, stdin: str | None = None, cwd: Path | None = None, reader: bool | str | None = True
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; `reader` sets MEDCODER_READER (a flag, or any text), None leaves it unset."""
    env = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "MEDCODER_READER"}}
    env["PYTHONPATH"] = str(ROOT)
    if reader is not None:
        env["MEDCODER_READER"] = reader if isinstance(reader, str) else str(reader).lower()
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or ROOT,
        timeout=60,
        check=False,
    )


def test_ask_prints_one_answer(tmp_path: Path) -> None:
    result = run("ask", "what", "is", "the", "median", "salary?", cwd=tmp_path)  # any directory works
    assert result.returncode == 0, result.stderr
    assert "$44,090" in result.stdout and "May 2020" in result.stdout


def test_ask_json_contract() -> None:
    questions = ["cpc pay?", '"what is the\\njob outlook"', "how much do nurses make", "", "😀"]
    result = run("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(questions)
    for row in rows:
        assert list(row) == ["question", "answered", "text", "entry", "score", "suggestions", "kind", "sources"]
        assert isinstance(row["answered"], bool) and isinstance(row["text"], str) and row["text"]
        assert isinstance(row["score"], float) and isinstance(row["suggestions"], list)
        assert row["kind"] in {"answer", "suggest", "fallback", "invalid", "small_talk"}
    assert rows[0]["answered"] and rows[0]["entry"] == "salary-by-position" and "$54,590" in rows[0]["text"]
    assert {"figure": "$54,590", "source": "the article's table (no source named)", "date": None} in rows[0]["sources"]
    assert rows[2]["sources"] == []
    assert rows[1]["question"] == "what is the\njob outlook" and rows[1]["entry"] == "job-outlook"
    assert rows[2]["answered"] is False
    assert rows[3]["answered"] is False and rows[4]["answered"] is False


def test_ask_json_reports_suggestions_as_not_answered() -> None:
    # The lexical matcher's "did you mean": with the models, the reader answers "coder courses" with both entries.
    [row] = [json.loads(x) for x in run("ask", "--json", stdin="coder courses\n", reader=False).stdout.splitlines()]
    assert row["answered"] is False and row["entry"] is None
    assert 2 <= len(row["suggestions"]) <= 3


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("ask",), 2, "give a question"),
        (("ask", "--json", "extra"), 2, "not both"),
        (("ask", "--kb", "/nonexistent", "salary"), 1, "no such directory"),
        (("kb", "check", "/nonexistent"), 1, "no such directory"),
        (("bogus",), 2, "invalid choice"),
    ],
)
def test_exit_codes(args: tuple[str, ...], code: int, needle: str) -> None:
    result = run(*args)
    assert result.returncode == code
    assert needle in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_kb_check_ok_and_lists_every_problem(tmp_path: Path) -> None:
    ok = run("kb", "check")
    assert ok.returncode == 0 and ok.stdout.startswith("ok:")
    (tmp_path / "lexicon.yaml").write_text("stopwords: [a]\n", encoding="utf-8")
    (tmp_path / "x.yaml").write_text(
        "- {id: one-a, title: T, section: S, phrasings: [alpha beta], answer: ''}\n"
        "- {id: two-b, title: T, section: S, phrasings: [gamma delta], answer: x, related: [nope], color: red}\n",
        encoding="utf-8",
    )
    bad = run("kb", "check", str(tmp_path))
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert any("x.yaml: entry 'one-a', field 'answer'" in line for line in lines)
    assert any("x.yaml: entry 'two-b', field 'color': unknown field" in line for line in lines)
    assert "Traceback" not in bad.stderr


def test_chat_answers_until_quit() -> None:
    result = run("chat", stdin="steps\n\nccs salary\nquit\nnever read\n")
    assert result.returncode == 0
    assert "Networking" in result.stdout and "$60,080" in result.stdout


def test_no_subcommand_without_token_starts_the_chat() -> None:
    result = run(stdin="aapc meaning\n")
    assert result.returncode == 0
    assert "American Academy of Professional Coders" in result.stdout
    assert "terminal chat" in result.stderr


def test_ask_json_text_is_plain_and_sources_keep_their_dates() -> None:
    questions = "median salary\nwhat are the steps\nhow much do billing and coding folks make\n"
    result = run("ask", "--json", stdin=questions)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    for row in rows:
        assert row["answered"], row
        assert "**" not in row["text"] and "-#" not in row["text"]
    bls = {"figure": "$44,090", "source": "U.S. Bureau of Labor Statistics", "date": "May 2020"}
    assert rows[0]["sources"] == [bls]
    assert "Source: U.S. Bureau of Labor Statistics, May 2020" in rows[0]["text"]
    assert "does not cover medical billing" in rows[2]["text"]


QUESTIONS_FOR_MARKUP = [
    "median salary",
    "what are the steps",
    "ccs vs cpc pay",
    "which states pay best",
    "job outlook",
    "hi",
    "what does a cpc earn and what does ahima stand for?",
    "how much do nurses make",
    "coder courses",
    "🙂",
]


@pytest.mark.parametrize("command", ["ask", "chat"])
def test_the_terminal_prints_no_discord_markup(command: str) -> None:
    """No bold markers, no small-text markers, no Discord slash commands, in answers or anything else."""
    if command == "ask":
        out = "".join(run("ask", q).stdout + run("ask", q).stderr for q in QUESTIONS_FOR_MARKUP[:4])
    else:
        out = run("chat", stdin="\n".join(QUESTIONS_FOR_MARKUP) + "\n").stdout
    assert out.strip()
    assert "**" not in out and "-#" not in out
    assert not re.search(r"(?<![\w/])/(?:steps|salary|ask|checklist|remind|help)\b", out), out


# The terminal's numbered "did you mean" flow, on a question the lexical matcher offers two entries for
# (`MEDCODER_READER=false`; the reader answers "coder courses" outright).


def test_chat_picks_a_suggestion_by_its_number() -> None:
    result = run("chat", stdin="coder courses\n2\n", reader=False)
    assert result.returncode == 0, result.stderr
    menu, answer = result.stdout.split("Type a number from 1 to 2 to choose one.", 1)
    assert "  1. What coding programs teach" in menu and "  2. Where to study medical coding" in menu
    assert answer.strip().startswith("Where to study medical coding")


def test_chat_says_which_numbers_are_valid_and_keeps_the_choices() -> None:
    result = run("chat", stdin="coder courses\n3\n1\n", reader=False)
    assert result.returncode == 0, result.stderr
    assert "There is no choice 3. Type a number from 1 to 2 to choose one." in result.stdout
    assert "That needs a topic" not in result.stdout
    assert result.stdout.rstrip().split("\n\n")[-1].startswith("What coding programs teach")  # 1 still picks


def test_one_shot_did_you_mean_offers_questions_to_rerun_not_a_number_to_type() -> None:
    result = run("ask", "coder courses", reader=False)
    assert result.returncode == 0, result.stderr
    assert "Type a number" not in result.stdout and "Ask again with one of them" in result.stdout
    reruns = re.findall(r"^  (.+?):  medcoder-bot ask (.+)$", result.stdout, re.M)
    assert len(reruns) >= 2
    for title, quoted in reruns:
        again = run("ask", *shlex.split(quoted))
        assert again.stdout.startswith(title), (title, again.stdout)


def test_chat_reads_a_short_follow_up_against_the_previous_question() -> None:
    result = run("chat", stdin="what does a CPC earn?\nand the CCS?\nwhat about hospitals?\n")
    assert result.stdout.count("Average salary by coding position") == 2  # the CCS's pay, not what the CCS is
    assert "Median wage by employment sector" in result.stdout  # the CPC swapped for hospitals, pay kept
    alone = run("ask", "and the CCS?").stdout
    assert "Average salary by coding position" not in alone  # without the context it is another question


def test_a_number_without_suggestions_is_just_a_question() -> None:
    result = run("chat", stdin="2\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_kb_check_coverage_lists_what_no_answer_covers(tmp_path: Path) -> None:
    article = tmp_path / "article.txt"
    article.write_text(
        "The median annual wage for medical records and health information technicians was $44,090 in May 2020.\n"
        "Unicorns must attend every single coding conference held on Mars.\n"
        "Find For Your Dream Job: search here now.\n",
        encoding="utf-8",
    )
    result = run("kb", "check", "--coverage", str(article))
    assert result.returncode == 0, result.stderr  # a report, never a failure
    assert "1 sentence(s) of article.txt no answer covers, 1 omitted on purpose" in result.stdout
    assert "line 2 (" in result.stdout and "Unicorns" in result.stdout
    assert "line 3, omitted (page furniture, not the article)" in result.stdout
    assert "$44,090" not in result.stdout


def test_kb_check_coverage_without_the_article_says_so(tmp_path: Path) -> None:
    result = run("kb", "check", "--coverage", str(tmp_path / "missing.txt"))
    assert result.returncode == 2 and "no article at" in result.stderr and "Traceback" not in result.stderr


def test_version_and_help_command() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("medcoder-bot ")
    helped, dashed = run("help"), run("--help")
    assert helped.returncode == 0 and helped.stdout == dashed.stdout and "COMMAND" in helped.stdout
    salary = run("help", "salary")
    assert salary.returncode == 0 and salary.stdout == run("salary", "--help").stdout


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--shard-count", "4", "--shards", "9-1"], "--shards"),
        (["--shard-count", "4", "--shards", "3-5"], "--shards 3-5"),
    ],
)
def test_a_bad_shards_option_names_the_flag_typed(flags: list[str], named: str) -> None:
    env_free = run("run", *flags)  # no token needed: settings are checked first
    assert env_free.returncode == 2
    assert named in env_free.stderr and "MEDCODER_SHARDS" not in env_free.stderr


def test_chat_treats_a_non_ascii_digit_as_a_question() -> None:
    result = run("chat", stdin="coder courses\n²\n")
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_chat_json_is_one_conversation_with_a_line_per_message_naming_what_it_took() -> None:
    lines = ["tell me about step 3", "and what comes next?", '"and the one\\nbefore?"', "thanks!", "what is the CCS?"]
    result = run("chat", "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(replies) == len(lines)
    for reply in replies:  # ask --json's fields, plus context
        assert {"question", "answered", "text", "entry", "score", "suggestions", "kind", "sources", "context"} <= set(
            reply
        )
        assert isinstance(reply["context"], list)
    first, following, before, thanks, fresh = replies
    assert first["entry"] == "step-experience" and first["context"] == []
    assert following["entry"] == "step-networking" and following["context"]  # it names what it took
    assert before["question"] == "and the one\nbefore?" and before["entry"] == "step-experience"
    assert thanks["kind"] == "small_talk" and not thanks["answered"]
    assert fresh["context"] == []  # a complete new question stands on its own


def test_each_chat_json_process_is_its_own_conversation() -> None:
    assert json.loads(run("chat", "--json", stdin="and what comes next?\n").stdout)["context"] == []


def test_ask_explain_prints_every_stage() -> None:
    result = run("ask", "--explain", "how much does a CCS earn?")
    assert result.returncode == 0, result.stderr
    for stage in (
        "1. normalise",
        "2. small talk",
        "3a. lexical candidates",
        "3b. dense candidates",
        "4. reader",
        "5. decision",
    ):
        assert stage in result.stdout, stage
    assert "salary-by-position" in result.stdout
    c = CALIBRATION  # every threshold the decision reads is printed beside it
    assert f"pair {c.read_pair} with one at dense {c.read_pair_dense}" in result.stdout
    assert f"(or {c.read_lead} leading by {c.read_lead_margin})" in result.stdout
    assert run("ask", "--explain").returncode == 2  # it explains one question


def test_a_bad_reader_flag_is_one_line_not_a_traceback() -> None:
    env_run = run("ask", "what does a CPC earn?", reader=True)
    assert env_run.returncode == 0
    result = run("ask", "what does a CPC earn?", reader="sometimes")
    assert result.returncode != 0 and "MEDCODER_READER" in result.stderr and "Traceback" not in result.stderr


def test_the_reader_flag_is_read_from_dot_env_too(tmp_path: Path) -> None:
    """As the bot reads it: `MEDCODER_READER=false` in `.env` makes the terminal lexical as well."""
    (tmp_path / ".env").write_text("MEDCODER_READER=false\n", encoding="utf-8")
    result = run("ask", "coder courses", cwd=tmp_path, reader=None)
    assert result.returncode == 0, result.stderr
    assert "Ask again with one of them" in result.stdout  # the lexical matcher's "did you mean"
