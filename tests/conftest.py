"""Shared fixtures: the real packaged knowledge base, loaded once per session."""

from __future__ import annotations

import pytest

from bot.core import Engine

pytest_plugins = ["tests.fakediscord.fixtures", "tests.pg"]


def pytest_configure(config: pytest.Config) -> None:
    # Here, not in pyproject.toml: CI also runs these tests from a copy of tests/ against the installed wheel.
    config.addinivalue_line(
        "markers", "lexical: the Discord test's bot answers with the lexical matcher alone (MEDCODER_READER=false)"
    )


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.load()


@pytest.fixture(scope="session")
def lexical_engine() -> Engine:
    """The same knowledge base answered by the lexical matcher alone (no models): for its own rules."""
    return Engine.load(semantic=False)
