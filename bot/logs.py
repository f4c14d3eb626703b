"""Logging for the running bot: plain text (the default) or one JSON object per line, never colour off a terminal.

Why our own set-up instead of `discord.utils.setup_logging`: discord.py turns ANSI colour on whenever
it guesses the stream can show it, and inside Docker it guesses yes, so log files and collectors get
escape codes. Here colour is used only when the stream is a real terminal, and
`MEDCODER_LOG_FORMAT=json` writes what log collectors parse: time, level, logger, message, the
shard when the record has one, and any extra fields.

Privacy: discord.py's gateway and HTTP loggers (whole events and request bodies) and the database
drivers' loggers (statements with their parameters) print members' words at DEBUG, so they never go
below INFO, whatever the level; the bot's own log lines never contain message text (see
`bot.utils.errors`).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]

# At DEBUG these loggers print what members wrote: discord.py's whole gateway events and request bodies
# (DM text, questions), and the database drivers' statements with their parameters (reminder notes,
# unanswered questions). They never go below INFO, whatever the configured level.
PRIVATE_LOGGERS = ("discord.gateway", "discord.http", "discord.webhook.async_", "aiosqlite", "asyncpg")
TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
COLOUR = {
    logging.DEBUG: "\x1b[40;1m",
    logging.INFO: "\x1b[34;1m",
    logging.WARNING: "\x1b[33;1m",
    logging.ERROR: "\x1b[31m",
    logging.CRITICAL: "\x1b[41m",
}
RESET = "\x1b[0m"
# The attributes every LogRecord has; anything else on a record is an `extra` field worth keeping.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, shard, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "shard": getattr(record, "shard_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in entry and key != "shard_id":
                entry[key] = value if isinstance(value, str | int | float | bool | type(None)) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class ColourFormatter(logging.Formatter):
    """The text format with the level coloured: only ever attached to a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        colour = COLOUR.get(record.levelno)
        return text.replace(record.levelname, f"{colour}{record.levelname}{RESET}", 1) if colour else text


def formatter_for(stream: TextIO, log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return ColourFormatter(TEXT_FORMAT)
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(level: int, log_format: LogFormat = "text", stream: TextIO | None = None) -> None:
    """One handler on the root logger (replacing any this function set before), the private loggers capped."""
    stream = stream if stream is not None else sys.stderr
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_medcoder", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter_for(stream, log_format))
    handler._medcoder = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in PRIVATE_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, level))
