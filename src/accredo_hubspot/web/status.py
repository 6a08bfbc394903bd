"""What ``/status``, ``/metrics`` and ``/readyz`` report, read fresh for each request.

The store gives the queue, last syncs, recent writes, dead letters and ambiguous matches in one
read; Accredo gives its newest ``DeltaID`` per change table (the lag beside the cursors), kept
for a few seconds so a page refreshing itself and a Prometheus scrape do not each cost Accredo
three calls; this process's ``Metrics`` gives request rates and latency percentiles. Anything
that does not answer is shown as such: the page must load when a system is down.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from accredo_hubspot.errors import ClassifiedError
from accredo_hubspot.metrics import DIRECTIONS, SYSTEMS, Metrics, Percentiles, Rates
from accredo_hubspot.store import AsyncStateStore, Direction, QueueState, Side, StoreOverview

#: Asks a system a cheap question; raises (a ``ClassifiedError``) when it does not answer.
Probe = Callable[[], Awaitable[object]]
#: Accredo's newest ``DeltaID`` per change table.
LatestDeltaIds = Callable[[], Awaitable[dict[str, int]]]

#: How long Accredo's newest DeltaIDs are reused for the lag.
LAG_TTL_S = 10.0
#: How long ``/readyz`` waits for each answer (the clients' own retries can take minutes).
READY_TIMEOUT_S = 5.0
#: Open dead letters and ambiguous matches listed (all are counted).
LISTED_LETTERS = 50
#: The side each direction writes to.
SIDE_OF: dict[str, Side] = {"to_hubspot": "hubspot", "to_accredo": "accredo"}


@dataclass(frozen=True, slots=True)
class TableLag:
    """One Accredo change table: the cursor, Accredo's newest ``DeltaID``, rows between."""

    table: str
    cursor: int | None
    latest: int | None

    @classmethod
    def of(cls, table: str, cursor: int | None, latest: int | None) -> TableLag:
        """The newest ``DeltaID`` is at least the cursor: one read up to ``LAG_TTL_S`` ago may
        be older than a cursor read just now."""
        if latest is not None and cursor is not None:
            latest = max(latest, cursor)
        return cls(table, cursor, latest)

    @property
    def behind(self) -> int | None:
        if self.latest is None:
            return None
        return max(0, self.latest - (self.cursor or 0))


@dataclass(frozen=True, slots=True)
class DirectionStatus:
    """One direction of the sync: its queue, last sync, latency and recent writes."""

    direction: str
    queue: QueueState
    last_sync: datetime | None
    latency: Percentiles | None
    writes_last_minute: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the status page shows, read at ``at``."""

    at: datetime
    tables: list[TableLag]
    accredo_problem: str | None  # why the newest DeltaIDs are unknown
    directions: list[DirectionStatus]
    rates: dict[str, Rates]  # system -> the last minute's answers and 429s
    store: StoreOverview


class StatusSource:
    """Reads the snapshot, sets the metrics' gauges from it, and checks readiness."""

    def __init__(
        self,
        store: AsyncStateStore,
        metrics: Metrics,
        *,
        accredo_latest: LatestDeltaIds,
        hubspot_probe: Probe,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic_s: Callable[[], float] = time.monotonic,
    ) -> None:
        self.metrics = metrics
        self._store = store
        self._accredo_latest = accredo_latest
        self._hubspot_probe = hubspot_probe
        self._clock = clock
        self._monotonic_s = monotonic_s
        self._latest: tuple[float, dict[str, int] | str] | None = None

    async def snapshot(self) -> Snapshot:
        """The state now (a store that does not answer raises its ``StoreError``)."""
        now = self._clock()
        overview = await self._store.overview(now - timedelta(minutes=1), LISTED_LETTERS)
        latest = await self._latest_delta_ids()
        known = latest if isinstance(latest, dict) else {}
        names = sorted({*overview.cursors, *known})
        tables = [TableLag.of(n, overview.cursors.get(n), known.get(n)) for n in names]
        directions = [
            DirectionStatus(
                direction,
                overview.queues.get(cast(Direction, direction), QueueState(0, None)),
                overview.last_sync.get(cast(Direction, direction)),
                self.metrics.percentiles(direction),
                overview.writes.get(SIDE_OF[direction], 0),
            )
            for direction in DIRECTIONS
        ]
        return Snapshot(
            at=now,
            tables=tables,
            accredo_problem=latest if isinstance(latest, str) else None,
            directions=directions,
            rates={system: self.metrics.rates(system) for system in SYSTEMS},
            store=overview,
        )

    async def refresh_metrics(self) -> Snapshot:
        """A snapshot, with the metrics' gauges set from it (before a scrape)."""
        snap = await self.snapshot()
        self.metrics.set_state(
            queue_depth={d.direction: d.queue.depth for d in snap.directions},
            dead_letters=snap.store.dead_letter_count,
            ambiguous_matches=snap.store.match_count,
            change_lag={t.table: t.behind for t in snap.tables if t.behind is not None},
            last_sync={d.direction: d.last_sync for d in snap.directions if d.last_sync},
        )
        return snap

    async def readiness(self) -> dict[str, str | None]:
        """``accredo``, ``hubspot`` and ``store``: None when it answered, else why not."""
        checks = {
            "accredo": self._accredo_latest,
            "hubspot": self._hubspot_probe,
            "store": self._store.ping,
        }
        answers = await asyncio.gather(*(_answers(probe) for probe in checks.values()))
        return dict(zip(checks, answers, strict=True))

    async def _latest_delta_ids(self) -> dict[str, int] | str:
        """Accredo's newest DeltaIDs (or why not), reused for ``LAG_TTL_S``."""
        now = self._monotonic_s()
        if self._latest is not None and now - self._latest[0] < LAG_TTL_S:
            return self._latest[1]
        try:
            async with asyncio.timeout(READY_TIMEOUT_S):
                latest: dict[str, int] | str = await self._accredo_latest()
        except TimeoutError:
            latest = f"Accredo did not answer within {READY_TIMEOUT_S:g} s"
        except ClassifiedError as exc:
            latest = f"Accredo did not answer ({type(exc).__name__}: {exc})"
        self._latest = (now, latest)
        return latest


async def _answers(probe: Probe) -> str | None:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            await probe()
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT_S:g} s"
    except ClassifiedError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
