"""Structured concurrency: every task has an owner that awaits it, and a failure is one error.

``asyncio.create_task`` and ``asyncio.gather`` leave tasks running (and failing unseen, "Task
exception was never retrieved") when a sibling fails. ``task_group`` is ``asyncio.TaskGroup``,
which cancels the siblings and waits for them, but raises the first error itself rather than an
``ExceptionGroup``, so callers (and the CLI's one-line message) see ``AccredoAuthError``, not a
group wrapping it.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first error of a (possibly nested) exception group: the one that happened first."""
    first = group.exceptions[0]
    return first_error(first) if isinstance(first, BaseExceptionGroup) else first


@asynccontextmanager
async def task_group() -> AsyncIterator[asyncio.TaskGroup]:
    """``asyncio.TaskGroup`` that raises its first error unwrapped."""
    try:
        async with asyncio.TaskGroup() as group:
            yield group
    except BaseExceptionGroup as errors:
        raise first_error(errors) from None


async def gather(*awaitables: Awaitable[T]) -> list[T]:
    """Await all, results in order; the first failure cancels the rest and is raised."""
    async with task_group() as group:
        tasks = [group.create_task(_awaited(a)) for a in awaitables]
    return [task.result() for task in tasks]


def start_awaiting(group: asyncio.TaskGroup, awaitable: Awaitable[T]) -> asyncio.Task[T]:
    """A task of ``group`` awaiting ``awaitable`` (a coroutine made by the caller).

    A task created while its siblings run can be cancelled before its first step (one failed
    just after): it never awaits what it was handed, so that coroutine is closed then, or the
    garbage collector warns of it ("coroutine ... was never awaited"). ``gather`` needs none of
    this: its tasks all take their first step before any can fail.
    """
    task = group.create_task(_awaited(awaitable))
    task.add_done_callback(functools.partial(_close_if_never_run, awaitable))
    return task


def _close_if_never_run(awaitable: Awaitable[object], _task: asyncio.Task[Any]) -> None:
    if inspect.iscoroutine(awaitable) and (
        inspect.getcoroutinestate(awaitable) == inspect.CORO_CREATED
    ):
        awaitable.close()


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable
