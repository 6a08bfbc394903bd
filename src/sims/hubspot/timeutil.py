"""Time as HubSpot writes it: ISO 8601 UTC with milliseconds, and epoch milliseconds."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache


def now_ms() -> int:
    return int(time.time() * 1000)


@lru_cache(maxsize=4096)
def iso_ms(epoch_ms: int) -> str:
    """``2024-01-17T19:55:04.281Z``. Cached: one write stamps every property it sets (and a
    batch every record) with the same millisecond, and formatting dominated batch writes."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def parse_iso_ms(text: str) -> int | None:
    """Epoch ms of an ISO 8601 timestamp, or None when it is not one."""
    candidate = text.strip()
    if candidate.endswith("Z"):
        candidate = candidate[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
