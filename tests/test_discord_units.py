"""Unit tests of the Discord layer's own helpers: no network, no fake Discord.

The end-to-end tests through the fake Discord server live elsewhere; these pin down the small
pieces (escaping, limits, rate limit, settings, error wording, custom ids) they rely on.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import bot_intents, create_bot
from bot.core import Engine, Reply, ReplyKind, Suggestion
from bot.exts import EXTENSIONS
from bot.exts.admin import parse_sync_target
from bot.exts.answers.replies import ASK_PREFIX, QUESTION_PREFIX, SuggestionButton, compose, suggestion_view
from bot.exts.salary import SALARY_ENTRIES
from bot.exts.steps import steps_summary
from bot.settings import Settings
from bot.utils.errors import known_error_message, new_ref, unexpected_message
from bot.utils.ratelimit import SlidingWindowLimiter, Verdict
from bot.utils.text import CONTENT_LIMIT, ECHO_LIMIT, escape_user_text, fit_content, truncate

# --- text -----------------------------------------------------------------------------------


def test_truncate_keeps_short_text_and_marks_cut_text() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("x" * 50, 10)
    assert len(cut) == 10
    assert cut.endswith("…")


def test_escape_user_text_defuses_mentions_and_markdown() -> None:
    text = "@everyone @here <@&123456789012345678> <@123456789012345678> **bold** `code`"
    escaped = escape_user_text(text)
    assert "@everyone" not in escaped
    assert "@here" not in escaped
    assert "<@&123456789012345678>" not in escaped
    assert "<@123456789012345678>" not in escaped
    assert "**" not in escaped.replace("\\*", "")
    assert "\\`" in escaped


PIECES = [*"ab @#>-_*~|`\\[]():/.<!&0123456789\n\t", "everyone", "here", "https://x.io/a_b", "123456789012345678"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_escape_user_text_equals_discord_pys_escaping_of_the_flattened_text(text: str) -> None:
    """The fast path skips discord.py's escapers only when they would change nothing."""
    flat = truncate(" ".join(text.split()), ECHO_LIMIT)
    assert escape_user_text(text) == discord.utils.escape_mentions(discord.utils.escape_markdown(flat))


def test_escape_user_text_is_one_bounded_line() -> None:
    escaped = escape_user_text("line one\n# heading\n> quote\n" + "word " * 500)
    assert "\n" not in escaped
    assert len(escaped) <= 2 * ECHO_LIMIT  # escaping may add a backslash per character at most


def test_fit_content_respects_discord_limit_and_never_sends_nothing() -> None:
    assert len(fit_content("a" * 5000)) == CONTENT_LIMIT
    assert fit_content("   ").strip("\u200b") == ""
    assert fit_content("   ")


# --- rate limit ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_limiter_allows_five_then_notifies_once_then_stays_silent() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(5, 10.0, clock=clock)
    verdicts = [limiter.hit("u") for _ in range(8)]
    assert verdicts == [Verdict.ALLOW] * 5 + [Verdict.NOTIFY] + [Verdict.SILENT] * 2


def test_limiter_window_clears_and_notice_can_come_again() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(5, 10.0, clock=clock)
    for _ in range(6):
        limiter.hit("u")
    clock.now += 10.0
    assert limiter.hit("u") is Verdict.ALLOW
    for _ in range(4):
        assert limiter.hit("u") is Verdict.ALLOW
    assert limiter.hit("u") is Verdict.NOTIFY


def test_limiter_is_per_member_and_slides() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(2, 10.0, clock=clock)
    assert limiter.hit("a") is Verdict.ALLOW
    clock.now += 6
    assert limiter.hit("a") is Verdict.ALLOW
    assert limiter.hit("b") is Verdict.ALLOW
    assert limiter.hit("a") is Verdict.NOTIFY
    clock.now += 4  # the first message of "a" is now 10 s old
    assert limiter.hit("a") is Verdict.ALLOW


def test_limiter_forgets_idle_members() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(5, 10.0, clock=clock)
    for key in range(SlidingWindowLimiter._PRUNE_AT):
        limiter.hit(key)
    clock.now += 11
    limiter.hit("new")
    assert len(limiter) == 1


def test_limiter_rejects_nonsense_configuration() -> None:
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 10)


# --- settings --------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (
        "DISCORD_TOKEN",
        "MEDCODER_DB",
        "MEDCODER_DEV_GUILD",
        "MEDCODER_LOG_LEVEL",
        "MEDCODER_OWNER_IDS",
        "MEDCODER_MEMBERS_INTENT",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_defaults(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)
    assert settings.discord_token is None
    assert str(settings.db) == "medcoder.db"
    assert settings.dev_guild is None
    assert settings.log_level == "INFO"
    assert settings.owner_ids == frozenset()


