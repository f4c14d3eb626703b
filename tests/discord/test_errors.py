"""The error handlers: known errors get a short private line, bugs a ref that is also in the log."""

from __future__ import annotations

import logging

import pytest

from bot.app import MedcoderBot
from tests.discord.helpers import CALLBACK, REF, dm_messages_path, is_ephemeral, message_bodies, reply_to
from tests.fakediscord import FakeDiscord, payloads, wait_for_handlers

SECRET = "patient Jane Roe, DOB 1970-01-01"
BUG = "engine exploded on purpose"


def explode(*args: object, **kwargs: object) -> None:
    raise RuntimeError(BUG)


def assert_no_internals_sent(fake: FakeDiscord) -> None:
    """No request body carries a traceback, the exception text or what the member typed."""
    for request in fake.requests:
        text = request.text or ""
        for leaked in ("Traceback", "RuntimeError", BUG, "Jane Roe"):
            assert leaked not in text, (leaked, request)


def logged_ref(caplog: pytest.LogCaptureFixture, ref: str) -> logging.LogRecord:
    (record,) = [r for r in caplog.records if f"ref={ref}" in r.getMessage()]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None and str(record.exc_info[1]) == BUG
    return record


async def test_unexpected_error_in_a_command_gives_a_ref_and_logs_it(
    fake: FakeDiscord, medcoder: MedcoderBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(medcoder.engine, "ask", explode)
    interaction = await fake.invoke_slash("ask", {"question": SECRET})
    reply = await reply_to(fake, interaction)
    body = reply.json["data"]
    assert is_ephemeral(body)
    match = REF.match(body["content"])
    assert match is not None, body["content"]
    record = logged_ref(caplog, match["ref"])
    message = record.getMessage()
    assert "command=ask" in message and f"interaction={interaction['id']}" in message
    assert "Jane Roe" not in message  # option values are never logged
    assert_no_internals_sent(fake)


async def test_an_expired_interaction_is_logged_and_the_handler_does_not_raise(
    fake: FakeDiscord, medcoder: MedcoderBot, caplog: pytest.LogCaptureFixture
) -> None:
    # Discord answers 404 "Unknown interaction" when the bot took longer than 3 s: both the answer
    # and the error reply fail, and the handler must only log that.
    fake.fail_next("POST", CALLBACK, payloads.UNKNOWN_INTERACTION, times=2)
    await fake.invoke_slash("help")
    await fake.wait_for_request("POST", CALLBACK)
    await fake.wait_for_request("POST", CALLBACK)
    await wait_for_handlers()
    (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "Unhandled error ref=" in error.getMessage() and "command=help" in error.getMessage()
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage().startswith("Could not send an error reply")
    assert all(r.status == 404 for r in fake.find_requests("POST", CALLBACK))


@pytest.mark.lexical
async def test_unexpected_error_in_a_button_gives_a_ref(
    fake: FakeDiscord, medcoder: MedcoderBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await reply_to(fake, await fake.invoke_slash("ask", {"question": "coder courses"}))
    monkeypatch.setattr(medcoder.engine, "answer_entry", explode)
    clicked = await reply_to(fake, await fake.click(fake.last_bot_message(), "medcoder:ask:where-to-study"))
    assert is_ephemeral(clicked.json["data"])
    match = REF.match(clicked.json["data"]["content"])
    assert match is not None
    assert "custom_id=medcoder:ask:where-to-study" in logged_ref(caplog, match["ref"]).getMessage()
    assert_no_internals_sent(fake)


async def test_unexpected_error_in_the_steps_menu_gives_a_ref(
    fake: FakeDiscord, medcoder: MedcoderBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await reply_to(fake, await fake.invoke_slash("steps"))
    monkeypatch.setattr(medcoder.engine, "answer_entry", explode)
    chosen = await reply_to(fake, await fake.select(fake.last_bot_message(), "medcoder:steps", ["step-education"]))
    assert is_ephemeral(chosen.json["data"])
    match = REF.match(chosen.json["data"]["content"])
    assert match is not None
    logged_ref(caplog, match["ref"])
    assert_no_internals_sent(fake)


async def test_unexpected_error_in_a_dm_gives_a_ref_and_never_logs_the_text(
    fake: FakeDiscord, medcoder: MedcoderBot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    monkeypatch.setattr(medcoder.engine, "ask", explode)
    sent = await fake.send_dm(SECRET)
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    match = REF.match(request.json["content"])
    assert match is not None
    assert f"message={sent['id']}" in logged_ref(caplog, match["ref"]).getMessage()
    assert not any("Jane Roe" in r.getMessage() for r in caplog.records)
    assert_no_internals_sent(fake)


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("salary", {"view": "yearly"}, "I couldn't use “yearly” for that option."),
        ("retired-command", None, "That command has changed since your app loaded it; try again in a minute."),
    ],
)
@pytest.mark.usefixtures("medcoder")
async def test_known_errors_get_a_short_private_line(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture, name: str, options: dict[str, str] | None, expected: str
) -> None:
    reply = await reply_to(fake, await fake.invoke_slash(name, options))
    assert reply.json["data"]["content"] == expected
    assert is_ephemeral(reply.json["data"])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert all(not REF.search(body.get("content") or "") for body in message_bodies(fake))
