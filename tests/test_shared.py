"""``AsyncClosing``: the clients and the store are closed however their ``async with`` ends."""

from __future__ import annotations

import pytest

from accredo_hubspot.shared import AsyncClosing


class Held(AsyncClosing):
    def __init__(self) -> None:
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


async def test_the_block_gets_the_object_and_leaving_closes_it() -> None:
    held = Held()
    async with held as entered:
        assert entered is held
        assert held.closed == 0
    assert held.closed == 1


async def test_a_block_that_raises_still_closes_and_the_error_goes_on() -> None:
    held = Held()
    with pytest.raises(LookupError):
        async with held:
            raise LookupError("inside")
    assert held.closed == 1


def test_an_object_without_aclose_cannot_be_made() -> None:
    class Leaky(AsyncClosing):
        pass

    with pytest.raises(TypeError):
        Leaky()  # type: ignore[abstract]
