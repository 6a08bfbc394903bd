"""Types shared by the API clients, the store and the sync, so that none imports another.

The clients return these; the sync's ports (``sync/ports.py``) name them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx

#: The inbox's name for HubSpot's webhook events (the web app stores them, the sync reads them).
HUBSPOT_INBOX_SOURCE = "hubspot"

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
    #: Customer code -> the last change row that named it ("ARDELTA DeltaID 57 (ARTRAN 12)").
    sources: dict[str, str] = field(default_factory=dict)
    #: Contacts added or changed by someone other than the connector (``ARCONTCT`` rows whose
    #: user is not the connector's own: its own writes are echoes), as ContactID text.
    contact_ids: list[str] = field(default_factory=list)
    #: Customers named by Order Entry change rows (``OEDELTA``: an order entered or changed).
    order_customer_codes: list[str] = field(default_factory=list)


#: Told the status code of every HTTP answer a client receives: how the process's metrics count
#: requests and 429s per system while the clients know nothing of metrics (``metrics.py``).
ResponseHook = Callable[[int], None]


def http_event_hooks(
    hook: ResponseHook | None,
) -> dict[str, list[Callable[[httpx.Response], Awaitable[None]]]]:
    """``hook`` as the ``event_hooks`` of an ``httpx.AsyncClient`` (none when ``hook`` is None)."""
    if hook is None:
        return {}

    async def answered(response: httpx.Response) -> None:
        hook(response.status_code)

    return {"response": [answered]}


class AsyncClosing(ABC):
    """``async with`` for what holds connections or threads (the clients, the store): leaving
    the block calls ``aclose``, whether or not it raised."""

    @abstractmethod
    async def aclose(self) -> None:
        """Release what the object holds."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
