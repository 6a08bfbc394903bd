"""Suite-wide: the slow tests first, and the modules of ``ONE_WORKER_MODULES`` each to one
pytest-xdist worker whole; a test that leaves a socket, a connection or a file open fails itself;
the state-store fixtures (defined in tests/store/conftest.py: a fresh SQLite file, a PostgreSQL
schema of its own, skipped with the reason when no server answers) for every directory; and the
one way a test waits for what happens in another thread or process (``wait_until``, and
``await_until`` beside a running event loop).

Warnings are errors (pyproject's ``filterwarnings``); collecting garbage after each test makes a
leaked object's ``ResourceWarning`` land on the test that leaked it, not on a later one when the
collector happens to run (about 5 ms a test).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from hypothesis import settings
from xdist.remote import Producer
from xdist.scheduler import LoadScopeScheduling

from tests.logging_reset import restored_logging
from tests.store.conftest import postgres_url, sqlite_url, store_url

__all__ = ["postgres_url", "sqlite_url", "store_url"]

#: How long a test waits for what it expects before it fails (generous: the machine is shared).
WAIT_S = 60.0

# Property tests check what holds, not how fast: Hypothesis's default 200 ms deadline per example
# is a timed assertion, and failed one on a loaded two-core machine.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end tests (marked ``slow``: a few take minutes) run first, in their own order:
    pytest-xdist hands tests out in this order, so a long one started last no longer makes the
    suite's tail while the other workers sit idle; the short tests fill the end evenly."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


#: Modules whose tests share a costly module-scoped fixture (2,000 debtors backfilled; a backfill
#: killed and run again; a site with ``run`` running): pytest-xdist hands each to one worker
#: whole. Handed out test by test, round robin, every worker built the fixture again (4 to 7 s
#: each on a loaded machine).
ONE_WORKER_MODULES = frozenset(
    {
        "tests/e2e/test_backfill.py",
        "tests/e2e/test_contacts.py",
        "tests/e2e/test_crash.py",
        "tests/e2e/test_sales_context.py",
    }
)


class _ModulesTogether(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no types
    """pytest-xdist's load scheduling, a test at a time, but a module of
    ``ONE_WORKER_MODULES`` at once (those first: its tests are among the slow ones)."""

    def _split_scope(self, nodeid: str) -> str:
        module = nodeid.split("::", 1)[0]
        return module if module in ONE_WORKER_MODULES else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadScopeScheduling:
    return _ModulesTogether(config, log)


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For modules whose commands configure logging (onto the runner's stderr): put back
    afterwards (``pytestmark = pytest.mark.usefixtures("restore_logging")``)."""
    with restored_logging():
        yield


def wait_until(
    condition: Callable[[], object],
    what: str | Callable[[], str],
    *,
    timeout_s: float = WAIT_S,
    interval_s: float = 0.05,
) -> None:
    """Until ``condition()`` is true; after ``timeout_s`` the test fails, naming ``what`` (a
    function: a text written at that moment, such as where the work stands)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        _fail_after(deadline, what)
        time.sleep(interval_s)


async def await_until(
    condition: Callable[[], object | Awaitable[object]],
    what: str | Callable[[], str],
    *,
    timeout_s: float = WAIT_S,
    interval_s: float = 0.05,
) -> None:
    """``wait_until`` for a test whose event loop must keep running while it waits; the
    condition may be a coroutine function (awaited)."""
    deadline = time.monotonic() + timeout_s
    while True:
        met = condition()
        if await met if inspect.isawaitable(met) else met:
            return
        _fail_after(deadline, what)
        await asyncio.sleep(interval_s)


def _fail_after(deadline: float, what: str | Callable[[], str]) -> None:
    if time.monotonic() > deadline:
        pytest.fail(f"timed out waiting for {what if isinstance(what, str) else what()}")
