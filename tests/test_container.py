"""The container files, checked for structure (no Docker engine runs here or on CI).

What matters and can be read without building: a multi-stage build on a slim base, an unprivileged
user, the bot as the command, no secrets or databases copied in, and a compose file whose bot
processes wait for a healthy PostgreSQL and split the shards between them exactly once.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

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
