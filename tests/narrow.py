"""Narrowing for values a test's own data always sets, on fields typed as optional."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def known(value: T | None) -> T:
    """``value``, which the test's data set (a model field that may be None elsewhere)."""
    assert value is not None, "the test's own data sets this value"
    return value
