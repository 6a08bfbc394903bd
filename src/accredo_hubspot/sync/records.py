"""The plain values a record type's spec hands the planner and the pipeline.

A source record is its key and its values (field -> value), converted from the wire model at
the edge (the spec's ``fetch``), so the pure planner never sees an HTTP model. A field that was
not read is ``ABSENT`` (or simply missing from ``values``), which is not the same as a field
read empty (``None`` or ``""``): an absent value plans nothing, a cleared one plans a clear. A
``Target`` says where a record goes on the side written: an existing record (its id, and its
eTag for Accredo writes) or a new one, or an ambiguity to report.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Generic, TypeVar

T = TypeVar("T")


class Absent(enum.Enum):
    """The type of ``ABSENT``."""

    ABSENT = "absent"

    def __repr__(self) -> str:
        return "ABSENT"


#: A value that was not read (a HubSpot property not asked for): plans nothing.
ABSENT: Final = Absent.ABSENT

#: One record's values: field -> value (``None`` or ``""``: read, and empty).
Values = Mapping[str, object]


def values_read(answer: Mapping[str, str | None], names: Iterable[str]) -> dict[str, object]:
    """The values of ``names`` in a HubSpot answer's ``properties``, for a source record.

    A property in the answer is read: its value, or ``None`` when it has none (cleared). One
    the answer leaves out is ``ABSENT``, never "cleared": it was not asked for, an older answer
    omitted it, or the answer is a webhook's one changed property (reference 4, 11).
    """
    return {name: answer.get(name, ABSENT) for name in names}


#: How a target was found, besides the keys a spec matches on.
LINK, NEW, AMBIGUOUS = "link", "new", "ambiguous"


@dataclass(frozen=True, slots=True)
class SourceRecord(Generic[T]):
    """A record read from its source side: its key, its plain values, and what it was read
    from (``origin``, for the spec's own matcher; the planner never looks at it)."""

    key: str
    values: Values
    origin: T


@dataclass(frozen=True, slots=True)
class Association:
    """A record on the side written to associate a new record with, in its create call
    (HubSpot's inline associations, reference 4.1)."""

    to_type: str
    to_id: str
    type_id: int | None = None


@dataclass(frozen=True, slots=True)
class Target:
    """Where one record goes on the side written.

    ``remote_id`` is the record there (``None``: to be created); ``via`` says how it was
    found (``link``: stored; ``new``; ``ambiguous``: ``candidates`` and ``reason`` say why;
    else the key it was matched on). ``baseline`` is the current values of a record matched
    for the first time, which stand in for the shadow so values that already agree are not
    sent. ``version`` is its eTag (an Accredo PATCH's ``If-Match``).
    """

    key: str
    remote_id: str | None
    via: str
    candidates: tuple[str, ...] = ()
    reason: str = ""
    baseline: Mapping[str, str] | None = None
    version: str | None = None
    associations: tuple[Association, ...] = ()

    @property
    def is_first_match(self) -> bool:
        """Matched to an existing record that is not linked yet."""
        return self.via not in (LINK, NEW, AMBIGUOUS) and self.remote_id is not None
