"""Typed settings for the Discord bot, read from the environment and `.env`.

One place knows the variable names and parses their values, so a typo in a value stops start-up
with the variable's name instead of failing later mid-conversation. (The CLI's quick start only
peeks at `DISCORD_TOKEN` to choose between the Discord bot and the terminal chat.)
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class UnusableSetting(Exception):
    """A setting that parsed but cannot be used at start-up (a metrics port in use): said in one line."""


class Settings(BaseSettings):
    """Everything the bot needs from its environment; defaults work for local development.

    Variables: `DISCORD_TOKEN`, `MEDCODER_DB`, `MEDCODER_DATABASE_URL`, `MEDCODER_DEV_GUILD`,
    `MEDCODER_LOG_LEVEL`, `MEDCODER_LOG_FORMAT`, `MEDCODER_OWNER_IDS`, `MEDCODER_SHARD_COUNT`,
    `MEDCODER_SHARDS`, `MEDCODER_RECORD_UNANSWERED`, `MEDCODER_UNANSWERED_CAP`, `MEDCODER_METRICS_PORT`,
    `MEDCODER_METRICS_HOST` (see `.env.example`).
    Real environment variables win over `.env`.
    """

    model_config = SettingsConfigDict(
        env_prefix="MEDCODER_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # `NAME=` (as copied from .env.example) means "use the default"
        extra="ignore",  # `.env` may hold variables for other tools
        frozen=True,
    )

    # Discord's own name for it, so it carries no MEDCODER_ prefix.
    discord_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DISCORD_TOKEN", "discord_token")
    )
    db: Path = Path("medcoder.db")
    # postgresql://… to share one PostgreSQL database between several bot processes; unset: SQLite at `db`.
    database_url: SecretStr | None = None
    dev_guild: int | None = None
    # Sharding, for a bot in thousands of servers run as several processes: how many shards in all,
    # and which of them this process runs ("A-B", inclusive). Unset: Discord's recommended count, all here.
    shard_count: int | None = Field(default=None, ge=1)
    shards: str | None = None
    log_level: LogLevel = "INFO"
    # "text" (the default; coloured only on a terminal) or "json": one object per line, for collectors.
    log_format: Literal["text", "json"] = "text"
    # Health and Prometheus metrics over HTTP, off unless a port is given; loopback unless a host is.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    owner_ids: frozenset[int] = frozenset()
    # Count questions the knowledge base could not answer (cleaned text only, no member id), keeping
    # at most `unanswered_cap` distinct texts; `medcoder-bot kb gaps` reports them.
    record_unanswered: bool = True
    unanswered_cap: int = Field(default=1000, ge=1)

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_missing(cls, value: object) -> object:
        """A blank or whitespace-only token means "no token", so the runner can say so clearly."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Only PostgreSQL URLs: a typo (or a sqlite:// URL) fails at start-up, not at the first query."""
        if value is not None and not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL (leave it unset to use SQLite at MEDCODER_DB)")
        return value

    @property
    def database_dsn(self) -> str | None:
        """The PostgreSQL URL in clear, for the store factory only (never log it: it may hold a password)."""
        return None if self.database_url is None else self.database_url.get_secret_value()

    @property
    def database_label(self) -> str:
        """Where the data lives, for messages: the SQLite path or the PostgreSQL URL without its password."""
        if self.database_url is None:
            return str(self.db)
        from urllib.parse import urlsplit  # noqa: PLC0415

        parts = urlsplit(self.database_url.get_secret_value())
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        return f"{parts.scheme}://{netloc}{parts.path}"

    @field_validator("shards")
    @classmethod
    def _shard_range(cls, value: str | None) -> str | None:
        if value is not None:
            parse_shard_range(value)
        return value

    @model_validator(mode="after")
    def _shards_fit_the_count(self) -> Settings:
        """A range needs the total (every process must agree on it) and must lie inside it."""
        if self.shards is not None:
            if self.shard_count is None:
                raise ValueError("MEDCODER_SHARDS needs MEDCODER_SHARD_COUNT (the total number of shards)")
            if max(parse_shard_range(self.shards)) >= self.shard_count:
                raise ValueError(f"MEDCODER_SHARDS {self.shards} is outside 0-{self.shard_count - 1}")
        return self

    @property
    def shard_ids(self) -> list[int] | None:
        """The shards this process runs, or None for all of them."""
        return None if self.shards is None else parse_shard_range(self.shards)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("owner_ids", mode="before")
    @classmethod
    def _one_id_is_a_set(cls, value: object) -> object:
        """Accept a single id (`MEDCODER_OWNER_IDS=123`) as well as a JSON list (`[123, 456]`)."""
        if isinstance(value, int):
            return {value}
        return value

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable behind a field, for messages about a bad value."""
        if field == "discord_token":
            return "DISCORD_TOKEN"
        return f"MEDCODER_{field.upper()}" if field in cls.model_fields else field

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def parse_shard_range(text: str) -> list[int]:
    """ "0-3" -> [0, 1, 2, 3]; "5" -> [5]. Raises ValueError for anything else."""
    first, _, last = text.strip().partition("-")
    try:
        start, end = int(first), int(last or first)
    except ValueError:
        raise ValueError(f"shards must look like A-B (e.g. 0-3), got {text!r}") from None
    if not 0 <= start <= end:
        raise ValueError(f"shards must look like A-B with 0 <= A <= B, got {text!r}")
    return list(range(start, end + 1))
