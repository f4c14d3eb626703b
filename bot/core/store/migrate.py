"""The one migration history: numbered SQL files, each holding the SQL of both databases.

Why files and a version table: the schema is readable SQL, every database records exactly which
files it has seen, and an old bot pointed at a newer database stops with a clear message instead
of writing rows the newer schema doesn't expect. Each backend applies the files in order, each in
its own transaction, so a failing one leaves the database at the previous version.

Why one file per version for both databases: a schema change is one edit in one place. SQL that
both accept is written once; where they differ (types, identity columns), a `-- dialect: sqlite`
or `-- dialect: postgresql` line starts a section for that database only, and `-- dialect: all`
ends it. A file without such lines applies as written to both.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Literal

from bot.core.store.base import StoreError

FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
DIALECT_LINE = re.compile(r"--\s*dialect:\s*(\w+)\s*")
Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def split_statements(sql: str) -> list[str]:
    """Split a script into statements, keeping semicolons inside strings, comments and triggers."""
    statements, chunk = [], ""
    *pieces, rest = sql.split(";")
    for piece in pieces:
        chunk += piece + ";"
        if sqlite3.complete_statement(chunk):
            statements.append(chunk.strip())
            chunk = ""
    if _has_code(chunk + rest):
        raise StoreError(f"unterminated SQL statement: {(chunk + rest).strip()[:80]!r}")
    return [s for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in statement.rstrip(";").splitlines())


def for_dialect(sql: str, dialect: Dialect) -> str:
    """The part of a migration file that `dialect` runs: the common text and its own sections."""
    kept, current = [], "all"
    for line in sql.splitlines():
        marker = DIALECT_LINE.fullmatch(line.strip())
        if marker:
            current = marker[1]
            if current not in (*DIALECTS, "all"):
                raise StoreError(f"unknown dialect {current!r} in a migration (use sqlite, postgresql or all)")
            continue
        if current in ("all", dialect):
            kept.append(line)
    return "\n".join(kept)


def load_migrations(directory: Traversable | Path | None = None, *, dialect: Dialect = "sqlite") -> list[Migration]:
    """`dialect`'s statements from the migration files of `directory` (default: the packaged ones),
    checked to be numbered 1..n."""
    folder = directory if directory is not None else resources.files("bot.core.store") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = FILE_NAME.fullmatch(entry.name)
        if match is None:
            raise StoreError(f"migration file {entry.name!r} is not named like 0001_what_it_does.sql")
        text = entry.read_text(encoding="utf-8")
        found.append(Migration(int(match[1]), match[2], tuple(split_statements(for_dialect(text, dialect)))))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"migrations must be numbered 1..n without gaps or repeats, found {versions}")
    return found
