"""Types shared by the API clients and the sync, so that neither imports the other.

The clients return these; the sync's ports (``sync/ports.py``) name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The change feed's state between polls, as JSON-ready data (see ``LateRowWindow.state``):
#: the caller keeps it with the cursors and hands it back on the next poll.
FeedState = dict[str, Any]


@dataclass(frozen=True)
class ChangeBatch:
    """What changed since the given cursors: customers to refresh, in first-seen order."""

    customer_codes: list[str]
    cursors: dict[str, int]  # delta table name ("ARDELTA", "INDELTA", "OEDELTA") -> DeltaID
    rows_seen: int = 0
    unresolved: list[str] = field(default_factory=list)  # rows that could not be followed
    state: FeedState = field(default_factory=dict)  # to keep with the cursors, for the next poll
