"""What a user installs is what was tested: the wheel ships every file, and the bot it gives is whole.

Why: the package list was once kept by hand and left out two extensions, so `pip install .` gave a
bot without `/ask`, DM answers or study groups, while the editable install the tests used read the
source tree and saw nothing wrong. `.ci/run` installs the wheel built from a clean clone into a fresh
virtual environment and runs this module (and the Discord tests) from a copy of `tests/`, with the
source tree off `sys.path`; it sets `MEDCODER_SOURCE_TREE` to the clone. In a plain `pytest` run the
bot tests below still run, against whatever `bot` is importable.
"""

from __future__ import annotations

import os
import subprocess
from importlib import metadata
from pathlib import Path

import pytest

import bot
from bot.app import MedcoderBot
from bot.exts import EXTENSIONS
from tests.discord.helpers import dm_messages_path
from tests.fakediscord import FakeDiscord

SOURCE_TREE = os.environ.get("MEDCODER_SOURCE_TREE")
installed_only = pytest.mark.skipif(not SOURCE_TREE, reason="checks the installed wheel; .ci/run sets it up")


def tracked_package_files(source: Path) -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "bot"], cwd=source, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return {path for path in listed if not path.endswith("/.gitignore")}


@installed_only
def test_bot_is_imported_from_the_installed_wheel_not_the_source_tree() -> None:
    assert SOURCE_TREE is not None
    package = Path(bot.__file__).resolve()
    assert not package.is_relative_to(Path(SOURCE_TREE).resolve() / "bot"), package
    assert "site-packages" in package.parts, package


@installed_only
def test_every_tracked_module_and_data_file_is_installed() -> None:
    assert SOURCE_TREE is not None
    files = metadata.files("medcoder-bot") or []
    installed = {str(f) for f in files if str(f).startswith("bot/")}
    missing = tracked_package_files(Path(SOURCE_TREE)) - installed
    assert not missing, f"tracked under bot/ but not in the wheel: {sorted(missing)}"


def test_every_extension_module_is_found() -> None:
    """Extensions are discovered on disk, so the installed package must hold the ones the features need."""
    root = Path(bot.__file__).resolve().parent / "exts"
    on_disk = {
        f"bot.exts.{path.relative_to(root).parts[0].removesuffix('.py')}"
        for path in root.iterdir()
        if not path.name.startswith("_") and (path.suffix == ".py" or (path / "__init__.py").is_file())
    }
    assert set(EXTENSIONS) == on_disk
    assert {"bot.exts.answers", "bot.exts.groups", "bot.exts.checklist", "bot.exts.remind"} <= on_disk


async def test_the_bot_loads_every_extension_syncs_every_command_and_answers_a_dm(
    fake: FakeDiscord, medcoder: MedcoderBot
) -> None:
    assert sorted(medcoder.extensions) == sorted(EXTENSIONS)
    synced = await medcoder.tree.sync()
    names = {command.name for command in synced}
    expected = {"ask", "steps", "salary", "checklist", "remind", "timezone", "mydata", "help", "group", "groupadmin"}
    assert expected <= names, f"missing: {sorted(expected - names)}"
    assert {c["name"] for c in fake.global_commands} == names

    await fake.send_dm("how much does a CPC make")
    request = await fake.wait_for_request("POST", dm_messages_path(fake))
    assert "$54,590" in request.json["content"]
