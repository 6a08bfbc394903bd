"""The package's public surface is written down, sorted and importable."""

from __future__ import annotations

import accredo_hubspot.hubspot as hubspot


def test_all_is_sorted_and_complete() -> None:
    """``__all__`` is sorted and every name in it exists."""
    assert hubspot.__all__ == sorted(hubspot.__all__)
    for name in hubspot.__all__:
        assert hasattr(hubspot, name), name
