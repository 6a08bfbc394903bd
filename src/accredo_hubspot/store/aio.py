"""``AsyncStateStore``: the state store as async code uses it, off the event loop.

The store is synchronous (SQLAlchemy Core); a commit of a large batch takes long enough to
stall every HTTP call, poll and (later) webhook request sharing the loop. Each method here runs
its ``StateStore`` twin in the store's own threads and awaits the result, so the loop keeps
answering while rows are written. The store's threads belong to it: SQLite gets one (one
writer is the rule, and calls keep their order), PostgreSQL a few.

A caller cancelled while its call runs does not stop the call: the transaction commits or
rolls back whole, and the cancellation reaches the caller once it has, so what the caller does
next (give its claims back, say) comes after it, never beside it in another thread. A call not
yet started when its caller is cancelled does not run.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, Self, TypeVar

from accredo_hubspot.shared import AsyncClosing
from accredo_hubspot.store.state import Clock, StateStore, utc_now

P = ParamSpec("P")
T = TypeVar("T")

#: Store threads on PostgreSQL (reads overlap a commit; several connections in the pool).
POSTGRES_THREADS = 4


def _offloaded(
    method: Callable[Concatenate[StateStore, P], T],
) -> Callable[Concatenate[AsyncStateStore, P], Coroutine[Any, Any, T]]:
    """``StateStore.method`` as a coroutine method running in the store's threads."""

    async def call(self: AsyncStateStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self.run(method, self.sync, *args, **kwargs)

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Take the outcome of a call whose caller was cancelled (nobody else will)."""
    if not future.cancelled():
        future.exception()


class AsyncStateStore(AsyncClosing):
    """Every ``StateStore`` method as a coroutine; ``sync`` is the store itself (for code with
    no event loop: scripts, tests inspecting state)."""

    def __init__(self, store: StateStore) -> None:
        """Wrap an open store; ``aclose`` closes it."""
        self.sync = store
        threads = POSTGRES_THREADS if store.supports_several_workers else 1
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="state-store")

    @classmethod
    async def open(cls, url: str, *, clock: Clock = utc_now) -> Self:
        """``StateStore.open`` (connect, create or migrate) in a thread, wrapped."""
        return cls(await asyncio.to_thread(StateStore.open, url, clock=clock))

    async def run(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` in the store's threads (with this task's context vars, so
        log lines keep their bound fields)."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        future = self._executor.submit(call)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            if not future.cancel():  # running: wait for its commit or rollback
                running = asyncio.wrap_future(future)
                running.add_done_callback(_retrieve)
                await asyncio.wait([running])
            raise

    @property
    def supports_several_workers(self) -> bool:
        return self.sync.supports_several_workers

    async def aclose(self) -> None:
        """Wait for calls in flight, then release every connection."""
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        self.sync.close()

    get_links = _offloaded(StateStore.get_links)
    get_links_by_hubspot_id = _offloaded(StateStore.get_links_by_hubspot_id)
    reported_deletions = _offloaded(StateStore.reported_deletions)
    put_links = _offloaded(StateStore.put_links)
    link_count = _offloaded(StateStore.link_count)
    forget = _offloaded(StateStore.forget)
    get_shadows = _offloaded(StateStore.get_shadows)
    put_shadows = _offloaded(StateStore.put_shadows)
    get_cursors = _offloaded(StateStore.get_cursors)
    set_cursors = _offloaded(StateStore.set_cursors)
    get_feed_state = _offloaded(StateStore.get_feed_state)
    enqueue = _offloaded(StateStore.enqueue)
    enqueue_and_advance = _offloaded(StateStore.enqueue_and_advance)
    claim = _offloaded(StateStore.claim)
    complete = _offloaded(StateStore.complete)
    renew_claims = _offloaded(StateStore.renew_claims)
    release = _offloaded(StateStore.release)
    queue_depth = _offloaded(StateStore.queue_depth)
    oldest_pending_age_s = _offloaded(StateStore.oldest_pending_age_s)
    acquire_lease = _offloaded(StateStore.acquire_lease)
    release_lease = _offloaded(StateStore.release_lease)
    lease_holder = _offloaded(StateStore.lease_holder)
    add_inbox = _offloaded(StateStore.add_inbox)
    take_inbox = _offloaded(StateStore.take_inbox)
    mark_inbox_processed = _offloaded(StateStore.mark_inbox_processed)
    queue_inbox = _offloaded(StateStore.queue_inbox)
    apply_link_changes = _offloaded(StateStore.apply_link_changes)
    get_meta = _offloaded(StateStore.get_meta)
    set_meta = _offloaded(StateStore.set_meta)
    set_last_error = _offloaded(StateStore.set_last_error)
    get_last_error = _offloaded(StateStore.get_last_error)
    add_dead_letters = _offloaded(StateStore.add_dead_letters)
    list_dead_letters = _offloaded(StateStore.list_dead_letters)
    dead_letter_count = _offloaded(StateStore.dead_letter_count)
    resolve_dead_letters = _offloaded(StateStore.resolve_dead_letters)
    get_dead_letter = _offloaded(StateStore.get_dead_letter)
    update_dead_letter = _offloaded(StateStore.update_dead_letter)
    list_ambiguous_matches = _offloaded(StateStore.list_ambiguous_matches)
    add_audit = _offloaded(StateStore.add_audit)
    list_audit = _offloaded(StateStore.list_audit)
    prune_audit = _offloaded(StateStore.prune_audit)
    record_sync = _offloaded(StateStore.record_sync)
    status = _offloaded(StateStore.status)
    overview = _offloaded(StateStore.overview)
    ping = _offloaded(StateStore.ping)
