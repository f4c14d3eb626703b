"""Typed settings for the Discord bot, read from the environment and `.env`.

One place knows the variable names and parses their values, so a typo in a value stops start-up
with the variable's name instead of failing later mid-conversation. (The CLI's quick start only
peeks at `DISCORD_TOKEN` to choose between the Discord bot and the terminal chat.)

Why no settings library: these are a dozen scalar variables. pydantic-settings (used before) loaded
pydantic and every configuration source it supports (cloud secret stores, TOML, a CLI parser) on
each start: about 80 ms and 10 MB, more than everything else the bot adds to a bare discord.py bot.
Invalid values raise `InvalidSettings`, naming every bad variable at once.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]
ENV_PREFIX = "MEDCODER_"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class UnusableSetting(Exception):
    """A setting that parsed but cannot be used at start-up (a metrics port in use): said in one line."""


class InvalidSettings(ValueError):
    """One or more settings cannot be parsed: `errors` holds (field, reason) pairs, a field of "" for
    a problem of several settings together, whose reason names them (so it stands alone in `describe`).
    """

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" if field else reason for field, reason in errors))

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """The problems in one line, each variable named as the user sets it (`MEDCODER_DEV_GUILD: …`),
        or by `names` (field -> a command-line option) for the values that came from elsewhere."""
        text = "; ".join(f"{Settings.env_name(field)}: {reason}" if field else reason for field, reason in self.errors)
        for field, name in (names or {}).items():
            text = text.replace(Settings.env_name(field), name)
        return text


class SecretStr:
    """A value kept out of `repr` and `str` (tokens, database passwords), so logs and tracebacks never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __repr__(self) -> str:
        return f"SecretStr('{self}')"


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


def _whole(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"must be a whole number, got {value!r}")


def _bounded(low: int | None = None, high: int | None = None) -> Callable[[object], int]:
    def check(value: object) -> int:
        number = _whole(value)
        if low is not None and number < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and number > high:
            raise ValueError(f"must be at most {high}")
        return number

    return check


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "on", "t", "true", "y", "yes"}:
        return True
    if text in {"0", "off", "f", "false", "n", "no"}:
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def reader_enabled(env_file: str | Path | None = ".env") -> bool:
    """`MEDCODER_READER` alone (default true), from the environment and `.env` as `Settings` reads it, for
    the terminal commands: they need no other setting, so a bad Discord setting must not stop `ask`.
    Raises ValueError for a value not a flag."""
    return _flag(_environment(env_file).get("reader", "true"))


def _one_of(choices: tuple[str, ...], *, upper: bool = False) -> Callable[[object], str]:
    def check(value: object) -> str:
        text = _text(value).strip()
        text = text.upper() if upper else text
        if text not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return text

    return check


def _token(value: object) -> SecretStr | None:
    """A blank or whitespace-only token means "no token", so the runner can say so clearly."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    text = _text(value).strip()
    return SecretStr(text) if text else None


def _postgres_url(value: object) -> SecretStr:
    """Only PostgreSQL URLs that connect could read: a typo fails at start-up, not at the first query."""
    url = (value.get_secret_value() if isinstance(value, SecretStr) else _text(value)).strip()
    if not url.startswith(POSTGRES_SCHEMES):
        raise ValueError("must be a postgresql:// URL (leave it unset to use SQLite at MEDCODER_DB)")
    parse_postgres_url(url)
    return SecretStr(url)


def _shard_range(value: object) -> str:
    text = _text(value)
    parse_shard_range(text)
    return text


def _owner_ids(value: object) -> frozenset[int]:
    """A single id (`MEDCODER_OWNER_IDS=123`) or a JSON list (`[123, 456]`)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"must be one id or a JSON list of ids, e.g. [123, 456]; got {value!r}") from None
    if isinstance(value, int) and not isinstance(value, bool):
        return frozenset({value})
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError("must be one id or a JSON list of ids, e.g. [123, 456]")
    return frozenset(_whole(item) for item in value)


# Each field's parser; a value given in Python (an override, a test) goes through the same one.
_PARSERS: dict[str, Callable[[Any], Any]] = {
    "discord_token": _token,
    "db": Path,
    "database_url": _postgres_url,
    "dev_guild": _whole,
    "shard_count": _bounded(low=1),
    "shards": _shard_range,
    "log_level": _one_of(get_args(LogLevel), upper=True),
    "log_format": _one_of(get_args(LogFormat)),
    "metrics_port": _bounded(low=1, high=65535),
    "metrics_host": _text,
    "owner_ids": _owner_ids,
    "record_unanswered": _flag,
    "unanswered_cap": _bounded(low=1),
    "members_intent": _flag,
    "reader": _flag,
}
_BLANK_IS_NONE = {"discord_token", "database_url", "dev_guild", "shard_count", "shards", "metrics_port"}


