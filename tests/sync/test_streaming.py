"""The chunk stream of the whole-ledger passes: a chunk is read only when there is room for
it, chunks start in order, at most ``in_flight`` are written at once, and a writer's failure
cancels the reader."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Coroutine

import pytest

from accredo_hubspot.sync.streaming import ChunkStream, chunked
from accredo_hubspot.tasks import task_group


class WriteFailed(Exception):
    """A writer's error, as a HubSpot call's would be."""


class Ledger:
    """Chunks 0..n-1, noting how many were held (read, not yet written) as each was read."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.read: list[int] = []
        self.done: list[int] = []
        self.held_at_read: list[int] = []

    async def chunks(self) -> AsyncIterator[int]:
        for i in range(self.n):
            await asyncio.sleep(0)
            self.read.append(i)
            self.held_at_read.append(len(self.read) - len(self.done))
            yield i


async def test_each_chunk_is_read_only_when_there_is_room_and_started_in_order() -> None:
    ledger = Ledger(8)
    started: list[int] = []
    writing: set[int] = set()
    most_writing = 0

    def start(chunk: int) -> Awaitable[None]:
        started.append(chunk)  # called in chunk order
        return write(chunk)

    async def write(chunk: int) -> None:
        nonlocal most_writing
        writing.add(chunk)
        most_writing = max(most_writing, len(writing))
        await asyncio.sleep(0.01 * (chunk % 3))
        writing.discard(chunk)
        ledger.done.append(chunk)

    async with task_group() as tasks:
        await ChunkStream(tasks, ledger.chunks(), held=3, in_flight=2).write(start)
        assert sorted(ledger.done) == list(range(8)), "every chunk written when write returns"
    assert started == list(range(8))
    assert most_writing == 2
    assert max(ledger.held_at_read) == 3, "a chunk is read only when there is room for it"


async def test_a_writers_failure_cancels_the_reader() -> None:
    ledger = Ledger(1000)

    async def write(chunk: int) -> None:
        if chunk == 3:
            raise WriteFailed("chunk 3")
        await asyncio.sleep(0.001)

    with pytest.raises(WriteFailed):
        async with task_group() as tasks:
            await ChunkStream(tasks, ledger.chunks(), held=2, in_flight=2).write(write)
    assert len(ledger.read) < 10, "the reader stopped with the failure"


async def test_chunked_keeps_the_last_short_chunk() -> None:
    async def items() -> AsyncIterator[int]:
        for i in range(5):
            yield i

    assert [c async for c in chunked(items(), 2)] == [[0, 1], [2, 3], [4]]


async def test_a_writer_cancelled_before_it_ran_leaves_no_coroutine_unawaited() -> None:
    """A failure while a writer task is created but has not yet run cancels that task before
    its first step: the write it was handed is closed, not left for the garbage collector to
    warn about (a "coroutine ... was never awaited" in CI)."""
    ledger = Ledger(3)
    handed: list[Coroutine[None, None, None]] = []

    def start(chunk: int) -> Awaitable[None]:
        if chunk == 1:  # chunk 0's writer is created and has not run yet
            raise WriteFailed(chunk)
        handed.append(write(chunk))
        return handed[-1]

    async def write(chunk: int) -> None:
        ledger.done.append(chunk)

    async def two_read_at_once() -> AsyncIterator[int]:
        for i in range(ledger.n):
            yield i

    with pytest.raises(WriteFailed):
        async with task_group() as tasks:
            stream = ChunkStream(tasks, two_read_at_once(), held=2, in_flight=2)
            await asyncio.sleep(0.01)  # both chunks are queued before writing starts
            await stream.write(start)
    assert ledger.done == []
    assert [inspect.getcoroutinestate(w) for w in handed] == [inspect.CORO_CLOSED]
