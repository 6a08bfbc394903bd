"""Whole-ledger passes (the backfill, the invoice and order passes) write chunk by chunk while
the next chunk is read, in bounded memory whatever the size of the ledger.

A reader task reads a chunk only once there is room for it (a writer done with its chunk makes
room), and at most ``in_flight`` chunks are written at once. Writers share ``send_turn``, so
their HubSpot calls take turns in chunk order: the last chunk's calls are not spread across the
previous chunk's, and only its store commit is left when they end. Every task is in the
caller's task group, so a failure in any cancels the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

from accredo_hubspot.tasks import start_awaiting

#: Chunks being written at once: one chunk's store commit overlaps the next one's HubSpot calls.
CHUNKS_IN_FLIGHT = 2
#: Chunks held at once, read or being written: a chunk is read as soon as the one before the
#: chunk sending has committed, so the read overlaps the sending. Memory held is at most this
#: many chunks.
CHUNKS_HELD = CHUNKS_IN_FLIGHT

C = TypeVar("C")
T = TypeVar("T")


class ChunkStream(Generic[C]):
    """``chunks`` read by a task of ``tasks`` from the start, each once there is room for it
    (at most ``held`` are read and not yet written); ``write`` writes them."""

    def __init__(
        self,
        tasks: asyncio.TaskGroup,
        chunks: AsyncIterator[C],
        *,
        held: int = CHUNKS_HELD,
        in_flight: int = CHUNKS_IN_FLIGHT,
    ) -> None:
        self._tasks = tasks
        self._queue: asyncio.Queue[tuple[C] | None] = asyncio.Queue()
        self._room = asyncio.Semaphore(held)
        self._slots = asyncio.Semaphore(in_flight)
        #: The writers' HubSpot calls take turns in chunk order (``Pipeline.write``).
        self.send_turn = asyncio.Lock()
        tasks.create_task(self._read(chunks))

    async def write(self, start: Callable[[C], Awaitable[None]]) -> None:
        """Write every chunk, returning once all are written. ``start(chunk)`` is called in
        chunk order once a writer is free (what must happen in order, the backfill's
        matching, happens there); what it returns is awaited in a task of its own."""
        writers: set[asyncio.Task[None]] = set()
        while (item := await self._queue.get()) is not None:
            await self._slots.acquire()
            writer = start_awaiting(self._tasks, start(item[0]))
            writers.add(writer)
            writer.add_done_callback(writers.discard)
            writer.add_done_callback(self._written)
        for writer in list(writers):
            await writer

    async def _read(self, chunks: AsyncIterator[C]) -> None:
        """Each chunk read only once there is room for it (before its page is asked for)."""
        while True:
            await self._room.acquire()
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            await self._queue.put((chunk,))
        await self._queue.put(None)

    def _written(self, _writer: asyncio.Task[None]) -> None:
        """A writer done (or failed, or cancelled): room for the next chunk and its writer."""
        self._slots.release()
        self._room.release()


async def chunked(items: AsyncIterator[T], size: int) -> AsyncIterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    chunk: list[T] = []
    async for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
