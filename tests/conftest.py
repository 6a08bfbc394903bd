"""Suite-wide: a test that leaves a socket, a connection or a file open fails itself.

Warnings are errors (pyproject's ``filterwarnings``); collecting garbage after each test makes a
leaked object's ``ResourceWarning`` land on the test that leaked it, not on a later one when the
collector happens to run (about 5 ms a test).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    yield
    gc.collect()