@dataclass(frozen=True, init=False)
class Settings:
    """Everything the bot needs from its environment; defaults work for local development.

    Variables: `DISCORD_TOKEN`, `MEDCODER_DB`, `MEDCODER_DATABASE_URL`, `MEDCODER_DEV_GUILD`,
    `MEDCODER_LOG_LEVEL`, `MEDCODER_LOG_FORMAT`, `MEDCODER_OWNER_IDS`, `MEDCODER_SHARD_COUNT`,
    `MEDCODER_SHARDS`, `MEDCODER_RECORD_UNANSWERED`, `MEDCODER_UNANSWERED_CAP`, `MEDCODER_METRICS_PORT`,
    `MEDCODER_METRICS_HOST`, `MEDCODER_MEMBERS_INTENT`, `MEDCODER_READER` (see `.env.example`). Names are
    case-insensitive; an empty value (`NAME=`, as copied from .env.example) means the default. Keyword
    arguments (command-line options, tests) win over real environment variables, which win over `.env`;
    `_env_file=None` skips `.env`.
    """

    # Discord's own name for it, so it carries no MEDCODER_ prefix.
    discord_token: SecretStr | None = None
    db: Path = Path("medcoder.db")
    # postgresql://… to share one PostgreSQL database between several bot processes; unset: SQLite at `db`.
    database_url: SecretStr | None = None
    dev_guild: int | None = None
    # Sharding, for a bot in thousands of servers run as several processes: how many shards in all,
    # and which of them this process runs ("A-B", inclusive). Unset: Discord's recommended count, all here.
    shard_count: int | None = None
    shards: str | None = None
    log_level: LogLevel = "INFO"
    # "text" (the default; coloured only on a terminal) or "json": one object per line, for collectors.
    log_format: LogFormat = "text"
    # Health and Prometheus metrics over HTTP, off unless a port is given; loopback unless a host is.
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    owner_ids: frozenset[int] = frozenset()
    # Count questions the knowledge base could not answer (cleaned text only, no member id), keeping
    # at most `unanswered_cap` distinct texts; `medcoder-bot kb gaps` reports them.
    record_unanswered: bool = True
    unanswered_cap: int = 1000
    # Discord's privileged Server Members intent (switch it on in the Developer Portal too): with it, a
    # member who leaves a server also leaves its study group. Without it the bot never hears of it.
    members_intent: bool = False
    # The answer pipeline's semantic models (about 100 MB more memory, loaded in a thread after start-up).
    # Off: answers come from the lexical matcher alone, which answers fewer questions and gets more wrong.
    reader: bool = True

    def __init__(self, _env_file: str | Path | None = ".env", **overrides: Any) -> None:
        raw = _environment(_env_file)
        raw.update((name, value) for name, value in overrides.items() if name in _PARSERS)
        errors: list[tuple[str, str]] = []
        for name, parse in _PARSERS.items():
            if name not in raw:
                continue
            value = raw[name]
            if value is None or (name in _BLANK_IS_NONE and isinstance(value, str) and not value.strip()):
                object.__setattr__(self, name, None)
                continue
            try:
                object.__setattr__(self, name, parse(value))
            except ValueError as error:
                errors.append((name, str(error)))
        if not errors:
            errors.extend(self._shards_fit_the_count())
        if errors:
            raise InvalidSettings(errors)

    def _shards_fit_the_count(self) -> list[tuple[str, str]]:
        """A range needs the total (every process must agree on it) and must lie inside it."""
        if self.shards is None:
            return []
        if self.shard_count is None:
            return [("", "MEDCODER_SHARDS needs MEDCODER_SHARD_COUNT (the total number of shards)")]
        if max(parse_shard_range(self.shards)) >= self.shard_count:
            return [("", f"MEDCODER_SHARDS {self.shards} is outside 0-{self.shard_count - 1}")]
        return []

    @property
    def database_dsn(self) -> str | None:
        """The PostgreSQL URL in clear, for the store factory only (never log it: it may hold a password)."""
        return None if self.database_url is None else self.database_url.get_secret_value()

    @property
    def database_label(self) -> str:
        """Where the data lives, for messages: the SQLite path or the PostgreSQL URL without its password."""
        if self.database_url is None:
            return str(self.db)
        return parse_postgres_url(self.database_url.get_secret_value()).label

    @property
    def shard_ids(self) -> list[int] | None:
        """The shards this process runs, or None for all of them."""
        return None if self.shards is None else parse_shard_range(self.shards)

    @classmethod
    def env_name(cls, field: str) -> str:
        """The environment variable behind a field, for messages about a bad value."""
        if field == "discord_token":
            return "DISCORD_TOKEN"
        return f"{ENV_PREFIX}{field.upper()}" if field in {f.name for f in fields(cls)} else field

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def _environment(env_file: str | Path | None) -> dict[str, str]:
    """The raw values by field name: `.env` first, then the real environment over it; empty values dropped."""
    sources: list[Mapping[str, str | None]] = []
    if env_file is not None and Path(env_file).is_file():
        from dotenv import dotenv_values  # noqa: PLC0415  (only a process that has a .env pays for the parser)

        sources.append(dotenv_values(env_file, encoding="utf-8"))
    sources.append(os.environ)
    names = {Settings.env_name(name).lower(): name for name in _PARSERS}
    raw: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            name = names.get(key.lower())
            if name is not None and value:
                raw[name] = value
    return raw


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


