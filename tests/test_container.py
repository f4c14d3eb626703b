"""The container files, checked for structure (no Docker engine runs here or on CI).

What matters and can be read without building: a multi-stage build on a slim base, an unprivileged
user, the bot as the command, no secrets or databases copied in, and a compose file whose bot
processes wait for a healthy PostgreSQL, split the shards between them exactly once, get the settings
put in `.env`, and share a password that must be given.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from dotenv import dotenv_values

from bot.settings import parse_shard_range

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def test_the_image_is_multi_stage_slim_and_runs_as_a_user() -> None:
    steps = instructions()
    bases = [rest for keyword, rest in steps if keyword == "FROM"]
    assert len(bases) >= 2 and all("slim" in base for base in bases)
    final = steps[max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM") :]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    [cmd] = [rest for keyword, rest in final if keyword == "CMD"]
    assert cmd.startswith("[") and yaml.safe_load(cmd)[:2] == ["medcoder-bot", "run"]


def test_nothing_secret_or_local_is_copied_in() -> None:
    copied = [rest for keyword, rest in instructions() if keyword in {"COPY", "ADD"}]
    sources = [part for rest in copied for part in shlex.split(rest)[:-1] if not part.startswith("--")]
    assert sources and not any(re.search(r"\.env|\.db|^\.$|^\*", source) for source in sources), sources
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored and "*.db" in ignored  # belt and braces for any later `COPY .`


def test_compose_runs_two_processes_on_a_healthy_postgres_splitting_the_shards() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services, volumes = compose["services"], compose["volumes"]
    db = services["db"]
    assert db["image"].startswith("postgres") and "healthcheck" in db
    assert any(volume.split(":")[0] in volumes for volume in db["volumes"])  # a named volume
    bots = {name: service for name, service in services.items() if name != "db"}
    assert len(bots) == 2
    covered: list[int] = []
    counts = set()
    for service in bots.values():
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
        env = service["environment"]
        assert env["MEDCODER_DATABASE_URL"].startswith("postgresql://") and "@db:" in env["MEDCODER_DATABASE_URL"]
        counts.add(int(env["MEDCODER_SHARD_COUNT"]))
        covered.extend(parse_shard_range(env["MEDCODER_SHARDS"]))
    [count] = counts
    assert sorted(covered) == list(range(count))  # every shard exactly once, shard 0 (DMs) included


def bot_services() -> dict[str, dict[str, Any]]:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))["services"]
    return {name: service for name, service in services.items() if name != "db"}


def test_compose_passes_env_to_the_bots_without_requiring_the_file() -> None:
    """MEDCODER_DEV_GUILD, MEDCODER_OWNER_IDS, MEDCODER_LOG_LEVEL put in .env reach the bots; as the
    file's comment says, a missing .env is no error (the variables may be exported instead)."""
    for name, service in bot_services().items():
        entries = service["env_file"]
        entries = entries if isinstance(entries, list) else [entries]
        files = [entry if isinstance(entry, dict) else {"path": entry} for entry in entries]
        assert {"path": ".env", "required": False} in files, name


def test_an_env_copied_from_the_example_leaves_what_the_containers_rely_on() -> None:
    """`environment` wins over `env_file`: the example's 127.0.0.1 metrics host or text logs do not apply."""
    example = {key: value or "" for key, value in dotenv_values(ROOT / ".env.example").items()}
    assert {"MEDCODER_METRICS_HOST", "MEDCODER_LOG_FORMAT", "POSTGRES_PASSWORD"} <= set(example)
    for name, service in bot_services().items():
        env = {**example, **service["environment"]}
        assert env["MEDCODER_METRICS_HOST"] == "0.0.0.0" and env["MEDCODER_METRICS_PORT"] == "9100", name
        assert env["MEDCODER_LOG_FORMAT"] == "json", name
        assert env["MEDCODER_DATABASE_URL"].startswith("postgresql://"), name


def test_compose_has_no_default_password() -> None:
    """Every use of POSTGRES_PASSWORD stops compose when it is unset or empty (`:?`); none falls back."""
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    uses = re.findall(r"\$\{?POSTGRES_PASSWORD[^}]*\}?", text)
    assert len(uses) == 2 and all(use.startswith("${POSTGRES_PASSWORD:?") for use in uses), uses
    compose = yaml.safe_load(text)
    assert compose["services"]["db"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    for name, service in bot_services().items():
        assert ":${POSTGRES_PASSWORD:?" in service["environment"]["MEDCODER_DATABASE_URL"], name
