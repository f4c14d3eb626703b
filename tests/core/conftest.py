"""Fixtures the store and scheduler tests share: a fake clock and a store on each backend.

`store` runs every test that uses it twice, on SQLite and on PostgreSQL (`tests.pg.backend`). A
module that needs another starting time overrides `clock`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.core.store import Store
from tests.clock import FakeClock
from tests.pg import Backend


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(backend: Backend, clock: FakeClock) -> AsyncIterator[Store]:
    async with await backend.open(clock) as opened:
        yield opened