@dataclass(frozen=True)
class PostgresUrl:
    """A PostgreSQL URL taken apart as asyncpg reads it; `label` is where it points, without credentials."""

    scheme: str
    hosts: str  # as written after the @: "db:5432", "h1:5432,h2", or "" for the defaults (a local socket)
    database: str  # "" when not given: PostgreSQL then uses the user's name

    @property
    def label(self) -> str:
        return f"{self.scheme}://{self.hosts}/{self.database}" if self.database else f"{self.scheme}://{self.hosts}"


# Said after a reason whose cause may be a password that breaks the URL's syntax.
_ENCODE_HINT = "percent-encode any : / ? # [ ] @ in the user name or password (@ as %40)"
_PORT = re.compile(r"[0-9]+")
_IPV6_HOST = re.compile(r"\[[^\]]+\](?::(.*))?")


def parse_postgres_url(url: str) -> PostgresUrl:
    """Check everything about a PostgreSQL URL that can be checked without connecting.

    Why here and not at the first connection: asyncpg reports a malformed URL only when it connects
    (the bot has logged in to Discord by then), and as a `ValueError` from deep in its parser. The
    rules follow asyncpg's: the first @ ends the credentials; hosts are a comma-separated list, each
    `host[:port]`, `[IPv6][:port]` or a socket directory; `?host=` and `?port=` work the same way.
    Raises `ValueError` with a reason that never quotes the URL, since any part of it may be (a piece
    of) the password.
    """
    from urllib.parse import parse_qs, urlsplit  # noqa: PLC0415  (only when PostgreSQL is configured)

    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {s.removesuffix("://") for s in POSTGRES_SCHEMES}:
        raise ValueError("must start with postgresql://")
    try:
        parts = urlsplit(url)
    except ValueError:
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        if "[" in authority or "]" in authority:
            reason = "its host has a [ or ] but is not an IPv6 address in brackets ([::1])"
        else:
            reason = "is not a URL that can be read"
        raise ValueError(f"{reason}; {_ENCODE_HINT}") from None
    try:
        query = parse_qs(parts.query, strict_parsing=True) if parts.query else {}
    except ValueError:
        raise ValueError(f"its query (after the ?) is not name=value pairs joined by &; {_ENCODE_HINT}") from None
    credentials, at, hosts = parts.netloc.partition("@")
    hosts = hosts if at else credentials
    if "@" in hosts:
        raise ValueError(f"has more than one @ before the host; {_ENCODE_HINT}")
    if hosts:
        _check_hosts(hosts)
    if "host" in query:
        _check_hosts(query["host"][-1])
    if "port" in query:
        for port in query["port"][-1].split(","):
            _check_port(port, "its ?port=", hint="")
    database = parts.path.removeprefix("/")
    if "/" in database:
        raise ValueError("its database name (after the host's /) holds another /")
    return PostgresUrl(parts.scheme, hosts, database)


def _check_hosts(hosts: str) -> None:
    for host in hosts.split(","):
        if not host:
            raise ValueError("its list of hosts has an empty entry (two commas, or one at an end)")
        if host.startswith("/"):  # a socket directory: no port
            continue
        if host.startswith("["):
            match = _IPV6_HOST.fullmatch(host)
            if match is None:
                raise ValueError(f"its IPv6 host must be written in brackets, as [::1] or [::1]:5432; {_ENCODE_HINT}")
            port = match[1] or ""
        else:
            port = host.partition(":")[2]
        if port:
            _check_port(port, "its port", hint=f"; {_ENCODE_HINT}")


def _check_port(text: str, what: str, *, hint: str) -> None:
    if _PORT.fullmatch(text) is None or not 1 <= int(text) <= 65535:
        raise ValueError(f"{what} is not a number from 1 to 65535{hint}")
