"""Shared fixtures: the real packaged knowledge base, loaded once per session."""

from __future__ import annotations

import pytest

from bot.core import Engine

pytest_plugins = ["tests.fakediscord.fixtures", "tests.pg"]


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="session")
def lexical_engine() -> Engine:
    """The same knowledge base answered by the lexical matcher alone (no models): for its own rules."""
    return Engine.load(semantic=False)
