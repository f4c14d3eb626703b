"""One way to wire a feature: every button and menu class is registered by its own cog's cog_load."""

from __future__ import annotations

import ast
from pathlib import Path

import bot
from bot.app import MedcoderBot
from tests.fakediscord import FakeDiscord

BOT = Path(bot.__file__).resolve().parent  # the package under test: the checkout, or the installed wheel in CI


def dynamic_item_classes() -> set[str]:
    """Names of the classes in the bot's source that subclass discord.ui.DynamicItem (directly or via OwnerChoice)."""
    found: dict[str, list[str]] = {}
    for path in BOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found[node.name] = [ast.unparse(base) for base in node.bases]
    dynamic = {name for name, bases in found.items() if any("DynamicItem" in base for base in bases)}
    changed = True
    while changed:  # subclasses of those (OwnerChoice's confirm/cancel pairs)
        more = {name for name, bases in found.items() if any(base in dynamic for base in bases)}
        changed = not more <= dynamic
        dynamic |= more
    return dynamic - {"OwnerChoice"}  # an abstract base: never registered itself


def test_dynamic_items_are_only_registered_in_cog_load() -> None:
    for path in BOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                name = ast.unparse(call.func)
                if name.endswith(("add_dynamic_items", "remove_dynamic_items")):
                    assert function.name in {"cog_load", "cog_unload"}, f"{path.name}: {function.name} calls {name}"


def test_every_button_and_menu_of_the_bot_is_registered(fake: FakeDiscord, medcoder: MedcoderBot) -> None:
    registered = {item.__name__ for item in medcoder._connection._view_store._dynamic_items.values()}
    assert registered == dynamic_item_classes()