def test_settings_from_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("DISCORD_TOKEN", " secret ")
    clean_env.setenv("MEDCODER_DB", "/tmp/x.db")
    clean_env.setenv("MEDCODER_DEV_GUILD", "42")
    clean_env.setenv("MEDCODER_LOG_LEVEL", "debug")
    clean_env.setenv("MEDCODER_OWNER_IDS", "[1, 2]")
    settings = Settings(_env_file=None)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "secret"
    assert "secret" not in repr(settings)
    assert str(settings.db) == "/tmp/x.db"
    assert settings.dev_guild == 42
    assert settings.log_level_number == 10
    assert settings.owner_ids == {1, 2}


def test_settings_blank_values_mean_defaults(clean_env: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "MEDCODER_DEV_GUILD", "MEDCODER_OWNER_IDS"):
        clean_env.setenv(name, "")
    settings = Settings(_env_file=None)
    assert settings.discord_token is None
    assert settings.dev_guild is None
    assert settings.owner_ids == frozenset()


def test_settings_single_owner_id_and_whitespace_token(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("MEDCODER_OWNER_IDS", "123")
    clean_env.setenv("DISCORD_TOKEN", "   ")
    settings = Settings(_env_file=None)
    assert settings.owner_ids == {123}
    assert settings.discord_token is None


def test_settings_reads_dotenv(clean_env: pytest.MonkeyPatch, tmp_path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-file\nMEDCODER_DEV_GUILD=7\nUNRELATED=1\n")
    settings = Settings(_env_file=env_file)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "from-file"
    assert settings.dev_guild == 7


def test_settings_env_names_for_messages() -> None:
    assert Settings.env_name("discord_token") == "DISCORD_TOKEN"
    assert Settings.env_name("dev_guild") == "MEDCODER_DEV_GUILD"


# --- errors ----------------------------------------------------------------------------------


def test_known_errors_get_short_messages() -> None:
    cooldown = app_commands.CommandOnCooldown(app_commands.Cooldown(1, 30), 12.3)
    assert "12 s" in (known_error_message(cooldown) or "")
    assert known_error_message(app_commands.MissingPermissions(["manage_guild"]))
    assert known_error_message(app_commands.BotMissingPermissions(["send_messages"]))
    assert known_error_message(app_commands.CheckFailure())
    assert known_error_message(app_commands.NoPrivateMessage())


def test_transform_error_echo_is_escaped() -> None:
    error = app_commands.TransformerError(
        "@everyone **x**", discord.AppCommandOptionType.integer, app_commands.Transformer()
    )
    message = known_error_message(error) or ""
    assert "@everyone" not in message
    assert "**x**" not in message


def test_unknown_errors_are_not_known() -> None:
    assert known_error_message(app_commands.AppCommandError("boom")) is None


def test_refs_are_short_and_quoted_in_the_message() -> None:
    ref = new_ref()
    assert len(ref) == 6
    assert ref.isalnum()
    assert f"(ref {ref})" in unexpected_message(ref)
    assert unexpected_message(ref).startswith("Something went wrong")


# --- sync target -----------------------------------------------------------------------------


def test_sync_target_parsing() -> None:
    assert parse_sync_target(None, None) is None
    assert parse_sync_target(None, 99) == 99
    assert parse_sync_target("global", 99) is None
    assert parse_sync_target("1234", None) == 1234
    with pytest.raises(commands.BadArgument):
        parse_sync_target("everywhere", None)


# --- answers and suggestion buttons ----------------------------------------------------------

SUGGEST = Reply(
    ReplyKind.SUGGEST,
    "Did you mean:\n- Job outlook\n- Median salary",
    suggestions=(Suggestion("job-outlook", "Job outlook"), Suggestion("salary-median", "Median salary")),
)


def test_compose_quotes_the_question_safely() -> None:
    content = compose(SUGGEST, question="@everyone\nwhat pays?")
    first, rest = content.split("\n", 1)
    assert first.startswith(QUESTION_PREFIX)
    assert "@everyone" not in first
    assert rest == SUGGEST.text
    assert compose(SUGGEST) == SUGGEST.text


async def test_suggestion_view_has_one_button_per_suggestion() -> None:
    view = suggestion_view(SUGGEST)
    assert view is not None
    assert view.timeout is None
    custom_ids = [item.custom_id for item in view.children]
    assert custom_ids == ["medcoder:ask:job-outlook", "medcoder:ask:salary-median"]
    assert [item.item.label for item in view.children] == ["Job outlook", "Median salary"]


async def test_no_view_for_answers_fallbacks_or_unusable_ids() -> None:
    assert suggestion_view(Reply(ReplyKind.ANSWER, "text", "salary-median", 1.0)) is None
    assert suggestion_view(Reply(ReplyKind.FALLBACK, "text")) is None
    too_long = Reply(ReplyKind.SUGGEST, "t", suggestions=(Suggestion("x" * 100, "X"),))
    assert suggestion_view(too_long) is None


async def test_suggestion_button_label_is_cut_to_discord_limit() -> None:
    button = SuggestionButton("job-outlook", "L" * 200)
    assert len(button.item.label or "") == 80


def test_suggestion_custom_id_template_round_trips() -> None:
    match = SuggestionButton.__discord_ui_compiled_template__.fullmatch(ASK_PREFIX + "salary-by-sector")
    assert match is not None
    assert match["entry_id"] == "salary-by-sector"
    assert SuggestionButton.__discord_ui_compiled_template__.fullmatch("medcoder:steps") is None


# --- steps -----------------------------------------------------------------------------------


def test_steps_summary_comes_from_the_step_data(engine: Engine) -> None:
    text = steps_summary(engine)
    lines = text.splitlines()
    assert [line.split(":")[0] for line in lines if line[:1].isdigit()] == [
        f"{entry.step}. **{entry.short_title}**" for entry in engine.kb.steps()
    ]
    others = [line for line in lines if line.startswith("- ")]
    assert [line.split(":")[0] for line in others] == ["- 3 steps", "- 3 steps", "- 3 steps", "- 5 steps"]
    assert "Specialize" in others[-1] and "Keep up with industry changes" in others[0]


def test_steps_summary_does_not_depend_on_the_overview_prose(engine: Engine) -> None:
    overview = engine.kb.entries["steps-overview"]
    reworded = dataclasses.replace(overview, answer="Just prose, no list at all.")
    entries = {**engine.kb.entries, "steps-overview": reworded}
    kb = dataclasses.replace(engine.kb, entries=entries)
    assert steps_summary(SimpleNamespace(kb=kb)) == steps_summary(engine)  # type: ignore[arg-type]


def test_short_title_drops_step_prefix(engine: Engine) -> None:
    entry = engine.kb.entries["step-experience"]
    assert entry.title == "Step 3: Practical experience" and entry.short_title == "Practical experience"
    assert dataclasses.replace(entry, title="Networking").short_title == "Networking"


# --- structure -------------------------------------------------------------------------------


def test_every_feature_is_an_extension() -> None:
    names = {name.rsplit(".", 1)[1] for name in EXTENSIONS}
    # Subset, not equality: features are added as extensions by parallel work; each is its own module.
    assert {
        "admin",
        "answers",
        "checklist",
        "groups",
        "help",
        "mydata",
        "remind",
        "salary",
        "steps",
        "timezone",
    } <= names


def test_intents_are_minimal_and_unprivileged(clean_env: pytest.MonkeyPatch) -> None:
    intents = bot_intents(Settings(_env_file=None))
    assert intents.guilds
    assert intents.dm_messages
    assert not intents.message_content
    assert not intents.members
    assert not intents.presences
    assert not intents.guild_messages


def test_the_members_intent_is_only_asked_for_when_set(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("MEDCODER_MEMBERS_INTENT", "true")
    intents = bot_intents(Settings(_env_file=None))
    assert intents.members
    assert not intents.presences and not intents.message_content
    bot = create_bot(Settings(_env_file=None, db=tmp_path / "bot.db"))
    assert bot._connection.member_cache_flags.value == 0  # nothing cached...
    assert not bot._connection._chunk_guilds  # ...or fetched at start-up: only the remove event is used


def test_salary_views_map_to_entries() -> None:
    assert set(SALARY_ENTRIES) == {"overview", "position", "sector", "states"}


async def test_command_schema_is_installable_everywhere(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bot = create_bot(Settings(_env_file=None, db=tmp_path / "bot.db"))  # never a medcoder.db in the checkout
    assert bot.allowed_mentions is not None
    assert bot.allowed_mentions.to_dict() == {"parse": []}
    await bot.setup_hook()
    schema = {command.name: command.to_dict(bot.tree) for command in bot.tree.get_commands()}
    assert {"ask", "checklist", "help", "mydata", "salary", "steps", "timezone"} <= set(schema)
    for name, payload in schema.items():
        assert payload["description"], name
        if name in {"group", "groupadmin"}:  # a study group is a server's: guild-only, guild-installed
            assert (payload["contexts"], payload["integration_types"]) == ([0], [0]), name
            continue
        assert sorted(payload["contexts"]) == [0, 1, 2], name
        assert sorted(payload["integration_types"]) == [0, 1], name
        if any(option["type"] == discord.AppCommandOptionType.subcommand.value for option in payload["options"]):
            continue  # a group of personal commands (/checklist, /mydata...): always private, no `private` option
        private = [option for option in payload["options"] if option["name"] == "private"]
        assert private, name
        assert private[0]["type"] == discord.AppCommandOptionType.boolean.value
        assert not private[0]["required"]
    views = next(option for option in schema["salary"]["options"] if option["name"] == "view")
    assert [choice["value"] for choice in views["choices"]] == ["overview", "position", "sector", "states"]
    await bot.close()
