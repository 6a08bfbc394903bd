"""Suite-wide: a test that leaves a socket, a connection or a file open fails itself; and the
state-store fixtures (defined in tests/store/conftest.py: a fresh SQLite file, a PostgreSQL
schema of its own, skipped with the reason when no server answers) for every directory.

Warnings are errors (pyproject's ``filterwarnings``); collecting garbage after each test makes a
leaked object's ``ResourceWarning`` land on the test that leaked it, not on a later one when the
collector happens to run (about 5 ms a test).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.store.conftest import postgres_url, sqlite_url, store_url

__all__ = ["postgres_url", "sqlite_url", "store_url"]

# Property tests check what holds, not how fast: Hypothesis's default 200 ms deadline per example
# is a timed assertion, and failed one on a loaded two-core machine.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The end-to-end tests (marked ``slow``: a few take minutes) run first, in their own order:
    pytest-xdist hands tests out in this order, so a long one started last no longer makes the
    suite's tail while the other workers sit idle; the short tests fill the end evenly."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()
