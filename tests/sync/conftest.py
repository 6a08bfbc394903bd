"""What the sync's tests share: both simulators, once per module that asks for them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sync.two_sims import Sims, both_sims


@pytest.fixture(scope="module")
def sims() -> Iterator[Sims]:
    """Both simulators in this process, for the module (``tests.sync.two_sims``)."""
    with both_sims() as running:
        yield running
