"""The write-behind counter of unanswered questions (`bot.core.unanswered`), on a real SQLite store.

What it promises: `note` only touches memory; what was noted reaches the store within the interval
(sooner when many texts wait), at `flush`, and at `close`; a store that fails keeps the counts for the
next try; memory never holds more texts than the cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core.store import SQLiteStore, Store
from bot.core.store.models import UnansweredCount
from bot.core.unanswered import UnansweredCounter
from tests.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Store]:
    async with await SQLiteStore.open(tmp_path / "u.db", clock=clock) as opened:
        yield opened


async def eventually_written(store: Store, expected: list[tuple[str, int]], within: float = 2.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while sorted(await store.unanswered_top(100)) != expected:
        assert asyncio.get_running_loop().time() < deadline, await store.unanswered_top(100)
        await asyncio.sleep(0.01)


async def test_note_touches_memory_only_until_a_flush(store: Store, clock: FakeClock) -> None:
    counter = UnansweredCounter(store, cap=100, clock=clock, interval=60)
    counter.note("nurse pay")
    clock.advance(30)
    counter.note("nurse pay")
    counter.note("dental coding")
    assert counter.pending == 2
    assert await store.unanswered_top(10) == []
    await counter.flush()
    assert counter.pending == 0
    assert await store.unanswered_top(10) == [("nurse pay", 2), ("dental coding", 1)]
    await counter.flush()  # nothing new: the counts are not written twice
    assert await store.unanswered_top(10) == [("nurse pay", 2), ("dental coding", 1)]
    counter.note("nurse pay")
    await counter.close()
    assert await store.unanswered_top(10) == [("nurse pay", 3), ("dental coding", 1)]


async def test_the_task_writes_within_the_interval(store: Store, clock: FakeClock) -> None:
    counter = UnansweredCounter(store, cap=100, clock=clock, interval=0.05)
    counter.start()
    try:
        counter.note("pizza recipe")
        await eventually_written(store, [("pizza recipe", 1)])
        counter.note("pizza recipe")  # a second round after the task went back to sleep
        await eventually_written(store, [("pizza recipe", 2)])
    finally:
        await counter.close()


async def test_many_distinct_texts_are_written_before_the_interval(store: Store, clock: FakeClock) -> None:
    counter = UnansweredCounter(store, cap=100, clock=clock, interval=3600, flush_at=3)
    counter.start()
    try:
        for text in ("a", "b", "c"):
            counter.note(text)
        await eventually_written(store, [("a", 1), ("b", 1), ("c", 1)])
    finally:
        await counter.close()


async def test_close_writes_what_is_pending(tmp_path: Path, clock: FakeClock) -> None:
    store = await SQLiteStore.open(tmp_path / "c.db", clock=clock)
    counter = UnansweredCounter(store, cap=100, clock=clock, interval=3600)
    counter.start()
    counter.note("tell me a joke")
    await counter.close()
    await store.close()
    async with await SQLiteStore.open(tmp_path / "c.db", clock=clock) as reopened:
        assert await reopened.unanswered_top(10) == [("tell me a joke", 1)]


class FlakyStore(SQLiteStore):
    """A real store whose batch writes fail while `failing` is set."""

    failing = True

    async def record_unanswered_counts(self, counts: Mapping[str, UnansweredCount], *, cap: int) -> None:
        if self.failing:
            raise OSError("disk full")
        await super().record_unanswered_counts(counts, cap=cap)


async def test_a_failed_write_keeps_the_counts_for_the_next_one(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    store = await FlakyStore.open(tmp_path / "f.db", clock=clock)
    try:
        counter = UnansweredCounter(store, cap=100, clock=clock, interval=3600)
        counter.note("nurse pay")
        await counter.flush()
        assert "Could not write 1 unanswered-question counts" in caplog.text
        assert "nurse pay" not in caplog.text  # the questions themselves are never logged
        counter.note("nurse pay")  # noted while the write was failing
        store.failing = False
        await counter.flush()
        assert await store.unanswered_top(10) == [("nurse pay", 2)]
    finally:
        await store.close()


async def test_memory_holds_at_most_cap_texts_keeping_the_most_recent(store: Store, clock: FakeClock) -> None:
    counter = UnansweredCounter(store, cap=2, clock=clock, interval=3600)
    for text in ("a", "b", "a", "c"):  # "b" is the least recently asked when "c" arrives
        counter.note(text)
        clock.advance(timedelta(seconds=1))
    assert counter.pending == 2
    await counter.flush()
    assert await store.unanswered_top(10) == [("a", 2), ("c", 1)]


class SlowStore(SQLiteStore):
    """A real store whose batch write takes a while after its commit (as a slow disk would)."""

    started: asyncio.Event

    async def record_unanswered_counts(self, counts: Mapping[str, UnansweredCount], *, cap: int) -> None:
        self.started.set()
        await super().record_unanswered_counts(counts, cap=cap)
        await asyncio.sleep(0.2)


async def test_closing_during_a_write_neither_loses_nor_doubles_the_counts(tmp_path: Path, clock: FakeClock) -> None:
    store = await SlowStore.open(tmp_path / "s.db", clock=clock)
    store.started = asyncio.Event()
    try:
        counter = UnansweredCounter(store, cap=100, clock=clock, interval=0.01)
        counter.start()
        counter.note("pizza recipe")
        await asyncio.wait_for(store.started.wait(), 2)  # the task's write is under way
        counter.note("tell me a joke")  # noted during that write
        await counter.close()
        assert sorted(await store.unanswered_top(10)) == [("pizza recipe", 1), ("tell me a joke", 1)]
    finally:
        await store.close()
